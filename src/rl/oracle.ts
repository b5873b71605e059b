/**
 * Exact answers for tabular tasks, used to test the sampled estimators and to report
 * results as a fraction of the optimum.
 *
 * {@link expectedReturn} is finite-horizon dynamic programming written in metagrad
 * ops: the policy's logits `[S, A]` go through a softmax, then backward induction
 * over the horizon gathers successor values with the model's transition table (a
 * constant index). Being ordinary ops, `grad` of it is the exact policy gradient, and
 * `grad` through an inner `grad` step ({@link exactMetaObjective}) is the exact MAML
 * meta-gradient (Finn et al. 2017, "Model-Agnostic Meta-Learning for Fast Adaptation
 * of Deep Networks").
 *
 * {@link optimalReturn} is value iteration in plain JS (no gradient needed).
 *
 * Conventions match the environments: an episode lasts at most `horizon` steps (the
 * environment's `maxSteps`), the reward of step t is discounted by `discount^t`, and
 * terminal states are absorbing with reward 0 (see `tabularModel`).
 */
import { add, cast, logSoftmax, mul, reshape, softmax, sum, take } from '../ops/index.ts';
import { tensor, zeros } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { grad } from '../autodiff/transforms.ts';
import { stopGradient } from '../autodiff/stop.ts';
import { ascentStep } from '../optim/step.ts';
import type { TabularModel } from './env/index.ts';
import { checkChoice, checkInteger, checkNumber, RlError } from './errors.ts';
import { softmaxRows } from './policy.ts';

/** The horizon and discount every oracle function takes. */
export interface HorizonOptions {
  /** Steps per episode (the environment's `maxSteps`). */
  readonly horizon: number;
  /** Per-step discount γ in [0, 1]. Default 1 (the plain sum of rewards). */
  readonly discount?: number;
}

/** Options of {@link expectedReturn}. */
export interface ExpectedReturnOptions extends HorizonOptions {
  /** Precision of the induction. Default `'float64'`; the gradient comes back in the logits' dtype. */
  readonly dtype?: 'float32' | 'float64';
}

function checkHorizon(caller: string, options: HorizonOptions): { horizon: number; discount: number } {
  if (options === null || typeof options !== 'object') throw new RlError(`${caller}: options { horizon } are required, got ${String(options)}`);
  const horizon = checkInteger(caller, 'horizon', options.horizon, 1);
  const discount = checkNumber(caller, 'discount', options.discount ?? 1, 0, 1);
  return { horizon, discount };
}

/** Transition table constants of a model, cached per model and dtype. */
interface ModelConstants { readonly reward: Tensor; readonly start: Tensor }
const constantsCache = new WeakMap<TabularModel, Map<string, ModelConstants>>();

function modelConstants(model: TabularModel, dtype: 'float32' | 'float64'): ModelConstants {
  let byDtype = constantsCache.get(model);
  if (!byDtype) constantsCache.set(model, (byDtype = new Map()));
  let constants = byDtype.get(dtype);
  if (!constants) {
    constants = {
      reward: tensor(model.reward, [model.numStates, model.numActions], dtype),
      start: tensor(model.startDistribution, [model.numStates], dtype),
    };
    byDtype.set(dtype, constants);
  }
  return constants;
}

function checkLogits(caller: string, logits: Tensor, model: TabularModel): void {
  const [s, a] = logits.shape;
  if (logits.shape.length !== 2 || s !== model.numStates || a !== model.numActions) {
    throw new RlError(
      `${caller}: logits must have shape [numStates, numActions] = [${model.numStates}, ${model.numActions}], got [${logits.shape.join(', ')}]`,
    );
  }
}

/**
 * The exact expected discounted return `E[Σ_{t<H} γ^t r_t]` of the softmax policy
 * with `logits` `[S, A]`, from the model's start distribution. Differentiable to any
 * order in `logits`.
 *
 * @example
 * ```ts
 * const model = tabularModel('S.G');
 * const J = (logits: Tensor) => expectedReturn(logits, model, { horizon: 4 });
 * J(zeros([3, 4])).item();              // return of the uniform policy
 * grad(J)(zeros([3, 4]));               // the exact policy gradient, shape [3, 4]
 * ```
 */
export function expectedReturn(logits: Tensor, model: TabularModel, options: ExpectedReturnOptions): Tensor {
  const { horizon, discount } = checkHorizon('expectedReturn', options);
  checkLogits('expectedReturn', logits, model);
  const dtype = options.dtype ?? 'float64';
  const { reward, start } = modelConstants(model, dtype);
  const S = model.numStates;
  const A = model.numActions;
  const policy = softmax(cast(logits, dtype), 1);
  // Backward induction: V_H = 0, Q_t(s, a) = r(s, a) + γ V_{t+1}(next(s, a)), V_t = Σ_a π(a|s) Q_t(s, a).
  let value = zeros([S], dtype);
  for (let t = horizon - 1; t >= 0; t--) {
    const successorValue = reshape(take(value, model.next, 0), [S, A]);
    const q = t === horizon - 1 ? reward : add(reward, mul(successorValue, discount));
    value = sum(mul(policy, q), 1);
  }
  return sum(mul(start, value));
}

/**
 * Which inner-step surrogate the exact inner step differentiates, by the name of the
 * sampled estimator whose large-sample limit it gives (see {@link expectedSurrogate}):
 * `'dice'` the exact return (DiCE is unbiased), `'lvc'` and `'reinforce'` their
 * expected surrogates, `'firstOrder'` the exact return with the inner gradient detached.
 */
export type ExactInnerEstimator = 'dice' | 'lvc' | 'reinforce' | 'firstOrder';
/** Every {@link ExactInnerEstimator}: what `exactAdapt`'s `estimator` option accepts. */
export const EXACT_INNER_ESTIMATORS: readonly ExactInnerEstimator[] = ['dice', 'lvc', 'reinforce', 'firstOrder'];

/** Options of {@link exactMetaObjective}. */
export interface ExactMetaOptions extends ExpectedReturnOptions {
  /** Inner step size α of gradient ascent on the return. */
  readonly innerLr: number;
  /** Inner steps. Default 1. */
  readonly innerSteps?: number;
  /** Default `'dice'` (the exact MAML meta-objective). */
  readonly estimator?: ExactInnerEstimator;
}

/** Options of {@link expectedSurrogate}. */
export interface ExpectedSurrogateOptions extends HorizonOptions {
  readonly estimator: 'lvc' | 'reinforce';
}

/**
 * `W[s, a] = Σ_t γ^t d_t(s) Q_t(s, a)` of the policy `probs` `[S, A]` (float64, plain
 * JS): `d_t` is the state distribution at step t from the start distribution and
 * `Q_t` the action value with `H − t` steps left.
 */
function occupancyWeightedValues(probs: ArrayLike<number>, model: TabularModel, horizon: number, discount: number): Float64Array {
  const S = model.numStates;
  const A = model.numActions;
  // Backward: Q_t for every t (Q_{H−1} = r, Q_t = r + γ Σ_a' π Q_{t+1}(next)).
  const q: Float64Array[] = new Array(horizon);
  let value = new Float64Array(S);
  for (let t = horizon - 1; t >= 0; t--) {
    const qt = new Float64Array(S * A);
    const next = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < A; a++) {
        const k = s * A + a;
        qt[k] = model.reward[k]! + (t === horizon - 1 ? 0 : discount * value[model.next[k]!]!);
        next[s]! += probs[k]! * qt[k]!;
      }
    }
    q[t] = qt;
    value = next;
  }
  // Forward: d_{t+1}(next(s, a)) += d_t(s) π(a|s); terminal states absorb (their Q is 0).
  const weights = new Float64Array(S * A);
  let d = Float64Array.from(model.startDistribution);
  let factor = 1;
  for (let t = 0; t < horizon; t++) {
    const dNext = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      if (d[s] === 0) continue;
      for (let a = 0; a < A; a++) {
        const k = s * A + a;
        weights[k]! += factor * d[s]! * q[t]![k]!;
        dNext[model.next[k]!]! += d[s]! * probs[k]!;
      }
    }
    d = dNext;
    factor *= discount;
  }
  return weights;
}

/**
 * The expectation of a sampled inner surrogate over the policy's own episodes, as a
 * function of the logits θ' with the sampling policy frozen at the logits' current
 * values θ (`d_t`, `Q_t` its state distributions and action values):
 *
 * - `'lvc'`: `L(θ') = Σ_t Σ_s d_t(s) Σ_a π_θ'(a|s) γ^t Q_t(s, a)`, the expectation of
 *   `Σ_t □(log π_t) γ^t R_t` (ProMP's LVC, Rothfuss et al. 2019);
 * - `'reinforce'`: `L(θ') = Σ_t Σ_s d_t(s) Σ_a π_θ(a|s) log π_θ'(a|s) γ^t Q_t(s, a)`,
 *   the expectation of `Σ_t log π_t · γ^t R_t`.
 *
 * At θ' = θ both gradients are the exact policy gradient (the policy gradient
 * theorem) and the Hessians are the estimators' expected Hessians,
 * `Σ_t E[(∇²log π_t + ∇log π_t ∇log π_tᵀ) γ^t Q_t]` and `Σ_t E[∇²log π_t · γ^t Q_t]`:
 * both miss the terms through which the state distribution and the values depend on
 * θ (for LVC, the products of score functions of different steps), so a MAML inner
 * step on either gives a biased meta-gradient even with infinitely many episodes.
 * {@link exactMetaObjective} with `estimator` uses this to give that biased limit.
 *
 * @example
 * ```ts
 * const model = tabularModel('S.G');
 * const lvcHessianDirection = grad((t: Tensor) => expectedSurrogate(t, model, { horizon: 4, estimator: 'lvc' }))(zeros([3, 4]));
 * ```
 */
export function expectedSurrogate(logits: Tensor, model: TabularModel, options: ExpectedSurrogateOptions): Tensor {
  const { horizon, discount } = checkHorizon('expectedSurrogate', options);
  const estimator = checkChoice('expectedSurrogate', 'estimator', options?.estimator, ['lvc', 'reinforce']);
  checkLogits('expectedSurrogate', logits, model);
  const S = model.numStates;
  const A = model.numActions;
  // The frozen sampling policy: concrete values, constants to every derivative.
  const probs = softmaxRows(logits.data, S, A);
  const weights = occupancyWeightedValues(probs, model, horizon, discount);
  const x = cast(logits, 'float64');
  if (estimator === 'lvc') return sum(mul(softmax(x, 1), tensor(weights, [S, A], 'float64')));
  for (let k = 0; k < weights.length; k++) weights[k]! *= probs[k]!;
  return sum(mul(logSoftmax(x, 1), tensor(weights, [S, A], 'float64')));
}

/**
 * The logits after `innerSteps` steps of exact policy-gradient ascent,
 * `θ ← θ + α ∇J(θ)`, still differentiable in the initial logits (the inner gradient
 * is taken inside the enclosing transform, so its own derivative is recorded). With
 * `estimator` `'lvc'` or `'reinforce'` the gradient is that of their
 * {@link expectedSurrogate} (the same value, a different derivative); with
 * `'firstOrder'` it is detached.
 *
 * @example
 * ```ts
 * const adapted = exactAdapt(zeros([3, 4]), tabularModel('S.G'), { horizon: 4, innerLr: 1 });
 * ```
 */
export function exactAdapt(logits: Tensor, model: TabularModel, options: ExactMetaOptions): Tensor {
  const innerLr = checkNumber('exactAdapt', 'innerLr', options.innerLr);
  const steps = checkInteger('exactAdapt', 'innerSteps', options.innerSteps ?? 1, 0);
  const estimator = checkChoice('exactAdapt', 'estimator', options.estimator ?? 'dice', EXACT_INNER_ESTIMATORS);
  const objective = (theta: Tensor): Tensor => (estimator === 'lvc' || estimator === 'reinforce'
    ? expectedSurrogate(theta, model, { ...options, estimator })
    : expectedReturn(theta, model, options));
  let theta = logits;
  for (let k = 0; k < steps; k++) {
    let gradient = grad(objective)(theta) as Tensor;
    if (estimator === 'firstOrder') gradient = stopGradient(gradient);
    theta = ascentStep(theta, gradient, innerLr);
  }
  return theta;
}

/**
 * The exact MAML meta-objective for policy gradients, `J(θ + α ∇J(θ))` (one or more
 * exact inner steps), differentiable in `θ`: `grad` of it is the exact meta-gradient
 * that unbiased estimators such as DiCE must converge to.
 *
 * @example
 * ```ts
 * const model = tabularModel('S.G');
 * const options = { horizon: 4, innerLr: 1 };
 * const metaGradient = grad((theta: Tensor) => exactMetaObjective(theta, model, options))(zeros([3, 4]));
 * ```
 */
export function exactMetaObjective(logits: Tensor, model: TabularModel, options: ExactMetaOptions): Tensor {
  return expectedReturn(exactAdapt(logits, model, options), model, options);
}

/**
 * The optimal finite-horizon return by value iteration (plain JS, float64), with the
 * greedy first-step values per state.
 *
 * @example
 * ```ts
 * optimalReturn(tabularModel('S.G'), { horizon: 4 }); // 2 steps: 2 × (−0.01) + 1 = 0.98
 * ```
 */
export function optimalReturn(model: TabularModel, options: HorizonOptions): number {
  const values = optimalValues(model, options);
  let total = 0;
  for (let s = 0; s < model.numStates; s++) total += model.startDistribution[s]! * values[s]!;
  return total;
}

/**
 * `V*_0(s)`, the optimal value of each state with the whole horizon left (0 at goals,
 * where episodes end).
 * @example
 * ```ts
 * optimalValues(tabularModel('S.G'), { horizon: 4 }); // ≈ [0.98, 0.99, 0]
 * optimalValues(tabularModel('S.G'), { horizon: 1 }); // ≈ [-0.01, 0.99, 0]: the goal is out of reach from S
 * ```
 */
export function optimalValues(model: TabularModel, options: HorizonOptions): Float64Array {
  const { horizon, discount } = checkHorizon('optimalValues', options);
  const S = model.numStates;
  const A = model.numActions;
  let value = new Float64Array(S);
  for (let t = horizon - 1; t >= 0; t--) {
    const updated = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      let best = -Infinity;
      for (let a = 0; a < A; a++) {
        const k = s * A + a;
        const q = model.reward[k]! + discount * value[model.next[k]!]!;
        if (q > best) best = q;
      }
      updated[s] = best;
    }
    value = updated;
  }
  return value;
}

/**
 * The return of the uniformly random policy, the natural zero of a normalised score.
 *
 * @example
 * ```ts
 * uniformReturn(tabularModel('S.G'), { horizon: 4 });
 * ```
 */
export function uniformReturn(model: TabularModel, options: HorizonOptions): number {
  return expectedReturn(zeros([model.numStates, model.numActions]), model, options).item();
}
