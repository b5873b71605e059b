/**
 * Meta-test measurements shared by every explore agent:
 *
 * - exploitation return after exploration, as a fraction of the oracle's return on
 *   the same episodes ({@link evaluateAgent});
 * - information content of exploration: how well a fixed probe (softmax regression
 *   on the max and mean of the exploration episode's observations) predicts the
 *   correct goal from the exploration trajectory alone ({@link probeAccuracy}).
 *
 * Every agent is wrapped as a {@link MetaTester}: one exploration episode, then the
 * trial's remaining episodes exploiting what it learnt.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { tensor, zeros } from '../tensor/create.ts';
import { Rng } from '../random/rng.ts';
import { crossEntropy } from '../ops/index.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import { argmax, episodeReturnsOf, inputSizeOf, rolloutTrials, AdamTrainer, type TrialBatch } from './common.ts';
import { applyDense, type DenseLayer } from './seq.ts';
import { SignGrid, oracleReturn, type SignGridConfig, type SignTask } from './env.ts';
import type { SequenceAgent } from './rl2.ts';
import { exploitStepper, type DreamAgent } from './dream.ts';
import { mamlAdaptOptions, policyStepper, sliceTrials, type MamlAgent } from './maml.ts';
import { adaptPolicy, sliceSteps } from '../rl/index.ts';
import { Cell, type GridMap, type Position } from '../rl/env/index.ts';

/** What a meta-test of a batch of tasks produces. */
export interface MetaTestResult {
  /** `[B]` summed reward of the exploitation episodes (episodes 2..E) of each trial. */
  readonly exploitReturns: Float64Array;
  /** The exploration episode of each trial (a one-episode trial batch). */
  readonly exploration: TrialBatch;
}

/** An agent under the common meta-test protocol. */
export interface MetaTester {
  readonly name: string;
  run(tasks: readonly SignTask[], rng: Rng, greedy: boolean): MetaTestResult;
}

/**
 * The first episode of each trial of `batch`, as a one-episode batch: the exploration
 * part of a memory-based agent's trial.
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const trial = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(0));
 * firstEpisode(trial).horizon; // 8: env.config.horizon
 * ```
 */
export function firstEpisode(batch: TrialBatch): TrialBatch {
  const { numEpisodes: B, horizon: L, episodeHorizon: T, inputSize: I } = batch;
  const inputs = new Float32Array(B * (T + 1) * I), entered = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    inputs.set(batch.inputs.subarray(b * (L + 1) * I, (b * (L + 1) + T + 1) * I), b * (T + 1) * I);
    entered.set(batch.entered.subarray(b * L, b * L + T), b * T);
  }
  return { ...batch, ...sliceSteps(batch, 0, T), inputs, entered };
}

/**
 * A memory-based agent (RL², transformer) under the protocol: it plays the whole
 * trial; episode 1 is its exploration, episodes 2..E its exploitation.
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const tester = sequenceTester(agent, params, env);
 * tester.run(tasks, new Rng(1), true).exploitReturns.length; // 4: one per trial
 * ```
 */
export function sequenceTester<P>(agent: SequenceAgent<P>, params: P, env: SignGrid): MetaTester {
  return {
    name: agent.name,
    run(tasks, rng, greedy) {
      const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), rng, greedy);
      return { exploitReturns: episodeReturnsOf(batch, 1, env.config.episodes), exploration: firstEpisode(batch) };
    },
  };
}

/**
 * DREAM under the protocol: its exploration policy plays one episode (always sampled:
 * it is a stochastic information-gathering policy), the decoder turns it into z, then
 * the exploitation policy plays the trial's remaining episodes. `embedding` replaces the
 * decoder (for diagnosis: exploiting with a known z).
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const dream = trainDream({ config: family.config, tasks: family.train, iterations: 2, batchSize: 4 });
 * const decoded = dreamTester(dream, family.config);
 * const known = dreamTester(dream, family.config, (_exploration, tasks) => dream.embedTasks(tasks)); // training tasks only
 * ```
 */
export function dreamTester(
  dream: DreamAgent, config: SignGridConfig,
  embedding: (exploration: TrialBatch, tasks: readonly SignTask[]) => Tensor = (exploration) => dream.decode(dream.params.decoder, exploration),
): MetaTester {
  const exploitEnv = new SignGrid({ ...config, episodes: config.episodes - 1 });
  const O = dream.episodeEnv.obsSize, I = O + dream.episodeEnv.numActions + 2;
  return {
    name: 'DREAM (decoupled)',
    run(tasks, rng, greedy) {
      const B = tasks.length;
      const exploration = rolloutTrials(dream.episodeEnv, tasks, dream.explorerAgent.stepper(dream.params.explorer, B), rng);
      const z = embedding(exploration, tasks);
      const exploit = rolloutTrials(exploitEnv, tasks, exploitStepper(dream.params.exploit, z, dream.exploitView, I), rng, greedy);
      return { exploitReturns: episodeReturnsOf(exploit, 0, exploitEnv.config.episodes), exploration };
    },
  };
}

/**
 * MAML-RL under the protocol: explore one episode with θ, one inner step, exploit with θ'.
 * @example
 * ```ts
 * const family = signGridFamily();
 * const maml = trainMaml({ config: family.config, tasks: family.train, iterations: 2, metaBatchSize: 2 });
 * evaluateAgent(mamlTester(maml, family.config), family.config, family.oodGoal, { trials: 8, greedy: true }).fractionOfOracle;
 * ```
 */
export function mamlTester(maml: MamlAgent, config: SignGridConfig): MetaTester {
  const exploitEnv = new SignGrid({ ...config, episodes: config.episodes - 1 });
  const env = maml.episodeEnv, O = env.obsSize, I = inputSizeOf(env);
  return {
    name: `MAML-RL (${maml.estimator})`,
    run(tasks, rng, greedy) {
      const B = tasks.length;
      const exploration = rolloutTrials(env, tasks, policyStepper(maml.policy, maml.params, O, I, B), rng);
      const exploitReturns = new Float64Array(B);
      tasks.forEach((task, i) => {
        const explored = sliceTrials(exploration, i, 1);
        const adapted = adaptPolicy(maml.policy, maml.params, explored, mamlAdaptOptions(maml));
        const exploit = rolloutTrials(exploitEnv, [task], policyStepper(maml.policy, adapted, O, I, 1), rng, greedy);
        exploitReturns[i] = episodeReturnsOf(exploit, 0, exploitEnv.config.episodes)[0]!;
      });
      return { exploitReturns, exploration };
    },
  };
}

/** Result of {@link evaluateAgent} on one task set. */
export interface Evaluation {
  /** Mean exploitation return / mean oracle return on the same episodes. */
  readonly fractionOfOracle: number;
  readonly meanExploitReturn: number;
  readonly oracleExploitReturn: number;
  /**
   * Fraction of trials whose mean exploitation-episode return is above 0. No episode
   * that misses the correct goal scores above 0, so this counts the trials whose
   * exploitation episodes reached it, on average (not episode by episode).
   */
  readonly successRate: number;
  readonly exploration: TrialBatch;
}

/**
 * Meta-tests `tester` on `trials` trials of `tasks` (cycled in order) and scores the
 * exploitation episodes against the oracle.
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const dream = trainDream({ config: family.config, tasks: family.train, iterations: 2, batchSize: 4 });
 * evaluateAgent(dreamTester(dream, family.config), family.config, family.oodSign, { trials: 8, seed: 1 }).fractionOfOracle;
 * ```
 */
export function evaluateAgent(
  tester: MetaTester, config: SignGridConfig, tasks: readonly SignTask[],
  options: { readonly trials?: number; readonly seed?: number; readonly greedy?: boolean } = {},
): Evaluation {
  const n = options.trials ?? 64;
  const chosen = Array.from({ length: n }, (_, i) => tasks[i % tasks.length]!);
  const result = tester.run(chosen, new Rng(options.seed ?? 0), options.greedy ?? false);
  const exploitEpisodes = config.episodes - 1;
  let agent = 0, oracle = 0;
  chosen.forEach((task, i) => {
    agent += result.exploitReturns[i]!;
    oracle += oracleReturn(config, task).episode * exploitEpisodes;
  });
  // Success: the trial's mean exploitation return exceeds the best return of an episode that misses the goal (0).
  let successes = 0;
  const threshold = 0;
  for (let i = 0; i < n; i++) if (result.exploitReturns[i]! / exploitEpisodes > threshold) successes++;
  return { fractionOfOracle: agent / oracle, meanExploitReturn: agent / n, oracleExploitReturn: oracle / n, successRate: successes / n, exploration: result.exploration };
}

/**
 * The cells visited by each exploration episode of a one-episode batch, from the
 * start to where it ended (entering a goal, or the horizon): the cells acted from
 * (`states`), then the last live tick's move applied with the environment's rule (into
 * a wall or off the map stays put), since the observation after an episode may already
 * show the next episode's start.
 *
 * @example
 * ```ts
 * const family = signGridFamily(), env = new SignGrid(family.config);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const tester = sequenceTester(agent, agent.init(new Rng(0)), env);
 * const { exploration } = evaluateAgent(tester, family.config, family.train, { trials: 8 });
 * explorationPaths(exploration, new SignGrid(family.config).map)[0]; // [[2, 2], …]: from the start to where it ended
 * ```
 */
export function explorationPaths(batch: TrialBatch, map: GridMap): Position[][] {
  const { numEpisodes: B, horizon: T } = batch;
  const { height, width } = map;
  const paths: Position[][] = [];
  for (let b = 0; b < B; b++) {
    const path: Position[] = [];
    let last = -1;
    for (let t = 0; t < T && batch.mask[b * T + t]; t++) {
      const cell = batch.states[b * T + t]!;
      path.push([Math.floor(cell / width), cell % width]);
      last = t;
    }
    if (last >= 0) {
      const [r, c] = path[path.length - 1]!;
      const a = batch.actions[b * T + last]!;
      const nr = r + ([-1, 0, 1, 0] as const)[a]!, nc = c + ([0, 1, 0, -1] as const)[a]!;
      const blocked = nr < 0 || nc < 0 || nr >= height || nc >= width || map.cells[nr * width + nc] === Cell.Wall;
      path.push(blocked ? [r, c] : [nr, nc]);
    }
    paths.push(path);
  }
  return paths;
}

/**
 * Probe features of a one-episode batch: per trial, the max and the mean over ticks
 * 0..T of the observation; with `map`, also per cell the reward received on moving into
 * it (so what an agent learns by entering a goal, +1 or −1, counts as information).
 * Rows of `[B, 2·obsSize (+ H·W)]`, what {@link probeAccuracy} regresses on.
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(1));
 * const exploration = firstEpisode(batch);
 * const features = explorationFeatures(exploration, env.map);
 * features.length === exploration.numEpisodes * (2 * exploration.obsSize + env.map.height * env.map.width); // true
 * ```
 */
export function explorationFeatures(batch: TrialBatch, map?: GridMap): Float32Array {
  const { numEpisodes: B, horizon: T, obsSize: O } = batch;
  const cells = map ? map.height * map.width : 0;
  const F = 2 * O + cells;
  const out = new Float32Array(B * F);
  const paths = map ? explorationPaths(batch, map) : [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < O; j++) {
      let mx = -Infinity, total = 0;
      for (let t = 0; t <= T; t++) {
        const v = t < T ? batch.obs[(b * T + t) * O + j]! : batch.finalObs[b * O + j]!;
        mx = Math.max(mx, v);
        total += v;
      }
      out[b * F + j] = mx;
      out[b * F + O + j] = total / (T + 1);
    }
    // path[t + 1] is where the move of tick t led; its reward was received there.
    paths[b]?.slice(1).forEach(([r, c], t) => { out[b * F + 2 * O + r * map!.width + c]! += batch.rewards[b * T + t]!; });
  }
  return out;
}

/**
 * Information content of exploration: trains a softmax-regression probe to predict
 * the correct goal from {@link explorationFeatures} of `train` trajectories (with the
 * rewards per cell when `map` is given) and returns its accuracy on `test` trajectories
 * (chance is 1/K).
 *
 * @example
 * ```ts
 * const family = signGridFamily(), env = new SignGrid(family.config);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const tester = sequenceTester(agent, agent.init(new Rng(0)), env);
 * const evalA = evaluateAgent(tester, family.config, family.train, { trials: 16 });
 * const evalB = evaluateAgent(tester, family.config, family.oodSign, { trials: 16 });
 * probeAccuracy(evalA.exploration, evalB.exploration, 4, 50); // e.g. 1.0 for an agent that always reads the sign
 * ```
 */
export function probeAccuracy(train: TrialBatch, test: TrialBatch, numGoals: number, steps = 300, map?: GridMap): number {
  const F = 2 * train.obsSize + (map ? map.height * map.width : 0);
  const x = tensor(explorationFeatures(train, map), [train.numEpisodes, F]);
  const y = train.tasks.map((t) => t.correct);
  const trainer = new AdamTrainer<DenseLayer>({ weight: zeros([F, numGoals]), bias: zeros([numGoals]) }, 0.05);
  for (let s = 0; s < steps; s++) {
    const [, g] = valueAndGrad((p: DenseLayer) => crossEntropy(applyDense(p, x), y))(trainer.params);
    trainer.step(g as DenseLayer, 10);
  }
  const xt = tensor(explorationFeatures(test, map), [test.numEpisodes, F]);
  const logits = applyDense(trainer.params, xt).data;
  let correct = 0;
  test.tasks.forEach((task, i) => { if (argmax(logits, i * numGoals, numGoals) === task.correct) correct++; });
  return correct / test.numEpisodes;
}
