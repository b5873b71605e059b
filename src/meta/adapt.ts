/**
 * The inner loop shared by the MAML family: gradient steps on a support loss, as a pure
 * function from parameters to adapted parameters (learn2learn's `clone` + `adapt`).
 */
import type { Tensor } from '../tensor/tensor.ts';
import { descentStep } from '../optim/step.ts';
import { stopGradient } from '../autodiff/stop.ts';
import { grad } from '../autodiff/transforms.ts';
import { checkpoint } from '../autodiff/checkpoint.ts';
import { treeLeaves, treeMap } from '../autodiff/tree.ts';
import { clipByGlobalNorm, clipByGlobalNormPerTask } from '../optim/clip.ts';

/** How to adapt: step size, number of steps, order of the meta-gradient, clipping. */
export interface AdaptOptions {
  /**
   * Inner step size: one number, or a tree with the parameters' structure holding a
   * step size per entry (Meta-SGD). With task-batched parameters the tree may be
   * unbatched ([I, O] against [T, I, O]): it broadcasts over tasks.
   */
  readonly lr: number | unknown;
  /** Gradient steps (default 1). */
  readonly steps?: number;
  /**
   * First-order approximation: inner gradients are constants (`stopGradient`), so the
   * meta-gradient does not differentiate through them (FOMAML). Default false.
   */
  readonly firstOrder?: boolean;
  /**
   * Clip every inner gradient to this global norm (per task when `taskBatched`), which
   * keeps high inner learning rates from producing NaNs. Default: no clipping.
   */
  readonly clipNorm?: number;
  /** Parameters carry a leading task axis: clipping takes each task's own norm. Default false. */
  readonly taskBatched?: boolean;
  /**
   * Memory saver for many inner steps: keep the parameters only every `checkpointEvery`
   * steps and recompute the steps in between (their activations and inner backward
   * passes) when the meta-gradient needs them ({@link checkpoint}). Same values and
   * meta-gradients; about one more forward pass of the inner loop. `supportLoss` must
   * then capture no traced tensor (ANIL's features, say). Default: store every step.
   */
  readonly checkpointEvery?: number;
}

const stopTree = <T>(tree: T): T => treeMap(tree, stopGradient);

/**
 * Adapts `params` to a task by `steps` gradient-descent steps on `supportLoss`:
 * θ′ = θ − α∇L(θ), repeated. Returns new parameters; nothing is modified. Under an
 * enclosing `grad`, the result stays a differentiable function of `params` (and of a
 * learned `lr`), so the meta-gradient flows through the adaptation; with `firstOrder`
 * the inner gradients are treated as constants.
 *
 * For task-batched parameters (leading axis T, see `batchOverTasks`), pass a support loss
 * that *sums* the per-task losses: each task's slice then receives its own gradient.
 *
 * Implements the inner loop of MAML (Finn, Abbeel & Levine, "Model-Agnostic
 * Meta-Learning for Fast Adaptation of Deep Networks", ICML 2017).
 *
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 40, 40, 1] });
 * const theta = net.init(new Rng(0));
 * const { support, query } = taskAt(sinusoidTasks(new Rng(1), { numTasks: 1 }), 0);
 * const supportLoss = (p: typeof theta) => mse(net.apply(p, support.x), support.y);
 * const metaGrad = grad((p: typeof theta) => {
 *   const fast = adapt(p, supportLoss, { lr: 0.01, steps: 1 });
 *   return mse(net.apply(fast, query.x), query.y);
 * })(theta);
 * ```
 */
export function adapt<P>(params: P, supportLoss: (params: P) => Tensor, options: AdaptOptions): P {
  const { lr, steps = 1, firstOrder = false, clipNorm, taskBatched = false, checkpointEvery } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`adapt: steps must be a non-negative integer, got ${steps}`);
  if (typeof lr === 'number' && !Number.isFinite(lr)) throw new RangeError(`adapt: lr must be finite, got ${lr}`);
  if (checkpointEvery !== undefined && (!Number.isInteger(checkpointEvery) || checkpointEvery < 1)) {
    throw new RangeError(`adapt: checkpointEvery must be a positive integer, got ${checkpointEvery}`);
  }
  const gradient = grad(supportLoss);
  const run = (start: P, rates: number | unknown, count: number): P => {
    let current = start;
    for (let s = 0; s < count; s++) {
      // First order: differentiate at a constant copy, so the enclosing transform
      // records nothing for the inner backward pass, then cut whatever remains.
      let g: P = firstOrder ? stopTree(gradient(stopTree(current))) : gradient(current);
      if (clipNorm !== undefined) g = taskBatched ? clipByGlobalNormPerTask(g, clipNorm).grads : clipByGlobalNorm(g, clipNorm).grads;
      current = descentStep(current, g, rates, 'adapt');
    }
    return current;
  };
  if (checkpointEvery === undefined) return run(params, lr, steps);
  let current = params;
  for (let done = 0; done < steps; done += checkpointEvery) {
    const count = Math.min(checkpointEvery, steps - done);
    // A learned rate tree (Meta-SGD) is differentiated too, so it is an argument.
    current = typeof lr === 'number'
      ? checkpoint((p: P) => run(p, lr, count), 'adapt')(current)
      : checkpoint((p: P, rates: unknown) => run(p, rates, count), 'adapt')(current, lr);
  }
  return current;
}
