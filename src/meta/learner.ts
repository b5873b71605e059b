/**
 * What the training loop and the evaluation need from a meta-learning algorithm. Each
 * algorithm (MAML, Meta-SGD, ANIL, Reptile, the pretraining baseline) is a factory that
 * returns one of these; the meta-parameters `M` are a plain tree of tensors.
 */
import { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random/rng.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import { recycling } from '../autodiff/recycle.ts';
import { treeCopy } from '../autodiff/tree.ts';
import { jit, type Jitted, type Lowered } from '../jit/jit.ts';
import { taskTensors, type TaskBatch } from './tasks.ts';

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
  /**
   * The compiled program of the meta-gradient for these arguments' signature (op
   * count, arena bytes, listing; see {@link Jitted.lower}), where the learner can be
   * traced; learners built with {@link learnerFrom} can.
   */
  lower?(meta: M, tasks: TaskBatch): Lowered;
}

/** A learner whose meta-gradient is the gradient of a differentiable meta-loss. */
export interface DifferentiableMetaLearner<M> extends MetaLearner<M> {
  /** Mean query loss over tasks after adaptation, differentiable with respect to `meta`. */
  metaLoss(meta: M, tasks: TaskBatch): Tensor;
}

/** How every learner runs its meta-gradient and evaluation: recycled storage, or compiled. */
export interface RecycleOptions {
  /**
   * Reuse the storage of one meta-gradient's (and one evaluation's) intermediate
   * tensors for the next instead of allocating afresh ({@link recycling}): same
   * numbers, 10–38% less time per meta-gradient at the sinusoid sizes, by machine. The
   * model and loss must then not keep tensors they create past the call (as inside
   * `jax.grad`); default false. Ignored with `jit` (a compiled program allocates nothing).
   */
  readonly recycleMemory?: boolean;
  /**
   * Compile the meta-gradient and the adaptation curve with {@link jit}: traced once per
   * task-batch shape, then run as one planned program — the same numbers, bit for bit,
   * several times faster (BENCHMARKS.md). The model and loss must be jit-traceable (no
   * reading tensor values inside). Default false.
   */
  readonly jit?: boolean;
  /**
   * With `jit`, compile with {@link JitOptions.fastMath}: constant scales folded into the
   * products and the tasks' weight-gradient sums merged into one product each (faster
   * meta-gradients measured alone, 2% end to end on the sinusoid run: BENCHMARKS.md),
   * results equal to float32 rounding instead of bit for bit. Ignored without `jit`.
   * Default false.
   */
  readonly fastMath?: boolean;
}

/**
 * A learner's computations with tensor results, before they are run eagerly, recycled
 * or compiled and their scalars read (see {@link learnerFrom}).
 */
export interface LearnerParts<M> {
  readonly name: string;
  init(rng: Rng): M;
  /** The meta-gradient and the mean query loss (a one-element tensor). */
  metaGradient(meta: M, tasks: TaskBatch): { loss: Tensor; grads: M };
  /** Mean query loss after 0…steps inner steps, as a tensor of `steps + 1` values. */
  adaptationCurve(meta: M, tasks: TaskBatch, steps: number): Tensor;
}

/**
 * The learner that runs `parts` as `options` say: eagerly, under {@link recycling}, or
 * compiled by {@link jit}; losses are read out of the tensors last.
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 8, 1] });
 * const inner = { lr: 0.01, loss: perTaskMse };
 * const learner = learnerFrom({
 *   name: 'mine',
 *   init: (rng) => net.init(rng),
 *   metaGradient: (meta, tasks) => {
 *     const [loss, grads] = valueAndGrad((m: typeof meta) => adaptedQueryLoss(net.apply, m, tasks, inner))(meta);
 *     return { loss, grads };
 *   },
 *   adaptationCurve: (meta, tasks, steps) => adaptationCurveTensor(net.apply, meta, tasks, steps, inner),
 * }, { jit: true });
 * learner.adaptationCurve(learner.init(new Rng(0)), sinusoidTasks(new Rng(1), { numTasks: 4, K: 5 }), 2).length; // 3
 * ```
 */
export function learnerFrom<M>(parts: LearnerParts<M>, options: RecycleOptions = {}): MetaLearner<M> {
  let gradient = parts.metaGradient, curve = parts.adaptationCurve;
  // Compiled on first use for `lower` when the learner runs eagerly. The compiled
  // functions see only the batch's tensors: other fields (a sinusoid batch's amplitudes)
  // would be static arguments, so every fresh batch would retrace.
  let compiled: Jitted<[M, TaskBatch], { loss: Tensor; grads: M }> | undefined;
  const fastMath = options.fastMath === true;
  const compiledGradient = () => compiled ??= jit(parts.metaGradient, { name: `${parts.name}.metaGradient`, fastMath });
  const lower = (meta: M, tasks: TaskBatch) => compiledGradient().lower(meta, taskTensors(tasks));
  if (options.jit === true) {
    const g = compiledGradient(), c = jit(parts.adaptationCurve, { name: `${parts.name}.adaptationCurve`, fastMath });
    gradient = (meta, tasks) => g(meta, taskTensors(tasks));
    curve = (meta, tasks, steps) => c(meta, taskTensors(tasks), steps);
  } else if (options.recycleMemory === true) {
    const g = gradient, c = curve;
    gradient = (meta, tasks) => recycling(() => g(meta, tasks), ({ loss, grads }) => ({ loss: treeCopy(loss), grads: treeCopy(grads) }));
    curve = (meta, tasks, steps) => recycling(() => c(meta, tasks, steps), treeCopy);
  }
  return {
    name: parts.name,
    init: parts.init,
    metaGradient: (meta, tasks) => {
      const { loss, grads } = gradient(meta, tasks);
      return { loss: loss.item(), grads };
    },
    adaptationCurve: (meta, tasks, steps) => Array.from(curve(meta, tasks, steps).toTypedArray()),
    lower,
  };
}

/**
 * `learner` itself, or with `recycleMemory` a copy whose `metaGradient` and
 * `adaptationCurve` run under {@link recycling} (the gradients are copied out).
 * For learners built from tensor-valued parts, {@link learnerFrom} also offers `jit`.
 * @example
 * ```ts
 * const learner = withRecycling(maml({ model: MLP({ sizes: [1, 8, 1] }), innerLr: 0.01 }), { recycleMemory: true });
 * const { loss } = learner.metaGradient(learner.init(new Rng(0)), sinusoidTasks(new Rng(1), { numTasks: 4, K: 5 }));
 * typeof loss; // 'number'
 * ```
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
 * `adaptationCurve` returns the curve as a tensor of `steps + 1` losses.
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 8, 1] });
 * const inner = { lr: 0.01, loss: perTaskMse };
 * const learner = differentiableLearner({
 *   name: 'mine',
 *   init: (rng) => net.init(rng),
 *   metaLoss: (meta, tasks) => adaptedQueryLoss(net.apply, meta, tasks, inner),
 *   adaptationCurve: (meta, tasks, steps) => adaptationCurveTensor(net.apply, meta, tasks, steps, inner),
 * }, { jit: true });
 * learner.metaLoss(learner.init(new Rng(0)), sinusoidTasks(new Rng(1), { numTasks: 4, K: 5 })).shape; // []
 * ```
 */
export function differentiableLearner<M>(
  parts: Omit<LearnerParts<M>, 'metaGradient'> & { metaLoss(meta: M, tasks: TaskBatch): Tensor }, options: RecycleOptions = {},
): DifferentiableMetaLearner<M> {
  const learner = learnerFrom({
    ...parts,
    metaGradient: (meta: M, tasks: TaskBatch) => {
      const [loss, grads] = valueAndGrad((m: M) => parts.metaLoss(m, tasks))(meta);
      return { loss: loss as Tensor, grads: grads as M };
    },
  }, options);
  return { ...learner, metaLoss: parts.metaLoss };
}
