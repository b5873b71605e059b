/**
 * Matrix product with NumPy batch broadcasting, and its transpose variants.
 *
 * The primitive multiplies op(A)·op(B) where op optionally transposes the last two
 * axes *by reading order*, so the backward pass never materialises a transpose:
 * for C = A·B, dA = g·Bᵀ and dB = Aᵀ·g are products with transpose flags.
 */
import type { MatmulSpec, Storage } from '../backend/backend.ts';
import { getBackend } from '../backend/registry.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { broadcastShapes, fmt, sameShape, sizeOf } from '../tensor/shape.ts';
import { coerce, uninitialized } from './core.ts';
import { broadcastTo, reshape } from './movement.ts';

/** @internal */
export interface MatmulParams { readonly transA: boolean; readonly transB: boolean }

/** Rows/cols of op(X) for a stored [.., r, c] matrix. */
function dims(x: Tensor, trans: boolean): [number, number] {
  const r = x.shape[x.shape.length - 2]!, c = x.shape[x.shape.length - 1]!;
  return trans ? [c, r] : [r, c];
}

function batchOf(x: Tensor): readonly number[] {
  return x.shape.slice(0, -2);
}

/** Shape of op(A)·op(B) after batch broadcasting; throws a ShapeError naming both shapes. */
export function productShape(a: Tensor, b: Tensor, p: MatmulParams): number[] {
  const [m, ka] = dims(a, p.transA);
  const [kb, n] = dims(b, p.transB);
  if (ka !== kb) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmt(a.shape)}${p.transA ? 'ᵀ' : ''} @ ${fmt(b.shape)}${p.transB ? 'ᵀ' : ''} (${ka} vs ${kb})`);
  }
  const aBatch = batchOf(a), bBatch = batchOf(b);
  // The common cases need no broadcasting check; the message is built only on failure.
  if (bBatch.length === 0) return [...aBatch, m, n];
  if (aBatch.length === 0) return [...bBatch, m, n];
  try {
    return [...broadcastShapes('matmul', aBatch, bBatch), m, n];
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(e.message.replace(/^matmul/, `matmul (batch axes of ${fmt(a.shape)} and ${fmt(b.shape)})`));
  }
}

/** An operand's batch stride: shared (0), full, or materialised to the full batch. */
function prepareOperand(x: Tensor, batch: readonly number[]): { data: Tensor; stride: number } {
  const own = batchOf(x);
  const matSize = x.shape[x.shape.length - 2]! * x.shape[x.shape.length - 1]!;
  if (sizeOf(own) === 1) return { data: x, stride: 0 };
  const padded = [...new Array<number>(batch.length - own.length).fill(1), ...own];
  if (sameShape(padded, batch)) return { data: x, stride: matSize };
  return { data: broadcastTo(x, [...batch, ...x.shape.slice(-2)]), stride: matSize };
}

/**
 * @internal The kernel operands of `op(A)·op(B)` into an output of `outShape`: storages
 * (broadcast where the batch axes need it) and the backend's {@link MatmulSpec}.
 */
export function productOperands(a: Tensor, b: Tensor, outShape: readonly number[], p: MatmulParams): { aData: Storage; bData: Storage; spec: MatmulSpec } {
  const batch = outShape.slice(0, -2);
  const A = prepareOperand(a, batch), B = prepareOperand(b, batch);
  const [m, k] = dims(a, p.transA);
  const n = outShape[outShape.length - 1]!;
  return {
    aData: A.data.data, bData: B.data.data,
    spec: { batch: sizeOf(batch), m, k, n, transA: p.transA, transB: p.transB, aBatchStride: A.stride, bBatchStride: B.stride },
  };
}

/** `matmulT`'s primitive: the batched product `op(A)·op(B)` and its stored-layout rule below. */
export const matmulPrim: PrimitiveDef<MatmulParams> = {
  name: 'matmul',
  forward: (inputs, p) => {
    const out = uninitialized(inputs[0]!.dtype, productShape(inputs[0]!, inputs[1]!, p));
    matmulPrim.into!(inputs, out, p);
    return out;
  },
  into: ([a, b], out, p) => {
    const { aData, bData, spec } = productOperands(a!, b!, out.shape, p);
    getBackend().matmul(aData, bData, out.data, spec);
  },
  prepare: ([a, b], out, p) => {
    const { aData, bData, spec } = productOperands(a!, b!, out.shape, p);
    if (aData !== a!.data || bData !== b!.data) return () => matmulPrim.into!([a!, b!], out, p);
    return () => getBackend().matmul(aData, bData, out.data, spec);
  },
  // Stored-layout cotangents for each transpose combination (g has op(A)·op(B)'s shape):
  //   A·B:   dA = g·Bᵀ    dB = Aᵀ·g        A·Bᵀ:  dA = g·B     dB = gᵀ·A
  //   Aᵀ·B:  dA = B·gᵀ    dB = A·g         Aᵀ·Bᵀ: dA = Bᵀ·gᵀ   dB = gᵀ·Aᵀ
  vjp: (g, [a, b], _out, { transA, transB }, needs) => {
    let da: Tensor | null = null, db: Tensor | null = null;
    if (needs[0]) da = transA ? matmulT(b!, g, transB, true) : matmulT(g, b!, false, !transB);
    if (needs[1]) {
      const folded = b!.shape.length === 2 && !transA ? sharedOperandGrad(a!, g, transB) : null;
      db = folded ?? (transB ? matmulT(g, a!, true, transA) : matmulT(a!, g, !transA, false));
    }
    return [da, db];
  },
};

/**
 * The cotangent of a matrix shared across a batch, `Σ_t rows_tᵀ·g_t` (`[k, n]`, or its
 * transpose `[n, k]`), as ONE product with the batch folded into the rows, instead of a
 * `[T, k, n]` stack of per-batch products summed afterwards. `rows` is `[...batch, r, k]`
 * (not transposed) and `g` `[...batch, r, n]`; null when their batch axes differ.
 *
 * @example
 * ```ts
 * const x = ones([4, 5, 3]), g = ones([4, 5, 2]);     // 4 tasks sharing one [3, 2] weight
 * sharedOperandGrad(x, g, false)!.shape;              // [3, 2]: Σ_t x_tᵀ·g_t
 * sharedOperandGrad(x, g, true)!.shape;               // [2, 3], for a weight stored transposed
 * ```
 */
export function sharedOperandGrad(rows: Tensor, g: Tensor, transposed: boolean): Tensor | null {
  const batch = g.shape.slice(0, -2);
  if (batch.length === 0 || !sameShape(rows.shape.slice(0, -2), batch)) return null;
  const r = reshape(rows, [-1, rows.shape[rows.shape.length - 1]!]);
  const gr = reshape(g, [-1, g.shape[g.shape.length - 1]!]);
  return transposed ? matmulT(gr, r, true, false) : matmulT(r, gr, true, false);
}

/**
 * `op(a) · op(b)` where op transposes the last two axes when its flag is set,
 * without materialising the transpose. Both operands must have rank ≥ 2; batch
 * axes broadcast.
 * @example
 * ```ts
 * matmulT(tensor([[1, 2]]), tensor([[3, 4], [5, 6]]), false, true).toArray(); // x · wᵀ = [[11, 17]]
 * ```
 */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new ShapeError(`matmulT: operands need rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const p = { transA, transB };
  productShape(a, b, p); // validate before recording
  return bind(matmulPrim, [a, b], p);
}

/**
 * Matrix product with NumPy semantics: batch axes broadcast (`[T,K,I] @ [I,O]`,
 * `[T,K,I] @ [T,I,O]`); a 1-D operand is a vector (its axis is removed from the result).
 * @example matmul(tensor([[1, 2]]), tensor([[3], [4]])) // [[11]]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  [a, b] = coerce('matmul', a, b);
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new ShapeError(`matmul: scalars are not matrices (shapes ${fmt(a.shape)} and ${fmt(b.shape)}); use mul`);
  }
  const vecA = a.shape.length === 1, vecB = b.shape.length === 1;
  const ka = a.shape[a.shape.length - 1]!, kb = b.shape[vecB ? 0 : b.shape.length - 2]!;
  // Checked here so that the message shows the caller's shapes, not the reshaped vectors.
  if (ka !== kb) throw new ShapeError(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${ka} vs ${kb})`);
  const A = vecA ? reshape(a, [1, a.shape[0]!]) : a;
  const B = vecB ? reshape(b, [b.shape[0]!, 1]) : b;
  let out = matmulT(A, B, false, false);
  if (vecA || vecB) {
    const s = out.shape.slice(0, -2);
    if (!vecA) s.push(out.shape[out.shape.length - 2]!);
    if (!vecB) s.push(out.shape[out.shape.length - 1]!);
    out = reshape(out, s);
  }
  return out;
}
