/**
 * Layering the tree promises: tensor/ is the bottom layer (it imports no op, autodiff
 * or backend code at run time; type imports are erased), so the tensor ↔ ops ↔ autodiff
 * import cycle cannot come back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const tensorDir = fileURLToPath(new URL('../src/tensor/', import.meta.url));

/** Relative specifiers of a module's run-time imports and re-exports (not `import type`). */
function runtimeImports(source: string): string[] {
  return [...source.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?from\s+)?['"](\.[^'"]+)['"]/gm)].map((m) => m[1]!);
}

test('tensor/ imports only tensor/ (and the RNG) at run time', () => {
  const offenders: string[] = [];
  for (const file of readdirSync(tensorDir).filter((f) => f.endsWith('.ts'))) {
    for (const spec of runtimeImports(readFileSync(join(tensorDir, file), 'utf8'))) {
      if (!spec.startsWith('./') && spec !== '../random/rng.ts') offenders.push(`${file} → ${spec}`);
    }
  }
  assert.equal(offenders, []);
});

test.run();
