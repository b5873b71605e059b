/**
 * What a continual learner needs to know about a kind of task: how to initialise a
 * model, adapt it to a task, score it, and differentiate through the adaptation. The
 * learners in `learners/` are written once against this interface; regression
 * (`problems/regression.ts`) and grid-world RL (`problems/gridworld.ts`) implement it.
 *
 * Scores are higher-is-better and normalised so that 0 is the trivial model (predicting
 * zero; the uniform policy) and 1 is perfect (zero error; the optimal return), which is
 * what the 90%-of-earlier-performance recovery criterion and retention ratios assume.
 */
import type { Rng } from '../random/rng.ts';

/** A task of any kind, labelled with its true type (hidden from the learners' decisions). */
export interface TypedTask {
  /** The true task type (stream type id), used only by metrics. */
  readonly type: number;
}

/**
 * A kind of task as the learners see it (see the module comment); implemented by
 * {@link regressionProblem} and {@link gridProblem}.
 */
export interface ContinualProblem<P, T extends TypedTask> {
  readonly name: string;
  /** Fresh model parameters. */
  init(rng: Rng): P;
  /**
   * Scores on the task's evaluation data (query set; the exact return) after 0, 1, …,
   * `steps` inner steps from `params` on its adaptation data (support set).
   */
  adaptationCurve(params: P, task: T, steps: number): number[];
  /**
   * What a cluster is chosen by: scores after 0, 1, …, `steps` inner steps from
   * `params`, measured on the task's adaptation data only (the learner may not look at
   * evaluation data to decide).
   */
  selectionCurve(params: P, task: T, steps: number): number[];
  /** Gradient, to descend, of the post-adaptation loss (MAML's meta-gradient) with respect to `params`. */
  metaGradient(params: P, task: T, steps: number): P;
  /** Gradient, to descend, of the task's loss at `params` on its adaptation data (plain fine-tuning). */
  taskGradient(params: P, task: T): P;
}
