/** Reductions over all elements or given axes, with `keepDims`. */
import type { ReduceOp } from '../backend/backend.ts';
import { getBackend } from '../backend/registry.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import { Tensor } from '../tensor/tensor.ts';
import { normalizeAxes } from '../tensor/shape.ts';
import { uninitialized } from './core.ts';
import { div, eq, mul } from './elementwise.ts';
import { broadcastTo, reshape } from './movement.ts';

interface ReduceParams {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

/** Shape with the reduced axes kept as 1. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceForward(op: ReduceOp, x: Tensor, { axes, keepDims }: ReduceParams): Tensor {
  const backend = getBackend();
  let cur = x;
  let shape = [...x.shape];
  // Runs of consecutive axes reduce in one call; others one run at a time, last first.
  let i = axes.length - 1;
  while (i >= 0) {
    let first = i;
    while (first > 0 && axes[first - 1] === axes[first]! - 1) first--;
    const lo = axes[first]!, hi = axes[i]!;
    let outer = 1, size = 1, inner = 1;
    shape.forEach((d, k) => { if (k < lo) outer *= d; else if (k <= hi) size *= d; else inner *= d; });
    const next = shape.map((d, k) => (k >= lo && k <= hi ? 1 : d));
    const out = uninitialized(x.dtype, next);
    backend.reduce(op, cur.data, out.data, outer, size, inner);
    cur = out;
    shape = next;
    i = first - 1;
  }
  const finalShape = keepDims ? shape : x.shape.filter((_, k) => !axes.includes(k));
  return new Tensor(cur.data, finalShape);
}

/** Axes form one run of consecutive axes: one kernel call straight into `out`. */
function reduceInto(op: ReduceOp, x: Tensor, out: Tensor, p: ReduceParams): void {
  const { axes } = p;
  const lo = axes[0], hi = axes[axes.length - 1];
  if (lo !== undefined && hi !== undefined && hi - lo === axes.length - 1) {
    let outer = 1, size = 1, inner = 1;
    x.shape.forEach((d, k) => { if (k < lo) outer *= d; else if (k <= hi) size *= d; else inner *= d; });
    getBackend().reduce(op, x.data, out.data, outer, size, inner);
  } else {
    out.data.set(reduceForward(op, x, p).data);
  }
}

/** `reduceInto` with the axis arithmetic done once (compiled programs). */
function prepareReduce(op: ReduceOp, x: Tensor, out: Tensor, p: ReduceParams): () => void {
  const { axes } = p;
  const lo = axes[0], hi = axes[axes.length - 1];
  if (lo === undefined || hi === undefined || hi - lo !== axes.length - 1) return () => reduceInto(op, x, out, p);
  let outer = 1, size = 1, inner = 1;
  x.shape.forEach((d, k) => { if (k < lo) outer *= d; else if (k <= hi) size *= d; else inner *= d; });
  return () => getBackend().reduce(op, x.data, out.data, outer, size, inner);
}

/** `sum`'s primitive: d sum(x) = broadcast(g) back over the reduced axes. */
export const sumPrim: PrimitiveDef<ReduceParams> = {
  name: 'sum',
  forward: ([x], p) => reduceForward('sum', x!, p),
  into: ([x], out, p) => reduceInto('sum', x!, out, p),
  prepare: ([x], out, p) => prepareReduce('sum', x!, out, p),
  vjp: (g, [x], _out, { axes }) => [broadcastTo(reshape(g, keptShape(x!.shape, axes)), x!.shape)],
};

// d max(x) = g at the arg-max positions (ties share it evenly)
function extremumRule(g: Tensor, x: Tensor, out: Tensor, axes: readonly number[]): Tensor {
  const kept = keptShape(x.shape, axes);
  const mask = eq(x, reshape(out, kept));
  const count = sum(mask, axes, true);
  return mul(div(mask, count), reshape(g, kept));
}

/** `max`'s primitive: the cotangent goes to the arg-max positions (ties share it evenly). */
export const maxPrim: PrimitiveDef<ReduceParams> = {
  name: 'max',
  forward: ([x], p) => reduceForward('max', x!, p),
  into: ([x], out, p) => reduceInto('max', x!, out, p),
  prepare: ([x], out, p) => prepareReduce('max', x!, out, p),
  vjp: (g, [x], out, { axes }) => [extremumRule(g, x!, out, axes)],
};

/** `min`'s primitive: the cotangent goes to the arg-min positions (ties share it evenly). */
export const minPrim: PrimitiveDef<ReduceParams> = {
  name: 'min',
  forward: ([x], p) => reduceForward('min', x!, p),
  into: ([x], out, p) => reduceInto('min', x!, out, p),
  prepare: ([x], out, p) => prepareReduce('min', x!, out, p),
  vjp: (g, [x], out, { axes }) => [extremumRule(g, x!, out, axes)],
};

type Axes = number | readonly number[] | undefined;

function reduceWith(prim: PrimitiveDef<ReduceParams>, x: Tensor, axes: Axes, keepDims: boolean): Tensor {
  const list = normalizeAxes(axes, x.shape.length, prim.name);
  if (prim.name !== 'sum') {
    for (const a of list) {
      if (x.shape[a] === 0) throw new RangeError(`${prim.name}: cannot reduce over axis ${a} of size 0 (shape [${x.shape.join(', ')}])`);
    }
  }
  return bind(prim, [x], { axes: list, keepDims });
}

/**
 * Sum over all elements, or over `axes` (negative axes count from the end).
 * @example sum(tensor([[1, 2], [3, 4]]), 0) // [4, 6]
 */
export const sum = (x: Tensor, axes?: Axes, keepDims = false): Tensor => reduceWith(sumPrim, x, axes, keepDims);
/**
 * Maximum over all elements or `axes`; the gradient goes to the arg-max (split on ties).
 * @example
 * ```ts
 * max(tensor([[1, 5], [3, 2]]), 1).toArray(); // [5, 3]
 * grad((x: Tensor) => max(x))(tensor([2, 2, 1])).toArray(); // [0.5, 0.5, 0]
 * ```
 */
export const max = (x: Tensor, axes?: Axes, keepDims = false): Tensor => reduceWith(maxPrim, x, axes, keepDims);
/**
 * Minimum over all elements or `axes`; the gradient goes to the arg-min (split on ties).
 * @example
 * ```ts
 * min(tensor([[1, 5], [3, 2]]), 0, true).toArray(); // [[1, 2]]
 * ```
 */
export const min = (x: Tensor, axes?: Axes, keepDims = false): Tensor => reduceWith(minPrim, x, axes, keepDims);

/**
 * Arithmetic mean over all elements or `axes`.
 * @example
 * ```ts
 * mean(tensor([[1, 2], [3, 4]])).item();      // 2.5
 * mean(tensor([[1, 2], [3, 4]]), -1).toArray(); // [1.5, 3.5]
 * ```
 */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const list = normalizeAxes(axes, x.shape.length, 'mean');
  let n = 1;
  for (const a of list) n *= x.shape[a]!;
  return div(sum(x, list, keepDims), n);
}
