/**
 * `scripts/bundle.mjs` bundles the build with esbuild (ESM, platform-neutral, minified);
 * the bundle runs the smoke suite in Node and Deno with the same bits as `dist/`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertSameResults, nodeReports, REPO_ROOT, requireBuild, runDeno } from './runtimes/node.ts';
import { loadBundle, runSmoke, runtimeName } from './runtimes/smoke.ts';

interface SizeRow { name: string; file: string; minified: number; gzip: number; embeddedWasm: number; modules: number }

test('bundle: esbuild includes the build; sizes are reported', () => {
  requireBuild();
  const output = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/bundle.mjs'), '--json'], { encoding: 'utf8', timeout: 60_000 });
  const rows = JSON.parse(output.trim().split('\n').at(-1)!) as SizeRow[];
  assert.equal(rows.map((r) => r.name), ['metagrad', 'metagrad (all modules)']);
  for (const r of rows) {
    console.log(`${r.name}: ${r.minified} B minified, ${r.gzip} B gzip`);
    assert.ok(r.gzip > 0 && r.gzip < r.minified, `${r.name}: gzip ${r.gzip} of ${r.minified}`);
    assert.ok(r.embeddedWasm > 0, `${r.name} embeds the wasm kernels`);
  }
});

test('bundle: the package entry loads with the wasm backend selected', async () => {
  const mg = await import(pathToFileURL(join(REPO_ROOT, 'out/bundle/metagrad.min.js')).href) as typeof import('../src/index.ts');
  assert.is(mg.getBackend().name, 'wasm');
  assert.equal(Array.from(mg.grad((x: InstanceType<typeof mg.Tensor>) => mg.sum(mg.mul(x, x)))(mg.tensor([1, -2])).data), [2, -4]);
});

test('bundle: same bits as dist in Node and in Deno', async () => {
  const reference = await nodeReports();
  const lib = await loadBundle(pathToFileURL(join(REPO_ROOT, 'out/bundle/metagrad-all.min.js')).href);
  const inNode = await runSmoke(lib, { runtime: runtimeName(), source: 'bundle' });
  assertSameResults(reference.dist, inNode);
  const [inDeno] = await runDeno(['--source', 'bundle']);
  assert.ok(inDeno);
  assert.is(inDeno.defaultBackend, 'wasm');
  assertSameResults(reference.dist, inDeno);
});

test.run();
