/**
 * The worker pool on Web Workers in Chromium: jobs come back in order, a float32
 * gradient computed in a browser worker has the bits Node's in-process run gives, a
 * failing job is named, and a task-parallel meta-gradient on 2 workers equals the
 * in-page run bit for bit. Fails, never skips, when Chromium is missing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchChromium } from './runtimes/chromium.ts';
import { REPO_ROOT } from './runtimes/node.ts';
import { startStaticServer } from './runtimes/server.ts';
import { createPool, getBackend, setBackend } from '../src/index.ts';
import { FIXTURE_JOBS } from './fixtures/parallel-jobs.ts';

const hex = (a: Float32Array): string => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (u) => u.toString(16)).join(',');

test('chromium: the pool runs jobs on Web Workers with the bits of Node', async () => {
  // The reference runs in this thread on wasm, the backend the page's workers use (an
  // earlier test file may have left another selected).
  const previous = getBackend().name;
  setBackend('wasm');
  const local = createPool({ workers: 1, modules: [FIXTURE_JOBS] });
  const [reference] = await local.run<{ grad: Float32Array }>([{ name: 'gradBits', args: { seed: 7 } }]).finally(() => { local.terminate(); setBackend(previous); });
  if (reference === undefined || !reference.ok) throw new Error(`the in-process reference job failed: ${reference?.ok === false ? reference.error.message : 'no outcome'}`);
  const referenceBits = hex(reference.value.grad);
  const server = await startStaticServer({ root: REPO_ROOT, allow: ['src', 'dist', 'test'] });
  const chromium = await launchChromium();
  try {
    const { page, errors } = await chromium.newPage();
    await page.goto(`${server.url}test/runtimes/pool.html`);
    await page.waitForFunction(() => (window as { __pool?: unknown }).__pool !== undefined, undefined, { timeout: 90_000, polling: 50 });
    const out = await page.evaluate(() => (window as unknown as { __pool: { result?: { backend: string; values: unknown[]; sameMetaGradient: boolean }; error?: string } }).__pool);
    assert.ok(out.result, `the pool page failed: ${out.error}\n${errors.join('\n')}`);
    assert.is(out.result.backend, 'wasm');
    assert.equal(out.result.values, [1, 4, 9, referenceBits, `job 'throw' #4 {"message":"boom"} threw: Error: boom`]);
    assert.ok(out.result.sameMetaGradient, '2 browser workers and the page give the same meta-gradient bits');
    assert.equal(errors, [], 'no page errors');
  } finally {
    await chromium.close();
    await server.close();
  }
});

test.run();
