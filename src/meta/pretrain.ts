/**
 * The non-meta-learning baseline: one network trained on all tasks' data jointly.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { add, div } from '../ops/elementwise.ts';
import { mean } from '../ops/reduce.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import type { Module } from '../nn/module.ts';
import { perTaskMse, type TaskLoss } from '../nn/losses.ts';
import { learnerFrom, type MetaLearner, type RecycleOptions } from './learner.ts';
import type { TaskBatch } from './tasks.ts';
import { adaptationCurveTensor } from './inner.ts';

/** {@link pretraining}'s options: the model, and the fine-tuning step its `adaptationCurve` uses. */
export interface PretrainingOptions<P> extends RecycleOptions {
  readonly model: Module<P>;
  /** Step size of the fine-tuning used by `adaptationCurve` (as for MAML, for a fair comparison). */
  readonly innerLr: number;
  readonly clipNorm?: number;
  readonly loss?: TaskLoss;
}

/**
 * Multi-task pretraining, the baseline of MAML's sinusoid experiment (Finn, Abbeel &
 * Levine, ICML 2017, §5.1, "pretrained on all of the tasks"): `metaGradient` is the
 * gradient of the mean loss on the support and query examples of every task, with no
 * adaptation; `adaptationCurve` then fine-tunes with plain SGD at `innerLr`, exactly as
 * MAML's evaluation does.
 *
 * @example
 * ```ts
 * const baseline = pretraining({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
 * const theta = baseline.init(new Rng(0));
 * const { grads } = baseline.metaGradient(theta, sinusoidTasks(new Rng(1), { numTasks: 25 }));
 * ```
 */
export function pretraining<P>(options: PretrainingOptions<P>): MetaLearner<P> {
  const { model, innerLr, clipNorm, loss = perTaskMse } = options;
  const jointLoss = (theta: P, { support, query }: TaskBatch): Tensor => div(add(
    mean(loss(model.apply(theta, support.x), support.y)),
    mean(loss(model.apply(theta, query.x), query.y)),
  ), 2);
  return learnerFrom<P>({
    name: 'pretrained',
    init: (rng) => model.init(rng),
    metaGradient: (theta, tasks) => {
      const [value, grads] = valueAndGrad((p: P) => jointLoss(p, tasks))(theta);
      return { loss: value as Tensor, grads: grads as P };
    },
    adaptationCurve: (theta, tasks, steps) => adaptationCurveTensor(model.apply, theta, tasks, steps, { lr: innerLr, loss, ...(clipNorm !== undefined && { clipNorm }) }),
  }, options);
}
