/**
 * The full exploration study (scripts/explore.ts) as independent units: one unit trains,
 * meta-tests and measures one agent with one seed on one variant, or runs one
 * (scheme, seed) of the transformer initialisation harness. Units share nothing, so
 * {@link runExploreStudy} (in this thread) and `runExploreStudyParallel` (on the worker
 * pool) run the same units and assemble the same study from them.
 *
 * @example
 * ```ts
 * const options = { seeds: 1, scale: 1, variants: ['standard'], only: ['maml'], iterations: { maml: 2 }, log: () => {} } as const;
 * const units = exploreStudyUnits(options);
 * const study = assembleExploreStudy(options, units.map((u) => runExploreStudyUnit(u).result));
 * study.variants.standard!.summary['maml']!.seeds; // 1
 * ```
 */
import { confidenceInterval, type Interval } from '../stats/interval.ts';
import type { SignGridConfig } from './env.ts';
import type { ExploitViewKind } from './dream.ts';
import { evaluateAgent, sequenceTester } from './measure.ts';
import { sensitivityRun, summarize, type SensitivityRun } from './sensitivity.ts';
import { INIT_SCHEMES, type InitScheme } from './seq.ts';
import {
  EXPLORE_AGENTS, EXPLORE_SPLITS, EXPLORE_VARIANT_OPTIONS, STUDY_ITERATIONS, exploreSetup, sequenceTraining,
  type ExploreAgentName, type ExploreVariant,
} from './study-config.ts';
import {
  diagnoseDream, episodesToReach, measureAgent, signVisits, trainExploreAgent,
  type AgentMeasure, type DreamDiagnosis, type TrainingCheckpoint,
} from './experiments.ts';
import type { ExploreSplit } from './study-config.ts';

/** Options of {@link runExploreStudy}. */
export interface ExploreStudyOptions {
  readonly seeds: number;
  /** Seeds run: firstSeed .. firstSeed + seeds − 1. Default 0. */
  readonly firstSeed?: number;
  /** Multiplies every iteration count. */
  readonly scale: number;
  /** Sign-grid variants to run the agents on. */
  readonly variants: readonly ExploreVariant[];
  /** Parts to run: agents, plus `'sensitivity'` (the transformer init harness, standard grid). */
  readonly only: readonly string[];
  /** Training iterations per agent at scale 1. Default {@link STUDY_ITERATIONS}. */
  readonly iterations?: Readonly<Partial<Record<ExploreAgentName, number>>>;
  /** Meta-test on the training tasks every this many iterations (sample efficiency). Default 0: never. */
  readonly checkpointEvery?: number;
  /** DREAM's exploitation view. Default `'full'`. */
  readonly dreamView?: ExploitViewKind;
  readonly log: (line: string) => void;
}

/** One seed of one agent in the study. */
export interface StudySeedResult extends AgentMeasure {
  readonly seed: number;
  readonly trainSeconds: number;
  readonly finalTraining: number;
  /** Share of exploration episodes (training tasks) that stepped on a sign / on every sign. */
  readonly signVisits: { readonly any: number; readonly all: number };
  readonly checkpoints: readonly TrainingCheckpoint[];
  /** Training episodes until the greedy training-task fraction first reached 0.9 (null: never). */
  readonly episodesTo90: number | null;
  /** DREAM only: where its meta-test return is lost, per split. */
  readonly diagnosis?: Record<ExploreSplit, DreamDiagnosis>;
}

/** Per agent: CIs over seeds of each fraction, the probe, sample efficiency and the training time. */
export type StudySummary = Record<string, {
  seeds: number;
  train: { sampled: Interval; greedy: Interval };
  oodSign: { sampled: Interval; greedy: Interval };
  oodGoal: { sampled: Interval; greedy: Interval };
  probe: Interval;
  signVisitsAll: Interval;
  /** Seeds whose checkpoints reached 0.9 of the oracle, and the episodes it took them (null if none). */
  reached90: number;
  episodesTo90: Interval | null;
  trainSeconds: Interval;
}>;

/** One variant's part of the study. */
export interface VariantStudy {
  readonly config: SignGridConfig;
  readonly summary: StudySummary;
  readonly results: Record<string, StudySeedResult[]>;
}

/** What the study writes to JSON. */
export interface ExploreStudy {
  readonly scale: number;
  readonly dreamView: ExploitViewKind;
  readonly iterations: Readonly<Record<ExploreAgentName, number>>;
  readonly variants: Partial<Record<ExploreVariant, VariantStudy>>;
  readonly sensitivity: ReturnType<typeof summarize> | null;
}

/** One unit of the study: plain data, so it can be sent to a worker. */
export type ExploreStudyUnit =
  | {
    readonly kind: 'agent'; readonly variant: ExploreVariant; readonly agent: ExploreAgentName; readonly seed: number;
    readonly iterations: number; readonly checkpointEvery: number; readonly dreamView?: ExploitViewKind;
  }
  | { readonly kind: 'sensitivity'; readonly scheme: InitScheme; readonly seed: number; readonly iterations: number };

/** What a unit gives back: an agent's seed result or a harness run, and its log line. */
export interface ExploreUnitOutcome {
  readonly result: StudySeedResult | SensitivityRun;
  readonly log: string;
}

/** The iteration counts the study trains each agent for (`iterations` × `scale`, at least 1). */
function studyIterations(options: ExploreStudyOptions): Record<ExploreAgentName, number> {
  const iterations = { ...STUDY_ITERATIONS, ...options.iterations };
  return Object.fromEntries(EXPLORE_AGENTS.map((a) => [a, Math.max(1, Math.round(iterations[a] * options.scale))])) as Record<ExploreAgentName, number>;
}

/**
 * The study's units in the order the serial study runs them: per variant, seed by seed,
 * every agent of `only`; then, with `'sensitivity'`, every init scheme over
 * min(seeds, 3) seeds.
 *
 * @example
 * ```ts
 * exploreStudyUnits({ seeds: 2, scale: 0.1, variants: ['bits'], only: ['dream', 'rl2'], log: () => {} }).length; // 4
 * ```
 */
export function exploreStudyUnits(options: ExploreStudyOptions): ExploreStudyUnit[] {
  const first = options.firstSeed ?? 0;
  const its = studyIterations(options);
  const agents = EXPLORE_AGENTS.filter((a) => options.only.includes(a));
  const units: ExploreStudyUnit[] = [];
  for (const variant of options.variants) {
    for (let seed = first; seed < first + options.seeds; seed++) {
      for (const agent of agents) {
        units.push({
          kind: 'agent', variant, agent, seed, iterations: its[agent], checkpointEvery: options.checkpointEvery ?? 0,
          ...(options.dreamView && { dreamView: options.dreamView }),
        });
      }
    }
  }
  if (options.only.includes('sensitivity')) {
    for (const scheme of INIT_SCHEMES) {
      for (let seed = 0; seed < Math.min(options.seeds, 3); seed++) units.push({ kind: 'sensitivity', scheme, seed, iterations: its.transformer });
    }
  }
  return units;
}

const formatFractions = (r: AgentMeasure): string => EXPLORE_SPLITS.map((s) => `${s} ${r.fraction[s].sampled.toFixed(3)}/${r.fraction[s].greedy.toFixed(3)}`).join(' ');

/**
 * Runs one unit: trains, meta-tests and measures an agent (with DREAM's diagnosis), or
 * trains one transformer of the init harness on the standard grid and scores it greedily
 * on the training tasks. Depends on nothing but the unit.
 *
 * @example
 * ```ts
 * const { result, log } = runExploreStudyUnit({ kind: 'agent', variant: 'standard', agent: 'maml', seed: 0, iterations: 2, checkpointEvery: 0 });
 * ```
 */
export function runExploreStudyUnit(unit: ExploreStudyUnit): ExploreUnitOutcome {
  if (unit.kind === 'sensitivity') {
    const setup = exploreSetup();
    const { batchSize, ...training } = sequenceTraining(unit.iterations);
    const run = sensitivityRun({
      env: setup.env, tasks: setup.family.train, iterations: unit.iterations, numBlocks: 2, batchSize, training,
      evaluate: (agent, params, seed) => ({
        fraction: evaluateAgent(sequenceTester(agent, params, setup.env), setup.config, setup.splits.train, { trials: 64, seed: 2000 + seed, greedy: true }).fractionOfOracle,
      }),
    }, unit.scheme, unit.seed);
    return { result: run, log: `transformer ${run.scheme} seed ${run.seed}: final training trial return ${run.finalReturn.toFixed(3)}, fraction of oracle (greedy, training tasks) ${run.fraction.toFixed(3)}` };
  }
  const { variant, agent, seed } = unit;
  const setup = exploreSetup(EXPLORE_VARIANT_OPTIONS[variant]);
  const trained = trainExploreAgent(agent, setup, {
    seed, iterations: unit.iterations, checkpointEvery: unit.checkpointEvery, ...(unit.dreamView && { dreamView: unit.dreamView }),
  });
  const r: StudySeedResult = {
    seed, trainSeconds: trained.seconds, finalTraining: trained.final, ...measureAgent(trained.tester, setup, seed),
    signVisits: { any: signVisits(trained.tester, setup, seed), all: signVisits(trained.tester, setup, seed, 64, 'all') },
    checkpoints: trained.checkpoints, episodesTo90: episodesToReach(trained.checkpoints),
    ...(trained.dream && { diagnosis: diagnoseDream(trained.dream, setup, seed) }),
  };
  const diagnosis = r.diagnosis ? `; diagnosis ${EXPLORE_SPLITS.map((s) => `${s} ${Object.values(r.diagnosis![s]).map((v) => v.toFixed(2)).join('/')}`).join(' ')}` : '';
  return {
    result: r,
    log: `${variant} ${agent} seed ${seed}: ${r.trainSeconds.toFixed(0)} s; fraction of oracle (sampled/greedy) ${formatFractions(r)}; probe ${r.probe.toFixed(3)}; every sign read ${r.signVisits.all.toFixed(2)}; episodes to 0.9 ${r.episodesTo90 ?? 'never'}${diagnosis}`,
  };
}

/**
 * CIs over seeds of every number of each agent.
 * @example
 * ```ts
 * const study = runExploreStudy({ ...{ seeds: 1, scale: 1, variants: ['standard'], only: ['maml'], iterations: { maml: 2 }, log: () => {} }, seeds: 2 }); // tiny
 * const summary = summarizeStudy(study.variants.standard!.results);
 * summary['maml']!.seeds; // 2
 * summary['maml']!.oodSign.greedy; // { mean, low, high, n, perSeed }
 * ```
 */
export function summarizeStudy(results: Record<string, readonly StudySeedResult[]>): StudySummary {
  const summary: StudySummary = {};
  for (const [name, rs] of Object.entries(results)) {
    const ci = (f: (r: StudySeedResult) => number): Interval => confidenceInterval(rs.map(f));
    const reached = rs.filter((r) => r.episodesTo90 !== null).map((r) => r.episodesTo90!);
    summary[name] = {
      seeds: rs.length,
      train: { sampled: ci((r) => r.fraction.train.sampled), greedy: ci((r) => r.fraction.train.greedy) },
      oodSign: { sampled: ci((r) => r.fraction.oodSign.sampled), greedy: ci((r) => r.fraction.oodSign.greedy) },
      oodGoal: { sampled: ci((r) => r.fraction.oodGoal.sampled), greedy: ci((r) => r.fraction.oodGoal.greedy) },
      probe: ci((r) => r.probe),
      signVisitsAll: ci((r) => r.signVisits.all),
      reached90: reached.length,
      episodesTo90: reached.length > 0 ? confidenceInterval(reached) : null,
      trainSeconds: ci((r) => r.trainSeconds),
    };
  }
  return summary;
}

/**
 * The study from its units' results, given in the order of {@link exploreStudyUnits}:
 * per variant, each agent's seeds in seed order, with summaries over seeds; the
 * harness's runs summarised per scheme.
 *
 * @example
 * ```ts
 * const options = { seeds: 1, scale: 1, variants: ['standard'], only: ['maml'], iterations: { maml: 2 }, log: () => {} } as const;
 * const study = assembleExploreStudy(options, exploreStudyUnits(options).map((u) => runExploreStudyUnit(u).result));
 * study.variants.standard!.results['maml']!.length; // 1
 * ```
 */
export function assembleExploreStudy(options: ExploreStudyOptions, results: readonly (StudySeedResult | SensitivityRun)[]): ExploreStudy {
  const units = exploreStudyUnits(options);
  if (results.length !== units.length) throw new Error(`assembleExploreStudy: ${results.length} results for the study's ${units.length} units`);
  const variants: ExploreStudy['variants'] = {};
  for (const variant of options.variants) {
    const perAgent: Record<string, StudySeedResult[]> = {};
    units.forEach((u, i) => { if (u.kind === 'agent' && u.variant === variant) (perAgent[u.agent] ??= []).push(results[i] as StudySeedResult); });
    variants[variant] = { config: exploreSetup(EXPLORE_VARIANT_OPTIONS[variant]).config, summary: summarizeStudy(perAgent), results: perAgent };
  }
  const runs = results.filter((_r, i) => units[i]!.kind === 'sensitivity') as SensitivityRun[];
  return {
    scale: options.scale, dreamView: options.dreamView ?? 'full', iterations: studyIterations(options), variants,
    sensitivity: options.only.includes('sensitivity') ? summarize(runs) : null,
  };
}

/**
 * The full exploration study in this thread: each agent of `only` over `seeds` seeds on
 * each variant, meta-tested in and out of distribution with the probe and (with
 * `checkpointEvery`) meta-test checkpoints during training; `'sensitivity'` runs the
 * transformer initialisation harness (3 schemes × up to 3 seeds, the study's transformer
 * settings) on the standard grid. Logs one line per unit. `runExploreStudyParallel` runs
 * the same units on worker threads and returns the same study (timings apart).
 *
 * @example
 * ```ts
 * // tiny: the study runs 1000 DREAM and 1600 RL² iterations on 5 seeds
 * const study = runExploreStudy({ seeds: 2, scale: 1, variants: ['bits'], only: ['dream', 'rl2'], iterations: { dream: 2, rl2: 2 }, log: () => {} });
 * study.variants.bits?.summary.dream?.train.greedy.mean;
 * ```
 */
export function runExploreStudy(options: ExploreStudyOptions): ExploreStudy {
  const results = exploreStudyUnits(options).map((unit) => {
    const { result, log } = runExploreStudyUnit(unit);
    options.log(log);
    return result;
  });
  const study = assembleExploreStudy(options, results);
  if (study.sensitivity) options.log(JSON.stringify(study.sensitivity, null, 1));
  return study;
}
