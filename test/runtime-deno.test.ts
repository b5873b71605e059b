/**
 * Deno 2 runs the shared smoke suite on the library's sources and on its build, and
 * gets bit-identical results to Node's (see test/runtimes/). Needs the `deno` npm
 * package (a devDependency) and a built `dist/`; fails, never skips, without them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertSameResults, nodeReports, runDeno } from './runtimes/node.ts';
import { formatReport } from './runtimes/smoke.ts';

test('deno: src and dist load with the wasm SIMD backend as default and match Node bit for bit', async () => {
  const reference = await nodeReports();
  const reports = await runDeno();
  assert.is(reports.length, 2);
  for (const report of reports) {
    console.log(formatReport(report));
    assert.ok(report.runtime.startsWith('deno 2.'), `runtime ${report.runtime}`);
    assert.ok(report.simd, 'Deno has WebAssembly SIMD');
    assert.is(report.defaultBackend, 'wasm', 'where SIMD exists the wasm backend is the default');
    assert.is(report.wasmVariant, 'simd', 'the baseline SIMD build (relaxed SIMD only on request)');
    assert.equal(Object.keys(report.results).sort(), ['ts', 'wasm']);
    assertSameResults(reference.src, report);
  }
  assertSameResults(reference.src, reference.dist);
});

test('deno: without WebAssembly the build falls back to the ts backend, same numbers', async () => {
  const reference = await nodeReports();
  const [report] = await runDeno(['--no-wasm', '--source', 'dist']);
  assert.ok(report);
  assert.is(report.simd, false);
  assert.is(report.defaultBackend, 'ts');
  assert.equal(report.backends, ['ts']);
  assert.is(report.wasmVariant, null);
  assertSameResults({ ...reference.dist, results: { ts: reference.dist.results.ts! } }, report);
});

test.run();
