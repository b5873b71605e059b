/**
 * The continual experiments' definitions: their names, learners, stream schedules and
 * the settings chosen in pilots (what `runExperiment` in experiments.ts replays; the
 * figures' data is in study-figures.ts).
 *
 * @module
 */
import type { Tensor } from '../tensor/tensor.ts';
import { MLP, type LinearParams } from '../nn/index.ts';
import { adam, adamw } from '../optim/index.ts';
import { openRoom } from '../rl/env/index.ts';
import { taskStream, type TaskStream } from './streams.ts';
import type { ContinualLearner } from './learners/learner.ts';
import type { ContinualProblem, TypedTask } from './problem.ts';
import { sequentialLearner } from './learners/sequential.ts';
import { onlineMamlLearner } from './learners/online-maml.ts';
import { clusteredLearner } from './learners/clustered.ts';
import { pageHinkley } from './changepoint.ts';
import { regressionProblem, regressionTasks, sineFamily, lineFamily, quadraticFamily, type RegressionTask } from './problems/regression.ts';
import { gridProblem, gridTasks, cornerGoals, type GridTask } from './problems/gridworld.ts';

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
