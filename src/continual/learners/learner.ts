/**
 * The interface every continual learner shares, so one stream can be replayed against
 * each: see a task, report how well it did while adapting to it, then learn from it.
 */
import type { Optimizer, OptimizerState } from '../../optim/state.ts';
import type { ContinualProblem, TypedTask } from '../problem.ts';

/** Options every learner takes. */
export interface LearnerOptions<P, T extends TypedTask, S extends OptimizerState> {
  readonly problem: ContinualProblem<P, T>;
  /** Optimizer of the learner's updates (meta-updates, or the fine-tuning steps of the sequential baseline). */
  readonly optimizer: Optimizer<S>;
  /** Updates per task. Default 1. */
  readonly updates?: number;
  /** Inner steps in the reported curve. Default: the learner's `innerSteps` (1). */
  readonly curveSteps?: number;
  /** Seeds the initial parameters (and any sampling). Default 0. */
  readonly seed?: number;
}

/** What the runner tells a learner about a step. Empty unless switches are announced. */
export interface StepInfo {
  /** Present only when switches are announced: the task type changed at this step. */
  readonly switched?: boolean;
}

/** What a learner reports for one step of the stream. */
export interface StepReport {
  /** Scores on the task's evaluation data after 0, 1, …, K inner steps, before learning from it. */
  readonly curve: readonly number[];
  /** The cluster used (clustered learners). */
  readonly cluster?: number;
  /** A new cluster was opened for this task (the learner judged it novel). */
  readonly opened?: boolean;
  /** The task looked unlike every cluster's tasks (an out-of-distribution alarm). */
  readonly novel?: boolean;
  /** The learner chose among its clusters at this step (rather than keeping the current one). */
  readonly selected?: boolean;
  /** A change-point detector fired at this step. */
  readonly changeDetected?: boolean;
}

/**
 * The online protocol {@link runStream} drives: `observe` each task in stream order,
 * `evaluate` held-out tasks without learning from them.
 */
export interface ContinualLearner<T extends TypedTask> {
  readonly name: string;
  /** Online protocol: adapt to `task` and score it (the report), then update from it. */
  observe(task: T, info?: StepInfo): StepReport;
  /**
   * Scores after 0..`steps` inner steps with the learner's test-time procedure (the
   * same adaptation as online, cluster selection included), changing nothing.
   */
  evaluate(task: T, steps: number): number[];
  /** Number of clusters (1 for single-model learners). */
  clusterCount(): number;
}
