/**
 * A hook that reading a tensor's values goes through (`toArray`, `item`,
 * `toTypedArray`, tensor indices). `jit` sets it while tracing, so reading a value
 * that is not known at trace time fails loudly instead of baking the trace-time
 * value into the compiled program. Transient: set for one trace, restored in `finally`.
 * @internal
 */
import type { Tensor } from './tensor.ts';

export type ReadGuard = (t: Tensor, what: string) => void;

let guard: ReadGuard | null = null;

/** Runs `fn` with `g` checking every read of a tensor's values. @internal */
export function withReadGuard<T>(g: ReadGuard | null, fn: () => T): T {
  const saved = guard;
  guard = g;
  try {
    return fn();
  } finally {
    guard = saved;
  }
}

/** The guard in force, so that a nested one (`vmap` inside a `jit` trace) can defer to it. @internal */
export function activeReadGuard(): ReadGuard | null {
  return guard;
}

/** Called before a tensor's values are read as numbers; `what` names the method or op. @internal */
export function checkRead(t: Tensor, what: string): void {
  if (guard !== null) guard(t, what);
}
