/**
 * MAML-RL on the worker pool (src/rl/mamlrl-parallel.ts): 1, 2 and 3 workers and any
 * chunking give the same bits (eager and jit, with learned step sizes and the entropy
 * bonus); at a given state the episodes and sampled returns are metaTrainStep's bit for
 * bit, and so is the jitted meta-gradient (the eager one agrees to float32 rounding); bad
 * specs are named.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPool, treeLeaves, type Pool, type Tensor } from '../src/index.ts';
import { estimateMetaGradient, metaTrain, metaTrainInit, type MetaStepOptions } from '../src/rl/mamlrl.ts';
import {
  RL_JOBS, metaTrainPolicyParallel, parallelPolicyMetaGradient, policySetupFromSpec, type ParallelStepOptions, type PolicySetupSpec,
} from '../src/rl/mamlrl-parallel.ts';

const setup: PolicySetupSpec = { name: 'gridworld', options: { family: 'goal', size: 5, policy: 'tabular', numEnvs: 12, maxSteps: 10 } };
const mlpSetup: PolicySetupSpec = { name: 'gridworld', options: { family: 'goal', size: 5, policy: 'mlp', hidden: [8], numEnvs: 8, maxSteps: 8 } };
const common = { metaBatchSize: 5, innerLr: 20, baseline: 'state' as const, estimator: 'dice' as const, learnInnerLr: true, entropyBonus: 0.4, seed: 7 };

const bits = (tree: unknown): number[] => treeLeaves(tree as Tensor).flatMap((t) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer)));

const pools: Record<number, Pool> = {};
const poolOf = (workers: number): Pool => (pools[workers] ??= createPool({ workers, modules: [RL_JOBS] }));

for (const jit of [false, true]) {
  test(`metaTrainPolicyParallel (${jit ? 'jit' : 'eager'}): 1, 2 and 3 workers, any chunking, the same bits`, async () => {
    const run = (workers: number, chunks?: number) => metaTrainPolicyParallel({ ...common, setup, iterations: 3, jit, recycleMemory: !jit, pool: poolOf(workers), ...(chunks !== undefined && { chunks }) });
    const one = await run(1);
    for (const [workers, chunks] of [[2, undefined], [3, undefined], [1, 5], [2, 3]] as const) {
      const other = await run(workers, chunks);
      assert.equal(bits(other.params), bits(one.params), `${workers} workers, ${chunks ?? 'default'} chunks: params`);
      assert.equal(bits(other.innerLrScale), bits(one.innerLrScale), `${workers} workers: step multipliers`);
      assert.equal(other.history, one.history, `${workers} workers: returns`);
    }
    assert.is(one.history.length, 3);
    assert.ok(one.history.every((r) => Number.isFinite(r.preReturn) && Number.isFinite(r.postReturn)));
    if (jit) {
      // Any share kept in this thread (none, some, more than the batch), with the stage-times hook called once per iteration.
      for (const localTasks of [0, 2, 9]) {
        const calls: number[][] = [];
        const other = await metaTrainPolicyParallel({ ...common, setup, iterations: 3, jit, pool: poolOf(2), chunks: 2, localTasks, onStagesDone: (a, b) => calls.push([a, b]) });
        assert.equal(bits(other.params), bits(one.params), `localTasks ${localTasks}: params`);
        assert.equal(other.history, one.history, `localTasks ${localTasks}: returns`);
        assert.is(calls.length, 3, `localTasks ${localTasks}: hook calls`);
        assert.ok(calls.every(([a, b]) => a! >= 0 && b! >= 0));
      }
      // With jit the workers only build each task's batches: the serial run, bit for bit.
      const serial = metaTrain({ ...common, ...(await policySetupFromSpec(setup)), iterations: 3, jit } as never) as typeof one;
      assert.equal(bits(one.params), bits(serial.params), 'jit: the serial parameters');
      assert.equal(bits(one.innerLrScale), bits(serial.innerLrScale), 'jit: the serial step multipliers');
      assert.equal(one.history, serial.history, 'jit: the serial returns');
    }
  });
}

/** At one state: the parallel gradient against estimateMetaGradient's (the serial metaTrainStep's). */
async function compareWithSerial(spec: PolicySetupSpec, jit: boolean, extra: Record<string, unknown> = {}): Promise<void> {
  const { policy, env, tasks } = await policySetupFromSpec(spec);
  const serialOptions = { ...common, ...extra, policy, env, tasks, jit, baseline: spec === setup ? 'state' : 'observation' } as MetaStepOptions<unknown>;
  const state = metaTrainInit({ ...serialOptions });
  const serial = estimateMetaGradient(serialOptions, state);
  const parallel = await parallelPolicyMetaGradient(poolOf(2), { ...common, ...extra, setup: spec, jit, baseline: serialOptions.baseline } as ParallelStepOptions, state);
  // The same tasks and episodes: the sampled returns are the serial ones bit for bit.
  assert.ok(Object.is(parallel.preReturn, serial.preReturn), `pre ${parallel.preReturn} vs ${serial.preReturn}`);
  assert.ok(Object.is(parallel.postReturn, serial.postReturn), `post ${parallel.postReturn} vs ${serial.postReturn}`);
  assert.equal(parallel.rng.state(), serial.rng.state());
  const a = treeLeaves(parallel.gradient), b = treeLeaves(serial.gradient);
  assert.is(a.length, b.length);
  if (jit) {
    // The serial compiled meta-gradient on the serial inputs: the same bits.
    assert.equal(bits(parallel.gradient), bits(serial.gradient), 'jit: the serial gradient bit for bit');
    assert.ok(a.some((t) => t.data.some((v) => v !== 0)), 'a non-trivial gradient');
    return;
  }
  // Eager: the same per-task terms summed in another order, float32 rounding apart.
  let scale = 0, nonzero = 0;
  for (const t of b) for (const v of t.data) { scale = Math.max(scale, Math.abs(v)); if (v !== 0) nonzero++; }
  assert.ok(nonzero > 0, 'a non-trivial gradient');
  a.forEach((t, i) => t.data.forEach((v, k) => {
    const w = b[i]!.data[k]!;
    assert.ok(Math.abs(v - w) <= 1e-5 * scale, `leaf ${i}[${k}]: ${v} vs ${w} (largest entry ${scale})`);
  }));
}

test('parallelPolicyMetaGradient: the serial episodes and returns bit for bit; with jit the serial gradient bit for bit (tabular, MLP, 2 inner steps), eager to float32 rounding', async () => {
  await compareWithSerial(setup, false);
  await compareWithSerial(setup, true);
  await compareWithSerial(mlpSetup, true);
  await compareWithSerial(setup, true, { innerSteps: 2, estimator: 'lvc', learnInnerLr: false });
});

test('policy setups: unknown names, bad options and chunk counts are named', async () => {
  await policySetupFromSpec({ name: 'nope', options: {} }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /no policy setup 'nope' is registered/));
  await policySetupFromSpec({ name: 'gridworld', options: { family: 'maze', policy: 'tabular', numEnvs: 2, maxSteps: 2 } })
    .then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /options\.family must be goal, start or layout, got "maze"/));
  await policySetupFromSpec({ name: 'gridworld', options: { family: 'goal', policy: 'cnn', numEnvs: 2, maxSteps: 2 } })
    .then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /options\.policy must be tabular or mlp, got "cnn"/));
  const state = metaTrainInit({ ...common, ...(await policySetupFromSpec(setup)) } as never);
  await parallelPolicyMetaGradient(poolOf(1), { ...common, setup, chunks: 0 }, state)
    .then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /chunks/));
  await parallelPolicyMetaGradient(poolOf(1), { ...common, setup, jit: true, localTasks: -1 }, state)
    .then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /metaTrainStepParallel: localTasks .*-1/));
  await parallelPolicyMetaGradient(poolOf(1), { ...common, setup, metaBatchSize: 999 }, state)
    .then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /metaBatchSize 999 exceeds/));
});

test.after(() => { for (const pool of Object.values(pools)) pool.terminate(); });

test.run();
