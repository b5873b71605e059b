import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, Rng, tensor, treeLeaves, type Tensor } from '../src/index.ts';
import { tabularModel, VecEnv } from '../src/rl/env/index.ts';
import { exactMetaObjective, expectedReturn, expectedSurrogate } from '../src/rl/oracle.ts';
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

/**
 * RMS over seeds of the distance between the sampled meta-gradient and each of `targets`
 * (the exact one, the estimator's own large-sample limit), from the same samples.
 */
function metaGradientErrors(estimator: MetaEstimator, n: number, seeds: number, targets: readonly Tensor[]): number[] {
  const env = new VecEnv({ map: MAP, numEnvs: n, maxSteps: HORIZON });
  const sumSquares = targets.map(() => 0);
  for (let seed = 0; seed < seeds; seed++) {
    const estimate = grad((p: TabularParams) =>
      taskMetaObjective(policy, p, env, new Rng([seed, n, 7, 7]), { innerLr: INNER_LR, estimator, baseline: 'none' }).objective,
    )({ logits: theta }) as TabularParams;
    targets.forEach((target, j) => {
      for (let i = 0; i < target.size; i++) sumSquares[j]! += (estimate.logits.data[i]! - target.data[i]!) ** 2;
    });
  }
  return sumSquares.map((total) => Math.sqrt(total / seeds));
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

const distance = (a: Tensor, b: Tensor): number => Math.hypot(...Array.from(a.data, (v, i) => v - b.data[i]!));

Estimators('expected LVC and REINFORCE surrogates: exact policy gradient, the estimators\' expected Hessians', () => {
  const options = { horizon: HORIZON, discount: 0.9 };
  const exactGradient = grad((t: Tensor) => expectedReturn(t, model, options))(theta) as Tensor;
  for (const estimator of ['lvc', 'reinforce'] as const) {
    const g = grad((t: Tensor) => expectedSurrogate(t, model, { ...options, estimator }))(theta) as Tensor;
    allclose(g, exactGradient, 1e-5, 1e-7, `${estimator} surrogate gradient`);
  }
  // Their Hessians against the sampled surrogates' mean Hessian-vector product over many episodes.
  const direction = tensor(Array.from({ length: theta.size }, (_v, i) => Math.sin(i + 1)), theta.shape);
  const hvp = (f: (t: Tensor) => Tensor) => grad((t: Tensor) => (grad(f)(t) as Tensor).mul(direction).sum())(theta) as Tensor;
  const env = new VecEnv({ map: MAP, numEnvs: 20000, maxSteps: HORIZON });
  const batch = collectEpisodes(env, policy, { logits: theta }, 11);
  const sampled = (f: typeof lvcObjective) => hvp((t) => f(episodeLogProbs(policy, { logits: t }, batch), batch, { discount: 0.9 }));
  const expected = (estimator: 'lvc' | 'reinforce') => hvp((t) => expectedSurrogate(t, model, { ...options, estimator }));
  const exactHvp = hvp((t) => expectedReturn(t, model, options));
  for (const [estimator, f] of [['lvc', lvcObjective], ['reinforce', reinforceSurrogate]] as const) {
    const e = expected(estimator);
    const s = sampled(f);
    // The sample agrees with its expectation far better than with the exact Hessian (which it misses).
    assert.ok(distance(s, e) < 0.25 * distance(e, exactHvp), `${estimator}: sampled HVP is ${distance(s, e).toFixed(4)} from its expectation, which is ${distance(e, exactHvp).toFixed(4)} from the exact HVP`);
  }
  assert.throws(() => expectedSurrogate(theta, model, { horizon: 3, estimator: 'dice' as 'lvc' }), /estimator must be one of 'lvc', 'reinforce', got "dice"/);
});

Estimators('sampled meta-gradients converge at rate 1/sqrt(n) to their limits: DiCE\'s is exact, LVC\'s and the plain surrogate\'s are biased', () => {
  const exactOf = (estimator: MetaEstimator) =>
    grad((t: Tensor) => exactMetaObjective(t, model, { horizon: HORIZON, innerLr: INNER_LR, estimator }))(theta) as Tensor;
  const exact = exactOf('dice');
  // Sanity: the exact objective is the oracle's return after one exact step.
  assert.ok(Number.isFinite(expectedReturn(theta, model, { horizon: HORIZON }).item()));
  const ns = [100, 400, 1600, 6400];
  const seeds = 10;
  const rows: string[] = [];
  const slopes = new Map<MetaEstimator, { exact: number; limit: number; bias: number; rms: number[] }>();
  for (const estimator of ['dice', 'lvc', 'reinforce', 'firstOrder'] as const) {
    const limit = exactOf(estimator);
    const perN = ns.map((n) => metaGradientErrors(estimator, n, seeds, [exact, limit]));
    const toExact = perN.map((r) => r[0]!);
    const toLimit = perN.map((r) => r[1]!);
    const entry = { exact: logLogSlope(ns, toExact), limit: logLogSlope(ns, toLimit), bias: distance(limit, exact), rms: toExact };
    slopes.set(estimator, entry);
    rows.push(`${estimator.padEnd(10)} rms to exact ${toExact.map((r) => r.toFixed(4)).join(' ')} (slope ${entry.exact.toFixed(2)}); to its limit ${toLimit.map((r) => r.toFixed(4)).join(' ')} (slope ${entry.limit.toFixed(2)}); |limit − exact| ${entry.bias.toFixed(4)}`);
  }
  console.log(`\n  meta-gradient error vs n = ${ns.join(', ')} (${seeds} seeds, |exact| = ${Math.hypot(...exact.data).toFixed(4)}):\n  ${rows.join('\n  ')}`);
  const band = (slope: number, what: string) => assert.ok(slope > -0.7 && slope < -0.35, `${what} log-log slope ${slope.toFixed(3)} outside the band (−0.7, −0.35) around −0.5`);
  const dice = slopes.get('dice')!;
  band(dice.exact, 'DiCE (to the exact meta-gradient)');
  // Every estimator is a correct Monte-Carlo estimate of its own limit (no implementation bug)…
  for (const estimator of ['lvc', 'reinforce', 'firstOrder'] as const) band(slopes.get(estimator)!.limit, `${estimator} (to its own limit)`);
  // …and the biased ones' limits miss the exact meta-gradient: the sampled error stops
  // shrinking at that distance. LVC's bias is smaller than the plain surrogate's.
  const lvc = slopes.get('lvc')!;
  const plain = slopes.get('reinforce')!;
  assert.ok(lvc.bias > 0.5 * dice.rms[3]!, `LVC's limit is only ${lvc.bias} from the exact meta-gradient; expected a measurable bias`);
  assert.ok(lvc.bias < plain.bias, `LVC's bias ${lvc.bias} should be below the plain surrogate's ${plain.bias}`);
  for (const [name, entry] of [['LVC', lvc], ['plain', plain]] as const) {
    assert.ok(entry.rms[3]! > 0.8 * entry.bias && entry.rms[3]! < 1.25 * entry.bias + dice.rms[3]!, `${name}: error ${entry.rms[3]} at n = 6400 should sit at its bias ${entry.bias}`);
  }
  assert.ok(plain.rms[3]! > 3 * dice.rms[3]!, `plain surrogate error ${plain.rms[3]} should exceed 3× DiCE's ${dice.rms[3]} at n = 6400`);
});

Estimators.run();
