import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, Rng, tensor, treeLeaves, type Tensor } from '../src/index.ts';
import { tabularModel, VecEnv } from '../src/rl/env/index.ts';
import { exactMetaObjective, expectedReturn } from '../src/rl/oracle.ts';
import { tabularPolicy, type TabularParams } from '../src/rl/policy.ts';
import { collectEpisodes, episodeLogProbs, episodeReturns } from '../src/rl/rollout.ts';
import {
  cumulativeSum, diceObjective, lvcObjective, magicBox, reinforceSurrogate, surrogateObjective,
} from '../src/rl/estimators.ts';
import { taskMetaObjective, type MetaEstimator } from '../src/rl/mamlrl.ts';
import { rewardToGo, LinearFeatureBaseline } from '../src/rl/returns.ts';
import { RlError } from '../src/rl/errors.ts';
import { allclose } from './helpers.ts';

const Estimators = suite('rl estimators');

const MAP = 'S.\n.G';
const HORIZON = 3;
const INNER_LR = 1;
const model = tabularModel(MAP);
const policy = tabularPolicy({ numStates: model.numStates, numActions: 4 });
const thetaRng = new Rng(5);
const theta = tensor(Array.from({ length: model.numStates * 4 }, () => 0.5 * thetaRng.normal()), [model.numStates, 4]);

Estimators('magic box is 1 in value and reproduces score-function derivatives of every order', () => {
  const x = tensor([0.3, -1.2]);
  allclose(magicBox(x), [1, 1]);
  // d/dx □(x)·c = c, d²/dx² □(x)·c = c (since □' = □·x' and x'' = 0).
  const first = grad((v: Tensor) => magicBox(v).mul(tensor([2, 3])).sum())(x);
  allclose(first, [2, 3]);
  const second = grad((v: Tensor) => (grad((w: Tensor) => magicBox(w).mul(tensor([2, 3])).sum())(v) as Tensor).sum())(x);
  allclose(second, [2, 3]);
  allclose(cumulativeSum(tensor([[1, 2, 3], [4, 5, 6]])), [[1, 3, 6], [4, 9, 15]]);
});

Estimators('DiCE evaluates to the mean return; all surrogates share the first derivative', () => {
  const env = new VecEnv({ map: MAP, numEnvs: 50, maxSteps: HORIZON });
  const params = { logits: theta };
  const batch = collectEpisodes(env, policy, params, 9);
  const meanReturn = episodeReturns(batch).reduce((a, b) => a + b, 0) / 50;
  allclose(diceObjective(episodeLogProbs(policy, params, batch), batch), meanReturn, 1e-5, 1e-6);
  const gradients = (['dice', 'lvc', 'reinforce'] as const).map((name) =>
    (grad((p: TabularParams) => surrogateObjective(name, episodeLogProbs(policy, p, batch), batch, { discount: 0.9 }))(params) as TabularParams).logits);
  allclose(gradients[1]!, gradients[0]!, 1e-4, 1e-6, 'lvc vs dice');
  allclose(gradients[2]!, gradients[0]!, 1e-4, 1e-6, 'reinforce vs dice');
  // A baseline changes no expectation but does change this sample's gradient; the DiCE
  // baseline term has value 0.
  const baseline = new LinearFeatureBaseline({ features: 'state', numStates: model.numStates });
  baseline.fit(batch, rewardToGo(batch, 1));
  const b = baseline.predict(batch);
  allclose(diceObjective(episodeLogProbs(policy, params, batch), batch, { baseline: b }), meanReturn, 1e-5, 1e-6);
  const withBaseline = (f: typeof lvcObjective) =>
    (grad((p: TabularParams) => f(episodeLogProbs(policy, p, batch), batch, { baseline: b }))(params) as TabularParams).logits;
  allclose(withBaseline(diceObjective), withBaseline(reinforceSurrogate), 1e-4, 1e-6, 'dice vs reinforce with baseline');
});

Estimators('surrogates reject mismatched batches and unknown names', () => {
  const env = new VecEnv({ map: MAP, numEnvs: 4, maxSteps: HORIZON });
  const batch = collectEpisodes(env, policy, { logits: theta }, 1);
  const logp = episodeLogProbs(policy, { logits: theta }, batch);
  assert.throws(() => diceObjective(tensor([[0]]), batch), (e: Error) => e instanceof RlError && /wrong batch size: logp must be \[N, T\] = \[4, 3\] like the batch, got \[1, 1\]/.test(e.message));
  assert.throws(() => lvcObjective(logp, batch, { baseline: new Float32Array(3) }), /baseline needs N·T = 12 values, got 3/);
  assert.throws(() => surrogateObjective('magic' as 'dice', logp, batch), /estimator must be one of 'dice', 'lvc', 'reinforce', got "magic"/);
  assert.throws(() => reinforceSurrogate(logp, batch, { discount: -1 }), /discount must be a finite number in \[0, 1\], got -1/);
});

/** RMS (over seeds) of the distance between sampled and exact meta-gradients, and the norm of the mean error (bias). */
function metaGradientErrors(estimator: MetaEstimator, n: number, seeds: number, exact: Tensor): { rms: number; bias: number } {
  const env = new VecEnv({ map: MAP, numEnvs: n, maxSteps: HORIZON });
  let sumSquares = 0;
  const meanError = new Float64Array(exact.size);
  for (let seed = 0; seed < seeds; seed++) {
    const estimate = grad((p: TabularParams) =>
      taskMetaObjective(policy, p, env, new Rng([seed, n, 7, 7]), { innerLr: INNER_LR, estimator, baseline: 'none' }).objective,
    )({ logits: theta }) as TabularParams;
    for (let i = 0; i < exact.size; i++) {
      const e = estimate.logits.data[i]! - exact.data[i]!;
      sumSquares += e * e;
      meanError[i]! += e / seeds;
    }
  }
  return { rms: Math.sqrt(sumSquares / seeds), bias: Math.hypot(...meanError) };
}

/** Least-squares slope of log(error) against log(n). */
function logLogSlope(ns: readonly number[], errors: readonly number[]): number {
  const xs = ns.map(Math.log);
  const ys = errors.map(Math.log);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => { num += (x - mx) * (ys[i]! - my); den += (x - mx) ** 2; });
  return num / den;
}

Estimators('sampled DiCE meta-gradient converges to the exact DP meta-gradient at rate 1/sqrt(n); the plain surrogate stays biased', () => {
  const exact = (grad((t: Tensor) => exactMetaObjective(t, model, { horizon: HORIZON, innerLr: INNER_LR }))(theta) as Tensor);
  // Sanity: the exact objective is the oracle's return after one exact step.
  assert.ok(Number.isFinite(expectedReturn(theta, model, { horizon: HORIZON }).item()));
  const ns = [100, 400, 1600, 6400];
  const seeds = 10;
  const rows: string[] = [];
  const results = new Map<MetaEstimator, { rms: number; bias: number }[]>();
  for (const estimator of ['dice', 'lvc', 'reinforce', 'firstOrder'] as const) {
    const perN = ns.map((n) => metaGradientErrors(estimator, n, seeds, exact));
    results.set(estimator, perN);
    const slope = logLogSlope(ns, perN.map((r) => r.rms));
    rows.push(`${estimator.padEnd(10)} rms ${perN.map((r) => r.rms.toFixed(4)).join(' ')}  slope ${slope.toFixed(2)}  |mean error| at 6400: ${perN[3]!.bias.toFixed(4)}`);
  }
  console.log(`\n  meta-gradient error vs n = ${ns.join(', ')} (${seeds} seeds, |exact| = ${Math.hypot(...exact.data).toFixed(4)}):\n  ${rows.join('\n  ')}`);
  const dice = results.get('dice')!;
  const diceSlope = logLogSlope(ns, dice.map((r) => r.rms));
  assert.ok(diceSlope > -0.7 && diceSlope < -0.35, `DiCE log-log slope ${diceSlope.toFixed(3)} outside the band (−0.7, −0.35) around −0.5`);
  const plain = results.get('reinforce')!;
  const plainSlope = logLogSlope(ns.slice(1), plain.slice(1).map((r) => r.rms));
  assert.ok(plainSlope > -0.25, `the plain surrogate's error kept shrinking (slope ${plainSlope.toFixed(3)} over n ≥ 400); expected a bias floor`);
  assert.ok(plain[3]!.rms > 3 * dice[3]!.rms, `plain surrogate error ${plain[3]!.rms} should exceed 3× DiCE's ${dice[3]!.rms} at n = 6400`);
  // LVC sits between: unbiased gradient, biased (low-variance) curvature.
  const lvc = results.get('lvc')!;
  assert.ok(lvc[3]!.rms < plain[3]!.rms, `LVC error ${lvc[3]!.rms} should be below the plain surrogate's ${plain[3]!.rms}`);
});

Estimators.run();
