/**
 * Online MAML: one meta-initialisation updated along the stream.
 */
import { Rng } from '../../random/rng.ts';
import { treeZip } from '../../autodiff/tree.ts';
import { add, mul } from '../../ops/elementwise.ts';
import type { OptimizerState } from '../../optim/state.ts';
import type { TypedTask } from '../problem.ts';
import type { ContinualLearner, LearnerOptions } from './learner.ts';

/** {@link onlineMamlLearner}'s options: the common learner options, inner steps and an optional replay buffer. */
export interface OnlineMamlOptions<P, T extends TypedTask, S extends OptimizerState> extends LearnerOptions<P, T, S> {
  /** Inner steps in the meta-gradient and at test time. Default 1. */
  readonly innerSteps?: number;
  /**
   * Keep the last `bufferSize` tasks and add `replay` of them (drawn uniformly) to each
   * meta-update, as follow-the-meta-leader does with its task buffer (Finn, Rajeswaran,
   * Kakade & Levine, "Online Meta-Learning", ICML 2019). Default 0: current task only.
   */
  readonly bufferSize?: number;
  readonly replay?: number;
}

/** Sum of gradient trees scaled by 1/n. */
function meanTree<P>(trees: readonly P[]): P {
  let total = trees[0]!;
  for (let i = 1; i < trees.length; i++) total = treeZip(total, trees[i]!, (a, b) => add(a, b));
  return treeZip(total, total, (a) => mul(a, 1 / trees.length));
}

/**
 * Online MAML: adapt the single meta-initialisation to each task as it comes (the
 * report), then take meta-gradient steps on it (optionally replaying buffered tasks).
 *
 * @example
 * ```ts
 * const sample = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const stream = taskStream({ length: 6, types: [0, 1], switching: { kind: 'periodic', period: 3 }, seed: 1 });
 * const learner = onlineMamlLearner({ problem, optimizer: adam({ lr: 0.003 }), innerSteps: 1 });
 * for (const step of stream.steps) learner.observe(sample(step.type, step.seed));
 * learner.clusterCount(); // 1: one initialisation for every task
 * ```
 */
export function onlineMamlLearner<P, T extends TypedTask, S extends OptimizerState>(options: OnlineMamlOptions<P, T, S>): ContinualLearner<T> {
  const { problem, optimizer, innerSteps = 1, updates = 1, bufferSize = 0, replay = 0 } = options;
  const curveSteps = options.curveSteps ?? innerSteps;
  const rng = new Rng(options.seed ?? 0);
  let params = problem.init(rng.split());
  let state = optimizer.init(params);
  const buffer: T[] = [];
  return {
    name: bufferSize > 0 && replay > 0 ? 'online MAML + replay' : 'online MAML',
    observe(task) {
      const curve = problem.adaptationCurve(params, task, curveSteps);
      for (let u = 0; u < updates; u++) {
        const batch = [task];
        for (let r = 0; r < replay && buffer.length > 0; r++) batch.push(buffer[rng.int(buffer.length)]!);
        const g = meanTree(batch.map((t) => problem.metaGradient(params, t, innerSteps)));
        ({ params, state } = optimizer.update(g, state, params));
      }
      if (bufferSize > 0) {
        buffer.push(task);
        if (buffer.length > bufferSize) buffer.shift();
      }
      return { curve, cluster: 0 };
    },
    evaluate: (task, steps) => problem.adaptationCurve(params, task, steps),
    clusterCount: () => 1,
  };
}
