/**
 * What the training loop and the evaluation need from a meta-learning algorithm. Each
 * algorithm (MAML, Meta-SGD, ANIL, Reptile, the pretraining baseline) is a factory that
 * returns one of these; the meta-parameters `M` are a plain tree of tensors.
 */
import type { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random/rng.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import type { TaskBatch } from './tasks.ts';

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

/**
 * A learner from its differentiable meta-loss: the meta-gradient is `grad` of `metaLoss`.
 * @example differentiableLearner({ name: 'mine', init, metaLoss, adaptationCurve })
 */
export function differentiableLearner<M>(parts: Omit<DifferentiableMetaLearner<M>, 'metaGradient'>): DifferentiableMetaLearner<M> {
  return {
    ...parts,
    metaGradient: (meta, tasks) => {
      const [value, grads] = valueAndGrad((m: M) => parts.metaLoss(m, tasks))(meta);
      return { loss: (value as Tensor).item(), grads: grads as M };
    },
  };
}
