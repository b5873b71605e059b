/**
 * `vmap`: vectorising a per-example function over a batch axis, as in JAX.
 *
 * A call opens a fresh trace level and gives the function *batched values*: tensors
 * that show one example's shape and carry the whole batch (batch on axis 0) inside.
 * `bind` hands every primitive that meets a batched value of the highest level to the
 * batcher below, which applies the primitive's batching rule (src/autodiff/batching.ts)
 * to the batches and wraps the result again. Because batched values have trace levels
 * like `grad`'s tracers, the two compose in either order: `vmap(grad(f))` gives
 * per-example gradients, `grad` of a `vmap` differentiates through the batched ops, and
 * a closure over an enclosing `grad`'s tracer is an operand shared by every example.
 * Under a `jit` trace the rules' ops are staged like any other, so a vmapped function
 * compiles.
 */
import { Tensor } from '../tensor/tensor.ts';
import type { DType, Storage } from '../backend/backend.ts';
import { fmt, sizeOf } from '../tensor/shape.ts';
import { activeReadGuard, withReadGuard } from '../tensor/read-guard.ts';
import { concreteOf, installBatcher, newLevel, type Batcher, type MultiPrimitiveDef, type PrimitiveDef } from './primitive.ts';
import { batchingRuleOf, VmapError } from './batching.ts';
import { runningVmaps } from './vmap-state.ts';
import { broadcastTo, reshape, transpose } from '../ops/movement.ts';

export { VmapError };

// A batched value's own `data` is never read (ops see its batch; reads throw), but a
// tensor needs storage of its dtype and size: views of one zeroed buffer, grown as needed.
let zeros32 = new Float32Array(256);
let zeros64 = new Float64Array(256);
function placeholder(dtype: DType, size: number): Storage {
  if (dtype === 'float64') {
    if (zeros64.length < size) zeros64 = new Float64Array(Math.max(size, 2 * zeros64.length));
    return zeros64.subarray(0, size);
  }
  if (zeros32.length < size) zeros32 = new Float32Array(Math.max(size, 2 * zeros32.length));
  return zeros32.subarray(0, size);
}

/** One example's view of a batch: per-example shape outside, the batch (axis 0) in `value`. */
class BatchTracer extends Tensor {
  /** The whole batch, batch on axis 0. */
  readonly value: Tensor;

  constructor(value: Tensor, level: number) {
    const shape = value.shape.slice(1);
    super(placeholder(value.dtype, sizeOf(shape)), shape, level);
    this.value = value;
  }

  override toArray(): never { throw readError(this, 'toArray'); }
  override toTypedArray(): never { throw readError(this, 'toTypedArray'); }
  override item(): never { throw readError(this, 'item'); }
  override toString(): string {
    return `BatchedTensor(${this.dtype}, per-example [${this.shape.join(', ')}], batch of ${this.value.shape[0]})`;
  }
}

function readError(t: Tensor, what: string): VmapError {
  return new VmapError(
    `vmap: ${what}${what.includes(' ') ? '' : '()'} reads the values of a batched tensor (per-example shape ${fmt(t.shape)}), ` +
    'which differ from example to example; compute with ops instead (where(cond, a, b) for a branch, gather for tensor indices)',
  );
}

const running = runningVmaps;

function applyRule(prim: PrimitiveDef<unknown> | MultiPrimitiveDef<unknown>, inputs: readonly Tensor[], params: unknown, level: number): Tensor | readonly Tensor[] | null {
  if (level === 0) return null;
  // The fast path of every traced op: is the top-level input one of ours?
  let mine = false;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    if (x.level === level) { mine = x instanceof BatchTracer; break; }
  }
  if (!mine) return null;
  const size = running.get(level);
  if (size === undefined) {
    const x = inputs.find((t) => t.level === level)!;
    throw new VmapError(`vmap: op '${prim.name}' got a batched value (per-example shape ${fmt(x.shape)}) after the vmap that made it returned; return it from the vmapped function instead of keeping it`);
  }
  const xs = inputs.map((x) => (x.level === level ? (x as BatchTracer).value : x));
  const batched = inputs.map((x) => x.level === level);
  const out = batchingRuleOf(prim)(prim, xs, batched, params, size);
  const wrap = (o: Tensor): Tensor => {
    if (o.shape[0] !== size) throw new VmapError(`vmap: the batching rule of '${prim.name}' returned shape ${fmt(o.shape)} for a batch of ${size} (a bug: please report it)`);
    return new BatchTracer(o, level);
  };
  return out instanceof Tensor ? wrap(out) : out.map(wrap);
}

const batcher: Batcher = {
  bind: (prim, inputs, params, level) => applyRule(prim, inputs, params, level) as Tensor | null,
  bindMulti: (prim, inputs, params, level) => applyRule(prim, inputs, params, level) as Tensor[] | null,
  concrete: (x) => (x instanceof BatchTracer ? new BatchTracer(concreteOf(x.value), x.level) : x),
};

/**
 * Where the batch axis is, per leaf: a number (that axis; negative counts from the
 * end), `null` (not batched: the same value for every example), or a tree of those
 * matching a prefix of the value's structure (arrays by index, objects by key).
 *
 * @example
 * ```ts
 * const spec: AxisSpec = { w: null, x: 0 }; // params shared, data batched along axis 0
 * ```
 */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/**
 * Options of {@link vmap}, as `jax.vmap`'s `in_axes`, `out_axes` and `axis_size`.
 *
 * @example
 * ```ts
 * // argument 0 shared, argument 1 batched on its axis 0; the batch placed on the output's axis 1
 * const f = vmap((w: Tensor, x: Tensor) => mul(w, x), { inAxes: [null, 0], outAxes: 1 });
 * f(tensor([1, 10]), tensor([[1, 2], [3, 4], [5, 6]])).toArray(); // [[1, 3, 5], [20, 40, 60]]
 * ```
 */
export interface VmapOptions {
  /** One {@link AxisSpec} for all arguments, or an array with one per argument. Default 0. */
  readonly inAxes?: AxisSpec;
  /** Where each output leaf gets the batch (an {@link AxisSpec} over the result; `null`: unbatched). Default 0. */
  readonly outAxes?: AxisSpec;
  /** The batch size, needed only when no argument is batched (checked against them otherwise). */
  readonly axisSize?: number;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

const describe = (x: unknown): string => (x instanceof Tensor ? `a Tensor of shape ${fmt(x.shape)}` : Array.isArray(x) ? 'an array' : isPlainObject(x) ? 'an object' : `${typeof x} ${String(x)}`);

/**
 * Rebuilds `value` with `leaf(t, axis, path)` at every tensor leaf, `axis` from `spec`
 * (a prefix of value's structure). Non-tensor leaves pass through where the axis is
 * null. `what` names the option in errors.
 */
function mapAxes(value: unknown, spec: AxisSpec | undefined, path: string, what: string, leaf: (t: Tensor, axis: number | null, path: string) => unknown): unknown {
  if (spec === undefined) throw new VmapError(`vmap: ${what} has no entry for ${path}`);
  if (spec === null || typeof spec === 'number') {
    if (value instanceof Tensor) return leaf(value, spec, path);
    if (Array.isArray(value)) return value.map((v, i) => mapAxes(v, spec, `${path}[${i}]`, what, leaf));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapAxes(v, spec, `${path}.${k}`, what, leaf)]));
    if (spec === null) return value;
    throw new VmapError(`vmap: ${what} gives axis ${spec} to ${path}, which is ${describe(value)}, not a Tensor; give it null to pass it unbatched`);
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value) || value.length !== spec.length) {
      throw new VmapError(`vmap: ${what} at ${path} is an array of ${spec.length} entries, but the value there is ${Array.isArray(value) ? `an array of ${value.length}` : describe(value)}`);
    }
    return value.map((v, i) => mapAxes(v, spec[i], `${path}[${i}]`, what, leaf));
  }
  if (!isPlainObject(spec) || !isPlainObject(value)) {
    throw new VmapError(`vmap: ${what} at ${path} is ${isPlainObject(spec) ? 'an object' : describe(spec)}, but the value there is ${describe(value)}`);
  }
  const keys = Object.keys(value), specKeys = Object.keys(spec);
  if (keys.length !== specKeys.length || keys.some((k) => !(k in spec))) {
    throw new VmapError(`vmap: ${what} at ${path} has keys [${specKeys.join(', ')}], the value there [${keys.join(', ')}]`);
  }
  return Object.fromEntries(keys.map((k) => [k, mapAxes(value[k], (spec as Record<string, AxisSpec>)[k], `${path}.${k}`, what, leaf)]));
}

/** Moves axis `from` of `x` to `to` (a copy, unless they are equal). */
function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

/**
 * Vectorises `f`, written for one example, over a batch: `vmap(f)(xs)` equals stacking
 * `f(x)` for every slice `x` of `xs` along axis 0, computed as one batched op per op of
 * `f` (matmul and dense take the batch as one more leading axis; no op loops over it).
 * `inAxes` says where each argument's batch is (`null`: shared by every example),
 * `outAxes` where each output gets it. Arguments and results are trees of tensors;
 * plain numbers and other non-tensors may be passed with a `null` axis.
 *
 * Composes with the other transforms both ways: `vmap(grad(loss), { inAxes: [null, 0] })`
 * gives per-example gradients, `grad` of a function that calls a vmapped one
 * differentiates through it (to any order), `jit(vmap(f))` compiles it, and `vmap` nests
 * (`vmap(vmap(f))` over two batch axes). As in JAX, reading a batched value (`item`,
 * `toArray`, tensor indices of `take`) inside `f` throws a `VmapError`: use ops
 * (`where` for a branch, `gather` for per-example indices).
 *
 * @example
 * ```ts
 * const w = tensor([[1, 0], [0, 2], [1, 1]]);                  // shape [3, 2], shared
 * const xs = tensor([[1, 2, 3], [4, 5, 6]]);                   // two examples of shape [3]
 * vmap((x: Tensor) => matmul(x, w))(xs).toArray();             // [[4, 7], [10, 16]]
 * // per-example gradients of a loss with shared parameters:
 * const loss = (p: Tensor, x: Tensor) => sum(square(matmul(x, p)));
 * vmap(grad(loss), { inAxes: [null, 0] })(w, xs).shape;        // [2, 3, 2]
 * ```
 */
export function vmap<A extends unknown[], R>(f: (...args: A) => R, options: VmapOptions = {}): (...args: A) => R {
  const { inAxes = 0, outAxes = 0, axisSize } = options;
  if (axisSize !== undefined && (!Number.isInteger(axisSize) || axisSize < 0)) {
    throw new VmapError(`vmap: axisSize must be a non-negative integer, got ${String(axisSize)}`);
  }
  installBatcher(batcher);
  return (...args: A): R => {
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new VmapError(`vmap: inAxes has ${inAxes.length} entries (one per argument) but the function was called with ${args.length} argument(s)`);
    }
    const level = newLevel();
    // The first batched leaf sets the size; every other must agree.
    let size = axisSize, sizeFrom = axisSize === undefined ? '' : `axisSize ${axisSize}`;
    const wrapped = args.map((arg, i) => mapAxes(arg, Array.isArray(inAxes) ? (inAxes as readonly AxisSpec[])[i] : inAxes, `$[${i}]`, 'inAxes', (t, axis, path) => {
      if (axis === null) return t;
      const r = t.shape.length;
      if (!Number.isInteger(axis) || axis < -r || axis >= r) {
        throw new VmapError(`vmap: inAxes puts the batch on axis ${axis} of ${path}, which has shape ${fmt(t.shape)} (${r === 0 ? 'a scalar has no axis to batch over' : `valid axes ${-r}..${r - 1}`})`);
      }
      const a = axis < 0 ? axis + r : axis;
      const n = t.shape[a]!;
      const here = `${n} along axis ${a} of ${path} (shape ${fmt(t.shape)})`;
      if (size === undefined) { size = n; sizeFrom = here; }
      else if (n !== size) throw new VmapError(`vmap: batch sizes differ: ${sizeFrom} but ${here}`);
      return new BatchTracer(moveAxis(t, a, 0), level);
    })) as A;
    if (size === undefined) {
      throw new VmapError('vmap: no argument is batched (every inAxes entry is null, or there are no tensors); pass axisSize to map over a batch of shared values');
    }
    const batch = size;
    running.set(level, batch);
    try {
      const outer = activeReadGuard();
      const result = withReadGuard((t, what) => {
        let u = t;
        while (u.primal !== null) u = u.primal;
        if (u instanceof BatchTracer) throw readError(t, what);
        if (outer !== null) outer(t, what);
      }, () => f(...wrapped));
      return mapAxes(result, outAxes, '$', 'outAxes', (t, axis, path) => {
        if (t.level > level) {
          throw new VmapError(`vmap: output ${path} (shape ${fmt(t.shape)}) is traced by a transform that began inside the vmapped function and has ended (a value that escaped it)`);
        }
        const mine = t.level === level && t instanceof BatchTracer;
        if (axis === null) {
          if (mine) throw new VmapError(`vmap: outAxes gives null to output ${path}, but it depends on a batched input (per-example shape ${fmt(t.shape)}); give it an axis`);
          return t;
        }
        const r = t.shape.length;
        if (!Number.isInteger(axis) || axis < -(r + 1) || axis > r) {
          throw new VmapError(`vmap: outAxes puts the batch on axis ${axis} of output ${path}, of per-example shape ${fmt(t.shape)} (valid axes ${-(r + 1)}..${r})`);
        }
        // An output that does not depend on the batch is the same for every example.
        const v = mine ? (t as BatchTracer).value : broadcastTo(reshape(t, [1, ...t.shape]), [batch, ...t.shape]);
        return moveAxis(v, 0, axis < 0 ? axis + r + 1 : axis);
      }) as R;
    } finally {
      running.delete(level);
    }
  };
}
