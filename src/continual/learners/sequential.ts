/**
 * The forgetting baseline: one model fine-tuned on every task as it comes.
 */
import { Rng } from '../../random/rng.ts';
import type { OptimizerState } from '../../optim/state.ts';
import type { TypedTask } from '../problem.ts';
import type { ContinualLearner, LearnerOptions } from './learner.ts';

/** {@link sequentialLearner}'s options: just the ones every learner takes (problem, optimizer, updates, seed). */
export type SequentialOptions<P, T extends TypedTask, S extends OptimizerState> = LearnerOptions<P, T, S>;

/**
 * Sequential fine-tuning: a single model trained on each task's data in stream order,
 * with no memory of earlier tasks. At test time it adapts from its current parameters
 * with the problem's inner steps, like every learner. Expected to forget.
 *
 * @example
 * ```ts
 * const sample = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const learner = sequentialLearner({ problem, optimizer: adam({ lr: 0.01 }) });
 * const report = learner.observe(sample(0, 7));   // curve before learning from the task
 * report.curve.length; // 2: the scores after 0 and 1 inner steps
 * ```
 */
export function sequentialLearner<P, T extends TypedTask, S extends OptimizerState>(options: SequentialOptions<P, T, S>): ContinualLearner<T> {
  const { problem, optimizer, updates = 1, curveSteps = 1 } = options;
  let params = problem.init(new Rng(options.seed ?? 0));
  let state = optimizer.init(params);
  return {
    name: 'sequential',
    observe(task) {
      const curve = problem.adaptationCurve(params, task, curveSteps);
      for (let u = 0; u < updates; u++) ({ params, state } = optimizer.update(problem.taskGradient(params, task), state, params));
      return { curve, cluster: 0 };
    },
    evaluate: (task, steps) => problem.adaptationCurve(params, task, steps),
    clusterCount: () => 1,
  };
}
