import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, Rng, tensor, type Tensor } from '../src/index.ts';
import { openRoom, tabularModel, VecEnv } from '../src/rl/env/index.ts';
import { expectedReturn } from '../src/rl/oracle.ts';
import { tabularPolicy, type TabularParams } from '../src/rl/policy.ts';
import { collectEpisodes, type EpisodeBatch } from '../src/rl/rollout.ts';
import { crossFittedBaseline, LinearFeatureBaseline, rewardToGo } from '../src/rl/returns.ts';
import { adaptPolicy, fitBaseline, metaTrain, taskMetaObjective, type PolicyAdaptOptions } from '../src/rl/mamlrl.ts';
import { reinforce } from '../src/rl/pg.ts';
import { runExperiment } from '../src/rl/evaluate.ts';
import { allclose } from './helpers.ts';
import { throwsRl } from './rl-helpers.ts';

const CrossFit = suite('rl cross-fitted baseline');

/** Episodes `indices` of `batch` as a batch of their own (every per-episode array sliced). */
function episodesOf(batch: EpisodeBatch, indices: readonly number[]): EpisodeBatch {
  const T = batch.horizon;
  const d = batch.obsSize;
  const rows = <A extends Float32Array | Int32Array | Uint8Array>(array: A, width: number): A => {
    const out = new (array.constructor as new (n: number) => A)(indices.length * width);
    indices.forEach((i, j) => out.set(array.subarray(i * width, (i + 1) * width), j * width));
    return out;
  };
  return {
    ...batch, numEpisodes: indices.length,
    obs: rows(batch.obs, T * d), states: rows(batch.states, T), actions: rows(batch.actions, T), rewards: rows(batch.rewards, T),
    logProbs: rows(batch.logProbs, T), mask: rows(batch.mask, T), terminated: rows(batch.terminated, T),
    truncated: rows(batch.truncated, T), lengths: rows(batch.lengths, 1), finalObs: rows(batch.finalObs, d),
  };
}

const rowOf = (values: Float32Array, i: number, T: number): number[] => Array.from(values.subarray(i * T, (i + 1) * T));

CrossFit('each episode\'s cross-fitted baseline ignores its own rewards and actions and equals a direct fit on the other folds', () => {
  const env = new VecEnv({ map: openRoom(3), numEnvs: 7, maxSteps: 6 });
  const policy = tabularPolicy({ numStates: 9, numActions: 4 });
  const batch = collectEpisodes(env, policy, policy.init(new Rng(1)), 3);
  const T = batch.horizon;
  const options = { features: 'state' as const, numStates: 9 };
  const folds = 3;
  const values = crossFittedBaseline(batch, rewardToGo(batch, 1), folds, options);
  for (let i = 0; i < batch.numEpisodes; i++) {
    // Same states, different rewards and actions for episode i.
    const rewards = batch.rewards.slice();
    const actions = batch.actions.slice();
    for (let t = 0; t < T; t++) { rewards[i * T + t] = batch.mask[i * T + t] ? 5 - t : 0; actions[i * T + t] = (actions[i * T + t]! + 1) % 4; }
    const changed = { ...batch, rewards, actions };
    const again = crossFittedBaseline(changed, rewardToGo(changed, 1), folds, options);
    assert.equal(rowOf(again, i, T), rowOf(values, i, T), `episode ${i}'s baseline moved with its own rewards`);
    // The check has teeth: the episodes of other folds, which fit on episode i, do move…
    assert.ok(Array.from({ length: batch.numEpisodes }, (_, j) => j).some((j) => j % folds !== i % folds && rowOf(again, j, T).join() !== rowOf(values, j, T).join()));
    // …and so does episode i's own in-batch baseline.
    assert.not.equal(rowOf(fitBaseline(changed, 'state', 1)!, i, T), rowOf(fitBaseline(batch, 'state', 1)!, i, T));
  }
  for (let fold = 0; fold < folds; fold++) {
    const inFold = [...Array(batch.numEpisodes).keys()].filter((i) => i % folds === fold);
    const others = [...Array(batch.numEpisodes).keys()].filter((i) => i % folds !== fold);
    const training = episodesOf(batch, others);
    const direct = new LinearFeatureBaseline(options);
    direct.fit(training, rewardToGo(training, 1));
    const predicted = direct.predict(episodesOf(batch, inFold));
    inFold.forEach((i, j) => allclose(rowOf(values, i, T), rowOf(predicted, j, T), 1e-6, 1e-7, `fold ${fold}, episode ${i}`));
  }
  // fitBaseline's crossFit is this function with the batch's state count.
  assert.equal(Array.from(fitBaseline(batch, 'state', 1, folds)!), Array.from(crossFittedBaseline(batch, rewardToGo(batch, 1), folds, { features: 'state', numStates: 9 })));
});

/** Mean and standard error of `values`. */
function meanAndError(values: readonly number[]): { mean: number; error: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, error: sd / Math.sqrt(values.length), sd };
}

CrossFit('bias against the exact policy gradient: the in-batch state baseline shrinks it, cross-fitting does not', () => {
  // 2×2 room, 8 episodes of ≤ 3 steps: few visits per state, so the in-batch fit takes a
  // visible share of each episode's own return.
  const map = 'S.\n.G';
  const horizon = 3;
  const model = tabularModel(map);
  const policy = tabularPolicy({ numStates: model.numStates, numActions: 4 });
  const thetaRng = new Rng(5);
  const theta = tensor(Array.from({ length: model.numStates * 4 }, () => 0.5 * thetaRng.normal()), [model.numStates, 4]);
  const exact = grad((t: Tensor) => expectedReturn(t, model, { horizon }))(theta) as Tensor;
  const exactNorm = Math.hypot(...exact.data);
  const env = new VecEnv({ map, numEnvs: 8, maxSteps: horizon });
  const draws = 1000;
  const batches = Array.from({ length: draws }, (_, s) => collectEpisodes(env, policy, { logits: theta }, new Rng([s, 8, 3, 1])));
  // The scalar compared: the estimate's component along the exact gradient, whose exact value is |∇J|.
  const along = (options: Partial<PolicyAdaptOptions>) => meanAndError(batches.map((batch) => {
    const adapted = adaptPolicy(policy, { logits: theta }, batch, { innerLr: 1, estimator: 'reinforce', ...options }) as TabularParams;
    return Array.from(adapted.logits.data, (v, i) => (v - theta.data[i]!) * exact.data[i]!).reduce((a, b) => a + b, 0) / exactNorm;
  }));
  const none = along({ baseline: 'none' });
  const inBatch = along({ baseline: 'state' });
  const crossFitted = along({ baseline: 'state', crossFit: 2 });
  const z = (r: { mean: number; error: number }) => (r.mean - exactNorm) / r.error;
  const row = (name: string, r: { mean: number; error: number; sd: number }) =>
    `${name.padEnd(12)} mean ${r.mean.toFixed(4)} ± ${r.error.toFixed(4)} (sd ${r.sd.toFixed(4)}), ${z(r).toFixed(1)} standard errors from exact`;
  console.log(`\n  inner policy gradient along the exact one (exact ${exactNorm.toFixed(4)}), ${draws} batches of 8 episodes:\n  ${[row('no baseline', none), row('in-batch', inBatch), row('cross-fit 2', crossFitted)].join('\n  ')}`);
  assert.ok(z(inBatch) < -10, `in-batch baseline: ${z(inBatch).toFixed(1)} standard errors from exact, expected a bias of more than 10`);
  assert.ok(Math.abs(z(crossFitted)) < 3, `cross-fitted baseline: ${z(crossFitted).toFixed(1)} standard errors from exact`);
  assert.ok(Math.abs(z(none)) < 3, `no baseline (the harness check): ${z(none).toFixed(1)} standard errors from exact`);
  // Unbiased like no baseline, but it still reduces the variance.
  assert.ok(crossFitted.sd < 0.85 * none.sd, `cross-fitted sd ${crossFitted.sd.toFixed(4)} vs ${none.sd.toFixed(4)} without a baseline`);
});

CrossFit('crossFit is checked like the other options, naming the option and the value', () => {
  const env = new VecEnv({ map: openRoom(3), numEnvs: 4, maxSteps: 6 });
  const policy = tabularPolicy({ numStates: 9, numActions: 4 });
  const params = policy.init(new Rng(0));
  const batch = collectEpisodes(env, policy, params, 1);
  const adapt = (crossFit: number, baseline: 'state' | 'none' = 'state') => () => adaptPolicy(policy, params, batch, { innerLr: 1, baseline, crossFit });
  throwsRl(adapt(1), /adapt: crossFit must be an integer ≥ 2, got 1/);
  throwsRl(adapt(2.5), /adapt: crossFit must be an integer ≥ 2, got 2.5/);
  throwsRl(adapt(5), /adapt: crossFit 5 exceeds the 4 episodes of the batch/);
  throwsRl(adapt(2, 'none'), /adapt: crossFit 2 needs a baseline to fit, but baseline is 'none'/);
  throwsRl(() => crossFittedBaseline(batch, rewardToGo(batch, 1), 0), /crossFittedBaseline: folds must be an integer ≥ 2, got 0/);
  throwsRl(() => crossFittedBaseline(batch, new Float32Array(3), 2), /crossFittedBaseline: wrong batch size/);
  throwsRl(() => taskMetaObjective(policy, params, env, new Rng(0), { innerLr: 1, crossFit: 8 }), /taskMetaObjective: crossFit 8 exceeds the 4 episodes/);
  throwsRl(() => reinforce({ policy, env, iterations: 1, baseline: 'state', crossFit: 6 }), /reinforce: crossFit 6 exceeds the 4 episodes/);
  throwsRl(() => metaTrain({ policy, env, tasks: [{ goals: [[2, 2]] }], iterations: 1, innerLr: 1, crossFit: 0 }), /metaTrain: crossFit must be an integer ≥ 2, got 0/);
  throwsRl(() => runExperiment({ family: 'goal', size: 3, innerLr: 1, metaIterations: 0, seeds: [0], episodesPerStep: 4, crossFit: 9 }), /runExperiment: crossFit 9 exceeds the 4 episodes/);
  // Valid folds run (every fold size from 1 to N works).
  for (const crossFit of [2, 4]) adaptPolicy(policy, params, batch, { innerLr: 1, baseline: 'observation', crossFit });
});

CrossFit.run();
