import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGrad, grad, logSoftmax, Rng, Tensor, tensor, zeros, type NestedArray } from '../src/index.ts';
import { openRoom, tabularModel, VecEnv } from '../src/rl/env/index.ts';
import { actionLogProbs, mlpPolicy, oneHotCoordinates, positionFeatures, spatialPolicy, tabularPolicy, type MlpParams } from '../src/rl/policy.ts';
import { collectEpisodes, episodeLogProbs, episodeReturns, sliceEpisodes, sliceSteps, type EpisodeBatch } from '../src/rl/rollout.ts';
import { discountByTime, generalizedAdvantages, LinearFeatureBaseline, rewardToGo } from '../src/rl/returns.ts';
import { throwsRl } from './rl-helpers.ts';
import { allclose as allcloseNested } from './helpers.ts';

/** `allclose` that also takes typed arrays. */
type Values = Tensor | NestedArray | Float32Array | Float64Array;
function allclose(actual: Values, expected: Values, rtol = 1e-6, atol = 1e-6, what = ''): void {
  const plain = (x: Values): Tensor | NestedArray => (x instanceof Float32Array || x instanceof Float64Array ? Array.from(x) : x);
  allcloseNested(plain(actual), plain(expected), rtol, atol, what);
}

const Rollout = suite('rl policies, rollouts and returns');

Rollout('tabular policy: logits rows, log-probs and their gradient', () => {
  const policy = tabularPolicy({ numStates: 3, numActions: 4 });
  const logits = tensor([[0, 1, 2, 3], [1, 1, 1, 1], [3, 0, 0, 0]]);
  const obs = tensor([[2], [0]]);
  allclose(policy.logits({ logits }, obs), [[3, 0, 0, 0], [0, 1, 2, 3]]);
  const lp = actionLogProbs(policy, { logits }, obs, Int32Array.of(0, 3));
  const expected = logSoftmax(tensor([[3, 0, 0, 0], [0, 1, 2, 3]]), 1);
  allclose(lp, [expected.data[0]!, expected.data[7]!], 1e-6, 1e-6);
  // ∂ log π(a|s) / ∂θ[s] = onehot(a) − π(·|s).
  const g = grad((p: { logits: Tensor }) => actionLogProbs(policy, p, tensor([[1]]), Int32Array.of(2)).sum())({ logits }) as { logits: Tensor };
  allclose(g.logits, [[0, 0, 0, 0], [-0.25, -0.25, 0.75, -0.25], [0, 0, 0, 0]], 1e-6, 1e-6);
});

Rollout('bad policy input: wrong action count, mismatched batch, bad options', () => {
  const policy = tabularPolicy({ numStates: 3, numActions: 4 });
  const params = policy.init(new Rng(0));
  throwsRl(() => actionLogProbs(policy, params, tensor([[0], [1]]), Int32Array.of(1)), /wrong batch size: 2 observations but 1 actions/);
  throwsRl(() => actionLogProbs(policy, params, tensor([[0]]), Int32Array.of(4)), /action 4 at index 0 is out of range 0..3/);
  throwsRl(() => policy.logits(params, tensor([[7]])), /observation 0 is 7, not a state index in 0..2/);
  throwsRl(() => tabularPolicy({ numStates: 0, numActions: 4 }), /numStates must be an integer ≥ 1, got 0/);
  throwsRl(() => mlpPolicy({ obsSize: 4, numActions: 4, activation: 'gelu' as 'tanh' }), /activation must be one of 'tanh', 'relu', got "gelu"/);
  throwsRl(() => mlpPolicy({ obsSize: 4, numActions: 4, inputTransform: oneHotCoordinates(3, 3) }), /reads 9 floats but obsSize is 4/);
  // A policy whose action count or observation size differs from the environment's.
  const env = new VecEnv({ map: 'S.G', numEnvs: 2, maxSteps: 3, allowStay: true });
  throwsRl(() => collectEpisodes(env, policy, params, 0), /wrong action count: the environment has 5 actions but policy 'tabular 3×4' has 4/);
  const oneHotEnv = new VecEnv({ map: 'S.G', numEnvs: 2, maxSteps: 3, observation: { kind: 'oneHot' } });
  throwsRl(() => collectEpisodes(oneHotEnv, policy, params, 0), /observations have 3 floats but policy 'tabular 3×4' reads obsSize 1/);
});

function checkBatchInvariants(batch: EpisodeBatch): void {
  const { numEpisodes: N, horizon: T } = batch;
  for (let i = 0; i < N; i++) {
    const length = batch.lengths[i]!;
    assert.ok(length >= 1 && length <= T, `episode ${i} length ${length}`);
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      assert.is(batch.mask[k], t < length ? 1 : 0, `mask of episode ${i} step ${t}`);
      const ends = batch.terminated[k]! + batch.truncated[k]!;
      assert.is(ends, t === length - 1 ? 1 : 0, `end flags of episode ${i} step ${t}`);
      if (t >= length) assert.is(batch.rewards[k], 0);
    }
    if (batch.truncated[i * T + length - 1]) assert.is(length, T);
  }
}

Rollout('collectEpisodes: padded [N, T] buffers, consistent masks, deterministic under a seed', () => {
  const map = openRoom(4);
  const model = tabularModel(map);
  const env = new VecEnv({ map, numEnvs: 64, maxSteps: 10 });
  const policy = tabularPolicy({ numStates: model.numStates, numActions: 4, initScale: 1 });
  const params = policy.init(new Rng(1));
  const a = collectEpisodes(env, policy, params, 42);
  const b = collectEpisodes(env, policy, params, 42);
  const c = collectEpisodes(env, policy, params, 43);
  checkBatchInvariants(a);
  assert.equal(Array.from(a.actions), Array.from(b.actions));
  assert.equal(Array.from(a.rewards), Array.from(b.rewards));
  assert.not.equal(Array.from(a.actions), Array.from(c.actions));
  assert.ok(a.terminated.some((x) => x === 1) && a.truncated.some((x) => x === 1), 'both endings occur');
  // Behaviour log-probs equal the differentiable ones on real steps.
  const logp = episodeLogProbs(policy, params, a).data;
  for (let k = 0; k < a.mask.length; k++) allclose(logp[k]!, a.mask[k] ? a.logProbs[k]! : 0, 1e-5, 1e-5, `log-prob ${k}`);
  // Rewards sum to the episode returns; the MLP policy rolls out over one-hot observations.
  const returns = episodeReturns(a);
  allclose(returns[0]!, Array.from(a.rewards.subarray(0, 10)).reduce((x, y) => x + y, 0), 1e-6, 1e-6);
  const oneHotEnv = new VecEnv({ map, numEnvs: 8, maxSteps: 10, observation: { kind: 'oneHot' } });
  const mlp = mlpPolicy({ obsSize: 16, numActions: 4, hidden: [8], inputTransform: oneHotCoordinates(4, 4) });
  const mlpParams = mlp.init(new Rng(2));
  const mlpBatch = collectEpisodes(oneHotEnv, mlp, mlpParams, 3);
  checkBatchInvariants(mlpBatch);
  const g = grad((p: MlpParams) => episodeLogProbs(mlp, p, mlpBatch).sum())(mlpParams) as MlpParams;
  assert.ok(Math.abs(g.layers[0]!.weight.data[0]!) > 0, 'gradient reaches the first layer');
  assert.equal(mlp.stateLogits(mlpParams, model, oneHotEnv.observation).shape, [16, 4]);
});

Rollout('position features: coordinates, row, column and cell one-hots of a one-hot observation', () => {
  const obs = new Float32Array(2 * 6);
  obs[4] = 1; // row 1, column 1 of a 2×3 map
  obs[6 + 2] = 1; // row 0, column 2
  const all = positionFeatures(2, 3);
  assert.is(all.outputSize, 2 + 2 + 3 + 6);
  allclose(all.apply(obs, 2), [
    1, 0, /* rows */ 0, 1, /* columns */ 0, 1, 0, /* cells */ 0, 0, 0, 0, 1, 0,
    -1, 1, /* rows */ 1, 0, /* columns */ 0, 0, 1, /* cells */ 0, 0, 1, 0, 0, 0,
  ]);
  allclose(positionFeatures(2, 3, ['columns', 'rows']).apply(obs, 1), [0, 1, 0, 0, 1]);
  throwsRl(() => positionFeatures(2, 3, []), /groups must be a non-empty array of 'coordinates', 'rows', 'columns', 'cells', got \[\]/);
  throwsRl(() => positionFeatures(2, 3, ['rows', 'diagonals' as 'rows']), /groups\[1\] must be one of 'coordinates', 'rows', 'columns', 'cells', got "diagonals"/);
  throwsRl(() => positionFeatures(2, 3, ['rows', 'rows']), /groups must not repeat, got \["rows","rows"\]/);
  throwsRl(() => all.apply(new Float32Array(6), 1), /positionFeatures: observation 0 has no 1 among its 6 floats; use the 'oneHot' observation/);
  throwsRl(() => spatialPolicy({ height: 2, width: 0, numActions: 4 }), /spatialPolicy: width must be an integer ≥ 1, got 0/);
});

Rollout('spatial policy: starts uniform, logits linear in the features, gradient-checked; with cells only it is tabular', () => {
  const map = openRoom(3);
  const model = tabularModel(map);
  const env = new VecEnv({ map, numEnvs: 8, maxSteps: 6, observation: { kind: 'oneHot' } });
  const policy = spatialPolicy({ height: 3, width: 3, numActions: 4 });
  const params = policy.init(new Rng(0));
  allclose(policy.stateLogits(params, model, env.observation), zeros([9, 4]));
  // Random weights: logits(s) = φ(s) W + b, hand-computed for one cell.
  const rng = new Rng(1);
  const weight = tensor(Array.from({ length: 17 * 4 }, () => rng.normal()), [17, 4]);
  const bias = tensor([0.1, -0.2, 0.3, 0]);
  const random: MlpParams = { layers: [{ weight, bias }] };
  const cell = 5; // row 1, column 2
  const phi = positionFeatures(3, 3).apply(Float32Array.from({ length: 9 }, (_v, c) => (c === cell ? 1 : 0)), 1);
  const expected = [0, 1, 2, 3].map((a) => bias.data[a]! + Array.from(phi).reduce((t, f, j) => t + f * weight.data[j * 4 + a]!, 0));
  allclose((policy.stateLogits(random, model, env.observation).toArray() as number[][])[model.stateOfCell[cell]!]!, expected, 1e-5, 1e-5);
  // Gradient of the log-probabilities of a sampled batch against central differences.
  const batch = collectEpisodes(env, policy, random, 4);
  const obs = tensor(batch.obs.slice(0, 12 * 9), [12, 9]);
  const actions = batch.actions.slice(0, 12);
  const check = checkGrad((w: Tensor, b: Tensor) => actionLogProbs(policy, { layers: [{ weight: w, bias: b }] }, obs, actions).sum(), [weight, bias], { atol: 1e-6, rtol: 1e-4 });
  assert.ok(check.ok, check.message);
  // With only the per-cell term and a zero bias, it is the tabular policy whose logits are W.
  const cells = spatialPolicy({ height: 3, width: 3, numActions: 4, features: ['cells'] });
  const table = tensor(Array.from({ length: 36 }, () => rng.normal()), [9, 4]);
  const tabularEnv = new VecEnv({ map, numEnvs: 8, maxSteps: 6 });
  const tabular = tabularPolicy({ numStates: 9, numActions: 4 });
  allclose(cells.stateLogits({ layers: [{ weight: table, bias: zeros([4]) }] }, model, env.observation), tabular.stateLogits({ logits: table }, model, tabularEnv.observation), 1e-6, 1e-6);
  assert.match(policy.name, /spatial linear over coordinates\+rows\+columns\+cells 3×3/);
});

/** A hand-made batch: 2 episodes, T = 3; the first terminates at t = 1, the second is truncated. */
function handBatch(): EpisodeBatch {
  return {
    numEpisodes: 2, horizon: 3, obsSize: 1, numActions: 4,
    obs: Float32Array.of(0, 1, 0, 2, 3, 4), states: Int32Array.of(0, 1, 0, 2, 3, 4), actions: new Int32Array(6),
    rewards: Float32Array.of(1, 2, 0, 1, 1, 1), logProbs: new Float32Array(6), mask: Float32Array.of(1, 1, 0, 1, 1, 1),
    terminated: Uint8Array.of(0, 1, 0, 0, 0, 0), truncated: Uint8Array.of(0, 0, 0, 0, 0, 1), lengths: Int32Array.of(2, 3),
    finalObs: Float32Array.of(1, 5),
  };
}

Rollout('reward-to-go, time discounting and GAE on a hand-made batch', () => {
  const batch = handBatch();
  allclose(rewardToGo(batch, 0.5), [1 + 0.5 * 2, 2, 0, 1 + 0.5 + 0.25, 1 + 0.5, 1]);
  allclose(discountByTime(Float32Array.of(1, 1, 1, 2, 2, 2), batch, 0.5), [1, 0.5, 0.25, 2, 1, 0.5]);
  // λ = 1 with zero values is the reward-to-go (no bootstrap value after truncation).
  allclose(generalizedAdvantages(batch, new Float32Array(6), { discount: 0.5, lambda: 1 }), rewardToGo(batch, 0.5));
  // λ = 0: one-step TD errors, bootstrapping the truncated episode from finalValues.
  const values = Float32Array.of(0.5, 0.25, 0, 1, 1, 1);
  const td = generalizedAdvantages(batch, values, { discount: 0.5, lambda: 0, finalValues: Float32Array.of(0, 4) });
  allclose(td, [1 + 0.5 * 0.25 - 0.5, 2 - 0.25, 0, 1 + 0.5 - 1, 1 + 0.5 - 1, 1 + 0.5 * 4 - 1]);
  throwsRl(() => generalizedAdvantages(batch, new Float32Array(5), { discount: 1, lambda: 1 }), /wrong batch size: expected 6 values/);
  throwsRl(() => generalizedAdvantages(batch, new Float32Array(6), { discount: 1, lambda: 2 }), /lambda must be a finite number in \[0, 1\], got 2/);
});

Rollout('linear feature baseline: exact on targets in its span, zero on padding', () => {
  const batch = handBatch();
  // Targets linear in the observation-features [o, o², t/100, …, 1]: recovered exactly.
  const targets = new Float32Array(6);
  for (let k = 0; k < 6; k++) targets[k] = batch.mask[k] ? 2 * batch.obs[k]! - 3 * ((k % 3) / 100) + 0.5 : 0;
  const baseline = new LinearFeatureBaseline({ regularization: 1e-9 });
  allclose(baseline.predict(batch), new Float32Array(6)); // before fitting
  baseline.fit(batch, targets);
  allclose(baseline.predict(batch), targets, 1e-3, 1e-3);
  const perState = new LinearFeatureBaseline({ features: 'state', numStates: 5 });
  perState.fit(batch, rewardToGo(batch, 1));
  assert.is(perState.predict(batch)[2], 0);
  throwsRl(() => new LinearFeatureBaseline({ features: 'state' }), /numStates must be an integer ≥ 1, got NaN/);
  throwsRl(() => new LinearFeatureBaseline({ features: 'pixels' as 'state' }), /features must be 'observation' or 'state', got "pixels"/);
  throwsRl(() => baseline.fit(batch, new Float32Array(2)), /wrong batch size: expected 6 values/);
});

Rollout('zero logits give the uniform policy through the sampler', () => {
  const policy = tabularPolicy({ numStates: 2, numActions: 4 });
  const out = new Float64Array(8);
  policy.sampler({ logits: zeros([2, 4]) })(Float32Array.of(0, 1), 2, out);
  allclose(Array.from(out), new Array(8).fill(0.25));
});

Rollout('sliceEpisodes, sliceSteps and step-range returns cut the batch consistently', () => {
  const map = openRoom(4);
  const env = new VecEnv({ map, numEnvs: 16, maxSteps: 10 });
  const policy = tabularPolicy({ numStates: tabularModel(map).numStates, numActions: 4, initScale: 1 });
  const batch = collectEpisodes(env, policy, policy.init(new Rng(1)), 5);
  const T = batch.horizon, d = batch.obsSize;
  // Rows: every [N, …] array is the rows' copy, and the cut batch still holds the invariants.
  const rows = sliceEpisodes(batch, 3, 5);
  checkBatchInvariants(rows);
  assert.is(rows.numEpisodes, 5);
  assert.equal(Array.from(rows.rewards), Array.from(batch.rewards.subarray(3 * T, 8 * T)));
  assert.equal(Array.from(rows.obs), Array.from(batch.obs.subarray(3 * T * d, 8 * T * d)));
  assert.equal(Array.from(rows.lengths), Array.from(batch.lengths.subarray(3, 8)));
  assert.equal(Array.from(rows.finalObs), Array.from(batch.finalObs.subarray(3 * d, 8 * d)));
  assert.ok(rows.rewards.buffer !== batch.rewards.buffer, 'a copy');
  // Steps: a window of every row; a live, non-terminal last step is marked truncated.
  const from = 2, count = 4, win = sliceSteps(batch, from, count);
  assert.is(win.horizon, count);
  for (let i = 0; i < batch.numEpisodes; i++) {
    for (let t = 0; t < count; t++) {
      const k = i * count + t, src = i * T + from + t;
      assert.is(win.mask[k], batch.mask[src]);
      assert.is(win.actions[k], batch.actions[src]);
      assert.is(win.terminated[k], batch.terminated[src]);
      const cut = t === count - 1 && batch.mask[src] === 1 && !batch.terminated[src];
      assert.is(win.truncated[k], cut ? 1 : batch.truncated[src], `truncated ${i}, ${t}`);
    }
    const live = Array.from(win.mask.subarray(i * count, (i + 1) * count)).lastIndexOf(1) + 1;
    assert.is(win.lengths[i], live, `length ${i}`);
    assert.equal(Array.from(win.finalObs.subarray(i * d, (i + 1) * d)), Array.from(batch.obs.subarray((i * T + from + count) * d, (i * T + from + count + 1) * d)));
  }
  assert.equal(Array.from(sliceSteps(batch, T - 3, 3).finalObs), Array.from(batch.finalObs), 'a window reaching the end ends on the batch\'s finalObs');
  // Returns over a step range sum exactly those steps; all steps by default.
  const part = episodeReturns(batch, from, from + count);
  const inWindow = episodeReturns(win);
  assert.equal(Array.from(part), Array.from(inWindow));
  const whole = episodeReturns(batch);
  for (let i = 0; i < batch.numEpisodes; i++) {
    let total = 0;
    for (let t = 0; t < T; t++) total += batch.rewards[i * T + t]!;
    assert.is(whole[i], total);
  }
  throwsRl(() => sliceEpisodes(batch, 14, 3), /sliceEpisodes: episodes 14..16 are out of range: the batch has 16/);
  throwsRl(() => sliceEpisodes(batch, -1, 2), /sliceEpisodes: first episode must be an integer ≥ 0, got -1/);
  throwsRl(() => sliceSteps(batch, 8, 3), /sliceSteps: steps 8..10 are out of range: the batch has 10/);
  throwsRl(() => sliceSteps(batch, 2, 0), /sliceSteps: count must be an integer ≥ 1, got 0/);
  throwsRl(() => episodeReturns(batch, 4, 2.5), /episodeReturns: end step must be an integer ≥ 4, got 2.5/);
});

Rollout.run();
