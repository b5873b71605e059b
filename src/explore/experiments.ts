/**
 * The exploration study of issue 8 as reusable pieces: train an agent of each kind on
 * the sign grid, meta-test it in distribution and out of distribution against the
 * oracle, measure the information content of its exploration, and summarise seeds
 * with 95% CIs. `scripts/explore.ts` (the full study) and `metagrad explore` (the CLI,
 * short budgets) both use these. The settings are in study-config.ts, the figure in
 * study-plots.ts (both re-exported here).
 *
 * @example
 * ```ts
 * const setup = exploreSetup();
 * const trained = trainExploreAgent('maml', setup, { seed: 0, iterations: 2 }); // the study: 600
 * measureAgent(trained.tester, setup, 0, { trials: 8, probeTrials: 16 }).fraction.oodSign.greedy;
 * ```
 */
import { Rng } from '../random/rng.ts';
import type { Position } from '../rl/env/index.ts';
import { inputSizeOf } from './common.ts';
import type { SignGridConfig, SignTask } from './env.ts';
import { rl2Agent, trainSequenceAgent, type SequenceAgent } from './rl2.ts';
import { trainDream, type DreamAgent, type ExploitViewKind } from './dream.ts';
import { add, mean, take } from '../ops/index.ts';
import { trainMaml } from './maml.ts';
import { dreamTester, evaluateAgent, explorationPaths, mamlTester, probeAccuracy, sequenceTester, type MetaTester } from './measure.ts';
import {
  EXPLORE_SPLITS, EXPLORE_VARIANT_OPTIONS, exploreSetup, sequenceTraining, studyTransformer,
  type ExploreAgentName, type ExploreSetup, type ExploreSplit, type ExploreVariant,
} from './study-config.ts';

// The study's settings and its figure live beside these pieces; they are public from here too
// (the study's units and runners are in study.ts and study-parallel.ts).
export * from './study-config.ts';
export { studyBarChart } from './study-plots.ts';

/** The greedy meta-test score on the training tasks at one point of training. */
export interface TrainingCheckpoint {
  /** Iterations done. */
  readonly iteration: number;
  /** Episodes played in training so far (every rollout of every network). */
  readonly episodes: number;
  /** Fraction of the oracle's exploitation return (training tasks, greedy exploitation). */
  readonly fraction: number;
}

/** A trained agent wrapped for meta-testing, with its training curve. */
export interface TrainedExploreAgent {
  readonly tester: MetaTester;
  /** The trained DREAM agent (DREAM only), for {@link diagnoseDream}. */
  readonly dream?: DreamAgent;
  /** One value per training iteration (see {@link EXPLORE_CURVE_LABELS}). */
  readonly history: readonly number[];
  /** Mean of the last 10 values of `history`. */
  readonly final: number;
  /** Training time, without the checkpoint meta-tests. */
  readonly seconds: number;
  /** Meta-test scores during training (empty without `checkpointEvery`). */
  readonly checkpoints: readonly TrainingCheckpoint[];
  /** Episodes played in training per iteration. */
  readonly episodesPerIteration: number;
}

/**
 * Mean of the last (up to) 10 values (NaN for none): the "final" score of a training curve.
 * @example
 * ```ts
 * tailMean([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]); // 1
 * ```
 */
export function tailMean(xs: readonly number[]): number {
  return xs.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, xs.length);
}

/** Options of {@link trainExploreAgent}. */
export interface TrainExploreOptions {
  readonly seed: number;
  readonly iterations: number;
  readonly onIteration?: (iteration: number, value: number) => void;
  /** Meta-test on the training tasks every this many iterations (and after the last). Default 0: never. */
  readonly checkpointEvery?: number;
  /** Trials per checkpoint meta-test. Default 32. */
  readonly checkpointTrials?: number;
  /** What DREAM's exploitation policy reads of the observation. Default `'full'` (what every agent sees). */
  readonly dreamView?: ExploitViewKind;
}

/**
 * Trains one agent with the study's hyperparameters; with `checkpointEvery`, also
 * meta-tests it on the training tasks during training (greedy, fixed seed) to measure
 * sample efficiency.
 *
 * @example
 * ```ts
 * const trained = trainExploreAgent('rl2', exploreSetup(), { seed: 0, iterations: 4, checkpointEvery: 2, checkpointTrials: 4 }); // the study: 1600, every 50
 * trained.checkpoints.map((c) => c.iteration); // [2, 4]
 * trained.checkpoints.map((c) => [c.episodes, c.fraction]);
 * ```
 */
export function trainExploreAgent(name: ExploreAgentName, setup: ExploreSetup, options: TrainExploreOptions): TrainedExploreAgent {
  const { config, env, family } = setup;
  const { seed, iterations, onIteration } = options;
  const every = options.checkpointEvery ?? 0, checkpointTrials = options.checkpointTrials ?? 32;
  if (!(Number.isInteger(every) && every >= 0)) throw new RangeError(`trainExploreAgent: checkpointEvery must be a non-negative integer, got ${every}`);
  const start = performance.now();
  const checkpoints: TrainingCheckpoint[] = [];
  let checkpointSeconds = 0;
  let perIteration = 0;
  // Called after every iteration; `tester` builds the agent as it is now (only called at checkpoints).
  const after = (it: number, value: number, tester: () => MetaTester): void => {
    onIteration?.(it, value);
    const done = it + 1;
    if (every === 0 || (done % every !== 0 && done !== iterations)) return;
    const t0 = performance.now();
    const fraction = evaluateAgent(tester(), config, family.train, { trials: checkpointTrials, seed: 7000 + seed, greedy: true }).fractionOfOracle;
    checkpoints.push({ iteration: done, episodes: done * perIteration, fraction });
    checkpointSeconds += (performance.now() - t0) / 1000;
  };
  let tester!: MetaTester;
  let history!: number[];
  let trainedDream: DreamAgent | undefined;
  switch (name) {
    case 'dream': {
      const batchSize = 32;
      perIteration = 2 * batchSize; // one exploitation and one exploration episode per task
      // No step cost in the exploration reward and entropy 0.05: the explorer must keep
      // visiting the signs while the decoder is still learning to read them. With the
      // library defaults (step cost 0.01, entropy 0.01) 4 of 5 seeds on the two-sign grid
      // never read the second sign and 3 of 5 on the noisy grid stopped reading at all;
      // with these, pilots gave 0.97–1.00 (two-sign, seeds 1–4) and 0.59 / 0.67 (noisy,
      // seeds 1, 3; they had 0.09 / 0.06), greedy on the training tasks.
      const dream = trainDream({
        config, tasks: family.train, iterations, seed, batchSize, entropyCoef: 0.05, stepCost: 0, exploitView: options.dreamView ?? 'full',
        onIteration: (i, r, snapshot) => after(i, r.exploitReturn, () => dreamTester(snapshot(), config)),
      });
      tester = dreamTester(dream, config);
      history = dream.history.map((h) => h.exploitReturn);
      trainedDream = dream;
      break;
    }
    case 'rl2':
    case 'transformer': {
      const training = sequenceTraining(iterations);
      perIteration = training.batchSize * config.episodes;
      const run = <P>(agent: SequenceAgent<P>): void => {
        const r = trainSequenceAgent(agent, {
          env, tasks: family.train, iterations, seed, ...training,
          onIteration: (i, value, params) => after(i, value, () => sequenceTester(agent, params, env)),
        });
        tester = sequenceTester(agent, r.params, env);
        history = r.history;
      };
      if (name === 'rl2') run(rl2Agent(inputSizeOf(env), env.numActions, 32));
      else run(studyTransformer(env));
      break;
    }
    case 'maml': {
      // Feed-forward policy adapted by one policy-gradient step. Tried on seed 0 at 600
      // iterations: the penalty curriculum (over half or all of training), outer step 3e-3 or
      // 1e-2, inner step 0.5 or 1; every run ends at never entering a goal.
      const metaBatchSize = 16, outerEpisodes = 2;
      perIteration = metaBatchSize * (1 + outerEpisodes);
      const maml = trainMaml({
        config, tasks: family.train, iterations, seed, metaBatchSize, outerEpisodes, outerLr: 1e-2, penaltyWarmup: Math.round(iterations / 2),
        onIteration: (i, value, snapshot) => after(i, value, () => mamlTester(snapshot(), config)),
      });
      tester = mamlTester(maml, config);
      history = maml.history;
      break;
    }
  }
  const seconds = (performance.now() - start) / 1000 - checkpointSeconds;
  return { tester, history, final: tailMean(history), seconds, checkpoints, episodesPerIteration: perIteration, ...(trainedDream && { dream: trainedDream }) };
}

/** Where DREAM's meta-test return is lost on one task set (see {@link diagnoseDream}). */
export interface DreamDiagnosis {
  /** Share of exploration episodes that stepped on every sign. */
  readonly signsRead: number;
  /** Share of trials whose decoded z is nearest to the correct goal's embedding (each goal's row plus the mean sign row). */
  readonly decodedGoal: number;
  /** Fraction of the oracle, exploiting greedily with the decoded z (the meta-test score). */
  readonly exploitDecoded: number;
  /** Fraction of the oracle, exploiting greedily with the correct goal's embedding: what a perfect explorer and decoder would give. */
  readonly exploitTrue: number;
}

/**
 * Splits DREAM's meta-test into its stages on every task set: does the exploration
 * read the signs, does the decoder name the right goal, and how well does the
 * exploitation policy do with the decoded z versus the correct one. A gap between the
 * last two is the explorer's and decoder's; a low `exploitTrue` is the exploitation
 * policy's alone. Seeds 8000+.
 *
 * @example
 * ```ts
 * const setup = exploreSetup();
 * const trained = trainExploreAgent('dream', setup, { seed: 0, iterations: 3 }); // the study trains 1000
 * diagnoseDream(trained.dream!, setup, 0, 8).oodGoal.exploitTrue;
 * ```
 */
export function diagnoseDream(dream: DreamAgent, setup: ExploreSetup, seed: number, trials = 64): Record<ExploreSplit, DreamDiagnosis> {
  const { config, splits } = setup;
  const { goal, sign } = dream.params.embed;
  const rows = add(goal, mean(sign, 0, true)); // [K, d]: goal k with an average sign placement
  const [K, d] = rows.shape as [number, number];
  const out = {} as Record<ExploreSplit, DreamDiagnosis>;
  for (const split of EXPLORE_SPLITS) {
    const options = { trials, seed: 8000 + seed, greedy: true };
    const decoded = evaluateAgent(dreamTester(dream, config), config, splits[split], options);
    const tasks = decoded.exploration.tasks;
    const z = dream.decode(dream.params.decoder, decoded.exploration).data;
    let right = 0;
    tasks.forEach((task, b) => {
      let best = 0, bestDistance = Infinity;
      for (let k = 0; k < K; k++) {
        let distance = 0;
        for (let j = 0; j < d; j++) distance += (z[b * d + j]! - rows.data[k * d + j]!) ** 2;
        if (distance < bestDistance) { bestDistance = distance; best = k; }
      }
      if (best === task.correct) right++;
    });
    const known = evaluateAgent(dreamTester(dream, config, (_e, ts) => take(rows, ts.map((t) => t.correct), 0)), config, splits[split], options);
    out[split] = {
      signsRead: signVisitRate(explorationPaths(decoded.exploration, setup.env.map), tasks, 'all'),
      decodedGoal: right / tasks.length, exploitDecoded: decoded.fractionOfOracle, exploitTrue: known.fractionOfOracle,
    };
  }
  return out;
}

/**
 * Episodes of training until a checkpoint first reached `threshold` of the oracle; null if none did.
 *
 * @example
 * ```ts
 * const checkpoints = [{ iteration: 50, episodes: 9600, fraction: 0.7 }, { iteration: 100, episodes: 19200, fraction: 0.93 }];
 * episodesToReach(checkpoints); // 19200
 * episodesToReach(checkpoints, 0.95); // null
 * ```
 */
export function episodesToReach(checkpoints: readonly TrainingCheckpoint[], threshold = 0.9): number | null {
  return checkpoints.find((c) => c.fraction >= threshold)?.episodes ?? null;
}

/** Fractions of the oracle per split, and the probe accuracy (information content of exploration). */
export interface AgentMeasure {
  /** Exploitation return over the oracle's, actions sampled and greedy. */
  readonly fraction: Record<ExploreSplit, { sampled: number; greedy: number }>;
  /** Accuracy of the probe predicting the correct goal from exploration alone (chance: 1/numGoals). */
  readonly probe: number;
}

/**
 * Meta-tests `tester` on every split (`trials` trials each, sampled and greedy) and
 * trains/tests the probe on two sets of `probeTrials` exploration episodes. The
 * meta-test seeds derive from `seed` (1000+, 2000+, 3000+, 4000+).
 *
 * @example
 * ```ts
 * const setup = exploreSetup();
 * const { tester } = trainExploreAgent('rl2', setup, { seed: 0, iterations: 2 }); // the study: 1600
 * const m = measureAgent(tester, setup, 0, { trials: 8, probeTrials: 16 });
 * m.fraction.oodGoal.greedy; // exploitation return / oracle's, unseen goal placements
 * m.probe;                   // chance is 1 / 4
 * ```
 */
export function measureAgent(
  tester: MetaTester, setup: ExploreSetup, seed: number, options: { readonly trials?: number; readonly probeTrials?: number } = {},
): AgentMeasure {
  const { config, splits } = setup;
  const trials = options.trials ?? 64, probeTrials = options.probeTrials ?? 128;
  const fraction = {} as AgentMeasure['fraction'];
  for (const name of EXPLORE_SPLITS) {
    fraction[name] = {
      sampled: evaluateAgent(tester, config, splits[name], { trials, seed: 1000 + seed }).fractionOfOracle,
      greedy: evaluateAgent(tester, config, splits[name], { trials, seed: 2000 + seed, greedy: true }).fractionOfOracle,
    };
  }
  const a = evaluateAgent(tester, config, splits.train, { trials: probeTrials, seed: 3000 + seed }).exploration;
  const b = evaluateAgent(tester, config, splits.train, { trials: probeTrials, seed: 4000 + seed }).exploration;
  return { fraction, probe: probeAccuracy(a, b, config.numGoals, 300, setup.env.map) };
}

/**
 * Fraction of paths that step on at least one sign of their task (`'any'`), or on every one (`'all'`).
 *
 * @example
 * ```ts
 * const setup = exploreSetup();
 * const trained = trainExploreAgent('maml', setup, { seed: 0, iterations: 2 });
 * const tasks = setup.splits.train.slice(0, 8);
 * const evaluation = evaluateAgent(trained.tester, setup.config, tasks, { trials: tasks.length, seed: 0 });
 * signVisitRate(explorationPaths(evaluation.exploration, setup.env.map), tasks, 'all'); // the share of trials whose exploration read every sign
 * ```
 */
export function signVisitRate(paths: readonly (readonly Position[])[], tasks: readonly SignTask[], mode: 'any' | 'all' = 'any'): number {
  if (paths.length === 0) return NaN;
  let visits = 0;
  paths.forEach((path, i) => {
    const read = tasks[i]!.signs.map(([sr, sc]) => path.some(([r, c]) => sr === r && sc === c));
    if (mode === 'all' ? read.every(Boolean) : read.some(Boolean)) visits++;
  });
  return visits / paths.length;
}

/** One agent's exploration episode on one task, for drawing. */
export interface ExplorationSample {
  readonly split: ExploreSplit;
  readonly task: SignTask;
  readonly path: Position[];
  /** Summed reward of the trial's exploitation episodes. */
  readonly exploitReturn: number;
}

/**
 * A few test tasks to draw: two training tasks (different signs and goals), one with an
 * unseen sign placement and one with unseen goal placements.
 *
 * @example
 * ```ts
 * sampleTasks(exploreSetup()).map((s) => s.split); // ['train', 'train', 'oodSign', 'oodGoal']
 * ```
 */
export function sampleTasks(setup: ExploreSetup): { split: ExploreSplit; task: SignTask }[] {
  const { train, oodSign, oodGoal } = setup.splits;
  const pick = (tasks: readonly SignTask[], i: number): SignTask => tasks[Math.min(i, tasks.length - 1)]!;
  return [
    { split: 'train', task: pick(train, 0) }, { split: 'train', task: pick(train, 4 * 3 + 2) },
    { split: 'oodSign', task: pick(oodSign, 5) }, { split: 'oodGoal', task: pick(oodGoal, 4 * 5 + 3) },
  ];
}

/**
 * Plays one trial of each task in `sampleTasks` (greedy exploitation) and records the
 * exploration paths: the data of the report's trajectory figures.
 * @example
 * ```ts
 * const setup = exploreSetup();
 * const trained = trainExploreAgent('maml', setup, { seed: 0, iterations: 2 });
 * explorationSamples(trained.tester, setup, 0).map((s) => s.split); // ['train', 'train', 'oodSign', 'oodGoal']
 * ```
 */
export function explorationSamples(tester: MetaTester, setup: ExploreSetup, seed: number): ExplorationSample[] {
  const chosen = sampleTasks(setup);
  const result = tester.run(chosen.map((c) => c.task), new Rng(5000 + seed), true);
  const paths = explorationPaths(result.exploration, setup.env.map);
  return chosen.map((c, i) => ({ ...c, path: paths[i]!, exploitReturn: result.exploitReturns[i]! }));
}

/**
 * How often the exploration episodes of `trials` training trials read a sign (`'any'`) or every sign (`'all'`).
 * @example
 * ```ts
 * const setup = exploreSetup(EXPLORE_VARIANT_OPTIONS.bits);
 * const trained = trainExploreAgent('maml', setup, { seed: 0, iterations: 2 });
 * signVisits(trained.tester, setup, 0, 16, 'all'); // the share of 16 trials whose exploration read both signs
 * ```
 */
export function signVisits(tester: MetaTester, setup: ExploreSetup, seed: number, trials = 64, mode: 'any' | 'all' = 'any'): number {
  const tasks = Array.from({ length: trials }, (_, i) => setup.splits.train[i % setup.splits.train.length]!);
  const result = tester.run(tasks, new Rng(6000 + seed), false);
  return signVisitRate(explorationPaths(result.exploration, setup.env.map), tasks, mode);
}
