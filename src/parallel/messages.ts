/** The messages between a pool and its workers (structured-cloned; typed arrays transferred). */

/** Pool → worker: import the job modules (first message), or run one job. */
export type ToWorker =
  | { readonly type: 'init'; readonly modules: readonly string[]; readonly backend: { readonly name: string; readonly variant?: string } }
  | { readonly type: 'run'; readonly id: number; readonly index: number; readonly name: string; readonly args: unknown };

/** A thrown value, as plain data. */
export interface ErrorData {
  readonly kind: 'threw' | 'unknown-job';
  readonly message: string;
  readonly stack?: string;
}

/** Worker → pool: a job's progress, value or error. */
export type FromWorker =
  | { readonly type: 'progress'; readonly id: number; readonly value: unknown }
  | { readonly type: 'done'; readonly id: number; readonly value: unknown }
  | { readonly type: 'failed'; readonly id: number; readonly error: ErrorData };

/** `Error: message` (with the class name) for any thrown value. */
export function errorData(e: unknown, kind: ErrorData['kind'] = 'threw'): ErrorData {
  if (e instanceof Error) return { kind, message: `${e.name}: ${e.message}`, ...(e.stack !== undefined && { stack: e.stack }) };
  return { kind, message: String(e) };
}
