/**
 * MAML and first-order MAML: one implementation, one flag.
 */
import type { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random/rng.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import type { Module } from '../nn/module.ts';
import { perTaskMse, type TaskLoss } from '../nn/losses.ts';
import type { DifferentiableMetaLearner } from './learner.ts';
import type { TaskBatch } from './tasks.ts';
import { adaptedQueryLoss, adaptedQueryLossLooped, adaptationCurveOf } from './inner.ts';

export interface MAMLOptions<P> {
  /** The network whose initial parameters are meta-learned. */
  readonly model: Module<P>;
  /** Inner-loop step size α. */
  readonly innerLr: number;
  /** Inner gradient steps during meta-training (default 1). */
  readonly innerSteps?: number;
  /** First-order MAML: do not differentiate through the inner gradients (default false). */
  readonly firstOrder?: boolean;
  /** Clip each task's inner gradient to this global norm (default: no clipping). */
  readonly clipNorm?: number;
  /** Per-task loss (default {@link perTaskMse}). */
  readonly loss?: TaskLoss;
  /** One batched computation over tasks (default true) or a JS loop over tasks. */
  readonly batched?: boolean;
}

/**
 * Model-Agnostic Meta-Learning (Finn, Abbeel & Levine, ICML 2017, arXiv:1703.03400):
 * learns initial parameters θ such that a few gradient steps on a new task's support set
 * give low loss on its query set. The meta-loss is (1/T) Σₜ L_query,t(θ − α∇L_support,t(θ))
 * (more steps repeat the update); its gradient differentiates through the inner updates
 * (second order). `firstOrder: true` treats the inner gradients as constants (FOMAML,
 * same paper §5.2), which is cheaper and drops the Hessian terms.
 *
 * @example
 * ```ts
 * const learner = maml({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
 * const outer = adam({ lr: 0.001 });
 * const rng = new Rng(0);
 * let theta = learner.init(rng), state = outer.init(theta);
 * for (let i = 0; i < 1000; i++) {
 *   const { grads } = learner.metaGradient(theta, sinusoidTasks(rng, { numTasks: 25, K: 10 }));
 *   ({ params: theta, state } = outer.update(grads, state, theta));
 * }
 * learner.adaptationCurve(theta, sinusoidTasks(rng, { numTasks: 100, K: 10, queryK: 100 }), 10);
 * ```
 */
export function maml<P>(options: MAMLOptions<P>): DifferentiableMetaLearner<P> {
  const { model, innerLr, innerSteps = 1, firstOrder = false, clipNorm, loss = perTaskMse, batched = true } = options;
  const inner = { lr: innerLr, steps: innerSteps, firstOrder, loss, ...(clipNorm !== undefined && { clipNorm }) };
  const queryLoss = batched ? adaptedQueryLoss : adaptedQueryLossLooped;
  const metaLoss = (theta: P, tasks: TaskBatch): Tensor => queryLoss(model.apply, theta, tasks, inner);
  return {
    name: firstOrder ? 'fomaml' : 'maml',
    init: (rng: Rng) => model.init(rng),
    metaLoss,
    metaGradient: (theta, tasks) => {
      const [value, grads] = valueAndGrad((p: P) => metaLoss(p, tasks))(theta);
      return { loss: (value as Tensor).item(), grads: grads as P };
    },
    adaptationCurve: (theta, tasks, steps) => adaptationCurveOf(model.apply, theta, tasks, steps, inner),
  };
}
