/**
 * `gather`: `take` whose indices are a tensor operand, read when the op runs rather
 * than when it is applied. Under `jit` that makes the indices an input of the compiled
 * program (new indices on every call, no retrace), where `take` bakes its indices into
 * the program as parameters. Same kernels as `take` and its adjoint, so the same bits.
 */
import { getBackend } from '../backend/registry.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { fmt, normalizeAxis } from '../tensor/shape.ts';
import { uninitialized } from './core.ts';

interface GatherParams { readonly axis: number; readonly axisSize: number }

function axisSplit(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  shape.forEach((d, i) => { if (i < axis) outer *= d; else if (i > axis) inner *= d; });
  return [outer, shape[axis]!, inner];
}

/** Reused between runs: converting the indices allocates nothing once it is large enough. */
let scratch = new Int32Array(64);

/** The index tensor's values as integers in [0, axisSize) (negative ones count from the end). */
function indexArray(op: string, indices: Tensor, axisSize: number): Int32Array {
  const n = indices.size;
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, 2 * scratch.length));
  const values = indices.data;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -axisSize || v >= axisSize) {
      throw new ShapeError(`${op}: index ${v} at position ${i} is not an integer in [${-axisSize}, ${axisSize}) (the gathered axis has size ${axisSize})`);
    }
    scratch[i] = v < 0 ? v + axisSize : v;
  }
  return scratch.subarray(0, n);
}

function gatherShape(x: readonly number[], indices: readonly number[], axis: number): number[] {
  return [...x.slice(0, axis), ...indices, ...x.slice(axis + 1)];
}

/** `gather`'s primitive (operands: x, indices): the cotangent is scatter-added back to the gathered positions. */
export const gatherPrim: PrimitiveDef<GatherParams> = {
  name: 'gather',
  forward: (inputs, p) => {
    const out = uninitialized(inputs[0]!.dtype, gatherShape(inputs[0]!.shape, inputs[1]!.shape, p.axis));
    gatherPrim.into!(inputs, out, p);
    return out;
  },
  into: ([x, indices], out, { axis, axisSize }) => {
    const [outer, , inner] = axisSplit(x!.shape, axis);
    getBackend().take(x!.data, indexArray('gather', indices!, axisSize), out.data, outer, axisSize, inner);
  },
  // d(x[idx]) = dx[idx]; the indices are integers: no derivative.
  vjp: (g, [, indices], _out, p) => [bind(gatherAdjointPrim, [g, indices!], p), null],
};

/** The adjoint of `gather` (operands: cotangent, indices): scatter-adds into zeros of the gathered axis's size. */
export const gatherAdjointPrim: PrimitiveDef<GatherParams> = {
  name: 'gatherAdjoint',
  forward: (inputs, p) => {
    const [g, indices] = inputs;
    const shape = [...g!.shape.slice(0, p.axis), p.axisSize, ...g!.shape.slice(p.axis + indices!.shape.length)];
    const out = uninitialized(g!.dtype, shape);
    gatherAdjointPrim.into!(inputs, out, p);
    return out;
  },
  into: ([g, indices], out, { axis, axisSize }) => {
    const [outer, , inner] = axisSplit(out.shape, axis);
    out.data.fill(0);
    getBackend().scatterAdd(g!.data, indexArray('gather', indices!, axisSize), out.data, outer, axisSize, inner);
  },
  // Linear in g: its adjoint gathers again.
  vjp: (g, [, indices], _out, p) => [bind(gatherPrim, [g, indices!], p), null],
};

/**
 * Picks entries of `x` along `axis` at `indices` (a tensor holding integers; negative
 * ones count from the end), like `take`, but the indices are an operand: a function
 * compiled with `jit` reads new indices on every call instead of baking in the
 * first call's. Differentiable in `x` (to any order), not in the indices.
 *
 * @example
 * ```ts
 * const table = tensor([[1, 2], [3, 4], [5, 6]]);
 * gather(table, tensor([2, 0, 2]), 0).toArray(); // [[5, 6], [1, 2], [5, 6]]
 * const rows = jit((t: Tensor, i: Tensor) => gather(t, i, 0)); // one trace for any indices of that shape
 * ```
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  if (!(x instanceof Tensor) || !(indices instanceof Tensor)) {
    throw new TypeError(`gather: x and indices must be tensors, got ${x instanceof Tensor ? 'a Tensor' : typeof x} and ${indices instanceof Tensor ? 'a Tensor' : typeof indices}`);
  }
  const a = normalizeAxis(axis, x.shape.length, 'gather');
  if (x.shape[a] === 0) throw new ShapeError(`gather: axis ${a} of x ${fmt(x.shape)} is empty; there is nothing to gather`);
  return bind(gatherPrim, [x, indices], { axis: a, axisSize: x.shape[a]! });
}
