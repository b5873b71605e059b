/**
 * The building blocks every algorithm shares, written once: the gradient step
 * (optim/step.ts: MAML's descent, Meta-SGD's per-entry rates, MAML-RL's ascent) and the
 * GAE recursion (rl/advantages.ts: MAML-RL's padded episodes and the exploration
 * agents' multi-episode trials). Each is checked against the plain formula it replaces,
 * and the two GAE front ends against each other where their batches mean the same.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, checkGrad, grad, mul, neg, Rng, sum, tanh, tensor, treeLeaves, TreeError, type Tensor } from '../src/index.ts';
import { ascentStep, descentStep, stepAlong } from '../src/optim/step.ts';
import { advantageRecursion } from '../src/rl/advantages.ts';
import { generalizedAdvantages } from '../src/rl/returns.ts';
import { trialAdvantages } from '../src/explore/common.ts';
import type { EpisodeBatch } from '../src/rl/rollout.ts';
import type { TrialBatch } from '../src/explore/common.ts';
import { eachBackend, throwsWith } from './engine-helpers.ts';

const bitsOf = (tree: unknown): number[] => treeLeaves(tree).flatMap((t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer)));

eachBackend('gradient step: ascent, descent and per-entry rates equal θ ± lr·g written out, bit for bit', () => {
  const rng = new Rng(4);
  const theta = { w: tensor(Array.from({ length: 17 }, () => rng.normal()), [17]), b: [tensor(Array.from({ length: 3 }, () => rng.normal()), [3])] };
  const g = { w: tensor(Array.from({ length: 17 }, () => rng.normal()), [17]), b: [tensor(Array.from({ length: 3 }, () => rng.normal()), [3])] };
  const rates = { w: tensor(Array.from({ length: 17 }, () => rng.uniform()), [17]), b: [tensor([0.1, 0.2, 0.3], [3])] };
  assert.equal(bitsOf(ascentStep(theta, g, 0.3)), bitsOf({ w: add(theta.w, mul(g.w, 0.3)), b: [add(theta.b[0]!, mul(g.b[0]!, 0.3))] }));
  assert.equal(bitsOf(descentStep(theta, g, 0.3)), bitsOf({ w: add(theta.w, mul(g.w, -0.3)), b: [add(theta.b[0]!, mul(g.b[0]!, -0.3))] }));
  assert.equal(bitsOf(descentStep(theta, g, rates)), bitsOf({ w: add(theta.w, mul(g.w, neg(rates.w))), b: [add(theta.b[0]!, mul(g.b[0]!, neg(rates.b[0]!)))] }));
  assert.equal(bitsOf(stepAlong(theta, g, 1)), bitsOf({ w: add(theta.w, g.w), b: [add(theta.b[0]!, g.b[0]!)] }));
});

test('gradient step: second order through a step (float64 finite differences)', () => {
  const rng = new Rng(5);
  const x = tensor(Array.from({ length: 5 }, () => rng.normal()), [5], 'float64');
  // θ' = θ − lr·∇L(θ) with L = Σ tanh(θ)²; the outer loss differentiates through the step.
  const inner = (t: Tensor): Tensor => sum(mul(tanh(t), tanh(t)));
  const outer = (t: Tensor): Tensor => sum(tanh(descentStep(t, grad(inner)(t) as Tensor, 0.7)));
  for (const order of [1, 2] as const) {
    const r = checkGrad(outer, [x], { order });
    assert.ok(r.ok, r.message);
  }
});

test('gradient step: mismatched trees name the caller and the counts', () => {
  const theta = { w: tensor([1, 2]), b: tensor([3]) };
  throwsWith(() => descentStep(theta, { w: tensor([1, 2]) } as unknown as typeof theta, 0.1, 'adapt'), TreeError, 'adapt direction');
  throwsWith(() => descentStep(theta, theta, [tensor([1, 2])], 'adapt'), TreeError, 'adapt: the learning-rate tree has 1 leaves, the parameters 2');
  throwsWith(() => ascentStep(theta, { w: tensor([1]), b: tensor([3]) }, 0.1), TreeError, 'ascentStep', 'shapes differ at $.w: [2] vs [1]');
});

test('GAE recursion: the formula, step by step, on one sequence with a cut', () => {
  const r = [1, 0, 2, 1], v = [0.5, -1, 0.25, 2], gamma = 0.5, lambda = 0.5;
  const adv = new Float32Array(4), targets = new Float32Array(4);
  // the sum restarts at step 1 (a terminal step, bootstrapping from 0) and at step 3 (the end, from 4)
  advantageRecursion(r, v, [1, 1, 1, 1], 1, 4, gamma, lambda, (_k, t) => (t === 1 ? 0 : t === 3 ? 4 : null), adv, targets);
  const a3 = r[3]! + gamma * 4 - v[3]!;
  const a2 = r[2]! + gamma * v[3]! - v[2]! + gamma * lambda * a3;
  const a1 = r[1]! - v[1]!;
  const a0 = r[0]! + gamma * v[1]! - v[0]! + gamma * lambda * a1;
  assert.equal(Array.from(adv), Array.from(Float32Array.of(a0, a1, a2, a3)));
  assert.equal(Array.from(targets), Array.from(Float32Array.of(a0 + v[0]!, a1 + v[1]!, a2 + v[2]!, a3 + v[3]!)));
});

test('GAE: padded episodes and one-episode trials give the same advantages', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 50; trial++) {
    const N = 1 + Math.floor(rng.uniform() * 3), T = 1 + Math.floor(rng.uniform() * 8);
    const mask = new Float32Array(N * T), terminated = new Uint8Array(N * T), rewards = new Float32Array(N * T), values = new Float32Array(N * T);
    for (let i = 0; i < N; i++) {
      // a live prefix, ending in a terminal step when shorter than the horizon
      const len = 1 + Math.floor(rng.uniform() * T);
      for (let t = 0; t < len; t++) { mask[i * T + t] = 1; rewards[i * T + t] = rng.normal(); values[i * T + t] = rng.normal(); }
      if (len < T || rng.uniform() < 0.5) terminated[i * T + len - 1] = 1;
    }
    const episodes = { numEpisodes: N, horizon: T, mask, terminated, truncated: new Uint8Array(N * T), rewards } as unknown as EpisodeBatch;
    const trials = { ...episodes, episodeHorizon: T } as unknown as TrialBatch;
    const options = { discount: rng.uniform(), lambda: rng.uniform() };
    const fromEpisodes = generalizedAdvantages(episodes, values, options);
    for (const resetAtEpisodes of [true, false]) {
      const fromTrials = trialAdvantages(trials, rewards, values, { ...options, resetAtEpisodes }).advantages;
      assert.equal(Array.from(fromTrials), Array.from(fromEpisodes), `case ${trial}, resetAtEpisodes ${resetAtEpisodes}`);
    }
  }
});

test('GAE over trials: a sum restarts where an episode ends, even when its last steps are dead', () => {
  // horizon 2, two episodes; step 1 (end of episode 0) is dead, so step 0 is the last live step of its episode
  const trials = {
    numEpisodes: 1, horizon: 4, episodeHorizon: 2, mask: Float32Array.of(1, 0, 1, 1), terminated: new Uint8Array(4), truncated: Uint8Array.of(0, 0, 0, 1), rewards: Float32Array.of(1, 0, 1, 1),
  } as unknown as TrialBatch;
  const values = Float32Array.of(0, 0, 0, 0);
  const reset = trialAdvantages(trials, trials.rewards, values, { discount: 1, lambda: 1, resetAtEpisodes: true }).advantages;
  const through = trialAdvantages(trials, trials.rewards, values, { discount: 1, lambda: 1 }).advantages;
  assert.equal(Array.from(reset), [1, 0, 2, 1]);
  assert.equal(Array.from(through), [3, 0, 2, 1]);
});

test.run();
