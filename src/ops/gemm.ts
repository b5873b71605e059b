/**
 * `C + α·op(A)·op(B)` as one primitive: a product with a scale-and-accumulate
 * epilogue. The `jit` compiler rewrites `add(C, mul(matmul(A, B), α))` and its
 * sub-patterns into it, so the product is scaled and accumulated while its tiles are
 * stored instead of in two more passes over memory (second-order backward passes are
 * full of them: the inner learning rate times a weight gradient, gradient
 * contributions summed). The kernel rounds after each step as the unfused ops do, so
 * results are the same bits. The addend C broadcasts to the product's shape; one matrix
 * shared by the whole batch (θ + α·gᵢ for every task's gradient gᵢ) is read in place by
 * the kernel, other broadcasts are copied first. Like every primitive, its rule is
 * written in differentiable ops and nests to any order.
 */
import { getBackend } from '../backend/registry.ts';
import { bind, type PrimitiveDef, type VjpRule } from '../autodiff/primitive.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { broadcastShapes, fmt, sameShape, sizeOf } from '../tensor/shape.ts';
import { uninitialized } from './core.ts';
import { mul } from './elementwise.ts';
import { broadcastTo } from './movement.ts';
import { matmulPrim, productOperands, productShape, type MatmulParams } from './matmul.ts';

/** Transpose flags of the product and its scale α. */
export interface GemmParams extends MatmulParams {
  readonly alpha: number;
}

/**
 * The addend's storage for an output of `shape`: C itself when it has the output's size
 * or is one matrix repeated over the batch (the backends read both in place), else C
 * broadcast to the output.
 */
function addendData(c: Tensor, shape: readonly number[]): Tensor['data'] {
  // C broadcasts to `shape` (checked by `gemm`), so an equal size means an equal shape.
  if (sizeOf(c.shape) === sizeOf(shape) || isSharedMatrix(c.shape, shape)) return c.data;
  return broadcastTo(c, shape).data;
}

/** Whether `c` (left-padded with ones) is `[1, .., 1, m, n]` for an output `[..., m, n]`. */
export function isSharedMatrix(c: readonly number[], shape: readonly number[]): boolean {
  const r = shape.length, lead = r - c.length;
  if (lead < 0) return false;
  for (let i = 0; i < r; i++) {
    const d = i < lead ? 1 : c[i - lead]!;
    if (d !== (i >= r - 2 ? shape[i] : 1)) return false;
  }
  return true;
}

// out = C + α·P, P = op(A)·op(B):  dC = g (summed to C's shape by the autodiff core);  dA, dB = matmul's rule applied to α·g.
export const gemmPrim: PrimitiveDef<GemmParams> = {
  name: 'gemm',
  forward: (inputs, p) => {
    const out = uninitialized(inputs[0]!.dtype, productShape(inputs[0]!, inputs[1]!, p));
    gemmPrim.into!(inputs, out, p);
    return out;
  },
  into: ([a, b, c], out, p) => {
    const { aData, bData, spec } = productOperands(a!, b!, out.shape, p);
    getBackend().gemm(aData, bData, c === undefined ? null : addendData(c, out.shape), out.data, spec, p.alpha);
  },
  prepare: ([a, b, c], out, p) => {
    const { aData, bData, spec } = productOperands(a!, b!, out.shape, p);
    const addend = c === undefined ? null : addendData(c, out.shape);
    if (aData !== a!.data || bData !== b!.data || (c !== undefined && addend !== c.data)) return () => gemmPrim.into!(c === undefined ? [a!, b!] : [a!, b!, c], out, p);
    return () => getBackend().gemm(aData, bData, addend, out.data, spec, p.alpha);
  },
  vjp: (g, [a, b, c], out, p, needs) => {
    const scaled = p.alpha === 1 ? g : mul(g, p.alpha);
    const rule = matmulPrim.vjp as VjpRule<MatmulParams>;
    const [da = null, db = null] = needs[0] || needs[1] ? rule(scaled, [a!, b!], out, p, [needs[0]!, needs[1]!]) : [];
    return c === undefined ? [da, db] : [da, db, needs[2] ? g : null];
  },
};

/**
 * `addend + alpha·op(A)·op(B)` (addend `null`: none) in one kernel pass, the same bits as
 * `add(addend, mul(matmulT(a, b, transA, transB), alpha))`. `addend` has the product's
 * shape or broadcasts to it (one `[m, n]` matrix shared by a batch of products costs no
 * copy). What `jit` fuses those ops into; callable directly too.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]), b = tensor([[1, 0], [0, 1]]), c = ones([2, 2]);
 * gemm(a, b, c, -0.5).toArray();             // [[0.5, 0], [-0.5, -1]]: c − 0.5·a·b
 * gemm(a, b, null, 2, false, true).toArray(); // [[2, 4], [6, 8]]: 2·a·bᵀ
 * ```
 */
export function gemm(a: Tensor, b: Tensor, addend: Tensor | null, alpha = 1, transA = false, transB = false): Tensor {
  if (a.shape.length < 2 || b.shape.length < 2) throw new ShapeError(`gemm: operands need rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  if (!Number.isFinite(alpha)) throw new ShapeError(`gemm: alpha must be a finite number, got ${alpha}`);
  const p: GemmParams = { transA, transB, alpha };
  const shape = productShape(a, b, p);
  if (a.dtype !== b.dtype || (addend !== null && addend.dtype !== a.dtype)) {
    throw new ShapeError(`gemm: operands must share one dtype, got ${a.dtype}, ${b.dtype}${addend ? `, ${addend.dtype}` : ''}`);
  }
  if (addend === null) return bind(gemmPrim, [a, b], p);
  if (!sameShape(addend.shape, shape) && !broadcastsTo(addend.shape, shape)) {
    throw new ShapeError(`gemm: addend ${fmt(addend.shape)} must have the product's shape ${fmt(shape)} or broadcast to it`);
  }
  return bind(gemmPrim, [a, b, addend], p);
}

function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  try {
    return sameShape(broadcastShapes('gemm', from, to), to);
  } catch (e) {
    if (e instanceof ShapeError) return false;
    throw e;
  }
}
