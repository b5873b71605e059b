/**
 * Gradient clipping by global norm, scale = min(1, maxNorm / ‖g‖), in two forms that
 * cannot be one code path:
 *
 * - {@link clipByGlobalNorm} (and the per-task and optimizer-wrapping forms) is written
 *   with differentiable ops so that it can sit inside a MAML inner loop (and be
 *   differentiated through in second order): float32 sums of squares, and an ε in the
 *   divisor so that the gradient of a zero tree stays finite.
 * - {@link clipByGlobalNormEager} is for an outer step, where nothing differentiates the
 *   clip: on the host, the norm accumulated in float64 and each entry scaled in float64
 *   and rounded once. Graph ops would round every partial sum and the scale to float32,
 *   and the ε would move the scale, so results recorded with it would not reproduce.
 */
import { Tensor } from '../tensor/tensor.ts';
import { add, div, minimum, mul, sqrt, square } from '../ops/elementwise.ts';
import { sum } from '../ops/reduce.ts';
import { reshape } from '../ops/movement.ts';
import { treeLeaves, treeMap } from '../autodiff/tree.ts';
import { GradError } from '../tensor/errors.ts';
import type { Optimizer, OptimizerState } from './state.ts';

/** Added to the norm before dividing, so a zero gradient stays zero instead of NaN. */
const NORM_EPSILON = 1e-6;

/**
 * √(Σ over all leaves of Σ g²), a scalar tensor.
 * @example globalNorm([tensor([3]), tensor([4])]).item() // 5
 */
export function globalNorm(tree: unknown): Tensor {
  const leaves = treeLeaves(tree);
  if (leaves.length === 0) throw new GradError('globalNorm: empty tree');
  let total = sum(square(leaves[0]!));
  for (let i = 1; i < leaves.length; i++) total = add(total, sum(square(leaves[i]!)));
  return sqrt(total);
}

/**
 * Scales the whole tree by min(1, maxNorm / ‖g‖) where ‖g‖ is the {@link globalNorm},
 * so its norm is at most `maxNorm` and its direction is kept.
 *
 * @example
 * ```ts
 * const { grads, norm } = clipByGlobalNorm([tensor([3]), tensor([4])], 1);
 * // norm = 5, grads = [[0.6], [0.8]]
 * ```
 */
export function clipByGlobalNorm<T>(grads: T, maxNorm: number): { grads: T; norm: Tensor } {
  checkMaxNorm(maxNorm);
  const norm = globalNorm(grads);
  const scale = minimum(div(maxNorm, add(norm, NORM_EPSILON)), 1);
  return { grads: treeMap(grads, (g) => mul(g, scale)), norm };
}

/**
 * {@link clipByGlobalNorm} computed eagerly on the host, for an optimizer step outside
 * any differentiated computation: `‖g‖² = Σ g²` accumulated in float64 over every entry
 * of every leaf, `scale = maxNorm / ‖g‖` when `‖g‖ > maxNorm` (no ε: the scale is never
 * differentiated), each entry multiplied in float64 and rounded once into its leaf's
 * dtype. A tree within the norm is returned as it is (the same tensors). Not
 * differentiable: the result has no graph.
 *
 * @example
 * ```ts
 * const { grads, norm } = clipByGlobalNormEager({ a: tensor([3]), b: tensor([4]) }, 1);
 * norm;                // 5
 * grads.a.toArray();   // [0.6]: 3 · 0.2 in float64, rounded once to float32
 * ```
 */
export function clipByGlobalNormEager<T>(grads: T, maxNorm: number): { grads: T; norm: number } {
  checkMaxNorm(maxNorm);
  let total = 0;
  for (const g of treeLeaves(grads)) for (const x of g.data) total += x * x;
  const norm = Math.sqrt(total);
  if (!(norm > maxNorm)) return { grads, norm };
  const scale = maxNorm / norm;
  const scaled = (g: Tensor): Tensor =>
    new Tensor(g.data instanceof Float64Array ? Float64Array.from(g.data, (x) => x * scale) : Float32Array.from(g.data, (x) => x * scale), g.shape);
  return { grads: treeMap(grads, scaled), norm };
}

/**
 * {@link clipByGlobalNorm} separately for each task of a task-batched tree: every leaf has
 * a leading task axis T, task t's norm is taken over all leaves' slices t, and each slice
 * is scaled by its own factor. Returns the norms, shape [T].
 *
 * @example
 * ```ts
 * const { grads, norms } = clipByGlobalNormPerTask(tensor([[3, 4], [0.3, 0.4]]), 1);
 * // norms = [5, 0.5]; grads = [[0.6, 0.8], [0.3, 0.4]]
 * ```
 */
export function clipByGlobalNormPerTask<T>(grads: T, maxNorm: number): { grads: T; norms: Tensor } {
  checkMaxNorm(maxNorm);
  const leaves = treeLeaves(grads);
  if (leaves.length === 0) throw new GradError('clipByGlobalNormPerTask: empty tree');
  const numTasks = leaves[0]!.shape[0] ?? 0;
  const perTask = (g: Tensor): Tensor => {
    if (g.rank === 0 || g.shape[0] !== numTasks) {
      throw new GradError(`clipByGlobalNormPerTask: every leaf needs the leading task axis ${numTasks}, got [${g.shape.join(', ')}]`);
    }
    return g.rank === 1 ? square(g) : sum(square(g), Array.from({ length: g.rank - 1 }, (_, k) => k + 1));
  };
  let total = perTask(leaves[0]!);
  for (let i = 1; i < leaves.length; i++) total = add(total, perTask(leaves[i]!));
  const norms = sqrt(total);
  const scale = minimum(div(maxNorm, add(norms, NORM_EPSILON)), 1);
  return {
    grads: treeMap(grads, (g) => mul(g, reshape(scale, [numTasks, ...new Array<number>(g.rank - 1).fill(1)]))),
    norms,
  };
}

/**
 * `optimizer` with every gradient tree first clipped to global norm `maxNorm`
 * ({@link clipByGlobalNorm}), like optax's `chain(clip_by_global_norm(n), adam(lr))` or
 * PyTorch's `clip_grad_norm_` before `step()`. Clipping keeps no state, so the state (and
 * its saved form) is the wrapped optimizer's own.
 *
 * @example
 * ```ts
 * let params = { w: tensor([1, 2]) };
 * const opt = withGradientClipping(sgd({ lr: 0.1 }), 10);
 * let state = opt.init(params);
 * ({ params, state } = opt.update({ w: tensor([30, 40]) }, state, params)); // grads scaled to norm ≤ 10 first: [6, 8]
 * params.w.toArray(); // [0.4, 1.2]
 * ```
 */
export function withGradientClipping<S extends OptimizerState>(optimizer: Optimizer<S>, maxNorm: number): Optimizer<S> {
  checkMaxNorm(maxNorm);
  return {
    init: (params) => optimizer.init(params),
    update: (grads, state, params) => optimizer.update(clipByGlobalNorm(grads, maxNorm).grads, state, params),
    restore: (data, params) => optimizer.restore(data, params),
  };
}

function checkMaxNorm(maxNorm: number): void {
  if (!(maxNorm > 0)) throw new RangeError(`clip: maxNorm must be positive, got ${maxNorm}`);
}
