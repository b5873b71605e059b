/**
 * Optimizer state as plain data: numbers and flat `number[]` arrays, one per parameter
 * leaf in {@link treeLeaves} order. `JSON.stringify(state)` saves it and
 * `optimizer.restore(JSON.parse(text), params)` checks and restores it; because the
 * slots hold JS doubles, a restored run continues bit for bit.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { treeLeaves } from '../autodiff/tree.ts';

/** Shared shape of every optimizer's state. */
export interface OptimizerState {
  /** Which optimizer wrote it ('sgd', 'adam', 'adamw'). */
  readonly kind: string;
  /** Updates applied so far. */
  readonly step: number;
  /** Per-leaf slot arrays by slot name (e.g. Adam's `m` and `v`). */
  readonly slots: { readonly [name: string]: readonly (readonly number[])[] };
}

/** A pure optimizer over trees of tensors. */
export interface Optimizer<S extends OptimizerState = OptimizerState> {
  /** Fresh state for `params` (zeros in every slot, step 0). */
  init(params: unknown): S;
  /**
   * One step: new parameters (same tree structure, fresh tensors) and new state.
   * Neither the inputs nor the old state are modified.
   */
  update<P>(grads: P, state: S, params: P): { params: P; state: S };
  /**
   * Checks that `data` (e.g. `JSON.parse` of a saved state) is this optimizer's state for
   * parameters shaped like `params` and returns it typed; throws a message naming the mismatch.
   */
  restore(data: unknown, params: unknown): S;
}

/** @internal Zero slot arrays, one per leaf. */
export function zeroSlots(params: unknown): number[][] {
  return treeLeaves(params).map((p) => new Array<number>(p.size).fill(0));
}

/** @internal Validates a deserialised state against the optimizer's kind, slot names and params. */
export function checkState<S extends OptimizerState>(data: unknown, kind: string, slotNames: readonly string[], params: unknown): S {
  const fail = (why: string): never => { throw new TypeError(`${kind}.restore: ${why}`); };
  if (data === null || typeof data !== 'object') return fail(`expected an object, got ${data === null ? 'null' : typeof data}`);
  const s = data as Partial<OptimizerState>;
  if (s.kind !== kind) fail(`state was written by '${String(s.kind)}'`);
  if (typeof s.step !== 'number' || !Number.isInteger(s.step) || s.step < 0) fail(`step must be a non-negative integer, got ${String(s.step)}`);
  if (s.slots === null || typeof s.slots !== 'object') return fail('missing slots');
  const leaves: Tensor[] = treeLeaves(params);
  for (const name of slotNames) {
    const slot = s.slots[name];
    if (!Array.isArray(slot)) return fail(`missing slot '${name}'`);
    if (slot.length !== leaves.length) fail(`slot '${name}' has ${slot.length} arrays for ${leaves.length} parameters`);
    slot.forEach((arr, i) => {
      if (!Array.isArray(arr) || arr.length !== leaves[i]!.size) {
        fail(`slot '${name}' array ${i} has ${Array.isArray(arr) ? arr.length : 'no'} entries for a parameter of ${leaves[i]!.size} elements`);
      }
      if (!arr.every((v: unknown) => typeof v === 'number')) fail(`slot '${name}' array ${i} holds a non-number`);
    });
  }
  return data as S;
}
