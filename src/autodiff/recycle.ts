/**
 * Opt-in reuse of op output storage across computations whose intermediates all die
 * when they return, such as one meta-gradient: its forward and backward passes
 * allocate a few MB of arrays that are garbage a moment later. Inside
 * {@link recycling}, outputs of at least {@link RECYCLE_MIN_ELEMENTS} elements take
 * arrays that earlier scopes finished with; when the scope ends, `keep` copies out what
 * must survive and every array the scope took goes back to a bounded pool. The same
 * arrays serve every step, so they stay in cache and need no zero-filling: 10–38% off a
 * second-order MAML step (BENCHMARKS.md).
 *
 * The contract, as for values inside `jax.grad` or `tf.tidy`: a tensor created inside
 * the scope must not be kept past it (`keep` copies what should be). A scope in
 * which any op touched a tensor of an enclosing trace (`grad` of a function that calls
 * it, a closure over a traced value) gives nothing back to the pool, so nesting under
 * transforms stays correct.
 */
import type { DType, Storage } from '../backend/backend.ts';
import { watchOuterTraces } from './primitive.ts';

/** Smaller arrays are as cheap to allocate as to look up. */
export const RECYCLE_MIN_ELEMENTS = 256;
/** Upper bound on the bytes the pool holds between scopes. */
export const RECYCLE_POOL_BYTES = 64 * 1024 * 1024;

// Dynamic scope (restored in `finally`) and a cache of free arrays: no results live here.
let taken: Storage[] | null = null;
// The sizes the innermost scope has asked for: what the pool keeps when it is full.
let requested: Set<number> | null = null;
const free = new Map<number, Storage[]>();
let freeBytes = 0;

const keyOf = (dtype: DType, size: number): number => 2 * size + (dtype === 'float64' ? 1 : 0);

/**
 * Storage for an op output of `size` elements. `zeroed: false` promises that the caller
 * overwrites every element, so a recycled array is not cleared first.
 * @internal
 */
export function newStorage(dtype: DType, size: number, zeroed: boolean): Storage {
  if (taken === null || size < RECYCLE_MIN_ELEMENTS) return freshStorage(dtype, size);
  const key = keyOf(dtype, size);
  requested!.add(key);
  const reused = free.get(key)?.pop();
  if (reused !== undefined) {
    freeBytes -= reused.byteLength;
    if (zeroed) reused.fill(0);
  }
  const storage = reused ?? freshStorage(dtype, size);
  taken.push(storage);
  return storage;
}

const freshStorage = (dtype: DType, size: number): Storage => (dtype === 'float64' ? new Float64Array(size) : new Float32Array(size));

/**
 * Runs `compute` with op outputs drawn from the pool, then `keep(result)` outside the
 * scope (so whatever it copies is freshly allocated), then gives the scope's arrays back
 * to the pool. What `keep` returns is the result; it must not hold tensors made inside.
 * If `compute` throws, nothing goes back to the pool.
 *
 * @example
 * ```ts
 * // One training step of a custom loop; only the gradients' values leave the scope.
 * const loss = (p: { w: Tensor }) => sum(square(p.w));
 * const params = { w: tensor([1, 2]) };
 * const grads = recycling(() => grad(loss)(params), treeCopy);
 * grads.w.toArray(); // [2, 4]
 * ```
 */
export function recycling<T, R>(compute: () => T, keep: (result: T) => R): R {
  const enclosing = taken, enclosingRequests = requested;
  const mine: Storage[] = [];
  const asked = new Set<number>();
  taken = mine;
  requested = asked;
  let watched: { result: T; outerTraced: boolean };
  try {
    watched = watchOuterTraces(compute);
  } finally {
    taken = enclosing;
    requested = enclosingRequests;
  }
  const kept = keep(watched.result);
  if (!watched.outerTraced) {
    // A full pool first drops the sizes this scope never asked for: workloads whose
    // shapes change from step to step (episode batches of varying length) would
    // otherwise fill it with sizes that never recur.
    if (freeBytes + mine.reduce((bytes, s) => bytes + s.byteLength, 0) > RECYCLE_POOL_BYTES) dropAllBut(asked);
    for (const storage of mine) {
      if (freeBytes + storage.byteLength > RECYCLE_POOL_BYTES) break;
      const key = keyOf(storage instanceof Float64Array ? 'float64' : 'float32', storage.length);
      let list = free.get(key);
      if (list === undefined) free.set(key, (list = []));
      list.push(storage);
      freeBytes += storage.byteLength;
    }
  }
  return kept;
}

function dropAllBut(keys: ReadonlySet<number>): void {
  for (const [key, list] of free) {
    if (keys.has(key)) continue;
    for (const storage of list) freeBytes -= storage.byteLength;
    free.delete(key);
  }
}

/** Bytes currently held by the pool (for memory tests and benchmarks). */
export function recycledPoolBytes(): number {
  return freeBytes;
}
