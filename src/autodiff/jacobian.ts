/**
 * `jacobian` (forward or reverse mode) and `hessian`, over trees as in JAX.
 *
 * Reverse mode pulls back every row of the identity at once: one `vjp`, its pullback
 * vmapped over a batch of one-hot cotangents (as many as the output has elements).
 * Forward mode pushes forward every column: `jvp` vmapped over one-hot tangents (as
 * many as the inputs have elements). Both are built from the library's own transforms,
 * so they nest (`hessian` is forward over reverse) and are differentiable to any order.
 */
import { Tensor } from '../tensor/tensor.ts';
import { GradError } from '../tensor/errors.ts';
import { reshape, slice, transpose } from '../ops/movement.ts';
import { checkArgnums, jvp, vjp } from './transforms.ts';
import { treeLeaves, treeMap } from './tree.ts';
import { vmap } from './vmap.ts';

/**
 * Options of {@link jacobian}: which arguments (as `grad`'s `argnums`) and which mode.
 *
 * @example
 * ```ts
 * const f = (x: Tensor, y: Tensor) => mul(x, y);
 * const [dx, dy] = jacobian(f, { argnums: [0, 1], mode: 'forward' })(tensor([1, 2]), tensor([3, 4]));
 * // dx = [[3, 0], [0, 4]], dy = [[1, 0], [0, 2]]
 * ```
 */
export interface JacobianOptions {
  /** Which arguments to differentiate: one index (default 0) or a list (the result then has a list per output leaf). */
  readonly argnums?: number | readonly number[];
  /** 'reverse' (default; one pass per output element, batched: cheap for few outputs) or 'forward' (one per input element: cheap for few inputs). */
  readonly mode?: 'forward' | 'reverse';
}

/**
 * `[n, ...shape]` slice of the n×n identity's rows `offset … offset + size`, transposed:
 * entry (offset + j, j) is 1. One leaf's share of a basis spread over all leaves.
 */
function basis(n: number, offset: number, leaf: Tensor): Tensor {
  const data = leaf.dtype === 'float64' ? new Float64Array(n * leaf.size) : new Float32Array(n * leaf.size);
  for (let j = 0; j < leaf.size; j++) data[(offset + j) * leaf.size + j] = 1;
  return new Tensor(data, [n, ...leaf.shape]);
}

/** A tree like `tree` whose leaves are one-hot rows over all its elements: `[total, ...leaf.shape]`. */
function oneHotTree<T>(tree: T): T {
  const total = treeLeaves(tree).reduce((n, t) => n + t.size, 0);
  let offset = 0;
  return treeMap(tree, (t) => { const b = basis(total, offset, t); offset += t.size; return b; });
}

/** Moves axis 0 of `x` to the end. */
function batchLast(x: Tensor): Tensor {
  return x.shape.length < 2 ? x : transpose(x, [...x.shape.map((_, i) => i).slice(1), 0]);
}


/**
 * The Jacobian of `f` with respect to its argument(s) `argnums`, as a function. For
 * an output leaf of shape `O` and an input leaf of shape `I` the block has shape
 * `[...O, ...I]`: `J[o..., i...] = ∂out[o...] / ∂in[i...]`. Over trees as
 * `jax.jacobian`: the result has the output's structure with, at each output leaf, the
 * input's structure (a list of them for a list of `argnums`). `mode: 'reverse'`
 * (default) costs a batched backward pass per output element, `'forward'` a batched
 * forward product per input element; both give the same values. Differentiable to any
 * order (see {@link hessian}).
 *
 * @example
 * ```ts
 * const f = (x: Tensor) => mul(x, x);                            // elementwise x²
 * jacobian(f)(tensor([1, 2])).toArray();                         // [[2, 0], [0, 4]]
 * jacobian(f, { mode: 'forward' })(tensor([1, 2])).toArray();    // [[2, 0], [0, 4]]
 * const g = (p: { w: Tensor; b: Tensor }) => add(matmul(tensor([[1, 2]]), p.w), p.b);
 * jacobian(g)({ w: tensor([[1], [1]]), b: tensor([0]) }).w.shape; // [1, 1, 2, 1]
 * ```
 */
export function jacobian<A extends unknown[]>(f: (...args: A) => unknown, options: JacobianOptions = {}): (...args: A) => any {
  const { argnums = 0, mode = 'reverse' } = options;
  if (mode !== 'forward' && mode !== 'reverse') throw new GradError(`jacobian: mode must be 'forward' or 'reverse', got ${JSON.stringify(mode)}`);
  return (...args: A): any => {
    const list = checkArgnums(argnums, args.length, 'jacobian');
    const diff = list.map((i) => args[i]);
    // f as a function of the differentiated arguments only.
    const call = (...ds: unknown[]): unknown => {
      const full = [...args] as A;
      list.forEach((i, k) => { full[i] = ds[k]; });
      return f(...full);
    };
    const pick = (perArg: unknown[]): unknown => (typeof argnums === 'number' ? perArg[0] : perArg);
    if (mode === 'reverse') {
      const [out, back] = vjp(call, ...diff);
      // rows[a]: argument a's tree, each leaf [outputs, ...leaf.shape]: row k is ∂out_k / ∂leaf.
      const rows = vmap(back)(oneHotTree(out)) as unknown[];
      let offset = 0;
      return treeMap(out, (o) => {
        const at = offset;
        offset += o.size;
        return pick(rows.map((tree) => treeMap(tree, (r) => reshape(slice(r, [at], [o.size]), [...o.shape, ...r.shape.slice(1)])))) as Tensor;
      });
    }
    const inLeaves = treeLeaves(diff);
    // cols: f's output tree, each leaf [inputs, ...out.shape]: column k is ∂out / ∂input_k.
    const cols = vmap((t: unknown[]) => jvp(call, diff, t)[1])(oneHotTree(diff));
    return treeMap(cols, (c) => {
      let k = 0, offset = 0;
      return pick(diff.map((tree) => treeMap(tree, () => {
        const x = inLeaves[k++]!, at = offset;
        offset += x.size;
        return reshape(batchLast(slice(c, [at], [x.size])), [...c.shape.slice(1), ...x.shape]);
      }))) as Tensor;
    });
  };
}

/**
 * The Hessian of `f` (forward over reverse: `jacobian` of `jacobian`), as a function.
 * For a scalar `f` of a tensor `x` it has shape `[...x.shape, ...x.shape]`; over trees
 * `H.a.b` is the block `∂²f / ∂a ∂b`, of shape `[...a.shape, ...b.shape]`; an output of
 * shape `O` prefixes `O`.
 *
 * @example
 * ```ts
 * const f = (x: Tensor) => sum(pow(x, 3));
 * hessian(f)(tensor([1, 2])).toArray(); // diag(6x): [[6, 0], [0, 12]]
 * ```
 */
export function hessian<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<JacobianOptions, 'argnums'> = {}): (...args: A) => any {
  const argnums = options.argnums ?? 0;
  return jacobian(jacobian(f, { argnums, mode: 'reverse' }), { argnums, mode: 'forward' });
}

