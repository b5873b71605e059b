/**
 * MAML for reinforcement learning (Finn et al. 2017, "Model-Agnostic Meta-Learning
 * for Fast Adaptation of Deep Networks", section 3.2).
 *
 * Inner loop: on each task, sample episodes with the current parameters and take
 * policy-gradient ascent step(s), `θ' = θ + α ∇̂J(θ)`, keeping the step in the graph.
 * Outer loop: sample episodes with `θ'` and ascend the gradient, with respect to `θ`,
 * of a surrogate of `J(θ')`. By the chain rule that gradient is
 * `∇J(θ')ᵀ (I + α ∇²Ĵ(θ))`: which estimator the inner step differentiates decides how
 * the Hessian is estimated, and that is the whole difference between the variants:
 *
 * - `'dice'`: unbiased Hessian (DiCE, Foerster et al. 2018). Its meta-gradient
 *   converges to the exact one of `exactMetaObjective` at the Monte-Carlo rate.
 * - `'lvc'`: the low-variance curvature estimator (Rothfuss et al. 2019, ProMP).
 * - `'reinforce'`: the plain surrogate `Σ log π · R`; its Hessian drops the
 *   sampling-distribution term. A named, documented *baseline*: biased.
 * - `'firstOrder'`: the inner gradient is a constant (first-order MAML): no Hessian.
 *
 * This is MAML's "formulation II" in the ProMP paper's terms: the meta-objective is
 * `J(θ + α∇J(θ))`, exactly what the DP oracle computes.
 */
import { Rng } from '../random/rng.ts';
import { grad, valueAndGrad } from '../autodiff/transforms.ts';
import { treeCopy, treeMap, treeZip } from '../autodiff/tree.ts';
import { recycling } from '../autodiff/recycle.ts';
import { stopGradient } from '../autodiff/stop.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { tensor, zerosLike } from '../tensor/create.ts';
import { add, exp, mul, neg, relu, sub } from '../ops/index.ts';
import type { Task, VecEnv } from './env/index.ts';
import { meanEntropy, type CategoricalPolicy } from './policy.ts';
import { collectEpisodes, episodeLogProbs, episodeReturns, type EpisodeBatch } from './rollout.ts';
import { checkFolds, crossFittedBaseline, LinearFeatureBaseline, rewardToGo } from './returns.ts';
import { surrogateObjective, type SurrogateName } from './estimators.ts';
import { ascentStep } from '../optim/step.ts';
import { adam, adamw, type Optimizer, type OptimizerState } from '../optim/index.ts';
import { checkChoice, checkInteger, checkNumber, RlError } from './errors.ts';
import { jitMetaGradient } from './mamlrl-jit.ts';

/** How the meta-gradient is estimated; see the module comment. */
export type MetaEstimator = 'dice' | 'lvc' | 'reinforce' | 'firstOrder';
/** Every {@link MetaEstimator}: what the `estimator` options of this module accept. */
export const META_ESTIMATORS: readonly MetaEstimator[] = ['dice', 'lvc', 'reinforce', 'firstOrder'];

/**
 * Baselines for the inner (and outer) surrogates: none, or the linear feature
 * baseline over observations (MAML-RL's) or over one-hot state ids (for tabular
 * policies, whose observation is a single state-index float).
 */
export type BaselineKind = 'none' | 'observation' | 'state';

/** Options of one inner step. */
export interface PolicyAdaptOptions {
  /** Inner step size α. */
  readonly innerLr: number;
  /** Default `'dice'`. */
  readonly estimator?: MetaEstimator;
  /** Default 1. */
  readonly discount?: number;
  /** Default `'observation'`. */
  readonly baseline?: BaselineKind;
  /**
   * Cross-fit the baseline over this many folds of episodes (see `crossFittedBaseline`):
   * each episode's baseline is fitted on the other folds only, which keeps the policy
   * gradient unbiased. A fold count rather than a switch because it is the trade-off:
   * 2 halves the data of each fit, more folds cost more fits. Default: off (one fit on
   * the whole batch, as MAML-RL does).
   */
  readonly crossFit?: number;
  /**
   * Per-parameter step multipliers (Meta-SGD, Li et al. 2017): a tree shaped like the
   * parameters, so the step is `θ + innerLr · (scale ⊙ ∇̂J(θ))`. Default: all ones
   * (plain MAML). {@link metaTrain} with `learnInnerLr` meta-learns it.
   */
  readonly innerLrScale?: unknown;
}

function surrogateOf(estimator: MetaEstimator): SurrogateName {
  return estimator === 'firstOrder' ? 'reinforce' : estimator;
}

/** `numEpisodes`: the batch size, when known, that `crossFit` must not exceed. */
function resolveAdapt(caller: string, options: PolicyAdaptOptions, numEpisodes?: number) {
  if (options === null || typeof options !== 'object') throw new RlError(`${caller}: options { innerLr } are required, got ${String(options)}`);
  const baseline = checkChoice(caller, 'baseline', options.baseline ?? 'observation', ['none', 'observation', 'state'] as const);
  return {
    innerLr: checkNumber(caller, 'innerLr', options.innerLr),
    estimator: checkChoice(caller, 'estimator', options.estimator ?? 'dice', META_ESTIMATORS),
    discount: checkNumber(caller, 'discount', options.discount ?? 1, 0, 1),
    baseline,
    crossFit: checkCrossFit(caller, options.crossFit, baseline, numEpisodes),
  };
}

/**
 * Checks a `crossFit` option: absent, or a fold count from 2 to `numEpisodes` (when
 * known) with a baseline to fit. Returns it.
 */
export function checkCrossFit(caller: string, crossFit: number | undefined, baseline: BaselineKind, numEpisodes = Infinity): number | undefined {
  if (crossFit === undefined) return undefined;
  checkFolds(caller, 'crossFit', crossFit, numEpisodes);
  if (baseline === 'none') throw new RlError(`${caller}: crossFit ${crossFit} needs a baseline to fit, but baseline is 'none'`);
  return crossFit;
}

/**
 * Baseline values `[N, T]` fitted to the batch's own reward-to-go, or undefined for
 * `'none'`. (Fitting on the same batch is what MAML-RL does; it adds a bias, large
 * for one-hot states few episodes visit.) With `crossFit` folds, each episode's values
 * come from a fit on the other folds ({@link crossFittedBaseline}): no bias.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const baseline = fitBaseline(batch, 'observation', 0.99);
 * diceObjective(episodeLogProbs(policy, params, batch), batch, { discount: 0.99, baseline });
 * const crossFitted = fitBaseline(batch, 'state', 0.99, 2); // two folds
 * ```
 */
export function fitBaseline(batch: EpisodeBatch, kind: BaselineKind, discount: number, crossFit?: number): Float32Array | undefined {
  if (kind === 'none') return undefined;
  let numStates = 1;
  for (let k = 0; k < batch.states.length; k++) if (batch.mask[k] && batch.states[k]! + 1 > numStates) numStates = batch.states[k]! + 1;
  const options = kind === 'state' ? { features: 'state' as const, numStates } : {};
  const returns = rewardToGo(batch, discount);
  if (crossFit !== undefined) return crossFittedBaseline(batch, returns, crossFit, options);
  const baseline = new LinearFeatureBaseline(options);
  baseline.fit(batch, returns);
  return baseline.predict(batch);
}

// The inner step is optim's one gradient step; re-exported for the modules that import it from here.
export { ascentStep };

/**
 * One inner policy-gradient step on `batch`: `θ + α ∇ surrogate(θ)`. Pure; when
 * called inside a transform over `params`, the step stays differentiable (except
 * with `'firstOrder'`, which detaches the gradient).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const adapted = adaptPolicy(policy, params, batch, { innerLr: 0.5, estimator: 'dice' });
 * ```
 */
export function adaptPolicy<P>(policy: CategoricalPolicy<P>, params: P, batch: EpisodeBatch, options: PolicyAdaptOptions): P {
  const { innerLr, estimator, discount, baseline: kind, crossFit } = resolveAdapt('adapt', options, batch.numEpisodes);
  const baseline = fitBaseline(batch, kind, discount, crossFit);
  const name = surrogateOf(estimator);
  const objective = (p: P): Tensor => surrogateObjective(name, episodeLogProbs(policy, p, batch), batch, baseline ? { discount, baseline } : { discount });
  let gradient = grad(objective)(params) as P;
  if (estimator === 'firstOrder') gradient = treeMap(gradient, (g) => stopGradient(g));
  if (options.innerLrScale !== undefined) gradient = treeZip(gradient, options.innerLrScale, (g, scale) => mul(g, scale), 'innerLrScale');
  return ascentStep(params, gradient, innerLr);
}

/** Options of {@link taskMetaObjective}. */
export interface MetaObjectiveOptions extends PolicyAdaptOptions {
  /** Inner steps, each on fresh episodes from the current adapted parameters. Default 1. */
  readonly innerSteps?: number;
  /** Accumulates wall-clock milliseconds spent in rollouts and inner steps (for benchmarks). */
  readonly timings?: MetaTimings;
  /**
   * Adds `entropyBonus ·` the mean entropy of the initial policy over the states of the
   * first inner batch to the objective: keeps the pre-adaptation (exploration) policy
   * stochastic, against meta-overfitting its exploration to the training tasks.
   * Default 0 (plain MAML).
   */
  readonly entropyBonus?: number;
  /**
   * Makes the bonus a floor: `−entropyBonus · max(0, entropyTarget − H)` instead of
   * `entropyBonus · H`, so it acts only while the mean entropy H (nats) is below the
   * target. A plain bonus is maximised by the uniform policy, so from a uniform start
   * (a zero output layer) on a task no uniform episode is rewarded in, it is the only
   * gradient, and Adam's scale-free step keeps the policy uniform whatever the bonus's
   * weight (RESULTS.md, OOD layout family). The floor leaves such a policy free and still
   * keeps it off the nearly deterministic policies from which no episode is rewarded
   * either. Needs `entropyBonus` > 0. Default: none (a plain bonus).
   */
  readonly entropyTarget?: number;
}

/** Milliseconds per phase, accumulated across calls. */
export interface MetaTimings { rolloutMs: number; innerMs: number; outerMs: number }

/** What {@link taskMetaObjective} returns. */
export interface TaskMetaResult<P> {
  /** The outer surrogate, differentiable in the initial parameters. */
  readonly objective: Tensor;
  readonly adapted: P;
  /** Mean undiscounted return of the first inner batch (before adaptation). */
  readonly preReturn: number;
  /** Mean undiscounted return of the outer batch (after adaptation). */
  readonly postReturn: number;
}

/**
 * The sampled MAML-RL objective of one task: inner step(s) on episodes from `env`
 * (whose tasks the caller has set), then the outer surrogate on episodes of the
 * adapted policy. `grad` of `objective` with respect to `params` is the estimated
 * meta-gradient.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * env.setTasks(goalFamily({ size: 5 }).train[0]!);
 * const metaGradient = grad((p: TabularParams) => taskMetaObjective(policy, p, env, new Rng(1), { innerLr: 0.5 }).objective)(params);
 * ```
 */
export function taskMetaObjective<P>(
  policy: CategoricalPolicy<P>, params: P, env: VecEnv, rng: Rng, options: MetaObjectiveOptions,
): TaskMetaResult<P> {
  const resolved = resolveAdapt('taskMetaObjective', options, env.numEnvs);
  const innerSteps = checkInteger('taskMetaObjective', 'innerSteps', options.innerSteps ?? 1, 0);
  const entropyBonus = checkNumber('taskMetaObjective', 'entropyBonus', options.entropyBonus ?? 0, 0);
  const entropyTarget = checkEntropyTarget('taskMetaObjective', options.entropyTarget, entropyBonus);
  let entropy: Tensor | null = null;
  const timings = options.timings;
  const timed = <T>(phase: 'rolloutMs' | 'innerMs', fn: () => T): T => {
    if (!timings) return fn();
    const start = performance.now();
    try { return fn(); } finally { timings[phase] += performance.now() - start; }
  };
  let adapted = params;
  let preReturn = NaN;
  for (let k = 0; k < innerSteps; k++) {
    const batch = timed('rolloutMs', () => collectEpisodes(env, policy, adapted, rng.split()));
    if (k === 0) preReturn = meanOf(episodeReturns(batch));
    if (k === 0 && entropyBonus > 0) entropy = entropyTerm(meanEntropy(policy, params, visitedObservations(batch)), entropyBonus, entropyTarget);
    adapted = timed('innerMs', () => adaptPolicy(policy, adapted, batch, { ...resolved, innerLrScale: options.innerLrScale }));
  }
  const post = timed('rolloutMs', () => collectEpisodes(env, policy, adapted, rng.split()));
  if (innerSteps === 0) preReturn = meanOf(episodeReturns(post));
  const baseline = fitBaseline(post, resolved.baseline, resolved.discount, resolved.crossFit);
  let objective = surrogateObjective(
    surrogateOf(resolved.estimator), episodeLogProbs(policy, adapted, post), post,
    baseline ? { discount: resolved.discount, baseline } : { discount: resolved.discount },
  );
  if (entropy !== null) objective = add(objective, entropy);
  return { objective, adapted, preReturn, postReturn: meanOf(episodeReturns(post)) };
}

/**
 * @internal The entropy term added to a task's objective (shared with `mamlrl-jit.ts`):
 * `bonus · H`, or with a target the floor `−bonus · max(0, target − H)`.
 */
export function entropyTerm(entropy: Tensor, bonus: number, target: number | undefined): Tensor {
  return target === undefined ? mul(entropy, bonus) : mul(relu(sub(target, entropy)), -bonus);
}

/** Checks an `entropyTarget` option: absent, or a number ≥ 0 with a bonus to apply it with. */
function checkEntropyTarget(caller: string, target: number | undefined, entropyBonus: number): number | undefined {
  if (target === undefined) return undefined;
  checkNumber(caller, 'entropyTarget', target, 0);
  if (entropyBonus === 0) throw new RlError(`${caller}: entropyTarget ${target} needs an entropyBonus > 0 to weight the floor, but entropyBonus is 0`);
  return target;
}

/** The observations `[steps, obsSize]` of the real (unpadded) steps of a batch. */
function visitedObservations(batch: EpisodeBatch): Tensor {
  const d = batch.obsSize;
  const rows: number[] = [];
  for (let k = 0; k < batch.mask.length; k++) if (batch.mask[k]) rows.push(k);
  const out = new Float32Array(rows.length * d);
  rows.forEach((k, i) => out.set(batch.obs.subarray(k * d, (k + 1) * d), i * d));
  return tensor(out, [rows.length, d]);
}

function meanOf(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total / values.length;
}

/** Options of {@link metaTrainStep}: what stays fixed across meta-iterations. */
export interface MetaStepOptions<P> extends MetaObjectiveOptions {
  readonly policy: CategoricalPolicy<P>;
  /** The environment; `numEnvs` episodes are sampled per inner and per outer batch. */
  readonly env: VecEnv;
  /** Meta-training tasks (their layouts must match the environment's map size). */
  readonly tasks: readonly Task[];
  /** Tasks per meta-batch, drawn without replacement. Default min(10, tasks.length). */
  readonly metaBatchSize?: number;
  /** Adam step size of the outer update. Default 0.1. */
  readonly outerLr?: number;
  /**
   * Decoupled weight decay of the outer update (AdamW, `θ ← θ(1 − outerLr·λ)` each
   * iteration): pulls the initial policy toward uniform logits, a prior against
   * meta-overfitting to the training tasks. Default 0 (plain Adam). (On the 5×5
   * goal family, λ = 0.1 with an entropy bonus of 0.4 gave the best held-out return.)
   */
  readonly weightDecay?: number;
  /**
   * Compute each meta-gradient (rollouts, inner steps, outer surrogate and the backward
   * pass) inside {@link recycling}: the storage of its intermediate tensors serves the
   * next iteration instead of being allocated afresh and garbage-collected, and only
   * the gradient is copied out. Bit-identical parameters, returns and optimiser state;
   * it saves allocation and GC time: 6–22% of a meta-iteration on the grid-world
   * study's settings (BENCHMARKS.md, "Storage recycling in MAML-RL"). The policy must not keep tensors it creates past the call
   * (as inside `jax.grad`). Default false.
   */
  readonly recycleMemory?: boolean;
  /**
   * Compute the meta-gradient with compiled programs (`jit`): rollouts, baseline
   * fits and the surrogates' weights stay in JS, each inner step that produces the
   * parameters to sample with runs as one jitted function, and the whole meta-gradient
   * (every task's differentiable inner steps, outer surrogate, entropy bonus and the
   * backward pass) as another, traced once per configuration: batches are padded to
   * the horizon and the entropy bonus is a masked mean, so no shape depends on the
   * episodes. The same numbers as the eager path up to float32 rounding (bit for bit
   * where the same kernels run in the same order; test/rl-jit.test.ts says which).
   * The policy needs a {@link CategoricalPolicy.traceable} form (tabular, MLP and conv
   * policies have one). `recycleMemory` is ignored with it. Default false.
   *
   * @example
   * ```ts
   * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
   * const options = { policy: tabularPolicy({ numStates: 25, numActions: 4 }), env, tasks: goalFamily({ size: 5 }).train, innerLr: 2, metaBatchSize: 2, jit: true };
   * let state = metaTrainInit(options);
   * ({ state } = metaTrainStep(options, state)); // traced on the first step, replayed after
   * ```
   */
  readonly jit?: boolean;
}

/** Options of {@link metaTrain}. */
export interface MamlRlOptions<P> extends MetaStepOptions<P> {
  readonly iterations: number;
  /** Seeds initialisation, task draws and rollouts. Default 0. */
  readonly seed?: number;
  /** Start from these parameters instead of `policy.init`. */
  readonly initialParams?: P;
  /**
   * Meta-learn a per-parameter inner step size as well (Meta-SGD, Li et al. 2017):
   * `innerLr · exp(ρ)` with a tree `ρ` shaped like the parameters, starting at 0 and
   * updated by the same outer optimizer. The result then carries `innerLrScale`,
   * to pass to {@link adaptPolicy} / {@link adaptationPath} at meta-test time.
   * Default false. Ignores a given `innerLrScale`.
   */
  readonly learnInnerLr?: boolean;
  /** Called after every meta-iteration. */
  readonly onIteration?: (record: MetaIterationRecord, params: P) => void;
}

/** What {@link metaTrain} returns. */
export interface MamlRlResult<P> {
  readonly params: P;
  readonly history: MetaIterationRecord[];
  /** The meta-learned per-parameter step multipliers (`exp(ρ)`), with `learnInnerLr` only. */
  readonly innerLrScale?: P;
}

/** Progress of one meta-iteration (sampled, undiscounted mean returns over the meta-batch). */
export interface MetaIterationRecord {
  readonly iteration: number;
  readonly preReturn: number;
  readonly postReturn: number;
}

/**
 * Everything that changes during MAML-RL meta-training: what a checkpoint must hold
 * to continue bit for bit.
 */
export interface MetaTrainState<P> {
  /** The initial policy parameters θ being meta-learned. */
  readonly params: P;
  /** Meta-SGD log step multipliers ρ (the inner step is `innerLr · exp(ρ) ⊙ ∇̂J`), if learned. */
  readonly logScale?: P;
  /** Outer optimiser state over the tree `{ params, logScale? }` (its leaves are θ's, then ρ's). */
  readonly optimizer: OptimizerState;
  /** The generator state (`Rng.state()`) the next iteration draws its tasks and episodes from. */
  readonly rng: readonly [number, number, number, number];
}

/** What {@link metaTrainStep} returns. */
export interface MetaStepResult<P> {
  readonly state: MetaTrainState<P>;
  /** Mean sampled returns over the meta-batch before and after adaptation. */
  readonly preReturn: number;
  readonly postReturn: number;
}

/** @internal {@link metaTrainStep}'s options checked and resolved (shared with `mamlrl-parallel.ts`). */
export function resolveStep<P>(caller: string, options: MetaStepOptions<P>) {
  if (!Array.isArray(options.tasks) || options.tasks.length === 0) {
    throw new RlError(`${caller}: tasks must be a non-empty array of tasks, got ${Array.isArray(options.tasks) ? 'an empty array' : String(options.tasks)}`);
  }
  if (options.jit !== undefined && typeof options.jit !== 'boolean') throw new RlError(`${caller}: jit must be true or false, got ${String(options.jit)}`);
  const metaBatchSize = checkInteger(caller, 'metaBatchSize', options.metaBatchSize ?? Math.min(10, options.tasks.length));
  if (metaBatchSize > options.tasks.length) {
    throw new RlError(`${caller}: metaBatchSize ${metaBatchSize} exceeds the ${options.tasks.length} available tasks`);
  }
  const outerLr = checkNumber(caller, 'outerLr', options.outerLr ?? 0.1, 0);
  const weightDecay = checkNumber(caller, 'weightDecay', options.weightDecay ?? 0, 0);
  const entropyBonus = checkNumber(caller, 'entropyBonus', options.entropyBonus ?? 0, 0);
  const entropyTarget = checkEntropyTarget(caller, options.entropyTarget, entropyBonus);
  const innerSteps = checkInteger(caller, 'innerSteps', options.innerSteps ?? 1, 0);
  const adapt = resolveAdapt(caller, options, options.env?.numEnvs);
  return { metaBatchSize, optimizer: outerOptimizer(outerLr, weightDecay), settings: { ...adapt, innerSteps, entropyBonus, entropyTarget } };
}

/**
 * The outer optimiser of MAML-RL: Adam, or AdamW when `weightDecay` > 0 (decoupled
 * decay, so the meta-parameters shrink toward zero between meta-batches).
 *
 * @example
 * ```ts
 * let params = { w: tensor([1, -2]) };
 * const optimizer = outerOptimizer(0.1, 0.1); // AdamW, lr 0.1, λ 0.1
 * let state = optimizer.init(params);
 * ({ params, state } = optimizer.update({ w: tensor([0, 0]) }, state, params));
 * params.w.toArray(); // [0.99, -1.98]: a zero gradient, only the decay 1 − 0.1·0.1
 * ```
 */
export function outerOptimizer(outerLr: number, weightDecay = 0): Optimizer {
  return (weightDecay > 0 ? adamw({ lr: outerLr, weightDecay }) : adam({ lr: outerLr })) as Optimizer;
}

/**
 * The state {@link metaTrain} starts from: parameters from `policy.init` (or
 * `initialParams`), zero log step multipliers with `learnInnerLr`, a fresh optimiser
 * state and the generator seeded by `seed`.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const family = goalFamily({ size: 5 });
 * let state = metaTrainInit({ policy, env, tasks: family.train, innerLr: 2, baseline: 'state', seed: 3 });
 * ```
 */
export function metaTrainInit<P>(options: Omit<MamlRlOptions<P>, 'iterations'>): MetaTrainState<P> {
  const { optimizer } = resolveStep('metaTrainInit', options);
  const rng = new Rng(options.seed ?? 0);
  const params = options.initialParams ?? options.policy.init(rng.split());
  const meta = options.learnInnerLr === true ? { params, logScale: treeMap(params, (leaf) => zerosLike(leaf)) } : { params };
  return { ...meta, optimizer: optimizer.init(meta), rng: rng.state() };
}

/**
 * One MAML-RL meta-iteration, pure: draws a meta-batch of tasks and their episodes
 * from `state.rng`, estimates the meta-gradient of the mean adapted return with
 * `estimator` (also with respect to `state.logScale`, if present) and takes one Adam
 * ascent step. With `innerSteps: 0` it is one step of multi-task policy gradient (a
 * pretrained baseline). Neither `state` nor its generator is modified; the same
 * state in gives the same state out, which is what makes checkpoints resume bit for bit.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const options = { policy, env, tasks: goalFamily({ size: 5 }).train, innerLr: 2, metaBatchSize: 2, baseline: 'state' as const };
 * let state = metaTrainInit(options);
 * for (let i = 0; i < 3; i++) ({ state } = metaTrainStep(options, state)); // a real run takes ~100 steps
 * ```
 */
export function metaTrainStep<P>(options: MetaStepOptions<P>, state: MetaTrainState<P>): MetaStepResult<P> {
  const { optimizer } = resolveStep('metaTrainStep', options);
  const timings = options.timings;
  const start = performance.now();
  const before = timings ? timings.rolloutMs + timings.innerMs : 0;
  const { gradient, meta, preReturn, postReturn, rng } = estimateMetaGradient(options, state);
  // The optimizer minimises: hand it the negated meta-gradient.
  const update = optimizer.update(treeMap(gradient, (g) => neg(g)), state.optimizer, meta);
  // Outer = everything else in the iteration: the outer surrogate, the backward pass and Adam.
  if (timings) timings.outerMs += performance.now() - start - (timings.rolloutMs + timings.innerMs - before);
  return { state: { ...update.params, optimizer: update.state, rng: rng.state() }, preReturn, postReturn };
}

/**
 * @internal The meta-gradient {@link metaTrainStep} ascends (eager, or compiled with
 * `jit`), with respect to `meta` = `{ params, logScale? }`, the mean sampled returns and
 * the generator after the draws. Pure, like the step.
 */
export function estimateMetaGradient<P>(options: MetaStepOptions<P>, state: MetaTrainState<P>) {
  const { metaBatchSize, settings } = resolveStep('metaTrainStep', options);
  const { policy, env } = options;
  const rng = new Rng(state.rng);
  const tasks = rng.shuffle(options.tasks.slice()).slice(0, metaBatchSize);
  const taskRngs = tasks.map(() => rng.split());
  type Meta = { params: P; logScale?: P };
  const meta: Meta = state.logScale ? { params: state.params, logScale: state.logScale } : { params: state.params };
  if (options.jit === true) return { ...jitMetaGradient(options, settings, meta, tasks, taskRngs), meta, rng };
  let pre = 0;
  let post = 0;
  const meanObjective = (m: Meta): Tensor => {
    let total: Tensor | null = null;
    const taskOptions = m.logScale ? { ...options, innerLrScale: treeMap(m.logScale, (r) => exp(r)) } : options;
    tasks.forEach((task, i) => {
      env.setTasks(task);
      const result = taskMetaObjective(policy, m.params, env, taskRngs[i]!, taskOptions);
      pre += result.preReturn / tasks.length;
      post += result.postReturn / tasks.length;
      total = total === null ? result.objective : total.add(result.objective);
    });
    return mul(total!, 1 / tasks.length);
  };
  const metaGradient = (): Meta => valueAndGrad(meanObjective)(meta)[1] as Meta;
  // Only the gradient outlives the scope: the returns are numbers, episodes die with it
  // and Adam runs outside, so its state and the new parameters are fresh allocations.
  const gradient = options.recycleMemory === true ? recycling(metaGradient, treeCopy) : metaGradient();
  return { gradient, meta, preReturn: pre, postReturn: post, rng };
}

/**
 * Meta-trains `policy` with MAML-RL: {@link metaTrainInit}, then `iterations`
 * {@link metaTrainStep}s. Deterministic under `seed`.
 *
 * @example
 * ```ts
 * const family = goalFamily({ size: 5 });
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 20, maxSteps: 12 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const { params, history } = metaTrainPolicy({
 *   policy, env, tasks: family.train, iterations: 3, metaBatchSize: 2, innerLr: 2, baseline: 'state', estimator: 'dice',
 * });
 * history.length; // 3: one record per iteration
 * ```
 */
export function metaTrain<P>(options: MamlRlOptions<P>): MamlRlResult<P> {
  const iterations = checkInteger('metaTrain', 'iterations', options.iterations, 0);
  resolveStep('metaTrain', options); // so that bad options are reported as metaTrain's
  let state = metaTrainInit(options);
  const history: MetaIterationRecord[] = [];
  for (let iteration = 0; iteration < iterations; iteration++) {
    const step = metaTrainStep(options, state);
    state = step.state;
    const record = { iteration, preReturn: step.preReturn, postReturn: step.postReturn };
    history.push(record);
    options.onIteration?.(record, state.params);
  }
  if (!state.logScale) return { params: state.params, history };
  return { params: state.params, history, innerLrScale: treeMap(state.logScale, (r) => exp(r)) };
}

/**
 * Test-time adaptation: `steps` inner steps on `env`'s current task, each on fresh
 * episodes. Returns the parameters after 0, 1, …, `steps` steps (concrete values).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * env.setTasks(goalFamily({ size: 5 }).test[0]!);
 * const [before, afterOne] = adaptationPath(policy, params, env, 1, new Rng(3), { innerLr: 2 });
 * ```
 */
export function adaptationPath<P>(
  policy: CategoricalPolicy<P>, params: P, env: VecEnv, steps: number, rng: Rng, options: PolicyAdaptOptions,
): P[] {
  checkInteger('adaptationPath', 'steps', steps, 0);
  const path = [params];
  let current = params;
  for (let k = 0; k < steps; k++) {
    const batch = collectEpisodes(env, policy, current, rng.split());
    current = treeMap(adaptPolicy(policy, current, batch, options), (leaf) => stopGradient(leaf));
    path.push(current);
  }
  return path;
}
