/**
 * MAML-RL as a baseline on sign grids, built on `src/rl` (the MLP policy, the inner
 * policy-gradient step `adaptPolicy` and the DiCE surrogate). The policy is feed-forward
 * over the observation: its only way to use an exploration episode is the gradient
 * step taken on it. Exploration budget matched to the other agents: one episode.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { Rng } from '../random/rng.ts';
import { mul, neg } from '../ops/index.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import {
  mlpPolicy, adaptPolicy, episodeLogProbs, surrogateObjective, sliceEpisodes,
  type CategoricalPolicy, type MlpParams, type MetaEstimator, type EpisodeBatch,
} from '../rl/index.ts';
import { AdamTrainer, drawTasks, inputSizeOf, penaltyScale, rolloutTrials, scaleWrongGoalRewards, type StepPolicy, type TrialBatch } from './common.ts';
import { SignGrid, type SignGridConfig, type SignTask } from './env.ts';

/**
 * A {@link TrialBatch} as an `src/rl` {@link EpisodeBatch}: the batch itself (a trial
 * batch is one). Kept for callers of the former hand-written conversion.
 *
 * @deprecated Pass the trial batch where an `EpisodeBatch` is expected.
 * @example
 * ```ts
 * const family = signGridFamily(), tasks = family.train.slice(0, 4);
 * const episodeEnv = new SignGrid({ ...family.config, episodes: 1 });
 * const policy = mlpPolicy({ obsSize: episodeEnv.obsSize, numActions: 4, hidden: [32] });
 * const params = policy.init(new Rng(0));
 * const stepper = policyStepper(policy, params, episodeEnv.obsSize, inputSizeOf(episodeEnv), tasks.length);
 * const explored = rolloutTrials(episodeEnv, tasks, stepper, new Rng(1));
 * toEpisodeBatch(explored) === explored; // true
 * const adapted = adaptPolicy(policy, params, explored, { innerLr: 0.5 }); // no conversion needed
 * ```
 */
export function toEpisodeBatch(batch: TrialBatch, _numActions?: number): EpisodeBatch {
  return batch;
}

/**
 * A rollout step function for an `src/rl` categorical policy (log-probabilities as
 * logits), reading the observation part (`obsSize` of each `inputSize` floats) of
 * `count` trials' inputs.
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 8);
 * const policy = mlpPolicy({ obsSize: env.obsSize, numActions: 4, hidden: [32] });
 * const step = policyStepper(policy, policy.init(new Rng(0)), env.obsSize, inputSizeOf(env), tasks.length);
 * rolloutTrials(env, tasks, step, new Rng(1));
 * ```
 */
export function policyStepper<P>(policy: CategoricalPolicy<P>, params: P, obsSize: number, inputSize: number, count: number): StepPolicy {
  const sample = policy.sampler(params);
  return (_t, inputs) => {
    const obs = new Float32Array(count * obsSize);
    for (let b = 0; b < count; b++) obs.set(inputs.subarray(b * inputSize, b * inputSize + obsSize), b * obsSize);
    const probs = new Float64Array(count * policy.numActions);
    sample(obs, count, probs);
    return probs.map((p) => Math.log(p + 1e-12));
  };
}

/** Options of {@link trainMaml}. */
export interface MamlOptions {
  readonly config: SignGridConfig;
  readonly tasks: readonly SignTask[];
  readonly iterations: number;
  /** Tasks per meta-batch. Default 16. */
  readonly metaBatchSize?: number;
  /** Exploitation episodes per task in the outer objective. Default 2. */
  readonly outerEpisodes?: number;
  /** Default 0.5. */
  readonly innerLr?: number;
  /** Default 3e-3. */
  readonly outerLr?: number;
  /** Default 'dice'. */
  readonly estimator?: MetaEstimator;
  readonly hidden?: number;
  /**
   * Wrong-goal penalty curriculum (as for `trainSequenceAgent`): the penalty in both the
   * inner step's and the outer objective's rewards grows linearly from 0 to the
   * environment's over this many iterations. The reported history is the environment's
   * return. Default 0 (off).
   */
  readonly penaltyWarmup?: number;
  readonly seed?: number;
  /** Called after each iteration's update; `snapshot` builds the agent as it is now. */
  readonly onIteration?: (iteration: number, postReturn: number, snapshot: () => MamlAgent) => void;
}

/** A meta-trained MAML-RL policy. */
export interface MamlAgent {
  readonly policy: CategoricalPolicy<MlpParams>;
  readonly params: MlpParams;
  readonly innerLr: number;
  readonly estimator: MetaEstimator;
  readonly episodeEnv: SignGrid;
  readonly history: number[];
}

/**
 * The inner step a MAML-RL agent adapts with, in training and at meta-test: its rate
 * and estimator, discount 0.99, no baseline (one exploration episode per task).
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const agent = trainMaml({ config: family.config, tasks: family.train, iterations: 1, metaBatchSize: 2 });
 * mamlAdaptOptions(agent); // { innerLr: 0.5, estimator: 'dice', discount: 0.99, baseline: 'none' }
 * // meta-test: one exploration episode of a new task, then the inner step the agent trained with
 * const env = agent.episodeEnv;
 * const explored = rolloutTrials(env, [family.oodSign[0]!], policyStepper(agent.policy, agent.params, env.obsSize, inputSizeOf(env), 1), new Rng(0));
 * const adapted = adaptPolicy(agent.policy, agent.params, explored, mamlAdaptOptions(agent));
 * ```
 */
export function mamlAdaptOptions(agent: Pick<MamlAgent, 'innerLr' | 'estimator'>) {
  return { innerLr: agent.innerLr, estimator: agent.estimator, discount: 0.99, baseline: 'none' as const };
}

/**
 * Meta-trains an MLP policy with MAML-RL: per task, one exploration episode, one
 * inner policy-gradient step, then the DiCE surrogate of the adapted policy's
 * exploitation episodes, differentiated through the inner step.
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const maml = trainMaml({ config: family.config, tasks: family.train, iterations: 2, metaBatchSize: 2 });
 * maml.history.length; // 2
 * ```
 */
export function trainMaml(options: MamlOptions): MamlAgent {
  const { config, tasks, iterations } = options;
  const M = options.metaBatchSize ?? 16, K = options.outerEpisodes ?? 2, innerLr = options.innerLr ?? 0.5;
  const estimator = options.estimator ?? 'dice';
  const env = new SignGrid({ ...config, episodes: 1 });
  const O = env.obsSize, I = inputSizeOf(env);
  const policy = mlpPolicy({ obsSize: O, numActions: env.numActions, hidden: [options.hidden ?? 32], outputScale: 0.1 });
  const rng = new Rng(options.seed ?? 0);
  const trainer = new AdamTrainer(policy.init(rng.split()), options.outerLr ?? 3e-3);
  const history: number[] = [];
  const adaptOptions = mamlAdaptOptions({ innerLr, estimator });
  const warmup = options.penaltyWarmup ?? 0;
  for (let it = 0; it < iterations; it++) {
    const batchTasks = drawTasks(tasks, M, rng);
    const params = trainer.params;
    const scale = penaltyScale(it, warmup);
    // The curriculum's rewards.
    const shaped = (tb: TrialBatch): TrialBatch => ({ ...tb, rewards: scaleWrongGoalRewards(tb, env.rewards.wrongGoal, scale) });
    // Exploration episodes of every task at once (the same parameters for all).
    const explore = rolloutTrials(env, batchTasks, policyStepper(policy, params, O, I, M), rng.split());
    const inner = batchTasks.map((_, i) => shaped(sliceTrials(explore, i, 1)));
    // Exploitation episodes from each task's adapted policy (sampled from concrete values).
    let postReturn = 0;
    const post = batchTasks.map((task, i) => {
      const adapted = adaptPolicy(policy, params, inner[i]!, adaptOptions);
      const tb = rolloutTrials(env, Array(K).fill(task), policyStepper(policy, adapted, O, I, K), rng.split());
      for (let k = 0; k < tb.rewards.length; k++) postReturn += tb.rewards[k]! / (M * K);
      return shaped(tb);
    });
    const [, g] = valueAndGrad((p: MlpParams): Tensor => {
      let total: Tensor | null = null;
      batchTasks.forEach((_, i) => {
        const adapted = adaptPolicy(policy, p, inner[i]!, adaptOptions);
        const obj = surrogateObjective('dice', episodeLogProbs(policy, adapted, post[i]!), post[i]!, { discount: 0.99 });
        total = total === null ? obj : total.add(obj);
      });
      return neg(mul(total!, 1 / M));
    })(params);
    trainer.step(g as MlpParams);
    history.push(postReturn);
    options.onIteration?.(it, postReturn, () => ({ policy, params: trainer.params, innerLr, estimator, episodeEnv: env, history: history.slice() }));
  }
  return { policy, params: trainer.params, innerLr, estimator, episodeEnv: env, history };
}

/**
 * Trials `from .. from+count−1` of a batch (copies of their rows): `src/rl`'s
 * `sliceEpisodes`, plus the trial's own per-row arrays.
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const batch = rolloutTrials(env, tasks, () => new Float32Array(tasks.length * 4), new Rng(0));
 * const firstHalf = sliceTrials(batch, 0, batch.numEpisodes / 2);
 * firstHalf.tasks.length; // 2
 * ```
 */
export function sliceTrials(batch: TrialBatch, from: number, count: number): TrialBatch {
  const { horizon: L, inputSize: I } = batch;
  return {
    ...batch, ...sliceEpisodes(batch, from, count),
    inputs: batch.inputs.slice(from * (L + 1) * I, (from + count) * (L + 1) * I), entered: batch.entered.slice(from * L, (from + count) * L),
    tasks: batch.tasks.slice(from, from + count),
  };
}
