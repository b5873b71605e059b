/**
 * Surrogate objectives whose derivatives estimate policy gradients, and (for the
 * MAML inner step) policy Hessians. Each takes the differentiable log-probabilities
 * `logp` `[N, T]` of a padded batch (see `episodeLogProbs`) and returns a scalar
 * averaged over the N episodes; gradient *ascent* on it improves the return.
 *
 * | estimator            | surrogate                                  | 1st derivative | 2nd derivative |
 * |----------------------|--------------------------------------------|----------------|----------------|
 * | {@link diceObjective}| Σ_t □(Σ_{k≤t} log π_k) γ^t r_t            | unbiased       | unbiased       |
 * | {@link lvcObjective} | Σ_t □(log π_t) γ^t (R_t − b_t)            | unbiased       | biased, low variance |
 * | {@link reinforceSurrogate} | Σ_t log π_t · γ^t (R_t − b_t)       | unbiased       | biased: drops the sampling-distribution term |
 *
 * `□(x) = exp(x − stopGradient(x))` is DiCE's magic box: it evaluates to 1 and its
 * derivative is `□(x) ∇x`, so differentiating it k times yields the k-th order
 * score-function terms (Foerster et al. 2018, "DiCE: The Infinitely Differentiable
 * Monte Carlo Estimator"). LVC is the low-variance curvature estimator of Rothfuss
 * et al. 2019 ("ProMP: Proximal Meta-Policy Search"): it keeps only each step's own
 * log-probability in the box, which drops the cross-time terms of the Hessian (a bias
 * that vanishes near local optima, per the paper) for much lower variance.
 *
 * That bias is a property of the estimator, not of this code: its expected Hessian is
 * `Σ_t E[∇²π(a_t|s_t)/π(a_t|s_t) · γ^t Q_t]`, the Hessian of the return with the state
 * distribution and the values held fixed (`expectedSurrogate` in `oracle.ts` computes
 * it exactly). `test/rl-estimators.test.ts` shows the sampled LVC meta-gradient
 * converging at the Monte-Carlo rate to the meta-gradient of that limit, which itself
 * stays a fixed distance from the exact one: the error floor is that distance.
 *
 * The plain REINFORCE surrogate has the right gradient, but its Hessian is
 * `E[Σ_t ∇² log π_t · γ^t R_t]` only: it misses `E[∇log p(τ) ∇log p(τ)ᵀ R]`, the
 * term that comes from the sampling distribution depending on the parameters. MAML
 * with it (as in the original MAML-RL code) follows a biased meta-gradient; it is
 * kept as a named baseline to measure that bias (`test/rl-estimators.test.ts`).
 */
import { exp, matmul, mul, sub, sum } from '../ops/index.ts';
import { stopGradient } from '../autodiff/stop.ts';
import { tensor } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { EpisodeBatch } from './rollout.ts';
import { discountByTime, rewardToGo } from './returns.ts';
import { checkChoice, checkNumber, RlError } from './errors.ts';

/** The surrogates of this module by name. */
export type SurrogateName = 'dice' | 'lvc' | 'reinforce';
/** Every {@link SurrogateName}: what `surrogateObjective` accepts (e.g. to list the choices in a UI). */
export const SURROGATE_NAMES: readonly SurrogateName[] = ['dice', 'lvc', 'reinforce'];

/** Options shared by the surrogates. */
export interface SurrogateOptions {
  /** Per-step discount γ. Default 1. */
  readonly discount?: number;
  /**
   * Baseline values `b_t ≈ E[R_t | s_t]`, `[N, T]` (e.g. `LinearFeatureBaseline.predict`).
   * Omit for none. They must not depend on the action at t or later.
   */
  readonly baseline?: Float32Array;
}

/**
 * DiCE's magic box `□(x) = exp(x − stopGradient(x))`: 1 in value, `□(x)·∇x` in derivative, to every order.
 *
 * @example
 * ```ts
 * grad((x: Tensor) => magicBox(x).sum())(tensor([0.3])); // [1]
 * ```
 */
export function magicBox(x: Tensor): Tensor {
  return exp(sub(x, stopGradient(x)));
}

const triangleCache = new Map<string, Tensor>();

/**
 * Inclusive cumulative sum along the last axis of `[N, T]`, as a product with a constant
 * triangle (so it is differentiable to any order with no rule of its own).
 * @example
 * ```ts
 * cumulativeSum(tensor([[1, 2, 3], [0, 1, 0]])).toArray(); // [[1, 3, 6], [0, 1, 1]]
 * ```
 */
export function cumulativeSum(x: Tensor): Tensor {
  if (x.shape.length !== 2) throw new RlError(`cumulativeSum: expected an [N, T] tensor, got [${x.shape.join(', ')}]`);
  const T = x.shape[1]!;
  const key = `${T}:${x.dtype}`;
  let upper = triangleCache.get(key);
  if (!upper) {
    const values = new Float32Array(T * T);
    for (let k = 0; k < T; k++) for (let t = k; t < T; t++) values[k * T + t] = 1; // U[k, t] = [k ≤ t]
    upper = tensor(values, [T, T], x.dtype);
    triangleCache.set(key, upper);
  }
  return matmul(x, upper);
}

function checkInputs(caller: string, logp: Tensor, batch: EpisodeBatch, options: SurrogateOptions): number {
  const { numEpisodes: N, horizon: T } = batch;
  if (logp.shape.length !== 2 || logp.shape[0] !== N || logp.shape[1] !== T) {
    throw new RlError(`${caller}: wrong batch size: logp must be [N, T] = [${N}, ${T}] like the batch, got [${logp.shape.join(', ')}]`);
  }
  if (options.baseline && options.baseline.length !== N * T) {
    throw new RlError(`${caller}: wrong batch size: baseline needs N·T = ${N * T} values, got ${options.baseline.length}`);
  }
  return checkNumber(caller, 'discount', options.discount ?? 1, 0, 1);
}

/** `γ^t (R_t − b_t)` of a batch, `[N, T]`. */
function discountedAdvantages(batch: EpisodeBatch, discount: number, baseline?: Float32Array): Float32Array {
  const returns = rewardToGo(batch, discount);
  if (baseline) for (let k = 0; k < returns.length; k++) returns[k] = batch.mask[k] ? returns[k]! - baseline[k]! : 0;
  return discountByTime(returns, batch, discount);
}

/**
 * What a surrogate reads from its batch, as `[N, T]` arrays: the per-step weights of
 * the log-probabilities (`γ^t r_t` for DiCE, `γ^t (R_t − b_t)` for LVC and REINFORCE)
 * and, for DiCE with a baseline, the baseline term's `γ^t b_t` (0 on padding).
 * {@link surrogateFromWeights} turns them into the objective; the two together are
 * {@link surrogateObjective} (the same ops), split so that a jitted function can take
 * the data as tensor inputs.
 */
export interface SurrogateWeights {
  readonly weights: Float32Array;
  readonly baselineTerm?: Float32Array;
}

/**
 * The data of surrogate `name` on `batch` (see {@link SurrogateWeights}).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const baseline = fitBaseline(batch, 'state', 0.99);
 * const { weights, baselineTerm } = surrogateWeights('dice', batch, { discount: 0.99, baseline });
 * ```
 */
export function surrogateWeights(name: SurrogateName, batch: EpisodeBatch, options: SurrogateOptions = {}): SurrogateWeights {
  const caller = 'surrogateWeights';
  checkChoice(caller, 'estimator', name, SURROGATE_NAMES);
  const { numEpisodes: N, horizon: T } = batch;
  if (options.baseline && options.baseline.length !== N * T) {
    throw new RlError(`${caller}: wrong batch size: baseline needs N·T = ${N * T} values, got ${options.baseline.length}`);
  }
  const discount = checkNumber(caller, 'discount', options.discount ?? 1, 0, 1);
  if (name !== 'dice') return { weights: discountedAdvantages(batch, discount, options.baseline) };
  const weights = discountByTime(batch.rewards, batch, discount);
  if (!options.baseline) return { weights };
  const b = new Float32Array(N * T);
  for (let k = 0; k < b.length; k++) b[k] = batch.mask[k]! * options.baseline[k]!;
  return { weights, baselineTerm: discountByTime(b, batch, discount) };
}

/**
 * Surrogate `name` of log-probabilities `logp` `[N, T]` from its data as tensors
 * (`weights`, and `baselineTerm` for DiCE with a baseline; see {@link SurrogateWeights}),
 * averaged over `numEpisodes`: ops only, so it can be traced by `jit`.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const logp = episodeLogProbs(policy, params, batch);
 * const N = batch.numEpisodes, T = batch.horizon;
 * const data = surrogateWeights('lvc', batch, { discount: 0.99 });
 * const viaWeights = surrogateFromWeights('lvc', logp, tensor(data.weights, [N, T]), undefined, N);
 * Math.abs(viaWeights.item() - lvcObjective(logp, batch, { discount: 0.99 }).item()) < 1e-6; // true
 * ```
 */
export function surrogateFromWeights(name: SurrogateName, logp: Tensor, weights: Tensor, baselineTerm: Tensor | undefined, numEpisodes: number): Tensor {
  switch (checkChoice('surrogateFromWeights', 'estimator', name, SURROGATE_NAMES)) {
    case 'dice': {
      let total = sum(mul(magicBox(cumulativeSum(logp)), weights));
      if (baselineTerm) total = total.add(sum(mul(sub(1, magicBox(logp)), baselineTerm)));
      return mul(total, 1 / numEpisodes);
    }
    case 'lvc': return mul(sum(mul(magicBox(logp), weights)), 1 / numEpisodes);
    case 'reinforce': return mul(sum(mul(logp, weights)), 1 / numEpisodes);
  }
}

/** Checks the inputs, then the surrogate from its data (the same ops as {@link surrogateFromWeights}). */
function surrogateOn(name: SurrogateName, caller: string, logp: Tensor, batch: EpisodeBatch, options: SurrogateOptions): Tensor {
  checkInputs(caller, logp, batch, options);
  const { numEpisodes: N, horizon: T } = batch;
  const data = surrogateWeights(name, batch, options);
  const baselineTerm = data.baselineTerm && tensor(data.baselineTerm, [N, T]);
  return surrogateFromWeights(name, logp, tensor(data.weights, [N, T]), baselineTerm, N);
}

/**
 * The DiCE objective `(1/N) Σ_i Σ_t □(Σ_{k≤t} log π(a_k|s_k)) γ^t r_t`, plus, with a
 * baseline, Mao et al.'s (2019) any-order baseline term `Σ_t (1 − □(log π_t)) γ^t b_t`.
 * Its value is the mean discounted return; its derivatives of every order are
 * unbiased estimates of the derivatives of the expected return.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const objective = (p: TabularParams) => diceObjective(episodeLogProbs(policy, p, batch), batch, { discount: 0.99 });
 * const policyGradient = grad(objective)(params);
 * policyGradient.logits.shape; // [25, 4]
 * ```
 */
export function diceObjective(logp: Tensor, batch: EpisodeBatch, options: SurrogateOptions = {}): Tensor {
  return surrogateOn('dice', 'diceObjective', logp, batch, options);
}

/**
 * The LVC objective `(1/N) Σ_i Σ_t □(log π(a_t|s_t)) γ^t (R_t − b_t)` (Rothfuss et
 * al. 2019): unbiased gradient, low-variance but biased Hessian (see the module
 * comment). Its value is not the return.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const baseline = fitBaseline(batch, 'state', 0.99);
 * lvcObjective(episodeLogProbs(policy, params, batch), batch, { discount: 0.99, baseline });
 * ```
 */
export function lvcObjective(logp: Tensor, batch: EpisodeBatch, options: SurrogateOptions = {}): Tensor {
  return surrogateOn('lvc', 'lvcObjective', logp, batch, options);
}

/**
 * The plain REINFORCE surrogate `(1/N) Σ_i Σ_t log π(a_t|s_t) γ^t (R_t − b_t)`
 * (Williams 1992). Correct first derivative; as a MAML inner objective its Hessian
 * drops the sampling-distribution term, so the meta-gradient is biased. A baseline,
 * not a recommendation.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * grad((p: TabularParams) => reinforceSurrogate(episodeLogProbs(policy, p, batch), batch))(params);
 * ```
 */
export function reinforceSurrogate(logp: Tensor, batch: EpisodeBatch, options: SurrogateOptions = {}): Tensor {
  return surrogateOn('reinforce', 'reinforceSurrogate', logp, batch, options);
}

/**
 * One of the surrogates by name.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const logp = episodeLogProbs(policy, params, batch);
 * surrogateObjective('lvc', logp, batch, { discount: 0.99 });
 * ```
 */
export function surrogateObjective(name: SurrogateName, logp: Tensor, batch: EpisodeBatch, options: SurrogateOptions = {}): Tensor {
  switch (checkChoice('surrogateObjective', 'estimator', name, SURROGATE_NAMES)) {
    case 'dice': return diceObjective(logp, batch, options);
    case 'lvc': return lvcObjective(logp, batch, options);
    case 'reinforce': return reinforceSurrogate(logp, batch, options);
  }
}
