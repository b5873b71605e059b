/**
 * The synchronous entry: `metagrad/core` imports with no top-level await, runs on the TS
 * reference until `ready()` resolves, then on wasm; `ready()` loads once. (A fresh
 * process: in this one the main entry already selected the backend.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('metagrad/core: TS reference until ready(), then wasm; one load', () => {
  const fixture = fileURLToPath(new URL('./fixtures/core-ready.ts', import.meta.url));
  const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8' }).trim());
  assert.equal(out, { before: 'ts', sumBefore: [4, 6], name: 'wasm', samePromise: true, after: 'wasm' });
});

test('metagrad/core exports what metagrad exports, plus nothing else', async () => {
  const [core, main] = [await import('../src/core.ts'), await import('../src/index.ts')];
  assert.equal(Object.keys(core).sort(), Object.keys(main).sort());
  assert.ok(main.ready === core.ready && typeof core.ready === 'function');
});

test.run();
