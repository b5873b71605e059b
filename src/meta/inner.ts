/**
 * Adapt-then-evaluate over a batch of tasks, in two equivalent forms: one batched
 * computation (parameters broadcast to [T, ...], one pass for all tasks) and a JS loop
 * over tasks. MAML, Meta-SGD and ANIL are this function with different parameters.
 */
import { Tensor } from '../tensor/tensor.ts';
import { add, div } from '../ops/elementwise.ts';
import { mean, sum } from '../ops/reduce.ts';
import { concat, reshape } from '../ops/movement.ts';
import { batchOverTasks } from '../nn/module.ts';
import { perTaskMse, type TaskLoss } from '../nn/losses.ts';
import { adapt, type AdaptOptions } from './adapt.ts';
import type { RecycleOptions } from './learner.ts';
import { numTasks, taskAt, type TaskBatch } from './tasks.ts';

/** A model's forward pass: parameters and inputs to outputs. */
export type ApplyFn<P> = (params: P, x: Tensor) => Tensor;

/** Inner-loop settings plus the per-task loss. */
export interface InnerLoopOptions extends Omit<AdaptOptions, 'taskBatched'> {
  readonly loss: TaskLoss;
}

/** The inner-loop options MAML, Meta-SGD and ANIL take. */
export interface InnerLoopSettings extends RecycleOptions {
  /** Inner-loop step size α (Meta-SGD: the initial value of every learned step size). */
  readonly innerLr: number;
  /** Inner gradient steps during meta-training (default 1). */
  readonly innerSteps?: number;
  /** First order: do not differentiate through the inner gradients (default false). */
  readonly firstOrder?: boolean;
  /** Clip each task's inner gradient to this global norm (default: no clipping). */
  readonly clipNorm?: number;
  /** Per-task loss (default {@link perTaskMse}). */
  readonly loss?: TaskLoss;
  /** One batched computation over tasks (default true) or a JS loop over tasks. */
  readonly batched?: boolean;
}

/**
 * The inner-loop options and the adapt-then-evaluate function (batched or looped) that
 * a learner's settings select.
 * @example const { inner, queryLoss } = innerLoopOf({ innerLr: 0.01, innerSteps: 5 });
 */
export function innerLoopOf(settings: InnerLoopSettings & Pick<AdaptOptions, 'checkpointEvery'>) {
  const { innerLr, innerSteps = 1, firstOrder = false, clipNorm, checkpointEvery, loss = perTaskMse, batched = true } = settings;
  const inner: InnerLoopOptions = {
    lr: innerLr, steps: innerSteps, firstOrder, loss,
    ...(clipNorm !== undefined && { clipNorm }),
    ...(checkpointEvery !== undefined && { checkpointEvery }),
  };
  return { inner, queryLoss: batched ? adaptedQueryLoss : adaptedQueryLossLooped };
}

/**
 * Mean over tasks of the query loss after adapting `params` on each task's support set,
 * computed for all T tasks at once: `params` (unbatched) are broadcast to [T, ...], the
 * inner loss is the sum of the per-task support losses (so each task's slice gets its own
 * gradient) and every matmul is a batch matmul.
 *
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 16, 1] });
 * const theta = net.init(new Rng(0));
 * const tasks = sinusoidTasks(new Rng(1), { numTasks: 4, K: 5 });
 * const options = { lr: 0.01, steps: 1, loss: perTaskMse };
 * const loss = adaptedQueryLoss(net.apply, theta, tasks, options);
 * const metaGrad = grad((p: typeof theta) => adaptedQueryLoss(net.apply, p, tasks, options))(theta);
 * loss.shape; // []: the mean over the tasks
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
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 16, 1] });
 * const theta = net.init(new Rng(0));
 * const tasks = sinusoidTasks(new Rng(1), { numTasks: 4, K: 5 });
 * const looped = adaptedQueryLossLooped(net.apply, theta, tasks, { lr: 0.01, loss: perTaskMse });
 * const batched = adaptedQueryLoss(net.apply, theta, tasks, { lr: 0.01, loss: perTaskMse });
 * Math.abs(looped.item() - batched.item()) < 1e-5; // true
 * ```
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
 * the adaptation curve used for evaluation, as a tensor of `steps + 1` losses. Batched
 * over the tasks given.
 *
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 16, 1] });
 * const theta = net.init(new Rng(0));
 * const tasks = sinusoidTasks(new Rng(1), { numTasks: 4, K: 5 });
 * adaptationCurveTensor(net.apply, theta, tasks, 10, { lr: 0.01, loss: perTaskMse }).shape; // [11]
 * ```
 */
export function adaptationCurveTensor<P>(apply: ApplyFn<P>, params: P, tasks: TaskBatch, steps: number, options: InnerLoopOptions): Tensor {
  const T = numTasks(tasks);
  const { support, query } = tasks;
  // Evaluation takes no meta-gradient: nothing to checkpoint.
  const { loss, checkpointEvery: _unused, ...adaptOptions } = options;
  const supportLoss = (p: P): Tensor => sum(loss(apply(p, support.x), support.y));
  const queryLoss = (p: P): Tensor => reshape(mean(loss(apply(p, query.x), query.y)), [1]);
  let current = batchOverTasks(params, T);
  const curve = [queryLoss(current)];
  for (let s = 0; s < steps; s++) {
    current = adapt(current, supportLoss, { ...adaptOptions, steps: 1, firstOrder: true, taskBatched: true });
    curve.push(queryLoss(current));
  }
  return concat(curve, 0);
}

/**
 * {@link adaptationCurveTensor} as numbers.
 *
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 16, 1] });
 * const theta = net.init(new Rng(0));
 * const tasks = sinusoidTasks(new Rng(1), { numTasks: 4, K: 5 });
 * adaptationCurveOf(net.apply, theta, tasks, 10, { lr: 0.01, loss: perTaskMse }).length; // 11
 * ```
 */
export function adaptationCurveOf<P>(apply: ApplyFn<P>, params: P, tasks: TaskBatch, steps: number, options: InnerLoopOptions): number[] {
  return Array.from(adaptationCurveTensor(apply, params, tasks, steps, options).toTypedArray());
}
