/** How many workers "all the cores" means in this runtime. */

/**
 * The number of cores available to this process: `os.availableParallelism()` in Node
 * (through `process.getBuiltinModule`, Node ≥ 20.16), `navigator.hardwareConcurrency` in
 * browsers and Deno; 1 when neither is known.
 *
 * @example
 * ```ts
 * availableCores() >= 1; // true
 * const pool = createPool({ workers: availableCores(), modules: [jobsUrl] }); // workers start on the first run
 * pool.terminate();
 * ```
 */
export function availableCores(): number {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  let n: number | undefined;
  if (!('Deno' in globalThis)) {
    const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
    n = os?.availableParallelism?.() ?? os?.cpus?.().length;
  }
  n ??= g.navigator?.hardwareConcurrency;
  return Math.max(1, Math.floor(n ?? 1));
}
