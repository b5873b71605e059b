/**
 * Batching rules: how each primitive runs on a batch of examples at once (`vmap`).
 *
 * A rule gets the primitive's operands — batched ones carry the batch on axis 0, the
 * others are per-example values shared by every example — and the parameters the op
 * computed for ONE example, and returns the batched result (batch on axis 0). Rules
 * are written with the same primitives, rewriting only their parameters (an axis one
 * further right, a shape with the batch in front), so a batched op runs the kernel the
 * per-example op runs, and its values are the same bits. Ops that take leading batch
 * axes of their own (matmul, dense, gemm: the task axis of MAML) take the vmap batch
 * there; none loops.
 *
 * The table is typed over the registry's primitive names, so a new primitive without
 * a batching rule is a compile error (test/autodiff-vmap.test.ts checks it at run time
 * too, and runs every rule against a loop over examples). A primitive that is not in
 * the registry — the one `checkpoint` or `jit` builds around a whole function — runs
 * through {@link loopRule}, the one place that loops over the batch.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { bind, bindMulti, type MultiPrimitiveDef, type PrimitiveDef } from './primitive.ts';
import { primitives, type PrimitiveName } from '../ops/primitives.ts';
import { add, mul, where, ge, lt } from '../ops/elementwise.ts';
import { broadcastTo, reshape, stack, transpose, unstack } from '../ops/movement.ts';
import { sameShape } from '../tensor/shape.ts';
import { arange } from '../tensor/create.ts';

/**
 * What `vmap` throws: bad `inAxes` / `outAxes`, batch sizes that differ, reading a
 * batched value, a batched value used outside its `vmap`. The message names the
 * argument or output (by tree path) and the offending values.
 *
 * @example
 * ```ts
 * vmap((a: Tensor, b: Tensor) => add(a, b))(zeros([3, 2]), zeros([4, 2]));
 * // VmapError: vmap: batch sizes differ: 3 along axis 0 of $[0] (shape [3, 2]) but 4 along axis 0 of $[1] (shape [4, 2])
 * ```
 */
export class VmapError extends Error {
  override name = 'VmapError';
}

/**
 * A batching rule: `xs` are the operands (batched ones with the batch on axis 0, as
 * `batched` says), `params` the primitive's parameters for one example, `size` the
 * batch size. Returns the batched output(s), batch on axis 0. @internal
 */
export type BatchRule = (
  prim: PrimitiveDef<any> | MultiPrimitiveDef<any>, xs: readonly Tensor[], batched: readonly boolean[], params: any, size: number,
) => Tensor | readonly Tensor[];

/** Rank of one example of `x`. */
const exampleRank = (x: Tensor, batched: boolean): number => (batched ? x.shape.length - 1 : x.shape.length);

/**
 * A batched operand with size-1 axes inserted after the batch, up to `rank` per-example
 * axes: NumPy broadcasting aligns trailing axes, so `[B, n]` against a shared `[m, n]`
 * must become `[B, 1, n]`. Shared operands broadcast as they are.
 */
function lift(x: Tensor, batched: boolean, rank: number): Tensor {
  const have = exampleRank(x, batched);
  if (!batched || have >= rank) return x;
  return reshape(x, [x.shape[0]!, ...new Array<number>(rank - have).fill(1), ...x.shape.slice(1)]);
}

/** `x` with the batch on axis 0: copied `size` times if it is shared (for ops that do not broadcast). */
function materialize(x: Tensor, batched: boolean, size: number): Tensor {
  return batched ? x : broadcastTo(reshape(x, [1, ...x.shape]), [size, ...x.shape]);
}

/** Moves axis `from` of `x` to `to`. */
function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

const rankOf = (xs: readonly Tensor[], batched: readonly boolean[]): number =>
  xs.reduce((r, x, i) => Math.max(r, exampleRank(x, batched[i]!)), 0);

// Elementwise ops broadcast: batched operands are lifted to the output's rank.
const elementwise: BatchRule = (prim, xs, batched, params) => {
  const rank = rankOf(xs, batched);
  return bind(prim as PrimitiveDef<unknown>, xs.map((x, i) => lift(x, batched[i]!, rank)), params);
};

// Reductions: the same axes, one further right.
const reduction: BatchRule = (prim, [x], _b, p: { axes: readonly number[]; keepDims: boolean }) =>
  bind(prim as PrimitiveDef<unknown>, [x!], { axes: p.axes.map((a) => a + 1), keepDims: p.keepDims });

// take / scatterAdd: static indices, the axis one further right.
const alongAxis: BatchRule = (prim, [x], _b, p: { axis: number }) => bind(prim as PrimitiveDef<unknown>, [x!], { ...p, axis: p.axis + 1 });

/**
 * Indices into `size` stacked copies of an axis of length `n`, flattened: index i of
 * example b becomes b·n + i (negative i counted from the end first). An index outside
 * [-n, n) becomes NaN, which `gather` rejects, instead of silently reading a neighbour.
 */
function flatIndices(idx: Tensor, n: number, size: number): Tensor {
  const offsets = reshape(mul(arange(0, size, 1, idx.dtype), n), [size, ...new Array<number>(idx.shape.length - 1).fill(1)]);
  const inRange = mul(ge(idx, -n), lt(idx, n));
  return where(inRange, add(where(lt(idx, 0), add(idx, n), idx), offsets), NaN);
}

interface GatherParams { readonly axis: number; readonly axisSize: number }

// gather(x, indices): out[pre, i, post] = x[pre, indices[i], post].
const gatherRule: BatchRule = (prim, [x, idx], [bx, bi], p: GatherParams) => {
  const g = prim as PrimitiveDef<GatherParams>;
  if (!bi) return bind(g, [x!, idx!], { ...p, axis: p.axis + 1 });
  // Per-example indices into a shared x: one gather, its batch axis moved to the front.
  if (!bx) return moveAxis(bind(g, [x!, idx!], p), p.axis, 0);
  // Both batched: the batch joins the gathered axis, indices offset into their own example.
  const n = p.axisSize;
  const xs = moveAxis(x!, 0, p.axis);
  const joined = reshape(xs, [...xs.shape.slice(0, p.axis), n * x!.shape[0]!, ...xs.shape.slice(p.axis + 2)]);
  return moveAxis(bind(g, [joined, flatIndices(idx!, n, x!.shape[0]!)], { axis: p.axis, axisSize: n * x!.shape[0]! }), p.axis, 0);
};

// gatherAdjoint(g, indices): scatter-adds g into zeros of the gathered axis's length.
const gatherAdjointRule: BatchRule = (prim, [g, idx], [bg, bi], p: GatherParams, size) => {
  const adj = prim as PrimitiveDef<GatherParams>;
  if (!bi) return bind(adj, [g!, idx!], { ...p, axis: p.axis + 1 });
  // Per-example indices: scatter into the batch joined with the axis, then split them apart.
  const n = p.axisSize;
  const gs = moveAxis(materialize(g!, bg!, size), 0, p.axis);
  const out = bind(adj, [gs, flatIndices(idx!, n, size)], { axis: p.axis, axisSize: n * size });
  return moveAxis(reshape(out, [...out.shape.slice(0, p.axis), size, n, ...out.shape.slice(p.axis + 1)]), p.axis, 0);
};

// unfold2d / fold2d work on [N, C, …]: the batch joins N.
const imageRule: BatchRule = (prim, [x], _b, p) => {
  const [size, n] = x!.shape as [number, number];
  const out = bind(prim as PrimitiveDef<unknown>, [reshape(x!, [size * n, ...x!.shape.slice(2)])], p);
  return reshape(out, [size, n, ...out.shape.slice(1)]);
};

// The conv primitives work on [T, N, …] operands with one weight (or weight gradient)
// per task T: the batch joins N when a task's weight is shared by the whole batch, and
// joins T otherwise (each task computes alone, so the bits are the same either way).
const convRule: BatchRule = (prim, [a, b], [ba, bb], p, size) => {
  const op = prim as PrimitiveDef<unknown>;
  if (prim.name !== 'conv2dWeightGrad' && !bb && a!.shape[1] === 1) {
    const out = bind(op, [reshape(a!, [1, size * a!.shape[2]!, ...a!.shape.slice(3)]), b!], p);
    return reshape(out, [size, 1, a!.shape[2]!, ...out.shape.slice(2)]);
  }
  const tasks = (x: Tensor, batched: boolean): Tensor => { const m = materialize(x, batched, size); return reshape(m, [size * m.shape[1]!, ...m.shape.slice(2)]); };
  const out = bind(op, [tasks(a!, ba!), tasks(b!, bb!)], p);
  return reshape(out, [size, out.shape[0]! / size, ...out.shape.slice(1)]);
};

// matmul and gemm broadcast their leading (task) axes: the batch becomes one more of them.
const productRule: BatchRule = (prim, xs, batched, params, size) => {
  const [a, b, c] = xs;
  const rank = Math.max(exampleRank(a!, batched[0]!), exampleRank(b!, batched[1]!));
  const A = lift(a!, batched[0]!, rank), B = lift(b!, batched[1]!, rank);
  if (c === undefined) return bind(prim as PrimitiveDef<unknown>, [A, B], params);
  // gemm's addend has the product's shape exactly (no broadcasting in its epilogue).
  if (batched[0] || batched[1]) return bind(prim as PrimitiveDef<unknown>, [A, B, materialize(c, batched[2]!, size)], params);
  // Only the addend is batched: one shared product α·op(A)·op(B), added per example
  // (the fused kernel rounds α·P before adding C, so these are its bits).
  return add(c, bind(prim as PrimitiveDef<unknown>, [A, B], params));
};

// dense(x, W, b): x [.., K, I], W [.., I, O], b [O] or [.., 1, O], leading axes broadcast.
const denseRule: BatchRule = (prim, [x, w, b], [bx, bw, bb], act) => {
  const rb = exampleRank(b!, bb!);
  const rank = Math.max(exampleRank(x!, bx!), exampleRank(w!, bw!), rb < 2 ? 2 : rb);
  // A batched [B, O] bias is [B, 1, O]: one bias row per example.
  const bias = bb ? lift(rb === 1 ? reshape(b!, [b!.shape[0]!, 1, b!.shape[1]!]) : b!, true, rank) : b!;
  return bind(prim as PrimitiveDef<unknown>, [lift(x!, bx!, rank), lift(w!, bw!, rank), bias], act);
};

// activationGrad(g, y) needs operands of one shape.
const sameShapeRule: BatchRule = (prim, xs, batched, params, size) =>
  bind(prim as PrimitiveDef<unknown>, xs.map((x, i) => materialize(x, batched[i]!, size)), params);

// addScaled(a, b; α): the output has b's shape and a repeats over b's leading axes (a suffix of b's shape).
const addScaledRule: BatchRule = (prim, [a, b], [ba, bb], alpha, size) => {
  const B = materialize(b!, bb!, size);
  const A = !ba || sameShape(a!.shape, B.shape) ? a! : broadcastTo(lift(a!, true, B.shape.length - 1), B.shape);
  return bind(prim as PrimitiveDef<unknown>, [A, B], alpha);
};

// addProduct(a, b, α) = a + α⊙b: a and α broadcast against b's shape, which the output has.
const addProductRule: BatchRule = (prim, [a, b, alpha], [ba, bb, bal], params, size) => {
  const B = materialize(b!, bb!, size);
  const rank = B.shape.length - 1;
  return bind(prim as PrimitiveDef<unknown>, [lift(a!, ba!, rank), B, lift(alpha!, bal!, rank)], params);
};

/** The batching rule of every registered primitive, by name. */
export const batchingRules: { readonly [K in PrimitiveName]: BatchRule } = {
  neg: elementwise, exp: elementwise, log: elementwise, sin: elementwise, cos: elementwise, tanh: elementwise,
  sqrt: elementwise, abs: elementwise, sign: elementwise, sigmoid: elementwise, relu: elementwise, step: elementwise,
  square: elementwise, reciprocal: elementwise, add: elementwise, sub: elementwise, mul: elementwise, div: elementwise,
  pow: elementwise, maximum: elementwise, minimum: elementwise,
  gt: elementwise, ge: elementwise, lt: elementwise, le: elementwise, eq: elementwise, where: elementwise, cast: elementwise,
  sum: reduction, max: reduction, min: reduction,
  reshape: (prim, [x], _b, shape: readonly number[], size) => bind(prim as PrimitiveDef<unknown>, [x!], [size, ...shape]),
  broadcastTo: (prim, [x], _b, shape: readonly number[], size) => bind(prim as PrimitiveDef<unknown>, [lift(x!, true, shape.length)], [size, ...shape]),
  transpose: (prim, [x], _b, perm: readonly number[]) => bind(prim as PrimitiveDef<unknown>, [x!], [0, ...perm.map((p) => p + 1)]),
  slice: (prim, [x], _b, p: { begin: readonly number[]; size: readonly number[] }, size) =>
    bind(prim as PrimitiveDef<unknown>, [x!], { begin: [0, ...p.begin], size: [size, ...p.size] }),
  pad: (prim, [x], _b, p: { before: readonly number[]; after: readonly number[] }) =>
    bind(prim as PrimitiveDef<unknown>, [x!], { before: [0, ...p.before], after: [0, ...p.after] }),
  concat: (prim, xs, batched, axis: number, size) => bind(prim as PrimitiveDef<unknown>, xs.map((x, i) => materialize(x, batched[i]!, size)), axis + 1),
  split: (prim, [x], _b, p: { axis: number; sizes: readonly number[] }) =>
    bindMulti(prim as MultiPrimitiveDef<unknown>, [x!], { axis: p.axis + 1, sizes: p.sizes }),
  take: alongAxis, scatterAdd: alongAxis,
  gather: gatherRule, gatherAdjoint: gatherAdjointRule,
  unfold2d: imageRule, fold2d: imageRule, conv2d: convRule, conv2dInputGrad: convRule, conv2dWeightGrad: convRule,
  matmul: productRule, gemm: productRule, dense: denseRule, activationGrad: sameShapeRule,
  addScaled: addScaledRule, addProduct: addProductRule,
};

/**
 * LOOP FALLBACK — the only rule that loops over the batch. For primitives outside the
 * registry, which wrap a whole function (`checkpoint`'s, a `jit` program's): each
 * example's slices go through the primitive (so it keeps its meaning: recomputation,
 * the compiled program) and the outputs are stacked. Slicing and stacking are ops, so
 * enclosing transforms differentiate through it.
 */
export const loopRule: BatchRule = (prim, xs, batched, params, size) => {
  if (size === 0) throw new VmapError(`vmap: primitive '${prim.name}' has no batching rule, and its loop fallback needs a batch of at least one example`);
  const pieces = xs.map((x, i) => (batched[i] ? unstack(x, 0) : null));
  const outs: (readonly Tensor[])[] = [];
  for (let e = 0; e < size; e++) {
    const args = xs.map((x, i) => pieces[i]?.[e] ?? x);
    outs.push('multiOutput' in prim ? bindMulti(prim, args, params) : [bind(prim, args, params)]);
  }
  const joined = outs[0]!.map((_, k) => stack(outs.map((o) => o[k]!), 0));
  return 'multiOutput' in prim ? joined : joined[0]!;
};

/** The rule for `prim`: its own if it is the registered primitive of its name, else the loop fallback. */
export function batchingRuleOf(prim: PrimitiveDef<any> | MultiPrimitiveDef<any>): BatchRule {
  const name = prim.name as PrimitiveName;
  return Object.prototype.hasOwnProperty.call(primitives, name) && primitives[name] === prim ? batchingRules[name] : loopRule;
}
