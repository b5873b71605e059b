/** The error a failed job is reported with: which job, with which arguments, and why. */

/** Why a job failed: it threw, its worker died, the pool was terminated, or no module registered its name. */
export type JobFailure = 'threw' | 'worker-died' | 'cancelled' | 'unknown-job';

/**
 * A job that did not produce a value. The message names the job and its arguments,
 * e.g. `job 'gridworld.run' #3 {"seed":3} threw: Error: boom`.
 *
 * @example
 * ```ts
 * const pool = createPool({ workers: 1, modules: [jobsUrl] });
 * const outcomes = await pool.run([{ name: 'square', args: { x: 2 } }, { name: 'no such job', args: {} }]);
 * for (const o of outcomes) if (!o.ok) console.error(o.error.jobName, o.error.kind, o.error.message);
 * outcomes.map((o) => o.ok); // [true, false]
 * pool.terminate();
 * ```
 */
export class JobError extends Error {
  override readonly name = 'JobError';
  constructor(
    /** The registered name of the job. */
    readonly jobName: string,
    /** A short text of the job's arguments (typed arrays abbreviated). */
    readonly argsText: string,
    /** The job's index in its batch. */
    readonly index: number,
    readonly kind: JobFailure,
    /** The underlying error's message (or what happened to the worker). */
    readonly reason: string,
    /** The stack of the error inside the job, when there was one. */
    readonly jobStack?: string,
  ) {
    super(`job '${jobName}' #${index} ${argsText} ${kind === 'threw' ? 'threw' : kind === 'worker-died' ? 'lost its worker' : kind === 'cancelled' ? 'was cancelled' : 'is not registered'}: ${reason}`);
  }
}

/**
 * A compact text of job arguments for error messages: JSON, with typed arrays shown as
 * `Float32Array(100)` and long texts cut at `max` characters.
 *
 * @example
 * ```ts
 * describeArgs({ seed: 3, x: new Float32Array(4) }); // '{"seed":3,"x":"Float32Array(4)"}'
 * ```
 */
export function describeArgs(args: unknown, max = 300): string {
  let text: string;
  try {
    text = JSON.stringify(args, (_k, v: unknown) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as unknown as { length?: number }).length ?? v.byteLength})` : v)) ?? String(args);
  } catch {
    text = String(args);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
