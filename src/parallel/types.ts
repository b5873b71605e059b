/**
 * The shapes the worker pool deals in: a job is plain data (a registered name and
 * structured-clonable arguments), an outcome is its value or the reason it failed.
 */
import type { JobError } from './errors.ts';

/**
 * One unit of work: the name a job module registered with {@link registerJob} and its
 * arguments (JSON-like data; typed arrays are transferred, not copied).
 *
 * @example
 * ```ts
 * const job: JobSpec = { name: 'square', args: { x: 3 } };
 * ```
 */
export interface JobSpec<A = unknown> {
  readonly name: string;
  readonly args: A;
}

/**
 * What a running job can do besides compute: report progress (any clonable value,
 * delivered to `onProgress` in the calling thread) and, in-process, see that the pool was
 * terminated (a worker's job is stopped by ending the worker instead).
 *
 * @example
 * ```ts
 * registerJob('count', async (args: { n: number }, ctx: JobContext) => {
 *   for (let i = 1; i <= args.n && !ctx.cancelled; i++) ctx.progress(i);
 *   return args.n;
 * });
 * ```
 */
export interface JobContext {
  /** The job's position in the batch passed to `Pool.run`. */
  readonly index: number;
  /** Sends `value` to the caller's `onProgress(index, value)`. */
  progress(value: unknown): void;
  /** True once the pool was terminated (in-process runs only; workers are ended instead). */
  readonly cancelled: boolean;
}

/**
 * A registered job: takes its arguments and a context, returns (or resolves to) a
 * structured-clonable value. Typed arrays in the value are transferred back.
 *
 * @example
 * ```ts
 * const halve: JobFunction<{ x: number }, number> = ({ x }) => x / 2;
 * registerJob('halve', halve);
 * ```
 */
export type JobFunction<A = any, R = unknown> = (args: A, ctx: JobContext) => R | Promise<R>;

/**
 * The result of one job: `{ ok: true, value }`, or `{ ok: false, error }` with a
 * {@link JobError} naming the job and its arguments.
 *
 * @example
 * ```ts
 * const pool = createPool({ workers: 1, modules: [jobsUrl] });
 * const [first] = await pool.run([{ name: 'square', args: { x: 3 } }]);
 * if (first!.ok) console.log(first!.value); else console.error(first!.error.message);
 * first; // { ok: true, value: 9 }
 * pool.terminate();
 * ```
 */
export type JobOutcome<R = unknown> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: JobError };

/** Options of {@link createPool}. */
export interface PoolOptions {
  /**
   * Number of workers; default: the available cores ({@link availableCores}). `1` runs
   * every job in the calling thread, with no worker at all.
   */
  readonly workers?: number;
  /**
   * Run the jobs in the calling thread, one after another (default: `workers === 1`).
   * `workers: 1, inThisThread: false` gives one worker thread: for a caller that
   * computes itself while a single worker takes the jobs it hands off.
   */
  readonly inThisThread?: boolean;
  /**
   * Modules (URLs, e.g. `import.meta.url` of a job module) that register the jobs; each
   * worker imports them all before its first job (in-process: the calling thread does).
   */
  readonly modules: readonly (string | URL)[];
  /** The worker script; default: this package's `worker-entry` module (override for bundles). */
  readonly workerUrl?: string | URL;
}

/** Options of one `Pool.run` call. */
export interface RunOptions {
  /** Called in the calling thread with each progress value a job reports. */
  readonly onProgress?: (index: number, value: unknown) => void;
}

/**
 * A set of workers that run registered jobs. Results come back in job order whatever
 * the number of workers, so they combine exactly as a serial run's would.
 *
 * @example
 * ```ts
 * // jobsUrl: a module that registers 'square', e.g. new URL('./my-jobs.js', import.meta.url)
 * const pool = createPool({ workers: 1, modules: [jobsUrl] });
 * try {
 *   const outcomes = await pool.run([{ name: 'square', args: { x: 2 } }, { name: 'square', args: { x: 3 } }]);
 *   console.log(outcomes.map((o) => (o.ok ? o.value : o.error.message))); // [4, 9]
 * } finally {
 *   pool.terminate();
 * }
 * ```
 */
export interface Pool {
  /** Workers (1: in-process). */
  readonly size: number;
  /** Runs the jobs (concurrently up to `size`); resolves with one outcome per job, in order. Never rejects for a job's failure. */
  run<R = unknown>(jobs: readonly JobSpec[], options?: RunOptions): Promise<JobOutcome<R>[]>;
  /** Stops every worker at once; jobs not finished resolve as cancelled failures. The pool cannot run again. */
  terminate(): void;
  /** True once {@link Pool.terminate} was called. */
  readonly terminated: boolean;
}
