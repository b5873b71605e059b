/**
 * MAML-RL's entropy bonus (issue #17: on the layout family a bonus of 0.1 left the
 * policy at reach 0). Checks the term itself, so a sign, mask or derivative error
 * cannot hide behind an optimisation pathology:
 *
 * - `meanEntropy`'s gradient against finite differences (float64, orders 1 and 2);
 * - the sign: a step along the bonus's gradient raises the entropy, and the uniform
 *   policy (its maximum) is stationary;
 * - `taskMetaObjective` adds exactly `entropyBonus ·` the mean entropy of the
 *   *initial* policy over the *real* (unpadded) steps of the first inner batch, in value
 *   and in gradient;
 * - with `entropyTarget` the term is the floor `−bonus · max(0, target − H)`;
 * - the compiled meta-gradient (`jit: true`, a masked sum over padded steps) adds the
 *   same gradient as the eager one, plain and as a floor.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, Tensor, grad, matmul, randomNormal, tensor, treeLeaves, treeMap, zeros } from '../src/index.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { meanEntropy, mlpPolicy, softmaxRows, type CategoricalPolicy } from '../src/rl/policy.ts';
import { collectEpisodes } from '../src/rl/rollout.ts';
import { estimateMetaGradient, metaTrainInit, taskMetaObjective, type MetaStepOptions } from '../src/rl/mamlrl.ts';
import { RlError } from '../src/rl/errors.ts';
import { assertGrads, normal, throwsWith } from './engine-helpers.ts';

/** `logits = obs · W`: the smallest policy `meanEntropy` can differentiate (it reads `logits` only). */
const linear = { logits: (w: Tensor, obs: Tensor) => matmul(obs, w), numActions: 4 } as unknown as CategoricalPolicy<Tensor>;

test('meanEntropy: gradient and grad-of-grad against finite differences (float64)', () => {
  const obs = normal(1, [5, 3]);
  assertGrads('meanEntropy of a linear policy', (w) => meanEntropy(linear, w, obs), [normal(2, [3, 4], 0, 0.7)]);
});

test('meanEntropy: ascending its gradient raises the entropy; the uniform policy is its stationary maximum', () => {
  const obs = normal(3, [6, 3]);
  const w = normal(4, [3, 4]);
  const h = (p: Tensor) => meanEntropy(linear, p, obs).item();
  const g = grad((p: Tensor) => meanEntropy(linear, p, obs))(w) as Tensor;
  const step = (sign: number) => tensor(Array.from(w.data, (v, i) => v + sign * 1e-3 * g.data[i]!), w.shape, 'float64');
  assert.ok(h(step(1)) > h(w), `a step along +∇H should raise H: ${h(step(1))} vs ${h(w)}`);
  assert.ok(h(step(-1)) < h(w), `a step along −∇H should lower H: ${h(step(-1))} vs ${h(w)}`);
  const uniform = zeros([3, 4], 'float64');
  assert.ok(Math.abs(h(uniform) - Math.log(4)) < 1e-12, `uniform entropy ${h(uniform)} should be ln 4`);
  const g0 = grad((p: Tensor) => meanEntropy(linear, p, obs))(uniform) as Tensor;
  assert.ok(g0.data.every((v) => Math.abs(v) < 1e-12), `the gradient at the uniform policy should vanish, got ${Array.from(g0.data)}`);
});

// A 3×3 room, the first task's goal next to the start (2, 0): episodes end early, so batches are padded.
const fam = goalFamily({ size: 3, seed: 0 });
const policy = mlpPolicy({ obsSize: 9, numActions: 4, hidden: [6] });
const envOf = () => new VecEnv({ map: openRoom(3), numEnvs: 8, maxSteps: 12, observation: { kind: 'oneHot' }, tasks: fam.train.find((t) => t.goals?.[0]?.[0] === 2 && t.goals[0][1] === 1)! });

/** Mean entropy, in float64, of `policy` at `params` over the rows of `obs` whose `keep` is 1. */
function handEntropy(params: unknown, obs: Float32Array, keep: ArrayLike<number>): number {
  const rows = keep.length;
  const probs = softmaxRows(policy.logits(params as never, tensor(obs, [rows, 9])).data, rows, 4);
  let total = 0, count = 0;
  for (let k = 0; k < rows; k++) {
    if (!keep[k]) continue;
    count++;
    for (let a = 0; a < 4; a++) { const p = probs[k * 4 + a]!; if (p > 0) total -= p * Math.log(p); }
  }
  return total / count;
}

const flat = (tree: unknown): number[] => treeLeaves(tree).flatMap((t) => Array.from(t.data));

test('taskMetaObjective adds entropyBonus × the initial policy\'s mean entropy over the first inner batch\'s real steps', () => {
  const env = envOf();
  // Random weights everywhere (init zeroes the output layer: uniform at every state), so the
  // entropy differs between states and the padded rows would change the mean.
  const rng = new Rng(6);
  const params = treeMap(policy.init(rng.split()), (t) => randomNormal(rng.split(), t.shape, 0, 1));
  const bonus = 0.3;
  const objective = (b: number) => (p: unknown) => taskMetaObjective(policy, p as never, env, new Rng(7), { innerLr: 0.5, baseline: 'observation', entropyBonus: b }).objective;
  // The first inner batch, replayed: taskMetaObjective samples it with its generator's first split.
  const first = collectEpisodes(env, policy, params, new Rng(7).split());
  const real = first.mask.reduce((s, m) => s + m, 0);
  assert.ok(real < first.mask.length, 'the batch should have padded steps, or the mask is not exercised');
  const expected = handEntropy(params, first.obs, first.mask);
  const withPadding = handEntropy(params, first.obs, new Float32Array(first.mask.length).fill(1));
  assert.ok(Math.abs(withPadding - expected) > 1e-3, `padded rows should change the mean (${withPadding} vs ${expected}, ${real} of ${first.mask.length} real), or the check cannot tell them apart`);
  const diff = objective(bonus)(params).item() - objective(0)(params).item();
  assert.ok(Math.abs(diff - bonus * expected) < 1e-5, `objective difference ${diff}, expected ${bonus} × ${expected} = ${bonus * expected}`);
  // The gradient of the difference is the bonus times ∇H over the real steps: ascent raises entropy.
  const rows: number[] = [];
  first.mask.forEach((m, k) => { if (m) rows.push(k); });
  const realObs = tensor(Float32Array.from(rows.flatMap((k) => Array.from(first.obs.subarray(k * 9, (k + 1) * 9)))), [rows.length, 9]);
  const gH = flat(grad((p: unknown) => meanEntropy(policy, p as never, realObs))(params));
  const g1 = flat(grad(objective(bonus))(params)), g0 = flat(grad(objective(0))(params));
  const scale = Math.max(...gH.map(Math.abs)) * bonus;
  assert.ok(scale > 1e-4, `the entropy gradient should not vanish (${scale})`);
  gH.forEach((v, i) => assert.ok(Math.abs(g1[i]! - g0[i]! - bonus * v) < 1e-4 * scale + 1e-7, `leaf entry ${i}: ${g1[i]! - g0[i]!} vs ${bonus * v}`));
});

test('entropyTarget makes the bonus a floor: −bonus · max(0, target − H), no gradient above the target', () => {
  const env = envOf();
  const rng = new Rng(6);
  const params = treeMap(policy.init(rng.split()), (t) => randomNormal(rng.split(), t.shape, 0, 1));
  const bonus = 0.3;
  const objective = (o: { entropyBonus?: number; entropyTarget?: number }) => (p: unknown) =>
    taskMetaObjective(policy, p as never, env, new Rng(7), { innerLr: 0.5, baseline: 'observation', ...o }).objective;
  const first = collectEpisodes(env, policy, params, new Rng(7).split());
  const h = handEntropy(params, first.obs, first.mask);
  const plain = objective({})(params).item();
  const g0 = flat(grad(objective({}))(params));
  // Below the target (ln 4 ≥ H, so 2 is above any entropy): the floor's value, and the plain bonus's gradient.
  const below = objective({ entropyBonus: bonus, entropyTarget: 2 });
  assert.ok(Math.abs(below(params).item() - plain - -bonus * (2 - h)) < 1e-5, `floor value ${below(params).item() - plain}, expected ${-bonus * (2 - h)}`);
  const gBelow = flat(grad(below)(params)), gBonus = flat(grad(objective({ entropyBonus: bonus }))(params));
  const scale = Math.max(...gBonus.map((v, i) => Math.abs(v - g0[i]!)));
  gBelow.forEach((v, i) => assert.ok(Math.abs(v - gBonus[i]!) < 1e-4 * scale + 1e-7, `entry ${i}: floor ${v} vs plain bonus ${gBonus[i]}`));
  // Above the target: the objective and its gradient are the plain ones.
  const above = objective({ entropyBonus: bonus, entropyTarget: h / 2 });
  assert.is(above(params).item(), plain);
  assert.equal(flat(grad(above)(params)), g0);
  throwsWith(() => taskMetaObjective(policy, params, env, new Rng(7), { innerLr: 0.5, entropyTarget: 1 }), RlError, 'taskMetaObjective: entropyTarget 1 needs an entropyBonus > 0');
  throwsWith(() => taskMetaObjective(policy, params, env, new Rng(7), { innerLr: 0.5, entropyBonus: 0.1, entropyTarget: -1 }), RlError, 'entropyTarget must be', 'got -1');
});

test('metaTrainStep\'s meta-gradient: the bonus (plain, and as a floor) adds the same gradient eager and compiled (masked padding)', () => {
  const env = envOf();
  const options: MetaStepOptions<unknown> = { policy: policy as CategoricalPolicy<unknown>, env, tasks: fam.train, metaBatchSize: 3, innerLr: 0.5, baseline: 'observation' };
  const state = metaTrainInit({ ...options, learnInnerLr: true, seed: 2 });
  const added = (jit: boolean, entropyTarget?: number) => {
    const g = (b: number) => flat(estimateMetaGradient({ ...options, jit, entropyBonus: b, ...(b > 0 && { entropyTarget }) }, state).gradient);
    const on = g(0.4), off = g(0);
    return on.map((v, i) => v - off[i]!);
  };
  for (const target of [undefined, 2]) {
    const eager = added(false, target), compiled = added(true, target);
    const scale = Math.max(...eager.map(Math.abs));
    assert.ok(scale > 1e-4, `target ${target}: the bonus should move the meta-gradient (${scale})`);
    compiled.forEach((v, i) => assert.ok(Math.abs(v - eager[i]!) < 1e-4 * scale + 1e-7, `target ${target}, entry ${i}: compiled ${v} vs eager ${eager[i]}`));
  }
  // A floor below every task's entropy adds nothing, compiled too.
  assert.ok(added(true, 0).every((v) => v === 0), 'a floor at 0 should add no gradient');
  throwsWith(() => estimateMetaGradient({ ...options, entropyTarget: 1 }, state), RlError, 'metaTrainStep: entropyTarget 1 needs an entropyBonus > 0');
});

test.run();
