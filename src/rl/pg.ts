/**
 * Single-task (or pooled multi-task) policy-gradient training: REINFORCE with a
 * baseline (Williams 1992) and synchronous advantage actor-critic, A2C (Mnih et al.
 * 2016, "Asynchronous Methods for Deep Reinforcement Learning", in its batched form)
 * with generalised advantage estimation. Both are deterministic under `seed`.
 */
import { Rng } from '../random/rng.ts';
import { grad } from '../autodiff/transforms.ts';
import { noGrad } from '../autodiff/primitive.ts';
import { mul, neg, reshape, square, sub, sum } from '../ops/index.ts';
import { tensor } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Task, VecEnv } from './env/index.ts';
import { meanEntropy, type CategoricalPolicy } from './policy.ts';
import { collectEpisodes, episodeLogProbs, episodeReturns, maskTensor, observationTensor, type EpisodeBatch } from './rollout.ts';
import { generalizedAdvantages } from './returns.ts';
import { reinforceSurrogate } from './estimators.ts';
import { checkCrossFit, fitBaseline, type BaselineKind } from './mamlrl.ts';
import { adam, type AdamState, type Optimizer } from '../optim/index.ts';
import { treeMap } from '../autodiff/tree.ts';
import { checkChoice, checkInteger, checkNumber, RlError } from './errors.ts';

/** Options shared by {@link reinforce} and {@link a2c}. */
export interface PolicyGradientOptions<P> {
  readonly policy: CategoricalPolicy<P>;
  /** `numEnvs` episodes are sampled per iteration. */
  readonly env: VecEnv;
  /**
   * One task for every episode, or a list: every iteration then draws one task per
   * copy uniformly from it (multi-task training, as for the pretrained baseline).
   * Default: the environment's current tasks.
   */
  readonly tasks?: Task | readonly Task[];
  readonly iterations: number;
  /** Adam step size. Default 0.1. */
  readonly lr?: number;
  /** Default 1. */
  readonly discount?: number;
  /** Weight of the mean policy entropy added to the objective. Default 0. */
  readonly entropyBonus?: number;
  readonly seed?: number;
  readonly initialParams?: P;
  readonly onIteration?: (record: TrainingRecord, params: P) => void;
}

/** Progress of one iteration: mean undiscounted return of its episodes. */
export interface TrainingRecord { readonly iteration: number; readonly meanReturn: number }

/** Options of {@link reinforce}. */
export interface ReinforceOptions<P> extends PolicyGradientOptions<P> {
  /** Default `'observation'` (linear feature baseline); `'state'` suits tabular policies. */
  readonly baseline?: BaselineKind;
  /** Cross-fit the baseline over this many folds of episodes (see `PolicyAdaptOptions.crossFit`). Default: off. */
  readonly crossFit?: number;
}

function checkCommon<P>(caller: string, options: PolicyGradientOptions<P>) {
  if (options === null || typeof options !== 'object') throw new RlError(`${caller}: options are required`);
  return {
    iterations: checkInteger(caller, 'iterations', options.iterations, 0),
    lr: checkNumber(caller, 'lr', options.lr ?? 0.1, 0),
    discount: checkNumber(caller, 'discount', options.discount ?? 1, 0, 1),
    entropyBonus: checkNumber(caller, 'entropyBonus', options.entropyBonus ?? 0, 0),
  };
}

/** Adam gradient *ascent* with its state kept in a closure (the optimizer minimises, so gradients are negated). */
function ascender<P>(lr: number, params: P): (params: P, gradient: P) => P {
  const optimizer: Optimizer<AdamState> = adam({ lr });
  let state = optimizer.init(params);
  return (current, gradient) => {
    const step = optimizer.update(treeMap(gradient, (g) => neg(g)), state, current);
    state = step.state;
    return step.params;
  };
}

/** Assigns this iteration's tasks: fixed, or one uniform draw per copy from a list. */
function assignTasks(env: VecEnv, tasks: Task | readonly Task[] | undefined, rng: Rng, caller: string): void {
  if (tasks === undefined) return;
  if (!Array.isArray(tasks)) {
    env.setTasks(tasks as Task);
    return;
  }
  const list = tasks as readonly Task[];
  if (list.length === 0) throw new RlError(`${caller}: tasks must not be an empty array`);
  env.setTasks(Array.from({ length: env.numEnvs }, () => list[rng.int(list.length)]!));
}

function meanReturnOf(batch: EpisodeBatch): number {
  const returns = episodeReturns(batch);
  return returns.reduce((a, b) => a + b, 0) / returns.length;
}

/**
 * REINFORCE with a linear feature baseline and Adam. With a task list it maximises
 * the average return over the tasks: that is the "pretrained without meta-learning"
 * baseline of the evaluation.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 32, maxSteps: 12 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const { params, history } = reinforce({ policy, env, iterations: 10, baseline: 'state' });
 * history.length; // 10
 * ```
 */
export function reinforce<P>(options: ReinforceOptions<P>): { params: P; history: TrainingRecord[] } {
  const caller = 'reinforce';
  const { iterations, lr, discount, entropyBonus } = checkCommon(caller, options);
  const kind = checkChoice(caller, 'baseline', options.baseline ?? 'observation', ['none', 'observation', 'state'] as const);
  const crossFit = checkCrossFit(caller, options.crossFit, kind, options.env?.numEnvs);
  const { policy, env } = options;
  const rng = new Rng(options.seed ?? 0);
  let params = options.initialParams ?? policy.init(rng.split());
  const ascend = ascender<P>(lr, params);
  const history: TrainingRecord[] = [];
  for (let iteration = 0; iteration < iterations; iteration++) {
    assignTasks(env, options.tasks, rng, caller);
    const batch = collectEpisodes(env, policy, params, rng.split());
    const baseline = fitBaseline(batch, kind, discount, crossFit);
    const objective = (p: P): Tensor => {
      let total = reinforceSurrogate(episodeLogProbs(policy, p, batch), batch, baseline ? { discount, baseline } : { discount });
      if (entropyBonus > 0) total = total.add(mul(meanEntropy(policy, p, observationTensor(batch)), entropyBonus));
      return total;
    };
    params = ascend(params, grad(objective)(params) as P);
    const record = { iteration, meanReturn: meanReturnOf(batch) };
    history.push(record);
    options.onIteration?.(record, params);
  }
  return { params, history };
}

/** Options of {@link a2c}. */
export interface A2cOptions<P, V> extends PolicyGradientOptions<P> {
  /** The critic: any policy-shaped module with `numActions: 1` (its single logit is V(o)). */
  readonly valueFunction: CategoricalPolicy<V>;
  /** GAE λ. Default 0.95. */
  readonly lambda?: number;
  /** Adam step size of the critic. Default `lr`. */
  readonly valueLr?: number;
  /** Critic regression steps per iteration. Default 5. */
  readonly valueSteps?: number;
}

/**
 * Batched advantage actor-critic: GAE(λ) advantages from a learned critic, a policy
 * step on `Σ log π · A`, then a few critic steps on the squared error to the λ-returns.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 16, maxSteps: 12 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const critic = tabularPolicy({ numStates: 25, numActions: 1 });
 * const { params, history } = a2c({ policy, valueFunction: critic, env, iterations: 3 });
 * history.length; // 3
 * ```
 */
export function a2c<P, V>(options: A2cOptions<P, V>): { params: P; valueParams: V; history: TrainingRecord[] } {
  const caller = 'a2c';
  const { iterations, lr, discount, entropyBonus } = checkCommon(caller, options);
  const lambda = checkNumber(caller, 'lambda', options.lambda ?? 0.95, 0, 1);
  const valueLr = checkNumber(caller, 'valueLr', options.valueLr ?? lr, 0);
  const valueSteps = checkInteger(caller, 'valueSteps', options.valueSteps ?? 5, 0);
  const { policy, env, valueFunction: critic } = options;
  if (critic?.numActions !== 1) {
    throw new RlError(`${caller}: valueFunction must have numActions 1 (one output, V(o)), got ${String(critic?.numActions)}`);
  }
  if (critic.obsSize !== policy.obsSize) {
    throw new RlError(`${caller}: valueFunction reads obsSize ${critic.obsSize} but the policy reads ${policy.obsSize}`);
  }
  const rng = new Rng(options.seed ?? 0);
  let params = options.initialParams ?? policy.init(rng.split());
  let valueParams = critic.init(rng.split());
  const ascendPolicy = ascender<P>(lr, params);
  const ascendValue = ascender<V>(valueLr, valueParams);
  const history: TrainingRecord[] = [];
  for (let iteration = 0; iteration < iterations; iteration++) {
    assignTasks(env, options.tasks, rng, caller);
    const batch = collectEpisodes(env, policy, params, rng.split());
    const N = batch.numEpisodes;
    const T = batch.horizon;
    const values = noGrad(() => critic.logits(valueParams, observationTensor(batch))).data as Float32Array;
    const finalValues = noGrad(() => critic.logits(valueParams, tensor(batch.finalObs, [N, batch.obsSize]))).data as Float32Array;
    const advantages = generalizedAdvantages(batch, Float32Array.from(values), { discount, lambda, finalValues: Float32Array.from(finalValues) });
    const targets = new Float32Array(N * T);
    for (let k = 0; k < N * T; k++) targets[k] = batch.mask[k] ? advantages[k]! + values[k]! : 0;
    const advantageTensor = tensor(advantages, [N, T]);
    const policyObjective = (p: P): Tensor => {
      let total = mul(sum(mul(episodeLogProbs(policy, p, batch), advantageTensor)), 1 / N);
      if (entropyBonus > 0) total = total.add(mul(meanEntropy(policy, p, observationTensor(batch)), entropyBonus));
      return total;
    };
    params = ascendPolicy(params, grad(policyObjective)(params) as P);
    const mask = maskTensor(batch);
    const targetTensor = tensor(targets, [N, T]);
    const steps = batch.mask.reduce((a, b) => a + b, 0);
    const negativeValueLoss = (v: V): Tensor => {
      const predicted = reshape(critic.logits(v, observationTensor(batch)), [N, T]);
      return mul(sum(mul(square(sub(predicted, targetTensor)), mask)), -1 / steps);
    };
    for (let k = 0; k < valueSteps; k++) {
      valueParams = ascendValue(valueParams, grad(negativeValueLoss)(valueParams) as V);
    }
    const record = { iteration, meanReturn: meanReturnOf(batch) };
    history.push(record);
    options.onIteration?.(record, params);
  }
  return { params, valueParams, history };
}
