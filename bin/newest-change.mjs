// Shared by the launcher and the demo script: is a build older than its sources?
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Latest modification time (ms) of any file below `dir`; 0 if there is none. */
export function newestChange(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}
