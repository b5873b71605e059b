/**
 * The browser demo (`npm run demo`): served from 127.0.0.1 like the script does, it
 * meta-trains in a Web Worker on the built package, draws the grids (the library's SVG
 * renderer) and both curves, and answers a click that moves the goal out of
 * distribution. Saves a screenshot to out/screenshots/demo.png (git-ignored).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type Chromium } from './runtimes/chromium.ts';
import { REPO_ROOT, requireBuild } from './runtimes/node.ts';
import { startStaticServer, type StaticServer } from './runtimes/server.ts';

interface DemoState {
  ready: boolean; backend: string; running: boolean; evaluations: number; errors: string[];
  iterations: { iteration: number; preReturn: number; postReturn: number }[];
  evaluation: { iteration: number; task: { start: number[]; goal: number[]; ood: boolean }; curve: number[]; optimal: number } | null;
  world: { size: number; layout: { height: number; width: number } } | null;
}
declare global {
  interface Window { demo?: DemoState }
}

interface Ctx { chromium?: Chromium; server?: StaticServer }
const demo = suite<Ctx>('demo');

// Set up inside the first test, not in a `before` hook: uvu 0.5 reports an exception
// thrown by a hook as neither a pass nor a failure, and exits 0.
async function setUp(ctx: Ctx): Promise<{ chromium: Chromium; server: StaticServer }> {
  requireBuild();
  ctx.server ??= await startStaticServer({ root: REPO_ROOT, allow: ['demo', 'dist'], index: '/demo/' });
  ctx.chromium ??= await launchChromium();
  return { chromium: ctx.chromium, server: ctx.server };
}

demo.after(async (ctx) => {
  try {
    await ctx.chromium?.close();
  } finally {
    await ctx.server?.close();
  }
});

const read = (page: Page) => page.evaluate(() => JSON.parse(JSON.stringify({ ...window.demo, world: window.demo?.world && { size: window.demo.world.size, layout: window.demo.world.layout } })) as DemoState);

async function waitFor(page: Page, errors: string[], what: string, predicate: string, timeout = 60_000): Promise<void> {
  try {
    await page.waitForFunction(predicate, undefined, { timeout, polling: 100 });
  } catch (e) {
    const state = await read(page).catch(() => null);
    throw new Error(`demo: timed out waiting for ${what}: ${(e as Error).message}\nstate errors: ${JSON.stringify(state?.errors)}\npage errors:\n${errors.join('\n')}`);
  }
}

demo('meta-trains in a worker, draws grids and curves, and adapts to a clicked out-of-distribution goal', async (ctx) => {
  const { chromium, server } = await setUp(ctx);
  const { page, errors } = await chromium.newPage();
  try {
    await page.goto(server.url); // redirects to /demo/, as `npm run demo` serves it
    await waitFor(page, errors, 'the worker to be ready', 'window.demo?.ready && window.demo.evaluations >= 1');
    const initial = await read(page);
    assert.is(initial.backend, 'wasm', 'the worker runs on the wasm SIMD backend');

    // A short run: 4 iterations (the form's value), then the final evaluation.
    await page.fill('input[name="iterations"]', '4');
    await page.click('#reset');
    await waitFor(page, errors, 'the reconfigured worker', 'window.demo?.ready && window.demo.evaluation !== null');
    await page.click('#start');
    await waitFor(page, errors, '4 meta-iterations', 'window.demo.iterations.length >= 4 && !window.demo.running && window.demo.evaluation?.iteration === 4', 90_000);
    const trained = await read(page);
    assert.equal(trained.iterations.map((r) => r.iteration), [1, 2, 3, 4]);
    assert.ok(trained.iterations.every((r) => Number.isFinite(r.preReturn) && Number.isFinite(r.postReturn)));

    // The meta-training curve has a point per iteration; the adaptation curve one per inner step.
    const metaPoints = await page.$$eval('#chart-meta path[data-series="after 1 inner step"]', (ps) => ps.map((p) => Number(p.getAttribute('data-points'))));
    assert.equal(metaPoints, [4]);
    const adaptPoints = await page.$$eval('#chart-adapt path[data-series^="meta-learned"]', (ps) => ps.map((p) => Number(p.getAttribute('data-points'))));
    assert.equal(adaptPoints, [trained.evaluation!.curve.length]);
    assert.is(trained.evaluation!.curve.length, 4, '0..3 inner steps');

    // Both grids are the library's SVG rendering, visible with a nonzero size.
    for (const id of ['#board-before', '#board-after']) {
      const box = await page.locator(`${id} svg`).boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `${id} svg box ${JSON.stringify(box)}`);
      const cells = await page.locator(`${id} svg > rect`).count();
      const { height, width } = trained.world!.layout;
      assert.ok(cells >= height * width, `${id}: ${cells} rects for a ${height}×${width} grid`);
      assert.is(await page.locator(`${id} svg polyline`).count(), 1, `${id}: the trajectory`);
    }

    // Click the top-right corner cell: an out-of-distribution goal.
    const before = trained.evaluations;
    const box = (await page.locator('#board-after svg').boundingBox())!;
    const n = trained.world!.layout.width;
    await page.mouse.click(box.x + box.width * (n - 0.5) / n, box.y + box.height * 0.5 / n);
    await waitFor(page, errors, 'the evaluation of the clicked task', `window.demo.evaluations > ${before}`);
    const clicked = await read(page);
    assert.equal(clicked.evaluation!.task.goal, [0, n - 1]);
    assert.ok(clicked.evaluation!.task.ood, 'the top-right goal is out of distribution');
    assert.ok(clicked.evaluation!.optimal > 0.5);

    assert.equal(clicked.errors, []);
    assert.equal(errors, [], 'no page errors');
    const dir = join(REPO_ROOT, 'out', 'screenshots');
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'demo.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

demo.run();
