/**
 * The job registry of this thread: job modules call {@link registerJob} when imported,
 * and the worker (or, with one worker, the calling thread) looks jobs up by name.
 */
import type { JobFunction } from './types.ts';

const jobs = new Map<string, JobFunction>();

/**
 * Registers `fn` under `name` in this thread's registry. Call it at the top level of a
 * job module; list that module in `createPool({ modules })` so every worker imports it.
 * Registering the same function again is a no-op; another function under a taken name
 * throws.
 *
 * @example
 * ```ts
 * // my-jobs.ts
 * import { registerJob } from 'metagrad';
 * registerJob('cube', ({ x }: { x: number }) => x ** 3);
 * ```
 */
export function registerJob<A, R>(name: string, fn: JobFunction<A, R>): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`registerJob: the name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (typeof fn !== 'function') throw new TypeError(`registerJob('${name}'): expected a function, got ${typeof fn}`);
  const old = jobs.get(name);
  if (old !== undefined && old !== fn) throw new Error(`registerJob('${name}'): a different job is already registered under this name`);
  jobs.set(name, fn as JobFunction);
}

/**
 * The job registered under `name` in this thread, or undefined.
 *
 * @example
 * ```ts
 * registerJob('triple', ({ x }: { x: number }) => 3 * x);
 * lookupJob('triple')?.({ x: 3 }, { index: 0, progress() {}, cancelled: false }); // 9
 * ```
 */
export function lookupJob(name: string): JobFunction | undefined {
  return jobs.get(name);
}

/**
 * The names registered in this thread, sorted.
 *
 * @example
 * ```ts
 * registerJob('negate', ({ x }: { x: number }) => -x);
 * registeredJobs().includes('negate'); // true
 * ```
 */
export function registeredJobs(): string[] {
  return [...jobs.keys()].sort();
}
