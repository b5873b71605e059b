/**
 * The few names TSDoc examples may use without defining them, because an example cannot
 * reasonably build them (test/tsdoc-examples.test.ts puts them in every example's scope):
 *
 * - `console`: a console that keeps what examples print instead of printing it.
 * - `writeFileSync` (as from `node:fs`): records the files an example writes, writes nothing.
 * - `jobsUrl`: the URL of a job module on disk that calls
 *   `registerJob('square', ({ x }) => x * x)`, for the worker-pool examples.
 */
import { FIXTURE_JOBS } from './fixtures/parallel-jobs.ts';

export interface Prelude {
  console: Pick<Console, 'log' | 'error' | 'warn' | 'table'>;
  writeFileSync: (path: string, data: string | Uint8Array) => void;
  jobsUrl: string;
  /** What the example printed and wrote. */
  printed: unknown[][];
  written: Map<string, string | Uint8Array>;
}

/** A fresh prelude for one example. */
export function prelude(): Prelude {
  const printed: unknown[][] = [];
  const written = new Map<string, string | Uint8Array>();
  const keep = (...a: unknown[]) => { printed.push(a); };
  return {
    console: { log: keep, error: keep, warn: keep, table: keep },
    writeFileSync: (path, data) => {
      if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new TypeError(`writeFileSync('${path}'): data must be a string or bytes, got ${typeof data}`);
      written.set(path, data);
    },
    jobsUrl: FIXTURE_JOBS,
    printed,
    written,
  };
}

/** The names `prelude()` provides to examples. */
export const PRELUDE_NAMES = ['console', 'writeFileSync', 'jobsUrl'] as const;
