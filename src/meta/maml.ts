/**
 * MAML and first-order MAML: one implementation, one flag.
 */
import type { Module } from '../nn/module.ts';
import type { AdaptOptions } from './adapt.ts';
import { differentiableLearner, type DifferentiableMetaLearner } from './learner.ts';
import { adaptationCurveTensor, innerLoopOf, type InnerLoopSettings } from './inner.ts';

/** {@link maml}'s options: the model, the inner loop (step size, steps, first/second order) and checkpointing. */
export interface MAMLOptions<P> extends InnerLoopSettings, Pick<AdaptOptions, 'checkpointEvery'> {
  /** The network whose initial parameters are meta-learned. */
  readonly model: Module<P>;
}

/**
 * Model-Agnostic Meta-Learning (Finn, Abbeel & Levine, ICML 2017, arXiv:1703.03400):
 * learns initial parameters θ such that a few gradient steps on a new task's support set
 * give low loss on its query set. The meta-loss is (1/T) Σₜ L_query,t(θ − α∇L_support,t(θ))
 * (more steps repeat the update); its gradient differentiates through the inner updates
 * (second order). `firstOrder: true` treats the inner gradients as constants (FOMAML,
 * same paper §5.2), which is cheaper and drops the Hessian terms. `checkpointEvery: k`
 * stores the parameters only every k inner steps and recomputes the steps between them
 * in the backward pass (same meta-gradient, memory for many inner steps).
 *
 * @example
 * ```ts
 * const learner = maml({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
 * const outer = adam({ lr: 0.001 });
 * const rng = new Rng(0);
 * let theta = learner.init(rng), state = outer.init(theta);
 * for (let i = 0; i < 20; i++) { // a real run takes thousands of iterations
 *   const { grads } = learner.metaGradient(theta, sinusoidTasks(rng, { numTasks: 25, K: 10 }));
 *   ({ params: theta, state } = outer.update(grads, state, theta));
 * }
 * const curve = learner.adaptationCurve(theta, sinusoidTasks(rng, { numTasks: 100, K: 10, queryK: 100 }), 10);
 * curve.length; // 11: the query loss after 0, 1, …, 10 inner steps
 * ```
 */
export function maml<P>(options: MAMLOptions<P>): DifferentiableMetaLearner<P> {
  const { model } = options;
  const { inner, queryLoss } = innerLoopOf(options);
  return differentiableLearner({
    name: options.firstOrder ? 'fomaml' : 'maml',
    init: (rng) => model.init(rng),
    metaLoss: (theta: P, tasks) => queryLoss(model.apply, theta, tasks, inner),
    adaptationCurve: (theta, tasks, steps) => adaptationCurveTensor(model.apply, theta, tasks, steps, inner),
  }, options);
}
