/**
 * Meta-SGD: MAML with a learned step size for every parameter entry.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { full } from '../tensor/create.ts';
import { treeMap } from '../autodiff/tree.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import type { Module } from '../nn/module.ts';
import { perTaskMse, type TaskLoss } from '../nn/losses.ts';
import type { DifferentiableMetaLearner } from './learner.ts';
import type { TaskBatch } from './tasks.ts';
import { adaptedQueryLoss, adaptedQueryLossLooped, adaptationCurveOf } from './inner.ts';

/** Meta-SGD's meta-parameters: the initialisation and one step size per parameter entry. */
export interface MetaSGDParams<P> {
  readonly params: P;
  /** Same tree structure and shapes as `params`. */
  readonly lrs: P;
}

export interface MetaSGDOptions<P> {
  readonly model: Module<P>;
  /** Initial value of every learned step size. */
  readonly innerLr: number;
  /** Inner steps during meta-training (default 1). */
  readonly innerSteps?: number;
  /** Treat inner gradients as constants (the step sizes still receive gradients). Default false. */
  readonly firstOrder?: boolean;
  /** Clip each task's inner gradient to this global norm. */
  readonly clipNorm?: number;
  readonly loss?: TaskLoss;
  /** One batched computation over tasks (default true) or a JS loop. */
  readonly batched?: boolean;
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
  const { model, innerLr, innerSteps = 1, firstOrder = false, clipNorm, loss = perTaskMse, batched = true } = options;
  const queryLoss = batched ? adaptedQueryLoss : adaptedQueryLossLooped;
  const innerWith = (lrs: P) => ({ lr: lrs, steps: innerSteps, firstOrder, loss, ...(clipNorm !== undefined && { clipNorm }) });
  const metaLoss = (meta: MetaSGDParams<P>, tasks: TaskBatch): Tensor => queryLoss(model.apply, meta.params, tasks, innerWith(meta.lrs));
  return {
    name: 'metasgd',
    init: (rng) => {
      const params = model.init(rng);
      return { params, lrs: treeMap(params, (p) => full(p.shape, innerLr, p.dtype)) };
    },
    metaLoss,
    metaGradient: (meta, tasks) => {
      const [value, grads] = valueAndGrad((m: MetaSGDParams<P>) => metaLoss(m, tasks))(meta);
      return { loss: (value as Tensor).item(), grads: grads as MetaSGDParams<P> };
    },
    adaptationCurve: (meta, tasks, steps) => adaptationCurveOf(model.apply, meta.params, tasks, steps, innerWith(meta.lrs)),
  };
}
