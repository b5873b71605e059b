/**
 * Adapt-then-evaluate over a batch of tasks, in two equivalent forms: one batched
 * computation (parameters broadcast to [T, ...], one pass for all tasks) and a JS loop
 * over tasks. MAML, Meta-SGD and ANIL are this function with different parameters.
 */
import { Tensor } from '../tensor/tensor.ts';
import { add, div } from '../ops/elementwise.ts';
import { mean, sum } from '../ops/reduce.ts';
import { batchOverTasks } from '../nn/module.ts';
import type { TaskLoss } from '../nn/losses.ts';
import { adapt, type AdaptOptions } from './adapt.ts';
import { numTasks, taskAt, type TaskBatch } from './tasks.ts';

/** A model's forward pass: parameters and inputs to outputs. */
export type ApplyFn<P> = (params: P, x: Tensor) => Tensor;

/** Inner-loop settings plus the per-task loss. */
export interface InnerLoopOptions extends Omit<AdaptOptions, 'taskBatched'> {
  readonly loss: TaskLoss;
}

/**
 * Mean over tasks of the query loss after adapting `params` on each task's support set,
 * computed for all T tasks at once: `params` (unbatched) are broadcast to [T, ...], the
 * inner loss is the sum of the per-task support losses (so each task's slice gets its own
 * gradient) and every matmul is a batch matmul.
 *
 * @example
 * ```ts
 * const loss = adaptedQueryLoss(net.apply, theta, tasks, { lr: 0.01, steps: 1, loss: perTaskMse });
 * const metaGrad = grad((p) => adaptedQueryLoss(net.apply, p, tasks, options))(theta);
 * ```
 */
export function adaptedQueryLoss<P>(apply: ApplyFn<P>, params: P, tasks: TaskBatch, options: InnerLoopOptions): Tensor {
  const T = numTasks(tasks);
  const { support, query } = tasks;
  const { loss, ...adaptOptions } = options;
  const supportLoss = (p: P): Tensor => sum(loss(apply(p, support.x), support.y));
  const adapted = adapt(batchOverTasks(params, T), supportLoss, { ...adaptOptions, taskBatched: true });
  return mean(loss(apply(adapted, query.x), query.y));
}

/**
 * The same value as {@link adaptedQueryLoss}, computed one task at a time in a JS loop
 * (the reference the batched form is tested against, and the baseline of the benchmark).
 *
 * @example adaptedQueryLossLooped(net.apply, theta, tasks, { lr: 0.01, loss: perTaskMse })
 */
export function adaptedQueryLossLooped<P>(apply: ApplyFn<P>, params: P, tasks: TaskBatch, options: InnerLoopOptions): Tensor {
  const T = numTasks(tasks);
  const { loss, ...adaptOptions } = options;
  let total: Tensor | null = null;
  for (let t = 0; t < T; t++) {
    const { support, query } = taskAt(tasks, t);
    const adapted = adapt(params, (p: P) => loss(apply(p, support.x), support.y), adaptOptions);
    const queryLoss = loss(apply(adapted, query.x), query.y);
    total = total === null ? queryLoss : add(total, queryLoss);
  }
  return div(total!, T);
}

/**
 * Mean query loss over tasks after 0, 1, …, `steps` inner steps (no meta-gradient):
 * the adaptation curve used for evaluation. Batched over the tasks given.
 *
 * @example adaptationCurveOf(net.apply, theta, tasks, 10, { lr: 0.01, loss: perTaskMse }) // 11 numbers
 */
export function adaptationCurveOf<P>(apply: ApplyFn<P>, params: P, tasks: TaskBatch, steps: number, options: InnerLoopOptions): number[] {
  const T = numTasks(tasks);
  const { support, query } = tasks;
  const { loss, ...adaptOptions } = options;
  const supportLoss = (p: P): Tensor => sum(loss(apply(p, support.x), support.y));
  const queryLoss = (p: P): number => mean(loss(apply(p, query.x), query.y)).item();
  let current = batchOverTasks(params, T);
  const curve = [queryLoss(current)];
  for (let s = 0; s < steps; s++) {
    current = adapt(current, supportLoss, { ...adaptOptions, steps: 1, firstOrder: true, taskBatched: true });
    curve.push(queryLoss(current));
  }
  return curve;
}
