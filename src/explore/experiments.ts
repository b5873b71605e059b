/**
 * The exploration study of issue 8 as reusable pieces: train an agent of each kind on
 * the sign grid, meta-test it in distribution and out of distribution against the
 * oracle, measure the information content of its exploration, and summarise seeds
 * with 95% CIs. `scripts/explore.ts` (the full study) and `metagrad explore` (the CLI,
 * short budgets) both use these.
 *
 * @example
 * ```ts
 * const setup = exploreSetup();
 * const trained = trainExploreAgent('maml', setup, { seed: 0, iterations: 20 });
 * measureAgent(trained.tester, setup, 0).fraction.oodSign.greedy;
 * ```
 */
import { confidenceInterval, type Interval } from '../rl/evaluate.ts';
import { Rng } from '../random/rng.ts';
import { Cell, type GridMap, type Position } from '../rl/env/index.ts';
import type { TrialBatch } from './common.ts';
import { inputSizeOf } from './common.ts';
import { SignGrid, signGridFamily, type SignFamily, type SignFamilyOptions, type SignGridConfig, type SignTask } from './env.ts';
import { rl2Agent, trainSequenceAgent, transformerAgent } from './rl2.ts';
import { trainDream } from './dream.ts';
import { trainMaml } from './maml.ts';
import { dreamTester, evaluateAgent, mamlTester, probeAccuracy, sequenceTester, type MetaTester } from './measure.ts';
import { initSensitivity, summarize } from './sensitivity.ts';
import type { InitScheme } from './seq.ts';

/** The agents of the comparison. */
export const EXPLORE_AGENTS = ['dream', 'rl2', 'maml', 'transformer'] as const;
export type ExploreAgentName = (typeof EXPLORE_AGENTS)[number];

/** Display names of the agents. */
export const EXPLORE_AGENT_LABELS: Readonly<Record<ExploreAgentName, string>> = {
  dream: 'DREAM (decoupled)', rl2: 'RL² (GRU)', maml: 'MAML-RL (DiCE)', transformer: 'transformer (RL², depth-scaled init)',
};

/** What each agent's training curve measures. */
export const EXPLORE_CURVE_LABELS: Readonly<Record<ExploreAgentName, string>> = {
  dream: 'exploitation return per episode', rl2: 'trial return (all episodes)', maml: 'return per episode after the inner step', transformer: 'trial return (all episodes)',
};

/** The full study's training iterations per agent (`scripts/explore.ts`, scale 1). */
export const STUDY_ITERATIONS: Readonly<Record<ExploreAgentName, number>> = { dream: 1000, rl2: 1600, maml: 150, transformer: 200 };

/** Task sets the agents are meta-tested on. */
export const EXPLORE_SPLITS = ['train', 'oodSign', 'oodGoal'] as const;
export type ExploreSplit = (typeof EXPLORE_SPLITS)[number];

/** The sign-grid family and its environment. */
export interface ExploreSetup {
  readonly family: SignFamily;
  readonly config: SignGridConfig;
  readonly env: SignGrid;
  readonly splits: Readonly<Record<ExploreSplit, readonly SignTask[]>>;
}

/** The standard sign grid (or a variant) ready for the study. */
export function exploreSetup(options: SignFamilyOptions = {}): ExploreSetup {
  const family = signGridFamily(options);
  return { family, config: family.config, env: new SignGrid(family.config), splits: { train: family.train, oodSign: family.oodSign, oodGoal: family.oodGoal } };
}

/** A trained agent wrapped for meta-testing, with its training curve. */
export interface TrainedExploreAgent {
  readonly tester: MetaTester;
  /** One value per training iteration (see {@link EXPLORE_CURVE_LABELS}). */
  readonly history: readonly number[];
  /** Mean of the last 10 values of `history`. */
  readonly final: number;
  readonly seconds: number;
}

/** Mean of the last (up to) 10 values. */
export function tailMean(xs: readonly number[]): number {
  return xs.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, xs.length);
}

/**
 * Trains one agent with the study's hyperparameters. The transformer uses the
 * depth-scaled initialisation (the same run as the sensitivity harness's `depthScaled`).
 */
export function trainExploreAgent(
  name: ExploreAgentName, setup: ExploreSetup,
  options: { readonly seed: number; readonly iterations: number; readonly onIteration?: (iteration: number, value: number) => void },
): TrainedExploreAgent {
  const { config, env, family } = setup;
  const { seed, iterations, onIteration } = options;
  const start = performance.now();
  let tester: MetaTester;
  let history: number[];
  switch (name) {
    case 'dream': {
      const dream = trainDream({ config, tasks: family.train, iterations, seed, ...(onIteration && { onIteration: (i, r) => onIteration(i, r.exploitReturn) }) });
      tester = dreamTester(dream, config);
      history = dream.history.map((h) => h.exploitReturn);
      break;
    }
    case 'rl2': {
      const agent = rl2Agent(inputSizeOf(env), env.numActions, 32);
      // Penalty curriculum over the first half: without it RL² settles on never entering a goal
      // (−0.083 of the oracle on 3/3 seeds at 800 and 1600 iterations); with it, 0.83/0.97/0.12
      // (greedy, train) at 800 iterations and 1.0 on 3/3 seeds at 1600.
      const r = trainSequenceAgent(agent, {
        env, tasks: family.train, iterations, batchSize: 16, seed, lr: 3e-3, entropyCoef: 0.02, penaltyWarmup: Math.round(iterations / 2), ...(onIteration && { onIteration }),
      });
      tester = sequenceTester(agent, r.params, env);
      history = r.history;
      break;
    }
    case 'maml': {
      const maml = trainMaml({ config, tasks: family.train, iterations, seed, ...(onIteration && { onIteration }) });
      tester = mamlTester(maml, config);
      history = maml.history;
      break;
    }
    case 'transformer': {
      const agent = transformerAgent({ inputSize: inputSizeOf(env), numActions: env.numActions, length: env.trialLength, init: 'depthScaled', numBlocks: 2, width: 32 });
      const r = trainSequenceAgent(agent, { env, tasks: family.train, iterations, batchSize: 16, seed, ...(onIteration && { onIteration }) });
      tester = sequenceTester(agent, r.params, env);
      history = r.history;
      break;
    }
  }
  return { tester, history, final: tailMean(history), seconds: (performance.now() - start) / 1000 };
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
  return { fraction, probe: probeAccuracy(a, b, config.numGoals) };
}

/**
 * The cells visited by each exploration episode of a one-episode batch, from the
 * start to where it ended (entering a goal, or the horizon): positions are read from
 * the row and column one-hots of the recorded observations, and the last live tick's
 * move is applied with the environment's rule (into a wall or off the map stays put),
 * since the row after an episode may already show the next episode's start.
 */
export function explorationPaths(batch: TrialBatch, map: GridMap): Position[][] {
  const { numTrials: B, length: T, inputSize: I } = batch;
  const { height, width } = map;
  const paths: Position[][] = [];
  for (let b = 0; b < B; b++) {
    const path: Position[] = [];
    let last = -1;
    for (let t = 0; t < T && batch.alive[b * T + t]; t++) {
      const o = (b * (T + 1) + t) * I;
      let r = -1, c = -1;
      for (let j = 0; j < height; j++) if (batch.inputs[o + j] === 1) r = j;
      for (let j = 0; j < width; j++) if (batch.inputs[o + height + j] === 1) c = j;
      if (r < 0 || c < 0) break;
      path.push([r, c]);
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

/** Fraction of paths that step on at least one sign of their task. */
export function signVisitRate(paths: readonly (readonly Position[])[], tasks: readonly SignTask[]): number {
  if (paths.length === 0) return NaN;
  let visits = 0;
  paths.forEach((path, i) => {
    const signs = tasks[i]!.signs;
    if (path.some(([r, c]) => signs.some(([sr, sc]) => sr === r && sc === c))) visits++;
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
 */
export function sampleTasks(setup: ExploreSetup): { split: ExploreSplit; task: SignTask }[] {
  const { train, oodSign, oodGoal } = setup.splits;
  const pick = (tasks: readonly SignTask[], i: number): SignTask => tasks[Math.min(i, tasks.length - 1)]!;
  return [
    { split: 'train', task: pick(train, 0) }, { split: 'train', task: pick(train, 4 * 3 + 2) },
    { split: 'oodSign', task: pick(oodSign, 5) }, { split: 'oodGoal', task: pick(oodGoal, 4 * 5 + 3) },
  ];
}

/** Plays one trial of each task in `sampleTasks` (greedy exploitation) and records the exploration paths. */
export function explorationSamples(tester: MetaTester, setup: ExploreSetup, seed: number): ExplorationSample[] {
  const chosen = sampleTasks(setup);
  const result = tester.run(chosen.map((c) => c.task), new Rng(5000 + seed), true);
  const paths = explorationPaths(result.exploration, setup.env.map);
  return chosen.map((c, i) => ({ ...c, path: paths[i]!, exploitReturn: result.exploitReturns[i]! }));
}

/** The exploration paths of `trials` training trials, and how often they read a sign. */
export function signVisits(tester: MetaTester, setup: ExploreSetup, seed: number, trials = 64): number {
  const tasks = Array.from({ length: trials }, (_, i) => setup.splits.train[i % setup.splits.train.length]!);
  const result = tester.run(tasks, new Rng(6000 + seed), false);
  return signVisitRate(explorationPaths(result.exploration, setup.env.map), tasks);
}

// --- the full study (scripts/explore.ts) -------------------------------------------

/** Options of {@link runExploreStudy}. */
export interface ExploreStudyOptions {
  readonly seeds: number;
  /** Multiplies every iteration count. */
  readonly scale: number;
  /** Parts to run: agents plus `'sensitivity'`. */
  readonly only: readonly string[];
  readonly mamlIterations: number;
  readonly dreamIterations: number;
  readonly log: (line: string) => void;
}

/** One seed of one agent in the study. */
export interface StudySeedResult extends AgentMeasure {
  readonly seed: number;
  readonly trainSeconds: number;
  readonly finalTraining: number;
}

/** Per agent: CIs over seeds of each fraction, the probe and the training time. */
export type StudySummary = Record<string, {
  seeds: number;
  train: { sampled: Interval; greedy: Interval };
  oodSign: { sampled: Interval; greedy: Interval };
  oodGoal: { sampled: Interval; greedy: Interval };
  probe: Interval;
  trainSeconds: Interval;
}>;

/** What the study writes to JSON. */
export interface ExploreStudy {
  readonly config: SignGridConfig;
  readonly scale: number;
  readonly summary: StudySummary;
  readonly results: Record<string, StudySeedResult[]>;
  readonly sensitivity: ReturnType<typeof summarize> | null;
  readonly sensitivityNoPenalty: ReturnType<typeof summarize> | null;
}

const formatFractions = (r: AgentMeasure): string => EXPLORE_SPLITS.map((s) => `${s} ${r.fraction[s].sampled.toFixed(3)}/${r.fraction[s].greedy.toFixed(3)}`).join(' ');

/** CIs over seeds of every number of each agent. */
export function summarizeStudy(results: Record<string, readonly StudySeedResult[]>): StudySummary {
  const summary: StudySummary = {};
  for (const [name, rs] of Object.entries(results)) {
    const ci = (f: (r: StudySeedResult) => number): Interval => confidenceInterval(rs.map(f));
    summary[name] = {
      seeds: rs.length,
      train: { sampled: ci((r) => r.fraction.train.sampled), greedy: ci((r) => r.fraction.train.greedy) },
      oodSign: { sampled: ci((r) => r.fraction.oodSign.sampled), greedy: ci((r) => r.fraction.oodSign.greedy) },
      oodGoal: { sampled: ci((r) => r.fraction.oodGoal.sampled), greedy: ci((r) => r.fraction.oodGoal.greedy) },
      probe: ci((r) => r.probe),
      trainSeconds: ci((r) => r.trainSeconds),
    };
  }
  return summary;
}

/**
 * The full exploration study: DREAM, RL² and MAML-RL over `seeds` seeds; the
 * transformer through the init-sensitivity harness (its depth-scaled runs are the
 * transformer's row); `sensitivity` reruns the harness on the variant without the
 * wrong-goal penalty. Logs one line per run.
 */
export function runExploreStudy(options: ExploreStudyOptions): ExploreStudy {
  const { seeds, scale, only, log } = options;
  const its = (n: number): number => Math.max(1, Math.round(n * scale));
  const setup = exploreSetup();
  const { env, family, config } = setup;
  const results: Record<string, StudySeedResult[]> = {};

  const record = (name: string, seed: number, trained: { tester: MetaTester; final: number; seconds: number }): void => {
    const r: StudySeedResult = { seed, trainSeconds: trained.seconds, finalTraining: trained.final, ...measureAgent(trained.tester, setup, seed) };
    (results[name] ??= []).push(r);
    log(`${name} seed ${seed}: ${r.trainSeconds.toFixed(0)} s; fraction of oracle (sampled/greedy) ${formatFractions(r)}; probe ${r.probe.toFixed(3)}`);
  };
  for (let seed = 0; seed < seeds; seed++) {
    if (only.includes('dream')) record('dream', seed, trainExploreAgent('dream', setup, { seed, iterations: its(options.dreamIterations) }));
    if (only.includes('rl2')) record('rl2', seed, trainExploreAgent('rl2', setup, { seed, iterations: its(STUDY_ITERATIONS.rl2) }));
    if (only.includes('maml')) record('maml', seed, trainExploreAgent('maml', setup, { seed, iterations: its(options.mamlIterations) }));
  }

  // Transformer: the initialisation-sensitivity harness doubles as its evaluation.
  let sensitivity: ReturnType<typeof summarize> | null = null;
  if (only.includes('transformer')) {
    const schemes: InitScheme[] = ['glorot', 'normal', 'depthScaled'];
    const runs = initSensitivity({
      env, tasks: family.train, schemes, seeds, iterations: its(STUDY_ITERATIONS.transformer), numBlocks: 2, batchSize: 16,
      onRun: (r) => log(`transformer ${r.scheme} seed ${r.seed}: final training trial return ${r.finalReturn.toFixed(3)}`),
      evaluate: (agent, params, seed) => {
        const m = measureAgent(sequenceTester(agent, params, env), setup, seed);
        return { fraction: m.fraction.train.sampled, extra: m };
      },
    });
    sensitivity = summarize(runs);
    for (const r of runs) {
      if (r.scheme === 'depthScaled') (results['transformer'] ??= []).push({ seed: r.seed, trainSeconds: r.seconds, finalTraining: r.finalReturn, ...(r.extra as AgentMeasure) });
    }
  }

  let sensitivityNoPenalty: ReturnType<typeof summarize> | null = null;
  if (only.includes('sensitivity')) {
    const easy = signGridFamily({ rewards: { wrongGoal: 0 } });
    const easyEnv = new SignGrid(easy.config);
    const runs = initSensitivity({
      env: easyEnv, tasks: easy.train, schemes: ['glorot', 'normal', 'depthScaled'], seeds: Math.min(seeds, 3), iterations: its(STUDY_ITERATIONS.transformer), numBlocks: 2, batchSize: 16,
      onRun: (r) => log(`transformer (no wrong-goal penalty) ${r.scheme} seed ${r.seed}: final training trial return ${r.finalReturn.toFixed(3)}, fraction ${r.fraction.toFixed(3)}`),
      evaluate: (agent, params, seed) => ({
        fraction: evaluateAgent(sequenceTester(agent, params, easyEnv), easy.config, easy.train, { trials: 64, seed: 1000 + seed }).fractionOfOracle,
      }),
    });
    sensitivityNoPenalty = summarize(runs);
    log(JSON.stringify(sensitivityNoPenalty, null, 1));
  }
  return { config, scale, summary: summarizeStudy(results), results, sensitivity, sensitivityNoPenalty };
}

/** Grouped bars (fraction of oracle, greedy exploitation) per agent and split, with 95% CI whiskers. */
export function studyBarChart(summary: StudySummary): string {
  const names = Object.keys(summary);
  const colours = ['#4477aa', '#ee6677', '#228833'];
  const W = 120 + names.length * 150, H = 320, y0 = 260, scaleY = 200;
  const y = (v: number): number => y0 - Math.max(-0.2, Math.min(1.1, v)) * scaleY;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`];
  parts.push('<text x="10" y="20">Exploitation return after one exploration episode, fraction of oracle (greedy; 95% CI over seeds)</text>');
  for (const v of [0, 0.5, 0.9, 1]) parts.push(`<line x1="60" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ccc"/><text x="30" y="${y(v) + 4}">${v}</text>`);
  names.forEach((name, i) => {
    const s = summary[name]!;
    EXPLORE_SPLITS.forEach((split, j) => {
      const { mean, low, high } = s[split].greedy;
      const x = 80 + i * 150 + j * 40;
      parts.push(`<rect x="${x}" y="${Math.min(y(mean), y(0))}" width="30" height="${Math.abs(y(0) - y(mean))}" fill="${colours[j]}"/>`);
      parts.push(`<line x1="${x + 15}" x2="${x + 15}" y1="${y(low)}" y2="${y(high)}" stroke="#000"/>`);
    });
    parts.push(`<text x="${80 + i * 150}" y="${y0 + 30}">${name}</text>`);
  });
  EXPLORE_SPLITS.forEach((split, j) => parts.push(`<rect x="${W - 110}" y="${40 + j * 16}" width="10" height="10" fill="${colours[j]}"/><text x="${W - 95}" y="${49 + j * 16}">${split}</text>`));
  parts.push('</svg>');
  return parts.join('\n');
}
