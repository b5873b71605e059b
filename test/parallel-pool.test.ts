/**
 * The worker pool (src/parallel): outcomes in job order and the same bits for 1, 2 and 3
 * workers; a throw, a dead worker and an unknown name fail alone, naming the job and its
 * arguments; progress; transferred typed arrays; terminate; option errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { availableCores, createPool, describeArgs, JobError, registerJob, runJobs, transferablesOf, type JobOutcome } from '../src/parallel/index.ts';
import { FIXTURE_JOBS } from './fixtures/parallel-jobs.ts';

const modules = [FIXTURE_JOBS];
const values = (outcomes: JobOutcome[]): unknown[] => outcomes.map((o) => (o.ok ? o.value : o.error.message));

test('results come back in job order, with the same bits for 1, 2 and 3 workers', async () => {
  const jobs = [5, 1, 4, 2, 3].map((seed) => ({ name: 'gradBits', args: { seed } }));
  const runs: Float32Array[][] = [];
  for (const workers of [1, 2, 3]) {
    const out = await runJobs<{ seed: number; grad: Float32Array }>(jobs, { workers, modules });
    assert.ok(out.every((o) => o.ok), `workers ${workers}`);
    assert.equal(out.map((o) => (o.ok ? o.value.seed : -1)), [5, 1, 4, 2, 3], `order, workers ${workers}`);
    runs.push(out.map((o) => (o.ok ? o.value.grad : new Float32Array())));
  }
  for (const run of runs.slice(1)) {
    run.forEach((g, i) => assert.equal(Array.from(new Uint32Array(g.buffer)), Array.from(new Uint32Array(runs[0]![i]!.buffer)), `job ${i} bits`));
  }
});

test('workers: 1 with inThisThread: false runs every job on one worker thread, in order; inThisThread with more workers is an error', async () => {
  const jobs = [1, 2, 3].map(() => ({ name: 'threadId', args: {} }));
  const here = values(await runJobs(jobs, { workers: 1, modules }));
  assert.equal(here, [0, 0, 0]);
  const pool = createPool({ workers: 1, inThisThread: false, modules });
  try {
    assert.is(pool.size, 1);
    // Two batches at once still share the one worker.
    const [a, b] = await Promise.all([pool.run(jobs), pool.run(jobs)]);
    const ids = [...values(a!), ...values(b!)];
    assert.ok(ids.every((id) => id === ids[0] && id !== 0), `thread ids ${ids.join(', ')}`);
    assert.equal(values(await pool.run([{ name: 'square', args: { x: 7 } }])), [49]);
  } finally {
    pool.terminate();
  }
  assert.throws(() => createPool({ workers: 2, inThisThread: true, modules }), /createPool: inThisThread runs jobs one at a time in the calling thread, so workers must be 1, got 2/);
  assert.throws(() => createPool({ workers: 1, inThisThread: 'no' as unknown as boolean, modules }), /createPool: inThisThread must be true or false, got "no"/);
});

test("workers compute on the caller's backend (wasm here), with the same bits as in-process", async () => {
  const { initWasm } = await import('../src/backend/wasm/index.ts');
  const { registerBackend, setBackend, getBackend } = await import('../src/backend/registry.ts');
  const before = getBackend().name;
  const wasm = await initWasm();
  assert.ok(wasm, 'wasm loads in Node 20');
  registerBackend(wasm);
  setBackend('wasm');
  try {
    const jobs = [{ name: 'backendName', args: {} }, { name: 'gradBits', args: { seed: 9 } }];
    const inProcess = await runJobs<unknown>(jobs, { workers: 1, modules });
    const workers = await runJobs<unknown>(jobs, { workers: 2, modules });
    assert.equal(values(workers)[0], 'wasm');
    const bits = (o: JobOutcome<unknown>[]): number[] => Array.from(new Uint32Array((values(o)[1] as { grad: Float32Array }).grad.buffer));
    assert.equal(bits(workers), bits(inProcess));
  } finally {
    setBackend(before);
  }
});

test('a job that throws, a dead worker and an unknown name fail alone; the other results are kept', async () => {
  const pool = createPool({ workers: 2, modules });
  try {
    const out = await pool.run([
      { name: 'square', args: { x: 2 } },
      { name: 'throw', args: { message: 'boom', seed: 7 } },
      { name: 'die', args: { why: 'test' } },
      { name: 'nope', args: {} },
      { name: 'square', args: { x: 3 } },
      { name: 'square', args: { x: 4 } },
    ]);
    assert.equal([out[0], out[4], out[5]].map((o) => o!.ok && o!.value), [4, 9, 16]);
    const err = (i: number): JobError => { const o = out[i]!; assert.ok(!o.ok); return (o as { error: JobError }).error; };
    assert.instance(err(1), JobError);
    assert.is(err(1).kind, 'threw');
    assert.is(err(1).jobName, 'throw');
    assert.match(err(1).message, /job 'throw' #1 \{"message":"boom","seed":7\} threw: Error: boom/);
    assert.ok(err(1).jobStack?.includes('boom'));
    assert.is(err(2).kind, 'worker-died');
    assert.match(err(2).message, /job 'die' #2 \{"why":"test"\} lost its worker: the worker exited with code 3/);
    assert.is(err(3).kind, 'unknown-job');
    assert.match(err(3).message, /no job 'nope' is registered .*registered: .*square/);
    // The pool still works after losing a worker.
    assert.equal(values(await pool.run([{ name: 'square', args: { x: 5 } }])), [25]);
  } finally {
    pool.terminate();
  }
});

test('in-process (workers: 1) reports failures the same way', async () => {
  const out = await runJobs([{ name: 'throw', args: { message: 'here' } }, { name: 'square', args: { x: 6 } }], { workers: 1, modules });
  assert.match(String(values(out)[0]), /job 'throw' #0 \{"message":"here"\} threw: Error: here/);
  assert.is(values(out)[1], 36);
});

test('progress reaches onProgress with the job index, from workers and in-process', async () => {
  for (const workers of [1, 2]) {
    const seen: [number, unknown][] = [];
    const out = await runJobs([{ name: 'progress', args: { n: 3 } }, { name: 'progress', args: { n: 2 } }], { workers, modules, onProgress: (i, v) => seen.push([i, v]) });
    assert.equal(values(out), [3, 2]);
    assert.equal(seen.filter(([i]) => i === 0).map(([, v]) => v), [1, 2, 3], `workers ${workers}`);
    assert.equal(seen.filter(([i]) => i === 1).map(([, v]) => v), [1, 2], `workers ${workers}`);
  }
});

test('typed arrays are transferred both ways', async () => {
  const input = new Float32Array([1, 2, 3]);
  const out = await runJobs<Float32Array>([{ name: 'double', args: { values: input } }], { workers: 2, modules });
  assert.ok(out[0]!.ok);
  assert.equal(Array.from(out[0]!.ok ? out[0]!.value : []), [2, 4, 6]);
  assert.is(input.length, 0, "the caller's array was transferred (detached)");
  const a = new Float32Array(2), b = new Int32Array(a.buffer);
  assert.is(transferablesOf({ a, b, list: [new Uint8Array(1)], n: 1 }).length, 2, 'one buffer per distinct ArrayBuffer');
});

test('terminate stops every worker and settles unfinished jobs as cancelled', async () => {
  for (const workers of [1, 2]) {
    const pool = createPool({ workers, modules });
    const running = pool.run([{ name: 'square', args: { x: 1 } }, { name: 'hang', args: {} }, { name: 'hang', args: {} }, { name: 'square', args: { x: 2 } }]);
    await new Promise((r) => setTimeout(r, workers === 1 ? 50 : 1500));
    pool.terminate();
    const out = await running;
    assert.is(pool.terminated, true);
    assert.ok(out[0]!.ok, `workers ${workers}: a finished job keeps its value`);
    for (const i of [1, 2, 3]) {
      const o = out[i]!;
      assert.ok(!o.ok && o.error.kind === 'cancelled', `workers ${workers}, job ${i}`);
    }
    await pool.run([]).then(() => assert.unreachable('run after terminate'), (e: Error) => assert.match(e.message, /terminated/));
  }
});

test('bad options and jobs are clear errors', async () => {
  assert.throws(() => createPool({ workers: 0, modules }), /workers must be a positive integer, got 0/);
  assert.throws(() => createPool({ workers: 1.5, modules }), /got 1\.5/);
  assert.throws(() => createPool({ modules: 'x' as unknown as string[] }), /modules must be an array/);
  const pool = createPool({ workers: 1, modules });
  await pool.run([{ args: {} } as never]).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /job #0 must be \{ name: string, args \}/));
  pool.terminate();
  const out = await runJobs([{ name: 'square', args: { x: 1 } }], { workers: 2, modules: ['file:///no/such/module.js'] });
  assert.match(String(values(out)[0]), /could not import the job modules/);
  assert.ok(availableCores() >= 1);
  assert.is(createPool({ modules }).size, availableCores());
});

test('registerJob and describeArgs', () => {
  const f = (): number => 1;
  registerJob('test.same', f);
  registerJob('test.same', f);
  assert.throws(() => registerJob('test.same', () => 2), /already registered/);
  assert.throws(() => registerJob('', f), /non-empty string/);
  assert.is(describeArgs({ seed: 3, x: new Float32Array(4) }), '{"seed":3,"x":"Float32Array(4)"}');
  assert.ok(describeArgs({ s: 'y'.repeat(1000) }).length <= 300);
});

test.run();
