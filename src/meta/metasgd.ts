/**
 * Meta-SGD: MAML with a learned step size for every parameter entry.
 */
import { full } from '../tensor/create.ts';
import { treeMap } from '../autodiff/tree.ts';
import type { Module } from '../nn/module.ts';
import type { AdaptOptions } from './adapt.ts';
import { differentiableLearner, type DifferentiableMetaLearner } from './learner.ts';
import { adaptationCurveOf, innerLoopOf, type InnerLoopSettings } from './inner.ts';

/** Meta-SGD's meta-parameters: the initialisation and one step size per parameter entry. */
export interface MetaSGDParams<P> {
  readonly params: P;
  /** Same tree structure and shapes as `params`. */
  readonly lrs: P;
}

/** `innerLr` is the initial value of every learned step size; `firstOrder` still trains the step sizes. */
export interface MetaSGDOptions<P> extends InnerLoopSettings, Pick<AdaptOptions, 'checkpointEvery'> {
  readonly model: Module<P>;
}

/**
 * Meta-SGD (Li, Zhou, Chen & Li, "Meta-SGD: Learning to Learn Quickly for Few-Shot
 * Learning", 2017, arXiv:1707.09835): the inner update is θ′ = θ − α ⊙ ∇L_support(θ) with
 * α a tree of per-entry step sizes (direction and magnitude), meta-learned jointly with θ
 * by the same outer optimizer. α starts at `innerLr` everywhere.
 *
 * @example
 * ```ts
 * const learner = metaSgd({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
 * const meta = learner.init(new Rng(0));     // { params, lrs }
 * const { grads } = learner.metaGradient(meta, sinusoidTasks(new Rng(1), { numTasks: 25 }));
 * grads.lrs;                                 // step sizes receive gradients too
 * ```
 */
export function metaSgd<P>(options: MetaSGDOptions<P>): DifferentiableMetaLearner<MetaSGDParams<P>> {
  const { model, innerLr } = options;
  const { inner, queryLoss } = innerLoopOf(options);
  const innerWith = (lrs: P) => ({ ...inner, lr: lrs });
  return differentiableLearner({
    name: 'metasgd',
    init: (rng) => {
      const params = model.init(rng);
      return { params, lrs: treeMap(params, (p) => full(p.shape, innerLr, p.dtype)) };
    },
    metaLoss: (meta: MetaSGDParams<P>, tasks) => queryLoss(model.apply, meta.params, tasks, innerWith(meta.lrs)),
    adaptationCurve: (meta, tasks, steps) => adaptationCurveOf(model.apply, meta.params, tasks, steps, innerWith(meta.lrs)),
  });
}
