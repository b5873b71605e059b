// The scratch arena. The host lays out every call's inputs, outputs and packing
// buffers from `arenaBase()` upward and forgets them when the call returns, so the
// arena is "reset" for free. Memory only ever grows, and only when one call needs
// more than all earlier calls did.

/** First 16-byte-aligned byte after the module's static data: where the arena starts. */
export function arenaBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/**
 * Makes linear memory span at least `end` bytes. Returns 1 on success, 0 when the
 * engine refuses to grow. Grows by at least the current size so that a workload whose
 * largest call creeps upward triggers O(log n) grows, not one per call.
 */
export function arenaReserve(end: usize): i32 {
  const havePages = memory.size();
  const have = <usize>havePages << 16;
  if (end <= have) return 1;
  const needPages = <i32>((end - have + 0xffff) >> 16);
  const generous = max(needPages, havePages);
  if (memory.grow(generous) >= 0) return 1;
  return memory.grow(needPages) >= 0 ? 1 : 0;
}
