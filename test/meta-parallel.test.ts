/**
 * The task-parallel meta-gradient: chunks computed on workers and averaged in chunk
 * order give the same bits for 1 and 2 workers; one chunk gives the learner's own
 * meta-gradient bit for bit, several agree with it to float32 rounding; bad specs fail
 * with clear errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, adam, createPool, treeLeaves, type Tensor } from '../src/index.ts';
import { META_JOBS, learnerFromSpec, metaTrainParallel, parallelMetaGradient, type LearnerSpec } from '../src/meta/parallel.ts';
import { sinusoidSampler, sinusoidTasks } from '../src/meta/index.ts';

const spec: LearnerSpec = { name: 'maml', options: { sizes: [1, 16, 1], innerLr: 0.01 } };

const bits = (tree: unknown): number[] => treeLeaves(tree as Tensor).flatMap((t) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer)));

test('metaTrainParallel: 1 and 2 workers give the same parameters bit for bit', async () => {
  const run = (workers: number) => metaTrainParallel({
    learner: spec, optimizer: adam({ lr: 0.01 }), sampleTasks: sinusoidSampler({ K: 5 }),
    metaBatchSize: 10, iterations: 4, rng: new Rng(3), workers, chunks: 3, logEvery: 2,
  });
  const [one, two] = [await run(1), await run(2)];
  assert.equal(bits(two.meta), bits(one.meta));
  assert.equal(two.history, one.history);
  assert.is(one.history.length, 2);
});

test('parallelMetaGradient: one chunk is the learner itself; three agree to float32 rounding', async () => {
  const learner = await learnerFromSpec(spec);
  const meta = learner.init(new Rng(0));
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 7, K: 5 });
  const pool = createPool({ workers: 1, modules: [META_JOBS] });
  try {
    const whole = learner.metaGradient(meta, tasks);
    const one = await parallelMetaGradient(pool, spec, meta, tasks, 1);
    assert.equal(bits(one.grads), bits(whole.grads));
    assert.ok(Object.is(one.loss, whole.loss));
    const three = await parallelMetaGradient(pool, spec, meta, tasks, 3);
    const a = treeLeaves(three.grads as Tensor[]), b = treeLeaves(whole.grads as Tensor[]);
    a.forEach((t, i) => t.data.forEach((v, k) => {
      const w = b[i]!.data[k]!;
      assert.ok(Math.abs(v - w) <= 1e-5 * Math.max(1e-3, Math.abs(w)) + 1e-7, `leaf ${i}[${k}]: ${v} vs ${w}`);
    }));
    assert.ok(Math.abs(three.loss - whole.loss) <= 1e-6 * Math.abs(whole.loss));
    // The caller's meta-parameters survive the (transferring) trip to the jobs.
    assert.ok(treeLeaves(meta as Tensor[]).every((t) => t.data.length === t.size));
  } finally {
    pool.terminate();
  }
});

test('parallel meta-gradient: unknown learners and bad chunk counts are named', async () => {
  await learnerFromSpec({ name: 'nope', options: {} }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /no learner 'nope'/));
  await learnerFromSpec({ name: 'maml', options: { innerLr: 0.1 } }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /options\.sizes/));
  const pool = createPool({ workers: 1, modules: [META_JOBS] });
  try {
    await parallelMetaGradient(pool, spec, [], sinusoidTasks(new Rng(1), { numTasks: 2 }), 0).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /chunks must be a positive integer, got 0/));
  } finally {
    pool.terminate();
  }
});

test.run();
