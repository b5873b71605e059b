/**
 * Primitives and how they are applied under tracing.
 *
 * A primitive is an op with a forward computation on concrete tensors and a
 * vector-Jacobian rule written with differentiable ops. `bind` applies one: at
 * trace level L it computes the value one level down (recursively, so enclosing
 * transforms record it too) and wraps the result as a level-L traced tensor that
 * remembers its inputs. This is JAX's design: because a rule computes with the
 * primal values (level < L), the backward pass of level L is itself recorded by
 * every enclosing level, and `grad` of `grad` needs no special code.
 */
import { Tensor } from '../tensor/tensor.ts';
import type { DType, Storage } from '../backend/backend.ts';
import { AnomalyError } from '../tensor/errors.ts';

/**
 * Cotangents for the inputs, given the output cotangent `g`, the primal inputs and
 * output, the parameters and which inputs need a cotangent at all. A rule may return
 * a cotangent in the output's (broadcast) shape: the autodiff core sums it back to
 * the input's shape, so broadcasting is undone in one place.
 */
export type VjpRule<P> = (
  g: Tensor, inputs: readonly Tensor[], out: Tensor, params: P, needs: readonly boolean[],
) => readonly (Tensor | null)[];

export interface PrimitiveDef<P> {
  readonly name: string;
  /** Computes the output from concrete (untraced) inputs with the current backend. */
  readonly forward: (inputs: readonly Tensor[], params: P) => Tensor;
  /** The derivative rule, or 'nondiff' for ops with zero derivative almost everywhere (comparisons). */
  readonly vjp: VjpRule<P> | 'nondiff';
  /**
   * The forward computation writing into `out` (storage of the output's shape and
   * dtype, with arbitrary old contents) instead of allocating: what a compiled
   * (`jit`) program runs on its planned buffers. Optional: without it the compiler
   * calls `forward` and copies the result.
   */
  readonly into?: (inputs: readonly Tensor[], out: Tensor, params: P) => void;
  /**
   * `into` with its shape work done once: returns a launcher that a compiled program
   * calls on every run over the same buffers (new contents, same shapes), so a run
   * allocates nothing. `scratch`, when given, is the program's register file (same
   * dtype, at least what the primitive asked for; see `jit`'s elementwise chains).
   * Optional: without it the program calls `into`.
   */
  readonly prepare?: (inputs: readonly Tensor[], out: Tensor, params: P, scratch?: Storage) => () => void;
  /** Bytes of register file `prepare` wants as `scratch` (a compiled program sets aside the largest). */
  readonly scratchBytes?: (params: P, dtype: DType, size: number) => number;
}

/**
 * Records primitives applied to abstract (staged) values instead of computing them:
 * `jit`'s tracer. `stage` returns null when no input is staged (the op then runs
 * eagerly: a constant of the trace). @internal
 */
export interface Stager {
  stage(prim: PrimitiveDef<unknown>, inputs: readonly Tensor[], params: unknown): Tensor | null;
  isStaged(x: Tensor): boolean;
}

/**
 * Applies primitives to batched values (`vmap`'s tracer). `bind` asks it first whenever
 * an input is traced; it answers null unless the highest-level input is a batched value
 * of a running `vmap`, which it unwraps, batches with the primitive's rule and wraps
 * again. A batched value has no `primal` (its batch is not a trace to strip), so
 * `concreteOf` hands it to `concrete` to lower what it holds. @internal
 */
export interface Batcher {
  bind(prim: PrimitiveDef<unknown>, inputs: readonly Tensor[], params: unknown, level: number): Tensor | null;
  bindMulti(prim: MultiPrimitiveDef<unknown>, inputs: readonly Tensor[], params: unknown, level: number): Tensor[] | null;
  concrete(x: Tensor): Tensor;
}

/**
 * Cotangents for the inputs of a multi-output primitive, given one cotangent per
 * output (`null` where an output received none) and the primal inputs.
 */
export type MultiVjpRule<P> = (
  gs: readonly (Tensor | null)[], inputs: readonly Tensor[], params: P, needs: readonly boolean[],
) => readonly (Tensor | null)[];

/**
 * A primitive with several outputs (a split, a checkpointed function's tree of
 * results). Its rule sees every output's cotangent at once, so the outputs'
 * cotangents are never zero-padded to a joint shape and summed.
 */
export interface MultiPrimitiveDef<P> {
  readonly multiOutput: true;
  readonly name: string;
  readonly forward: (inputs: readonly Tensor[], params: P) => readonly Tensor[];
  readonly vjp: MultiVjpRule<P>;
}

/** Which output of a multi-output primitive's graph vertex a tensor is. @internal */
export interface OutputIndex { readonly index: number; readonly count: number }

/**
 * The node of each output of a traced multi-output primitive: it projects the
 * primitive's shared graph vertex. The backward pass hands the projections'
 * cotangents to that vertex instead of applying a rule. @internal
 */
export const outputOf: PrimitiveDef<OutputIndex> = {
  name: 'output',
  forward: () => { throw new Error('output: a graph projection, not an op'); },
  vjp: () => { throw new Error('output: resolved by the backward pass'); },
};

// Dynamic scopes. Transient: set by a transform for the duration of one call and
// restored in `finally`, like JAX's trace stack. They hold no data between calls.
let lastLevel = 0;
let noGradDepth = 0;
let anomalyDepth = 0;
let backwardOf: string | null = null;
// Levels ≤ watchFloor existed before the innermost `watchOuterTraces` began.
let watchFloor = 0;
let outerTraceSeen = false;
let stager: Stager | null = null;
// Set once by the first `vmap` call (it holds no data: the running vmaps are its own).
let batcher: Batcher | null = null;

/** Installs `vmap`'s batcher (idempotent; null removes it, for benchmarks). @internal */
export function installBatcher(b: Batcher | null): void {
  batcher = b;
}

/** Runs `fn` with `s` recording every primitive applied to its staged values (null: none). @internal */
export function withStager<T>(s: Stager | null, fn: () => T): T {
  const saved = stager;
  stager = s;
  try {
    return fn();
  } finally {
    stager = saved;
  }
}

/** The active stager, if a `jit` trace is running. @internal */
export function activeStager(): Stager | null {
  return stager;
}

/** A fresh trace level, greater than every level in use. @internal */
export function newLevel(): number {
  return ++lastLevel;
}

/** Lowers a possibly traced tensor to its concrete value. */
export function concreteOf(x: Tensor): Tensor {
  let t = x;
  while (t.primal !== null) t = t.primal;
  return t.level === 0 || batcher === null ? t : batcher.concrete(t);
}

/** The highest trace level among `inputs` (0: all concrete), noting an enclosing trace for `watchOuterTraces`. */
function traceLevel(inputs: readonly Tensor[]): number {
  let level = 0;
  for (let i = 0; i < inputs.length; i++) {
    const l = inputs[i]!.level;
    if (l > level) level = l;
  }
  if (level !== 0 && level <= watchFloor) outerTraceSeen = true;
  return level;
}

/** `inputs` with the tracing of `level` removed (the values one level down). */
function lowered(inputs: readonly Tensor[], level: number): Tensor[] {
  const primals = new Array<Tensor>(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    primals[i] = x.level === level ? x.primal! : x;
  }
  return primals;
}

/** Applies a primitive to inputs of any trace levels. @internal */
export function bind<P>(prim: PrimitiveDef<P>, inputs: readonly Tensor[], params: P): Tensor {
  const level = traceLevel(inputs);
  if (level !== 0 && batcher !== null) {
    const batched = batcher.bind(prim as PrimitiveDef<unknown>, inputs, params, level);
    if (batched !== null) return batched;
  }
  if (level === 0 || noGradDepth > 0 || prim.vjp === 'nondiff') {
    const concrete = level === 0 ? inputs : inputs.map(concreteOf);
    // Stripping the traces may leave vmap's batched values: they are batched, not dropped.
    if (level !== 0 && batcher !== null) {
      const batched = batcher.bind(prim as PrimitiveDef<unknown>, concrete, params, traceLevel(concrete));
      if (batched !== null) return batched;
    }
    if (stager !== null) {
      const staged = stager.stage(prim as PrimitiveDef<unknown>, concrete, params);
      if (staged !== null) return staged;
    }
    const out = prim.forward(concrete, params);
    if (anomalyDepth > 0) checkFinite(out, prim.name);
    return out;
  }
  const primals = lowered(inputs, level);
  const value = bind(prim, primals, params);
  return new Tensor(value.data, value.shape, level, value, { prim, inputs, params });
}

/**
 * Applies a multi-output primitive. Under tracing the outputs share one graph vertex:
 * a tensor with no data whose node holds the primitive and its inputs. @internal
 */
export function bindMulti<P>(prim: MultiPrimitiveDef<P>, inputs: readonly Tensor[], params: P): Tensor[] {
  return bindOutputs(prim, inputs, params).outputs;
}

const NO_DATA = new Float32Array(0);

function bindOutputs<P>(prim: MultiPrimitiveDef<P>, inputs: readonly Tensor[], params: P): { vertex: Tensor | null; outputs: Tensor[] } {
  const level = traceLevel(inputs);
  if (level !== 0 && batcher !== null) {
    const batched = batcher.bindMulti(prim as MultiPrimitiveDef<unknown>, inputs, params, level);
    if (batched !== null) return { vertex: null, outputs: batched };
  }
  if (level === 0 || noGradDepth > 0) {
    if (level !== 0 && batcher !== null) {
      const concrete = inputs.map(concreteOf);
      const batched = batcher.bindMulti(prim as MultiPrimitiveDef<unknown>, concrete, params, traceLevel(concrete));
      if (batched !== null) return { vertex: null, outputs: batched };
    }
    // Under a jit trace a multi-output primitive's forward runs inline: every op inside
    // it binds, so its outputs are staged (split slices, a checkpoint's function).
    const outputs = [...prim.forward(level === 0 ? inputs : inputs.map(concreteOf), params)];
    if (anomalyDepth > 0) for (const out of outputs) checkFinite(out, prim.name);
    return { vertex: null, outputs };
  }
  const primals = lowered(inputs, level);
  const below = bindOutputs(prim, primals, params);
  const vertex = new Tensor(NO_DATA, [0], level, below.vertex, { prim, inputs, params });
  const count = below.outputs.length;
  const outputs = below.outputs.map((value, index) =>
    new Tensor(value.data, value.shape, level, value, { prim: outputOf, inputs: [vertex], params: { index, count } }));
  return { vertex, outputs };
}

function checkFinite(t: Tensor, op: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) {
      const where = backwardOf === null ? `op '${op}' (forward)` : `op '${op}' in the backward pass of '${backwardOf}'`;
      throw new AnomalyError(`anomaly: ${where} produced ${v} at flat index ${i} of an output of shape [${t.shape.join(', ')}]`);
    }
  }
}

/** Runs `fn` with the backward rule of `name` as the anomaly context. @internal */
export function inBackwardOf<T>(name: string, fn: () => T): T {
  if (anomalyDepth === 0) return fn();
  const saved = backwardOf;
  backwardOf = name;
  try {
    return fn();
  } finally {
    backwardOf = saved;
  }
}

/**
 * Runs `fn` without recording any op for differentiation: tensors computed inside
 * are constants to every enclosing transform.
 *
 * @example
 * ```ts
 * const g = grad((x: Tensor) => mul(x, noGrad(() => exp(x))).sum())(tensor([1, 2]));
 * // d/dx [x * c] with c = exp(x) held constant: g == exp(x)
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

/**
 * Runs `fn` and reports whether any op in it computed with a tensor traced by a
 * transform that began before `fn` did (an enclosing `grad`, or a closure capturing a
 * traced tensor): then values computed in `fn` may belong to that transform's graph. @internal
 */
export function watchOuterTraces<T>(fn: () => T): { result: T; outerTraced: boolean } {
  const savedFloor = watchFloor, savedSeen = outerTraceSeen;
  watchFloor = lastLevel;
  outerTraceSeen = false;
  let seen = false;
  try {
    const result = fn();
    seen = outerTraceSeen;
    return { result, outerTraced: seen };
  } finally {
    watchFloor = savedFloor;
    outerTraceSeen = savedSeen || seen;
  }
}

/**
 * Runs `fn` in anomaly mode: the first op (forward or in a backward pass) that
 * produces NaN or Inf throws an `AnomalyError` naming it. Costs one scan per op.
 *
 * @example
 * ```ts
 * withAnomalyDetection(() => grad((x: Tensor) => sqrt(x).sum())(tensor([0])));
 * // AnomalyError: anomaly: op 'div' in the backward pass of 'sqrt' produced Infinity ...
 * ```
 */
export function withAnomalyDetection<T>(fn: () => T): T {
  anomalyDepth++;
  try {
    return fn();
  } finally {
    anomalyDepth--;
  }
}
