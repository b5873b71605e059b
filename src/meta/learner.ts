/**
 * What the training loop and the evaluation need from a meta-learning algorithm. Each
 * algorithm (MAML, Meta-SGD, ANIL, Reptile, the pretraining baseline) is a factory that
 * returns one of these; the meta-parameters `M` are a plain tree of tensors.
 */
import type { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random/rng.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import { recycling } from '../autodiff/recycle.ts';
import { treeCopy } from '../autodiff/tree.ts';
import type { TaskBatch } from './tasks.ts';

/**
 * A meta-learning algorithm as {@link metaTrain} and the evaluation see it: fresh
 * meta-parameters, a meta-gradient per task batch, and an adaptation curve.
 */
export interface MetaLearner<M> {
  /** Short name for logs ('maml', 'fomaml', 'metasgd', ...). */
  readonly name: string;
  /** Fresh meta-parameters. */
  init(rng: Rng): M;
  /**
   * The meta-gradient for one batch of tasks (a tree shaped like `meta`, to hand to an
   * outer optimizer) and the mean query loss after adaptation.
   */
  metaGradient(meta: M, tasks: TaskBatch): { loss: number; grads: M };
  /**
   * Mean query loss over the tasks after 0, 1, …, `steps` inner steps on each task's
   * support set (length `steps + 1`).
   */
  adaptationCurve(meta: M, tasks: TaskBatch, steps: number): number[];
}

/** A learner whose meta-gradient is the gradient of a differentiable meta-loss. */
export interface DifferentiableMetaLearner<M> extends MetaLearner<M> {
  /** Mean query loss over tasks after adaptation, differentiable with respect to `meta`. */
  metaLoss(meta: M, tasks: TaskBatch): Tensor;
}

/** The memory option every learner takes. */
export interface RecycleOptions {
  /**
   * Reuse the storage of one meta-gradient's (and one evaluation's) intermediate
   * tensors for the next instead of allocating afresh ({@link recycling}): same
   * numbers, 10–38% less time per meta-gradient at the sinusoid sizes, by machine. The
   * model and loss must then not keep tensors they create past the call (as inside
   * `jax.grad`); default false.
   */
  readonly recycleMemory?: boolean;
}

/**
 * `learner` itself, or with `recycleMemory` a copy whose `metaGradient` and
 * `adaptationCurve` run under {@link recycling} (the gradients are copied out).
 * @example withRecycling(myLearner, { recycleMemory: true })
 */
export function withRecycling<L extends MetaLearner<any>>(learner: L, options: RecycleOptions): L {
  if (options.recycleMemory !== true) return learner;
  return {
    ...learner,
    metaGradient: (meta: unknown, tasks: TaskBatch) => recycling(
      () => learner.metaGradient(meta, tasks),
      ({ loss, grads }) => ({ loss, grads: treeCopy(grads) }),
    ),
    adaptationCurve: (meta: unknown, tasks: TaskBatch, steps: number) => recycling(() => learner.adaptationCurve(meta, tasks, steps), (curve) => curve),
  };
}

/**
 * A learner from its differentiable meta-loss: the meta-gradient is `grad` of `metaLoss`.
 * @example differentiableLearner({ name: 'mine', init, metaLoss, adaptationCurve }, { recycleMemory: true })
 */
export function differentiableLearner<M>(
  parts: Omit<DifferentiableMetaLearner<M>, 'metaGradient'>, options: RecycleOptions = {},
): DifferentiableMetaLearner<M> {
  return withRecycling({
    ...parts,
    metaGradient: (meta: M, tasks: TaskBatch) => {
      const [value, grads] = valueAndGrad((m: M) => parts.metaLoss(m, tasks))(meta);
      return { loss: (value as Tensor).item(), grads: grads as M };
    },
  }, options);
}
