/**
 * Shape ops: reshape, broadcast, transpose, slice/pad, concat/split, take/scatterAdd,
 * and the composites built on them. Every primitive's rule is its adjoint op.
 */
import { getBackend } from '../backend/registry.ts';
import { activeStager, bind, bindMulti, type MultiPrimitiveDef, type PrimitiveDef } from '../autodiff/primitive.ts';
import { checkRead } from '../tensor/read-guard.ts';
import { Tensor } from '../tensor/tensor.ts';
import { DTypeError, ShapeError } from '../tensor/errors.ts';
import {
  broadcastShapes, broadcastStrides, checkShape, fmt, normalizeAxis, normalizeAxes, sameShape, sizeOf, stridesOf,
} from '../tensor/shape.ts';
import { empty, uninitialized } from './core.ts';
import { sum } from './reduce.ts';

// --- reshape ------------------------------------------------------------------

/** `reshape`'s primitive: the cotangent is reshaped back. Storage is shared (tensors are immutable). */
export const reshapePrim: PrimitiveDef<readonly number[]> = {
  name: 'reshape',
  forward: ([x], shape) => new Tensor(x!.data, shape),
  vjp: (g, [x]) => [reshape(g, x!.shape)],
};

/**
 * A view with a new shape of the same size; one entry may be -1 (inferred). No copy:
 * the storage is shared.
 * @example
 * ```ts
 * reshape(arange(6), [2, -1]).toArray(); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  let infer = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1 && infer < 0) infer = i;
    else if (!Number.isInteger(d) || d < 0) throw new ShapeError(`reshape: invalid target shape ${fmt(shape)} for input ${fmt(x.shape)}`);
    else known *= d;
  });
  let target = shape;
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot infer -1 in ${fmt(shape)} for ${x.size} elements ${fmt(x.shape)}`);
    target = shape.map((d, i) => (i === infer ? x.size / known : d));
  }
  if (sizeOf(target) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(target)} (${sizeOf(target)} elements)`);
  }
  return sameShape(target, x.shape) ? x : bind(reshapePrim, [x], [...target]);
}

/**
 * Inserts a size-1 axis at `axis` (negative counts from the end of the result).
 * @example
 * ```ts
 * expandDims(zeros([3, 4]), -1).shape; // [3, 4, 1]
 * ```
 */
export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.shape.length + 1, 'expandDims');
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/**
 * Removes size-1 axes (all of them, or the given ones, which must have size 1).
 * @example
 * ```ts
 * squeeze(zeros([1, 3, 1])).shape;    // [3]
 * squeeze(zeros([1, 3, 1]), 0).shape; // [3, 1]
 * ```
 */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list = axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes(axes, x.shape.length, 'squeeze');
  for (const a of list) {
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} has size ${x.shape[a]} (not 1) in shape ${fmt(x.shape)}`);
  }
  return reshape(x, x.shape.filter((_, i) => !list.includes(i)));
}

// --- broadcast ---------------------------------------------------------------

function copyInto(x: Tensor, shape: readonly number[], srcStrides: readonly number[], srcOffset = 0): Tensor {
  const out = uninitialized(x.dtype, shape);
  getBackend().copyStrided(x.data, srcOffset, srcStrides, out.data, 0, stridesOf(shape), shape);
  return out;
}

/** The `into` of a primitive whose forward is a `copyInto`: the same strided copy into `out`. */
function copyStridedInto(x: Tensor, out: Tensor, srcStrides: readonly number[], srcOffset = 0): void {
  getBackend().copyStrided(x.data, srcOffset, srcStrides, out.data, 0, stridesOf(out.shape), out.shape);
}

/** `copyStridedInto` with the strides computed once (compiled programs). */
function prepareCopy(x: Tensor, out: Tensor, srcStrides: readonly number[], srcOffset = 0): () => void {
  const dstStrides = stridesOf(out.shape);
  return () => getBackend().copyStrided(x.data, srcOffset, srcStrides, out.data, 0, dstStrides, out.shape);
}

/** `broadcastTo`'s primitive: the cotangent is summed back to the input shape. */
export const broadcastPrim: PrimitiveDef<readonly number[]> = {
  name: 'broadcastTo',
  forward: ([x], shape) => copyInto(x!, shape, broadcastStrides(x!.shape, shape)),
  into: ([x], out, shape) => copyStridedInto(x!, out, broadcastStrides(x!.shape, shape)),
  prepare: ([x], out, shape) => prepareCopy(x!, out, broadcastStrides(x!.shape, shape)),
  vjp: (g, [x]) => [sumTo(g, x!.shape)],
};

/**
 * Broadcasts (copies) `x` to `shape` by NumPy rules. Binary ops broadcast on their
 * own; this is for ops that do not (`concat`, `matmul`'s stored operands).
 * @example
 * ```ts
 * broadcastTo(tensor([1, 2]), [2, 2]).toArray(); // [[1, 2], [1, 2]]
 * ```
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkShape(shape, 'broadcastTo');
  const full = broadcastShapes('broadcastTo', x.shape, shape);
  if (!sameShape(full, shape)) throw new ShapeError(`broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
  return sameShape(x.shape, shape) ? x : bind(broadcastPrim, [x], [...shape]);
}

/**
 * Sums `x` down to `shape`, undoing a broadcast: leading axes are summed away and
 * axes where `shape` has 1 are summed with keepDims. The autodiff core calls this.
 *
 * @example
 * ```ts
 * sumTo(ones([3, 2, 4]), [2, 1]).toArray(); // [[12], [12]]
 * ```
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = x.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(x, axes, true), shape);
}

// --- transpose ---------------------------------------------------------------

/** `transpose`'s primitive: the cotangent is transposed by the inverse permutation. */
export const transposePrim: PrimitiveDef<readonly number[]> = {
  name: 'transpose',
  forward: ([x], perm) => {
    const st = stridesOf(x!.shape);
    return copyInto(x!, perm.map((p) => x!.shape[p]!), perm.map((p) => st[p]!));
  },
  into: ([x], out, perm) => {
    const st = stridesOf(x!.shape);
    copyStridedInto(x!, out, perm.map((p) => st[p]!));
  },
  prepare: ([x], out, perm) => {
    const st = stridesOf(x!.shape);
    return prepareCopy(x!, out, perm.map((p) => st[p]!));
  },
  vjp: (g, _x, _out, perm) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => { inv[p] = i; });
    return [transpose(g, inv)];
  },
};

/**
 * Permutes axes (default: reverses them); a copy in the new layout.
 * @example
 * ```ts
 * transpose(tensor([[1, 2, 3]])).toArray();   // [[1], [2], [3]]
 * transpose(zeros([2, 3, 4]), [0, 2, 1]).shape; // [2, 4, 3]
 * ```
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const rank = x.shape.length;
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const seen = new Set(p.map((a) => normalizeAxis(a, rank, 'transpose')));
  if (p.length !== rank || seen.size !== rank) {
    throw new ShapeError(`transpose: [${p.join(', ')}] is not a permutation of the ${rank} axes of ${fmt(x.shape)}`);
  }
  const norm = p.map((a) => normalizeAxis(a, rank, 'transpose'));
  return norm.every((a, i) => a === i) ? x : bind(transposePrim, [x], norm);
}

// --- slice and pad -------------------------------------------------------------

interface SliceParams { readonly begin: readonly number[]; readonly size: readonly number[] }
interface PadParams { readonly before: readonly number[]; readonly after: readonly number[] }

/** `slice`'s primitive: the cotangent is zero-padded back to the input shape. */
export const slicePrim: PrimitiveDef<SliceParams> = {
  name: 'slice',
  forward: ([x], { begin, size }) => {
    const st = stridesOf(x!.shape);
    let offset = 0;
    begin.forEach((b, i) => { offset += b * st[i]!; });
    return copyInto(x!, size, st, offset);
  },
  into: ([x], out, { begin }) => {
    const st = stridesOf(x!.shape);
    let offset = 0;
    begin.forEach((b, i) => { offset += b * st[i]!; });
    copyStridedInto(x!, out, st, offset);
  },
  vjp: (g, [x], _out, { begin, size }) => [pad(g, begin, x!.shape.map((d, i) => d - begin[i]! - size[i]!))],
};

/** `pad`'s primitive (zeros): the cotangent is the slice of the padded region. */
export const padPrim: PrimitiveDef<PadParams> = {
  name: 'pad',
  forward: ([x], p) => {
    const out = empty(x!.dtype, x!.shape.map((d, i) => d + p.before[i]! + p.after[i]!));
    padPrim.into!([x!], out, p);
    return out;
  },
  into: ([x], out, { before }) => {
    const st = stridesOf(out.shape);
    let offset = 0;
    before.forEach((b, i) => { offset += b * st[i]!; });
    out.data.fill(0);
    getBackend().copyStrided(x!.data, 0, stridesOf(x!.shape), out.data, offset, st, x!.shape);
  },
  vjp: (g, [x], _out, { before }) => [slice(g, before, x!.shape)],
};

/**
 * The block starting at `begin` of extent `size` (default: to the end). Negative
 * begins count from the end; a size of -1 means "to the end".
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * slice(x, [0, 1]).toArray();          // [[2, 3], [5, 6]]
 * slice(x, [-1, 0], [1, 2]).toArray(); // [[4, 5]]
 * ```
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const rank = x.shape.length;
  if (begin.length > rank || (size && size.length !== begin.length)) {
    throw new ShapeError(`slice: begin [${begin.join(', ')}]${size ? ` and size [${size.join(', ')}]` : ''} do not fit shape ${fmt(x.shape)}`);
  }
  const b = x.shape.map((d, i) => { const v = begin[i] ?? 0; return v < 0 ? v + d : v; });
  const s = x.shape.map((d, i) => { const v = size?.[i] ?? -1; return v === -1 ? d - b[i]! : v; });
  for (let i = 0; i < rank; i++) {
    const d = x.shape[i]!;
    if (!Number.isInteger(b[i]) || !Number.isInteger(s[i]) || b[i]! < 0 || s[i]! < 0 || b[i]! + s[i]! > d) {
      throw new ShapeError(`slice: begin [${begin.join(', ')}] size [${(size ?? []).join(', ')}] out of bounds for shape ${fmt(x.shape)} (axis ${i})`);
    }
  }
  return sameShape(s, x.shape) ? x : bind(slicePrim, [x], { begin: b, size: s });
}

/**
 * Zero-pads each axis with `before[i]` and `after[i]` elements.
 * @example
 * ```ts
 * pad(tensor([[1, 2]]), [0, 1], [1, 0]).toArray(); // [[0, 1, 2], [0, 0, 0]]
 * ```
 */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  const rank = x.shape.length;
  if (before.length !== rank || after.length !== rank || [...before, ...after].some((v) => !Number.isInteger(v) || v < 0)) {
    throw new ShapeError(`pad: before [${before.join(', ')}] and after [${after.join(', ')}] must be ${rank} non-negative integers for shape ${fmt(x.shape)}`);
  }
  return before.every((v) => v === 0) && after.every((v) => v === 0) ? x : bind(padPrim, [x], { before, after });
}

// --- concat and stack ------------------------------------------------------------

/**
 * `concat`'s primitive: each input's cotangent is its piece of the output cotangent, cut by one split
 * (so a higher-order pass joins the pieces' cotangents in one concat, not L padded sums).
 */
export const concatPrim: PrimitiveDef<number> = {
  name: 'concat',
  forward: (xs, axis) => {
    const shape = [...xs[0]!.shape];
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis]!, 0);
    const out = uninitialized(xs[0]!.dtype, shape);
    concatPrim.into!(xs, out, axis);
    return out;
  },
  into: (xs, out, axis) => {
    const st = stridesOf(out.shape);
    let at = 0;
    for (const x of xs) {
      getBackend().copyStrided(x.data, 0, stridesOf(x.shape), out.data, at * st[axis]!, st, x.shape);
      at += x.shape[axis]!;
    }
  },
  vjp: (g, xs, _out, axis) => split(g, xs.map((x) => x.shape[axis]!), axis),
};

/**
 * Joins tensors along an existing axis; shapes must agree off that axis, dtypes everywhere.
 * @example
 * ```ts
 * concat([tensor([[1, 2]]), tensor([[3, 4]])], 0).toArray(); // [[1, 2], [3, 4]]
 * concat([zeros([2, 3]), zeros([2, 1])], -1).shape;          // [2, 4]
 * ```
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const first = xs[0]!;
  const a = normalizeAxis(axis, first.shape.length, 'concat');
  for (const x of xs) {
    if (x.dtype !== first.dtype) {
      throw new DTypeError(`concat: mixed dtypes ${xs.map((t) => `${t.dtype}${fmt(t.shape)}`).join(', ')}; cast with astype()`);
    }
    if (x.shape.length !== first.shape.length || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`concat: along axis ${a}, shapes ${xs.map((t) => `${t.dtype}${fmt(t.shape)}`).join(', ')} differ off the axis`);
    }
  }
  return xs.length === 1 ? first : bind(concatPrim, xs, a);
}

/**
 * Joins same-shaped tensors along a new axis (the inverse of `unstack`).
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(); // [[1, 3], [2, 4]]
 * ```
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('stack: needs at least one tensor');
  const a = normalizeAxis(axis, xs[0]!.shape.length + 1, 'stack');
  for (const x of xs) {
    if (!sameShape(x.shape, xs[0]!.shape)) throw new ShapeError(`stack: shapes differ: ${xs.map((t) => fmt(t.shape)).join(', ')}`);
  }
  return concat(xs.map((x) => expandDims(x, a)), a);
}

// --- split and unstack -----------------------------------------------------------

interface SplitParams { readonly axis: number; readonly sizes: readonly number[] }

/**
 * `split`'s primitive, one primitive with a piece per output: the input's cotangent is the pieces'
 * cotangents joined back (zeros for pieces that received none), so the backward pass
 * of L pieces costs one concat, not L zero-padded copies of the whole input summed.
 */
export const splitPrim: MultiPrimitiveDef<SplitParams> = {
  multiOutput: true,
  name: 'split',
  forward: ([x], { axis, sizes }) => {
    let at = 0;
    return sizes.map((n) => {
      const begin = x!.shape.map((_, i) => (i === axis ? at : 0));
      at += n;
      const p = { begin, size: x!.shape.map((d, i) => (i === axis ? n : d)) };
      // Under a jit trace x may be staged: bind records the slices.
      return activeStager() === null ? slicePrim.forward([x!], p) : bind(slicePrim, [x!], p);
    });
  },
  vjp: (gs, [x], { axis, sizes }) => [
    concat(gs.map((g, k) => g ?? empty(x!.dtype, x!.shape.map((d, i) => (i === axis ? sizes[k]! : d)))), axis),
  ],
};

/**
 * Cuts `x` along `axis` into pieces (the inverse of {@link concat}): `sections` is
 * either a number of equal pieces or the list of piece sizes. The pieces are one
 * op, so their gradients join back in one pass (`torch.split`, `jnp.split` with
 * sizes rather than cut points).
 *
 * @example
 * ```ts
 * const [a, b] = split(tensor([[1, 2, 3], [4, 5, 6]]), [1, 2], 1);
 * // a = [[1], [4]], b = [[2, 3], [5, 6]]
 * ```
 */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.shape.length, 'split');
  const n = x.shape[a]!;
  let sizes: readonly number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections < 1 || n % sections !== 0) {
      throw new ShapeError(`split: ${sections} equal pieces do not divide axis ${a} of length ${n} (shape ${fmt(x.shape)})`);
    }
    sizes = new Array<number>(sections).fill(n / sections);
  } else {
    sizes = sections;
    const total = sizes.reduce((t, v) => t + v, 0);
    if (sizes.length === 0 || sizes.some((v) => !Number.isInteger(v) || v < 0) || total !== n) {
      throw new ShapeError(`split: sizes [${sizes.join(', ')}] must be non-negative integers summing to ${n}, the length of axis ${a} of shape ${fmt(x.shape)}`);
    }
  }
  return sizes.length === 1 ? [x] : bindMulti(splitPrim, [x], { axis: a, sizes });
}

/**
 * The slices of `x` along `axis`, each without that axis (the inverse of
 * {@link stack}; `torch.unbind`). Gradients of all slices join back in one op.
 *
 * @example
 * ```ts
 * unstack(tensor([[1, 2], [3, 4]]), 1).map((t) => t.toArray()); // [[1, 3], [2, 4]]
 * ```
 */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.shape.length, 'unstack');
  const shape = x.shape.filter((_, i) => i !== a);
  if (x.shape[a] === 0) return [];
  return split(x, x.shape[a]!, a).map((piece) => reshape(piece, shape));
}

// --- take and scatterAdd -----------------------------------------------------------

/** Integer indices: a number array, Int32Array, or a tensor holding integers. */
export type Indices = readonly number[] | Int32Array | Tensor;

interface TakeParams { readonly idx: Int32Array; readonly axis: number; readonly axisSize: number; readonly idxShape: readonly number[] }

function axisSplit(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  shape.forEach((d, i) => { if (i < axis) outer *= d; else if (i > axis) inner *= d; });
  return [outer, shape[axis]!, inner];
}

/** `take`'s primitive: the cotangent is scatter-added back to the taken positions. */
export const takePrim: PrimitiveDef<TakeParams> = {
  name: 'take',
  forward: ([x], { idx, axis, idxShape }) => {
    const [outer, axisSize, inner] = axisSplit(x!.shape, axis);
    const shape = [...x!.shape.slice(0, axis), ...idxShape, ...x!.shape.slice(axis + 1)];
    const out = uninitialized(x!.dtype, shape);
    getBackend().take(x!.data, idx, out.data, outer, axisSize, inner);
    return out;
  },
  into: ([x], out, { idx, axis }) => {
    const [outer, axisSize, inner] = axisSplit(x!.shape, axis);
    getBackend().take(x!.data, idx, out.data, outer, axisSize, inner);
  },
  vjp: (g, _x, _out, p) => [bind(scatterAddPrim, [g], p)],
};

/** The adjoint of `take` (its rule's op): the cotangent is gathered from the scattered positions. */
export const scatterAddPrim: PrimitiveDef<TakeParams> = {
  name: 'scatterAdd',
  forward: ([g], { idx, axis, axisSize, idxShape }) => {
    const gShape = g!.shape;
    const shape = [...gShape.slice(0, axis), axisSize, ...gShape.slice(axis + idxShape.length)];
    const [outer, , inner] = axisSplit(shape, axis);
    const out = empty(g!.dtype, shape);
    getBackend().scatterAdd(g!.data, idx, out.data, outer, axisSize, inner);
    return out;
  },
  into: ([g], out, { idx, axis, axisSize }) => {
    const [outer, , inner] = axisSplit(out.shape, axis);
    out.data.fill(0);
    getBackend().scatterAdd(g!.data, idx, out.data, outer, axisSize, inner);
  },
  vjp: (g, _x, _out, p) => [bind(takePrim, [g], p)],
};

function toIndexArray(indices: Indices, op: string): { idx: Int32Array; shape: number[] } {
  if (indices instanceof Tensor) checkRead(indices, `${op} (tensor indices)`);
  const values = indices instanceof Tensor ? indices.data : indices;
  const idx = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) throw new ShapeError(`${op}: index ${v} at position ${i} is not an integer`);
    idx[i] = v;
  }
  return { idx, shape: indices instanceof Tensor ? [...indices.shape] : [values.length] };
}

/**
 * Picks entries along `axis` (NumPy `take`): the result's `axis` is replaced by the
 * indices' shape. Negative indices count from the end.
 * @example take(tensor([[1, 2], [3, 4]]), [1, 1, 0], 0) // [[3,4],[3,4],[1,2]]
 */
export function take(x: Tensor, indices: Indices, axis = 0): Tensor {
  const a = normalizeAxis(axis, x.shape.length, 'take');
  const n = x.shape[a]!;
  const { idx, shape } = toIndexArray(indices, 'take');
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < -n || v >= n) throw new ShapeError(`take: index ${v} at position ${i} is out of range for axis ${a} of size ${n} (shape ${fmt(x.shape)})`);
    if (v < 0) idx[i] = v + n;
  }
  return bind(takePrim, [x], { idx, axis: a, axisSize: n, idxShape: shape });
}

/**
 * NumPy `take_along_axis`: `indices` has x's rank, size m along `axis` and x's
 * sizes (or 1, broadcast) elsewhere; picks x[..., indices[...], ...]. The usual way to
 * read the log-probability of each row's chosen action.
 *
 * @example
 * ```ts
 * const logp = tensor([[0.1, 0.9], [0.8, 0.2]]);
 * takeAlongAxis(logp, tensor([[1], [0]]), -1).toArray(); // [[0.9], [0.8]]
 * ```
 */
export function takeAlongAxis(x: Tensor, indices: Indices, axis: number): Tensor {
  const rank = x.shape.length;
  const a = normalizeAxis(axis, rank, 'takeAlongAxis');
  const { idx, shape } = toIndexArray(indices, 'takeAlongAxis');
  if (shape.length !== rank) throw new ShapeError(`takeAlongAxis: indices of shape ${fmt(shape)} must have the rank of x ${fmt(x.shape)}`);
  const outShape = shape.map((d, i) => (i === a ? d : x.shape[i]!));
  const idxStrides = broadcastStrides(shape, outShape);
  for (let i = 0; i < rank; i++) {
    if (i !== a && shape[i] !== 1 && shape[i] !== x.shape[i]) {
      throw new ShapeError(`takeAlongAxis: indices ${fmt(shape)} do not match x ${fmt(x.shape)} off axis ${a}`);
    }
  }
  // Flat positions into x, then one take on the flattened tensor.
  const xStrides = stridesOf(x.shape);
  const total = sizeOf(outShape);
  const flat = new Int32Array(total);
  const pos = new Array<number>(rank).fill(0);
  const n = x.shape[a]!;
  for (let f = 0; f < total; f++) {
    let ii = 0, xi = 0;
    for (let d = 0; d < rank; d++) ii += pos[d]! * idxStrides[d]!;
    const v = idx[ii]!;
    if (v < -n || v >= n) throw new ShapeError(`takeAlongAxis: index ${v} is out of range for axis ${a} of size ${n}`);
    for (let d = 0; d < rank; d++) xi += (d === a ? (v < 0 ? v + n : v) : pos[d]!) * xStrides[d]!;
    flat[f] = xi;
    for (let d = rank - 1; d >= 0; d--) { if (++pos[d]! < outShape[d]!) break; pos[d] = 0; }
  }
  return reshape(take(reshape(x, [x.size]), flat, 0), outShape);
}

/**
 * One-hot rows (a constant): shape `[...indices.shape, depth]`.
 * @example
 * ```ts
 * oneHot([2, 0], 3).toArray(); // [[0, 0, 1], [1, 0, 0]]
 * ```
 */
export function oneHot(indices: Indices, depth: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  if (!Number.isInteger(depth) || depth <= 0) throw new ShapeError(`oneHot: depth must be a positive integer, got ${depth}`);
  const { idx, shape } = toIndexArray(indices, 'oneHot');
  const out = empty(dtype, [...shape, depth]);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= depth) throw new ShapeError(`oneHot: index ${v} at position ${i} is out of range [0, ${depth})`);
    out.data[i * depth + v] = 1;
  }
  return out;
}
