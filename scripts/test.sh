#!/usr/bin/env bash
# npm test: type-check, run every uvu test, end with CI's plain summary line.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! npx tsc --noEmit; then
  echo "type check failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
node --import tsx node_modules/uvu/bin.js test '\.test\.ts$' --no-color 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(awk '/^  Total:/{t=$2}/^  Passed:/{p=$2}/^  Skipped:/{s=$2}END{printf "%d passed, %d failed, %d skipped\n",p,t-p,s}' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "${summary%% *}" != "" ] && echo "$summary" | grep -q ", 0 failed"; then
  # uvu exited non-zero without a failed test (e.g. a crash while loading a file).
  summary=$(echo "$summary" | sed 's/, 0 failed/, 1 failed/')
fi
echo "$summary"
exit "$status"
