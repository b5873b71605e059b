/**
 * The two continual meta-learning experiments of issue 7, as reusable definitions, and
 * everything done with a finished run: summaries over seeds with 95% CIs, change and
 * OOD detection scores, the data of the three figures (score along the stream, the
 * R matrix, cluster assignments) and the JSON record.
 *
 * - **regression**: A = sinusoids, B = the same sinusoids negated (phase + π), C = lines
 *   arriving mid-stream, and a two-step out-of-distribution burst of quadratics.
 * - **gridworld**: an open 7×7 room, start in the centre; A = goal near the top-right
 *   corner, B = bottom-left (the opposite behaviour), C = top-left arriving mid-stream,
 *   an OOD burst with the goal bottom-right. Tabular softmax policies, exact gradients.
 *
 * Both replay the same seeded stream against every learner, so learners are compared
 * on identical tasks. `scripts/continual.ts` and `metagrad continual` are thin wrappers.
 *
 * @example
 * ```ts
 * const exp = continualExperiment('gridworld', { steps: 60, period: 10 });
 * const result = await runExperiment(exp, { seeds: [0, 1], learners: ['sequential', 'clustered'] });
 * const { summaries } = summarizeExperiment(result);
 * summaries['clustered']!['purityAB']!.mean; // ≈ 1
 * streamChart(streamFigure(result));         // an SVG string
 * ```
 */
import type { Tensor } from '../tensor/tensor.ts';
import { MLP, type LinearParams } from '../nn/index.ts';
import { adam, adamw } from '../optim/index.ts';
import { openRoom } from '../rl/env/index.ts';
import type { HeatmapOptions } from '../report/heatmap.ts';
import { taskStream, streamString, type TaskStream } from './streams.ts';
import { confidenceInterval, type Interval } from '../stats/interval.ts';
import type { ContinualLearner } from './learners/learner.ts';
import type { ContinualProblem, TypedTask } from './problem.ts';
import { sequentialLearner } from './learners/sequential.ts';
import { onlineMamlLearner } from './learners/online-maml.ts';
import { clusteredLearner } from './learners/clustered.ts';
import { pageHinkley, scoreDetections, type DetectionScore } from './changepoint.ts';
import { runStream, purityOver, retentionOf, recoveryStats, summarize, type RunResult } from './experiment.ts';
import { regressionProblem, regressionTasks, sineFamily, lineFamily, quadraticFamily, type RegressionTask } from './problems/regression.ts';
import { gridProblem, gridTasks, cornerGoals, type GridTask } from './problems/gridworld.ts';
import type { StreamChartOptions, ClusterStripOptions } from './plots.ts';

/** The experiments, by name. */
export const EXPERIMENT_NAMES = ['regression', 'gridworld'] as const;
/** `'regression'` or `'gridworld'`: the experiments {@link continualExperiment} builds. */
export type ExperimentName = (typeof EXPERIMENT_NAMES)[number];

/**
 * Learners an experiment can run, by key: sequential fine-tuning, online MAML,
 * task-clustered meta-learning, and clustered with Page-Hinkley change detection
 * (re-selects a cluster only when a change is detected).
 */
export const LEARNER_KEYS = ['sequential', 'online-maml', 'clustered', 'clustered-cd'] as const;
/** One of {@link LEARNER_KEYS}: selects learners in {@link RunExperimentOptions.learners}. */
export type LearnerKey = (typeof LEARNER_KEYS)[number];

/** The schedule of an experiment's stream. */
export interface StreamSettings {
  /** Stream steps (one task each). */
  readonly length: number;
  /** Steps per visit while cycling through the pool (A, B, A, B, …). */
  readonly period: number;
  /** Step at which type C joins the pool (null: it never does). */
  readonly arrivalAt: number | null;
  /** Step at which the OOD burst starts (null: no burst). */
  readonly oodAt: number | null;
  /** Steps of the OOD burst. */
  readonly oodLength: number;
}

/**
 * The schedule for a stream of `length` steps switching every `period` steps: C arrives
 * at the period boundary nearest 5/8 of the stream, and a 2-step OOD burst starts at
 * 5/12 of it (each dropped when it does not fit). For the experiments' default lengths
 * and periods this is exactly their default schedule.
 *
 * @example defaultStreamSettings(240, 30) // { length: 240, period: 30, arrivalAt: 150, oodAt: 100, oodLength: 2 }
 */
export function defaultStreamSettings(length: number, period: number): StreamSettings {
  const oodLength = 2;
  const arrival = Math.round((0.625 * length) / period) * period;
  const ood = Math.round((5 * length) / 12);
  return {
    length, period,
    arrivalAt: arrival > 0 && arrival < length ? arrival : null,
    oodAt: ood > 0 && ood + oodLength <= length && ood !== arrival ? ood : null,
    oodLength,
  };
}

/** The default schedules, and the shorter ones of `--quick` (scripts/continual.ts). */
const SCHEDULES: Record<ExperimentName, { full: StreamSettings; quick: StreamSettings }> = {
  regression: {
    full: { length: 240, period: 30, arrivalAt: 150, oodAt: 100, oodLength: 2 },
    quick: { length: 150, period: 30, arrivalAt: 120, oodAt: 100, oodLength: 2 },
  },
  gridworld: {
    full: { length: 120, period: 15, arrivalAt: 75, oodAt: 50, oodLength: 2 },
    quick: { length: 90, period: 15, arrivalAt: 60, oodAt: 50, oodLength: 2 },
  },
};

/** How to build an experiment: a default, the quick schedule, or a custom length / period. */
export interface ExperimentOptions {
  /** The shorter schedule of `scripts/continual.ts --quick`. Ignored when `steps` or `period` is given. */
  readonly quick?: boolean;
  /** Stream length (default per experiment: 240 for regression, 120 for gridworld). */
  readonly steps?: number;
  /**
   * Switching period (default per experiment: 30 for regression, 15 for gridworld; with
   * `steps` given, `steps / 8` rounded, the same 8 visits as the defaults).
   */
  readonly period?: number;
}

/**
 * The schedule `options` select for experiment `name`; see {@link defaultStreamSettings}.
 *
 * @example streamSettingsFor('gridworld', { steps: 40 }) // { length: 40, period: 5, arrivalAt: 25, oodAt: 17, oodLength: 2 }
 */
export function streamSettingsFor(name: ExperimentName, options: ExperimentOptions = {}): StreamSettings {
  const preset = SCHEDULES[name][options.quick === true ? 'quick' : 'full'];
  if (options.steps === undefined && options.period === undefined) return preset;
  const full = SCHEDULES[name].full;
  const length = options.steps ?? full.length;
  const period = options.period ?? (options.steps === undefined ? full.period : Math.max(1, Math.round(length / 8)));
  return defaultStreamSettings(length, period);
}

/** A learner of an experiment with its key. */
export interface KeyedLearner<T extends TypedTask> {
  readonly key: LearnerKey;
  readonly learner: ContinualLearner<T>;
}

/** A continual experiment: a stream of typed tasks and the learners to replay it against. */
export interface ContinualExperiment<T extends TypedTask> {
  readonly name: ExperimentName;
  /** One line on what the task types are. */
  readonly description: string;
  /** Display names of the type ids (`'A: sine'`, …): columns of R, bands of the stream chart. */
  readonly typeNames: readonly string[];
  readonly settings: StreamSettings;
  /** The stream of seed `seed` (the same for every learner). */
  stream(seed: number): TaskStream;
  /** The task of `type` drawn from `seed`. */
  sampleTask(type: number, seed: number): T;
  /** Held-out tasks per type for R. */
  readonly evalTasks: number;
  /** Fresh learners seeded with `seed`, in the order of `keys` (default: all four). */
  learners(seed: number, keys?: readonly LearnerKey[]): KeyedLearner<T>[];
}

function streamOf(settings: StreamSettings, seed: number): TaskStream {
  return taskStream({
    length: settings.length, switching: { kind: 'periodic', period: settings.period },
    ...(settings.arrivalAt !== null && { arrivals: [{ at: settings.arrivalAt, type: 2 }] }),
    ...(settings.oodAt !== null && { ood: { types: [3], at: [settings.oodAt], length: settings.oodLength } }),
    seed,
  });
}

/** Builds the learners of `keys` from one factory per key. */
function pick<T extends TypedTask>(keys: readonly LearnerKey[], make: Record<LearnerKey, () => ContinualLearner<T>>): KeyedLearner<T>[] {
  return keys.map((key) => ({ key, learner: make[key]() }));
}

/**
 * Both experiments' `clustered` learners average their meta-iterates (`averaging`):
 * without it the regression learner opened 6.6 clusters for 3 types and raised 25 false
 * novelty alarms per run. The change-detection variants keep the latest
 * iterate: with averaging, one grid-world seed merged two types (RESULTS.md,
 * "Catastrophic forgetting").
 */
const CLUSTER_AVERAGING = 0.1;

/**
 * Few-shot regression: A sinusoids, B negated sinusoids, C lines (arriving), OOD
 * quadratics. An MLP 1-40-40-1, inner SGD step 0.05, 4 Adam(0.01) updates per task.
 *
 * @example
 * ```ts
 * const exp = regressionExperiment({ quick: true });
 * exp.settings;                                   // { length: 150, period: 30, arrivalAt: 120, oodAt: 100, oodLength: 2 }
 * const { learner } = exp.learners(0, ['clustered'])[0]!;
 * runStream(learner, { stream: exp.stream(0), sampleTask: exp.sampleTask, numTypes: exp.typeNames.length });
 * ```
 */
export function regressionExperiment(options: ExperimentOptions = {}): ContinualExperiment<RegressionTask> {
  const families = [
    sineFamily({ amplitude: [1, 2], phase: [0, Math.PI / 4], name: 'A: sine' }),
    sineFamily({ amplitude: [1, 2], phase: [Math.PI, 1.25 * Math.PI], name: 'B: −sine' }),
    lineFamily({ slope: [0.5, 1], intercept: [1, 2], name: 'C: line' }),
    quadraticFamily({ name: 'OOD: quadratic' }),
  ];
  const problem: ContinualProblem<LinearParams[], RegressionTask> = regressionProblem({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.05 });
  const base = { problem, updates: 4 };
  const settings = streamSettingsFor('regression', options);
  return {
    name: 'regression',
    description: 'Few-shot regression (10 support, 20 query points): A = sinusoids, B = the same sinusoids negated, C = lines arriving mid-stream, a 2-step OOD burst of quadratics.',
    typeNames: families.map((f) => f.name),
    settings,
    stream: (seed) => streamOf(settings, seed),
    sampleTask: regressionTasks(families, { K: 10, queryK: 20 }),
    evalTasks: 8,
    learners: (seed, keys = LEARNER_KEYS) => pick(keys, {
      'sequential': () => sequentialLearner({ ...base, optimizer: adam({ lr: 0.01 }), seed }),
      'online-maml': () => onlineMamlLearner({ ...base, optimizer: adam({ lr: 0.01 }), seed }),
      'clustered': () => clusteredLearner({ ...base, optimizer: adam({ lr: 0.01 }), averaging: CLUSTER_AVERAGING, seed }),
      'clustered-cd': () => clusteredLearner({ ...base, optimizer: adam({ lr: 0.01 }), seed, detector: pageHinkley({ threshold: 0.8, delta: 0.1 }) }),
    }),
  };
}

/**
 * The grid world's sequential baseline: AdamW(2) with decoupled weight decay 0.3. With
 * plain Adam(0.3) a tabular policy fine-tuned on A gets a return gradient of ~1e-8 from
 * B and never learns it (so never forgets A either). The decay shrinks every logit by
 * 1 − lr·λ per update, so once A's gradient stops, its policy relaxes towards uniform
 * within a few updates, B's gradient grows back and B is learnt in a visit. Rate 2 lets
 * one 15-task visit reverse the start cell's preference; at 0.3 it cannot. Chosen on
 * pilot seeds 10–14 (RESULTS.md, "Catastrophic forgetting").
 */
const GRID_SEQUENTIAL_ADAMW = { lr: 2, weightDecay: 0.3 } as const;

/**
 * Grid-world RL: open 7×7 room, start in the centre, goal near a corner (A top-right,
 * B bottom-left, C top-left arriving, OOD bottom-right). Horizon 10, tabular softmax
 * policy, inner step 10, one Adam(0.3) update per task; new clusters start fresh. The
 * sequential baseline fine-tunes with AdamW(2, weight decay 0.3) instead, which keeps
 * it plastic enough to learn B after A (and so to forget A).
 *
 * @example
 * ```ts
 * const exp = gridworldExperiment({ steps: 40 });
 * exp.typeNames; // ['A: goal top-right', 'B: goal bottom-left', 'C: goal top-left', 'OOD: goal bottom-right']
 * const result = await runExperiment(exp, { seeds: [0], learners: ['sequential'] });
 * ```
 */
export function gridworldExperiment(options: ExperimentOptions = {}): ContinualExperiment<GridTask> {
  const layout = openRoom(7);
  const starts: [number, number][] = [[3, 3]];
  const types = [
    cornerGoals(layout, 'top-right', { starts, name: 'A: goal top-right' }),
    cornerGoals(layout, 'bottom-left', { starts, name: 'B: goal bottom-left' }),
    cornerGoals(layout, 'top-left', { starts, name: 'C: goal top-left' }),
    cornerGoals(layout, 'bottom-right', { starts, name: 'OOD: goal bottom-right' }),
  ];
  const horizon = 10;
  const problem: ContinualProblem<Tensor, GridTask> = gridProblem({ layout, horizon, innerLr: 10 });
  const base = { problem, updates: 1 };
  const settings = streamSettingsFor('gridworld', options);
  return {
    name: 'gridworld',
    description: 'Grid-world RL in an open 7×7 room (start in the centre, horizon 10): A = goal top-right, B = goal bottom-left, C = goal top-left arriving mid-stream, a 2-step OOD burst with the goal bottom-right.',
    typeNames: types.map((t) => t.name),
    settings,
    stream: (seed) => streamOf(settings, seed),
    sampleTask: gridTasks(types, { horizon }),
    evalTasks: 3,
    learners: (seed, keys = LEARNER_KEYS) => pick(keys, {
      'sequential': () => sequentialLearner({ ...base, optimizer: adamw(GRID_SEQUENTIAL_ADAMW), seed }),
      'online-maml': () => onlineMamlLearner({ ...base, optimizer: adam({ lr: 0.3 }), seed }),
      'clustered': () => clusteredLearner({ ...base, optimizer: adam({ lr: 0.3 }), newCluster: 'fresh', averaging: CLUSTER_AVERAGING, seed }),
      'clustered-cd': () => clusteredLearner({ ...base, optimizer: adam({ lr: 0.3 }), newCluster: 'fresh', seed, detector: pageHinkley({ threshold: 0.5 }) }),
    }),
  };
}

/**
 * Either experiment by name (what `metagrad continual --problem` runs).
 *
 * @example
 * ```ts
 * const exp = continualExperiment('regression', { steps: 80 }); // period 10: 80 / 8
 * exp.stream(0).steps.length;                                  // 80
 * ```
 */
export function continualExperiment(name: ExperimentName, options: ExperimentOptions = {}): ContinualExperiment<TypedTask> {
  return name === 'regression' ? regressionExperiment(options) : gridworldExperiment(options);
}

/** One finished replay: the learner's run on the stream of `seed`. */
export interface SeedRun {
  readonly seed: number;
  readonly key: LearnerKey;
  readonly result: RunResult;
}

/** Which seeds and learners {@link runExperiment} replays, with progress and stop hooks. */
export interface RunExperimentOptions {
  /** Stream and learner seeds, one replay per seed. */
  readonly seeds: readonly number[];
  /** Learners to run, in order (default: all four). */
  readonly learners?: readonly LearnerKey[];
  /** After every stream step of every replay (progress). */
  readonly onStep?: (t: number) => void;
  /** After every finished replay. */
  readonly onRun?: (run: SeedRun) => void;
  /** Awaited before every replay; resolving true stops the experiment with what has finished. */
  readonly shouldStop?: () => boolean | Promise<boolean>;
}

/** The replays of an experiment. */
export interface ExperimentResult {
  readonly name: ExperimentName;
  readonly typeNames: readonly string[];
  readonly settings: StreamSettings;
  /** Seeds whose stream was started, in order; `streams[i]` is the stream of `seeds[i]`. */
  readonly seeds: readonly number[];
  readonly streams: readonly TaskStream[];
  /** Replays by learner name (`'online MAML'`, …), in seed order. */
  readonly runs: Readonly<Record<string, readonly SeedRun[]>>;
  /** False when `shouldStop` ended it early. */
  readonly complete: boolean;
}

/**
 * Replays the stream of every seed against fresh learners (seed by seed, learner by
 * learner). Deterministic in the seeds; `shouldStop` lets a caller stop between replays.
 *
 * @example
 * ```ts
 * const deadline = Date.now() + 60_000;
 * const result = await runExperiment(continualExperiment('gridworld'), {
 *   seeds: [0, 1, 2], learners: ['sequential', 'clustered'], shouldStop: () => Date.now() > deadline,
 * });
 * result.complete; // false if the deadline cut it short
 * result.runs['sequential']![0]!.result.metrics.forgetting;
 * ```
 */
export async function runExperiment<T extends TypedTask>(exp: ContinualExperiment<T>, options: RunExperimentOptions): Promise<ExperimentResult> {
  const runs: Record<string, SeedRun[]> = {};
  const seeds: number[] = [];
  const streams: TaskStream[] = [];
  let complete = true;
  outer: for (const seed of options.seeds) {
    const stream = exp.stream(seed);
    let started = false;
    for (const { key, learner } of exp.learners(seed, options.learners)) {
      if (await options.shouldStop?.()) { complete = false; break outer; }
      if (!started) { seeds.push(seed); streams.push(stream); started = true; }
      const result = runStream(learner, {
        stream, sampleTask: (type, s) => exp.sampleTask(type, s), numTypes: exp.typeNames.length, evalTasks: exp.evalTasks,
        ...(options.onStep && { onStep: options.onStep }),
      });
      const run: SeedRun = { seed, key, result };
      (runs[result.learner] ??= []).push(run);
      options.onRun?.(run);
    }
  }
  return { name: exp.name, typeNames: exp.typeNames, settings: exp.settings, seeds, streams, runs, complete };
}

const A = 0, B = 1;

/**
 * The scalar summaries of one run, averaged over seeds by {@link summarizeExperiment}.
 * Retention, recovery and purity concern the first two types, A and B.
 */
export const SUMMARY_FIELDS: Readonly<Record<string, (r: RunResult) => number>> = {
  averagePerformance: (r) => r.metrics.averagePerformance,
  backwardTransfer: (r) => r.metrics.backwardTransfer,
  forwardTransfer: (r) => r.metrics.forwardTransfer,
  forgetting: (r) => r.metrics.forgetting,
  forgettingInDistribution: (r) => r.metrics.forgettingInDistribution,
  onlineScore: (r) => r.metrics.onlineScore,
  /** R[after B][A] / R[after A][A], averaged over the switches A → B. */
  retentionA_afterB: (r) => retentionOf(r, A),
  /** The same, skipping the first switch (while A is still being learnt). */
  retentionA_afterB_laterVisits: (r) => retentionOf(r, A, 1),
  /** Absolute drop R[after A][A] − R[after B][A] (the ratio is meaningless once scores go negative). */
  dropA_afterB: (r) => {
    const drops = r.metrics.retention.filter((x) => x.type === A).map((x) => x.before - x.after);
    return drops.reduce((a, b) => a + b, 0) / drops.length;
  },
  recoveryA_fractionWithin1InnerStep: (r) => recoveryStats(r, { type: A }).fractionWithin(1),
  recoveryA_medianInnerSteps: (r) => recoveryStats(r, { type: A }).medianInnerSteps,
  recoveryAll_fractionWithin1InnerStep: (r) => recoveryStats(r).fractionWithin(1),
  purityAB: (r) => purityOver(r, [A, B]),
  purityAll: (r) => r.metrics.purity,
  clusters: (r) => r.metrics.clusters,
};

/** How well a run flagged the OOD burst and detected the switches, against the truth. */
export interface DetectionRecord {
  readonly oodStepsFlagged: number;
  readonly oodSteps: number;
  /**
   * False alarms: steps flagged novel that were not OOD and not a new type's arrival
   * (its first steps, up to the one where the learner opened a cluster for it).
   */
  readonly novelFlagsOnInDistribution: number;
  /** Change-point detections against the true switches (tolerance 3 steps); null without detections. */
  readonly changeDetection: DetectionScore | null;
}

/**
 * Scores one run's novelty flags and change detections against the stream's ground truth.
 * @example detectionOf(result, stream).novelFlagsOnInDistribution // false alarms in the run
 */
export function detectionOf(run: RunResult, stream: TaskStream): DetectionRecord {
  const steps = stream.steps;
  const oodSteps = steps.filter((s) => s.ood).map((s) => s.t);
  const flagged = run.record.filter((s) => s.novel).map((s) => s.t);
  const switches = steps.filter((s) => s.switched && s.t > 0).map((s) => s.t);
  const detections = run.record.filter((s) => s.changeDetected).map((s) => s.t);
  // A new type is rightly novel until a cluster opens for it (the learner waits for
  // `patience` novel tasks), so those flags are detections, not false alarms.
  const arrival = new Set<number>();
  for (const first of steps.filter((s) => s.firstVisit)) {
    for (let t = first.t; t < steps.length && steps[t]!.segment === first.segment; t++) {
      arrival.add(t);
      if (run.record[t]?.opened) break;
    }
  }
  return {
    oodStepsFlagged: oodSteps.filter((t) => flagged.includes(t)).length, oodSteps: oodSteps.length,
    novelFlagsOnInDistribution: flagged.filter((t) => !oodSteps.includes(t) && !arrival.has(t)).length,
    changeDetection: detections.length ? scoreDetections(switches, detections, 3) : null,
  };
}

/**
 * Per learner: every {@link SUMMARY_FIELDS} entry as a mean with a 95% CI over seeds, and detection per seed.
 *
 * @example
 * ```ts
 * const { summaries, detection } = summarizeExperiment(result);
 * summaries['clustered']!['retentionA_afterB']; // { mean, low, high, n, perSeed } over the seeds
 * detection['clustered']![0]!.oodStepsFlagged;  // of detection[…][0].oodSteps, seed 0
 * ```
 */
export function summarizeExperiment(result: ExperimentResult): {
  summaries: Record<string, Record<string, Interval>>;
  detection: Record<string, DetectionRecord[]>;
} {
  const entries = Object.entries(result.runs);
  return {
    summaries: Object.fromEntries(entries.map(([name, rs]) => [name, summarize(rs.map((r) => r.result), SUMMARY_FIELDS)])),
    detection: Object.fromEntries(entries.map(([name, rs]) => [name, rs.map((r) => detectionOf(r.result, result.streams[result.seeds.indexOf(r.seed)]!))])),
  };
}

/** Mean over `xs` of the finite values in a centred 5-step window, per step. */
function smooth5(xs: readonly number[]): number[] {
  return xs.map((_, t) => {
    const w = xs.slice(Math.max(0, t - 2), t + 3).filter(Number.isFinite);
    return w.reduce((a, b) => a + b, 0) / w.length;
  });
}

/**
 * The stream chart's data: per learner, the online score after one inner step at every
 * step, mean over seeds with a 95% CI, smoothed over 5 steps; bands and switch markers
 * from the first seed's stream. Draw it with `streamChart`.
 *
 * @example
 * ```ts
 * writeFileSync('stream.svg', streamChart(streamFigure(result)));
 * ```
 */
export function streamFigure(result: ExperimentResult): StreamChartOptions {
  const stream0 = result.streams[0];
  const steps = stream0?.steps ?? [];
  const series = Object.entries(result.runs).map(([name, rs]) => {
    const ci = steps.map((_, t) => confidenceInterval(rs.map((r) => r.result.record[t]?.curve[1] ?? NaN)));
    return { name, y: smooth5(ci.map((c) => c.mean)), lo: smooth5(ci.map((c) => c.low)), hi: smooth5(ci.map((c) => c.high)) };
  });
  return {
    title: `${result.name}: score after 1 inner step along the stream (mean of ${result.seeds.length} seeds, 95% CI, 5-step smoothing)`,
    yLabel: 'score (0 = trivial, 1 = perfect)', types: steps.map((s) => s.type), typeNames: result.typeNames, series, yRange: [-1, 1],
  };
}

/**
 * The R matrix heat map's data for each learner (its first seed's run), as options of
 * `continual.heatmap`, which renders them as SVG.
 *
 * @example
 * ```ts
 * for (const { learner, options } of rMatrixFigures(result)) console.log(learner, options.values); // R[i][j]
 * ```
 */
export function rMatrixFigures(result: ExperimentResult): { learner: string; key: LearnerKey; seed: number; options: HeatmapOptions }[] {
  return Object.entries(result.runs).filter(([, rs]) => rs.length > 0).map(([name, rs]) => {
    const { seed, key, result: r } = rs[0]!;
    return {
      learner: name, key, seed,
      options: {
        title: `${result.name}, ${name}: R[i][j] (seed ${seed})`, values: r.R,
        rowLabels: r.stageTypes.map((type, i) => `${i}: ${result.typeNames[type]}`), colLabels: result.typeNames.map((n) => n.split(':')[0]!),
        xLabel: 'evaluated on type j', yLabel: 'after stage i', domain: [-1, 1],
      },
    };
  });
}

/**
 * The cluster strip's data: the true types, then the cluster of every step for the
 * clustered learners' first `maxSeeds` seeds (dots: tasks judged novel). Null when no
 * clustered learner ran. Draw it with `clusterStrip`.
 *
 * @example
 * ```ts
 * const strip = clusterFigure(result, 1);
 * if (strip !== null) writeFileSync('clusters.svg', clusterStrip(strip));
 * ```
 */
export function clusterFigure(result: ExperimentResult, maxSeeds = 3): ClusterStripOptions | null {
  const names = Object.keys(result.runs).filter((n) => n.startsWith('clustered'));
  const rows = names.flatMap((name) => result.runs[name]!.slice(0, maxSeeds).map((r) => ({
    name: `${name.replace('clustered + change detection', 'clustered+CD')} s${r.seed}`,
    clusters: r.result.record.map((s) => s.cluster ?? 0), novel: r.result.record.map((s) => s.novel === true),
  })));
  if (rows.length === 0) return null;
  return {
    title: `${result.name}: cluster assignments over time`, types: (result.streams[0]?.steps ?? []).map((s) => s.type), typeNames: result.typeNames, rows,
  };
}

/**
 * A run as stored in JSON (infinite recovery times as null, clusters as a comma-separated string).
 *
 * @example
 * ```ts
 * JSON.stringify(runRecord(result.runs['sequential']![0]!.result));
 * ```
 */
export function runRecord(r: RunResult): Record<string, unknown> {
  return {
    R: r.R, R0: r.R0, baseline: r.baseline, stageTypes: r.stageTypes, seconds: r.seconds,
    metrics: { ...r.metrics, recoveries: r.metrics.recoveries.map((x) => ({ ...x, innerSteps: Number.isFinite(x.innerSteps) ? x.innerSteps : null, taskSteps: Number.isFinite(x.taskSteps) ? x.taskSteps : null })) },
    clusters: r.record.map((s) => s.cluster ?? 0).join(','),
  };
}

/** An experiment's JSON record: the stream, summaries, detection and every run (the `experiments[]` entries of scripts/continual.ts). */
export interface ExperimentRecord {
  readonly name: ExperimentName;
  readonly typeNames: readonly string[];
  /** The first seed's stream, one character per step (see `streamString`). */
  readonly stream: string;
  /** Number of seeds. */
  readonly seeds: number;
  readonly summaries: Record<string, Record<string, Interval>>;
  readonly detection: Record<string, DetectionRecord[]>;
  /** Per learner, per seed (in order), {@link runRecord}. */
  readonly runs: Record<string, Record<string, unknown>[]>;
}

/**
 * The JSON record of an experiment: what `scripts/continual.ts` writes per experiment.
 *
 * @example
 * ```ts
 * writeFileSync('continual.json', JSON.stringify(experimentRecord(result), null, 2));
 * ```
 */
export function experimentRecord(result: ExperimentResult): ExperimentRecord {
  const { summaries, detection } = summarizeExperiment(result);
  return {
    name: result.name, typeNames: result.typeNames, stream: result.streams[0] ? streamString(result.streams[0]) : '', seeds: result.seeds.length,
    summaries, detection,
    runs: Object.fromEntries(Object.entries(result.runs).map(([name, rs]) => [name, rs.map((r) => runRecord(r.result))])),
  };
}

/**
 * The issue's targets for the clustered learner, with the sequential baseline's losses
 * for contrast, keyed by readable labels (values are the summaries' intervals).
 *
 * @example
 * ```ts
 * console.table(targetsOf(experimentRecord(result)));
 * ```
 */
export function targetsOf(record: ExperimentRecord): Record<string, unknown> {
  const c = record.summaries['clustered'];
  return {
    experiment: record.name,
    'A retention after B ≥ 0.95 (clustered)': c?.['retentionA_afterB'],
    'A recovers within 1 inner step (clustered, fraction of returns)': c?.['recoveryA_fractionWithin1InnerStep'],
    'purity on A/B ≥ 0.95 (clustered)': c?.['purityAB'],
    'sequential forgetting': record.summaries['sequential']?.['forgetting'],
    'sequential A drop after B (score units)': record.summaries['sequential']?.['dropA_afterB'],
    'clustered A drop after B (score units)': c?.['dropA_afterB'],
  };
}

/** A target of issue 7 on a summary field, met when the mean is at least `atLeast`. */
export interface Target {
  readonly label: string;
  readonly field: string;
  readonly atLeast: number;
}

/** The targets: A retained after B, A recovered within one inner step, pure clusters on A/B. */
export const TARGETS: readonly Target[] = [
  { label: 'A retention after B (R[after B][A] / R[after A][A])', field: 'retentionA_afterB', atLeast: 0.95 },
  { label: 'returns to A recovered within 1 inner step (fraction)', field: 'recoveryA_fractionWithin1InnerStep', atLeast: 0.95 },
  { label: 'cluster purity on A/B', field: 'purityAB', atLeast: 0.95 },
];
