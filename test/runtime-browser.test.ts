/**
 * Chromium (Debian's, driven by playwright-core) runs the shared smoke suite on the
 * library's sources and on its build, served from 127.0.0.1, and gets bit-identical
 * results to Node's. Fails, never skips, when Chromium or `dist/` is missing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchChromium, type Chromium } from './runtimes/chromium.ts';
import { assertSameResults, nodeReports, REPO_ROOT, requireBuild, runBrowserSmoke } from './runtimes/node.ts';
import { startStaticServer, type StaticServer } from './runtimes/server.ts';
import { formatReport } from './runtimes/smoke.ts';

interface Ctx { chromium?: Chromium; server?: StaticServer }
const browser = suite<Ctx>('chromium');

// Set up inside the first test, not in a `before` hook: uvu 0.5 reports an exception
// thrown by a hook as neither a pass nor a failure, and exits 0.
async function setUp(ctx: Ctx): Promise<{ chromium: Chromium; server: StaticServer }> {
  requireBuild();
  ctx.server ??= await startStaticServer({ root: REPO_ROOT, allow: ['src', 'dist', 'test'] });
  ctx.chromium ??= await launchChromium();
  return { chromium: ctx.chromium, server: ctx.server };
}

browser.after(async (ctx) => {
  try {
    await ctx.chromium?.close();
  } finally {
    await ctx.server?.close();
  }
});

browser('src and dist load with the wasm SIMD backend as default and match Node bit for bit', async (ctx) => {
  const { chromium, server } = await setUp(ctx);
  const reference = await nodeReports();
  for (const source of ['src', 'dist'] as const) {
    const { page, errors } = await chromium.newPage();
    try {
      const report = await runBrowserSmoke(page, errors, server.url, source);
      console.log(formatReport(report));
      assert.ok(report.runtime.startsWith('chromium '), `runtime ${report.runtime}`);
      assert.ok(report.simd, 'Chromium has WebAssembly SIMD');
      assert.is(report.defaultBackend, 'wasm');
      assert.is(report.wasmVariant, 'simd');
      assert.equal(Object.keys(report.results).sort(), ['ts', 'wasm']);
      assertSameResults(reference.src, report);
      assert.equal(errors, [], 'no page errors');
    } finally {
      await page.close();
    }
  }
});

browser('without WebAssembly the build falls back to the ts backend, same numbers', async (ctx) => {
  const { chromium, server } = await setUp(ctx);
  const reference = await nodeReports();
  const { page, errors } = await chromium.newPage();
  try {
    const report = await runBrowserSmoke(page, errors, server.url, 'dist', true);
    assert.is(report.simd, false);
    assert.is(report.defaultBackend, 'ts');
    assert.equal(report.backends, ['ts']);
    assertSameResults({ ...reference.dist, results: { ts: reference.dist.results.ts! } }, report);
  } finally {
    await page.close();
  }
});

browser.run();
