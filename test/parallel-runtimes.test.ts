/**
 * The pool outside tsx: Node running plain `.js` (src/parallel transpiled as the build
 * does, no loader: the worker script is `worker-entry.js`), and Deno running the `.ts`
 * source with Web Workers (`type: 'module'`). Each runs jobs on 2 workers, one of which
 * throws, and must give the in-order results and the named error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpileSrc } from './fixtures/transpile.ts';
import { ROOT, tempDir } from './cli-helpers.ts';

/** Runs the jobs on 2 workers and prints the outcomes as one JSON line. */
const SMOKE = `
const [indexUrl, jobsUrl] = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const { createPool } = await import(indexUrl);
const pool = createPool({ workers: 2, modules: [jobsUrl] });
const out = await pool.run([1, 2, 3, 4, 5].map((x) => ({ name: 'square', args: { x } })).concat([{ name: 'throw', args: { message: 'boom' } }]));
pool.terminate();
console.log(JSON.stringify(out.map((o) => (o.ok ? o.value : o.error.message))));
`;
const EXPECTED = [1, 4, 9, 16, 25, `job 'throw' #5 {"message":"boom"} threw: Error: boom`];

function lastJsonLine(stdout: string): unknown {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}

test('node without tsx: the built .js pool starts worker-entry.js and runs .js job modules', () => {
  const dir = tempDir('parallel-js');
  try {
    const lib = join(transpileSrc(dir), 'parallel');
    writeFileSync(join(dir, 'jobs.js'), "import { registerJob } from './src/parallel/registry.js';\nregisterJob('square', ({ x }) => x * x);\nregisterJob('throw', ({ message }) => { throw new Error(message); });\n");
    writeFileSync(join(dir, 'smoke.js'), SMOKE);
    const env = { ...process.env, NODE_OPTIONS: '' };
    const r = spawnSync(process.execPath, [join(dir, 'smoke.js'), pathToFileURL(join(lib, 'index.js')).href, pathToFileURL(join(dir, 'jobs.js')).href], { encoding: 'utf8', env, timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    assert.equal(lastJsonLine(r.stdout), EXPECTED);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deno: Web Workers run the .ts source', () => {
  const deno = join(ROOT, 'node_modules/.bin/deno');
  assert.ok(existsSync(deno), 'the deno dev dependency is installed (npm install)');
  const dir = tempDir('parallel-deno');
  try {
    writeFileSync(join(dir, 'smoke.mjs'), SMOKE);
    const r = spawnSync(deno, ['run', '--allow-read', '--allow-env', join(dir, 'smoke.mjs'), pathToFileURL(join(ROOT, 'src/parallel/index.ts')).href, pathToFileURL(join(ROOT, 'test/fixtures/parallel-jobs.ts')).href], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    assert.is(r.status, 0, r.stderr);
    assert.equal(lastJsonLine(r.stdout), EXPECTED);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
