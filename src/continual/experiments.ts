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
 * The definitions are in study-config.ts and the figures' data in study-figures.ts (both
 * re-exported here); this file replays them and records the results.
 *
 * @example
 * ```ts
 * const exp = continualExperiment('gridworld', { steps: 60, period: 10 });
 * const result = await runExperiment(exp, { seeds: [0, 1], learners: ['sequential', 'clustered'] });
 * const { summaries } = summarizeExperiment(result);
 * summaries['clustered']!['purityAB']!.mean; // ≈ 1
 * streamChart(streamFigure(result)).startsWith('<svg'); // true: the score along the stream
 * ```
 */
import { streamString, type TaskStream } from './streams.ts';
import { type Interval } from '../stats/interval.ts';
import type { TypedTask } from './problem.ts';
import { scoreDetections, type DetectionScore } from './changepoint.ts';
import { runStream, purityOver, retentionOf, recoveryStats, summarize, type RunResult } from './experiment.ts';
import type { ContinualExperiment, ExperimentName, LearnerKey, StreamSettings } from './study-config.ts';

// The experiments' definitions and their figures live beside this runner; public from here too.
export * from './study-config.ts';
export * from './study-figures.ts';

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
 * let replays = 0; // a caller's budget: stop after the first seed's two replays
 * const result = await runExperiment(continualExperiment('gridworld', { steps: 12, period: 4 }), {
 *   seeds: [0, 1, 2], learners: ['sequential', 'clustered'], shouldStop: () => replays++ >= 2,
 * });
 * result.complete; // false
 * result.seeds; // [0]
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
 * @example
 * ```ts
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
 * // in-distribution steps the clustered learner flagged as novel (false alarms):
 * detectionOf(result.runs['clustered']![0]!.result, result.streams[0]!).novelFlagsOnInDistribution;
 * ```
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
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
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

/**
 * A run as stored in JSON (infinite recovery times as null, clusters as a comma-separated string).
 *
 * @example
 * ```ts
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
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
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
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
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
 * targetsOf(experimentRecord(result)).experiment; // 'regression'
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
