/**
 * Which `vmap`s are running now: their batch sizes by trace level. Its own module so
 * that ops which must refuse to run under `vmap` (a host-drawn random mask would be
 * shared by every example) can ask without importing the batching machinery.
 */

/** @internal Batch sizes of the vmaps running now, by trace level. */
export const runningVmaps = new Map<number, number>();

/** @internal Whether some `vmap` is running (its function is being called). */
export function insideVmap(): boolean {
  return runningVmaps.size > 0;
}
