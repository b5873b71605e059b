/**
 * Running one job by name in this thread: imports the job modules once, looks the job up
 * and turns what it returns or throws into plain data. Shared by the worker side and
 * the in-process pool, so both run jobs the same way.
 */
import { lookupJob, registeredJobs } from './registry.ts';
import { errorData, type ErrorData } from './messages.ts';
import type { JobContext } from './types.ts';

const imported = new Map<string, Promise<unknown>>();

/** Imports every module once per thread (concurrent callers share the import). */
export async function importModules(modules: readonly string[]): Promise<void> {
  for (const href of modules) {
    let p = imported.get(href);
    if (p === undefined) { p = import(/* @vite-ignore */ href); imported.set(href, p); }
    await p;
  }
}

/** What running a job gave: its value, or the error as data. */
export type Executed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ErrorData };

/** Imports `modules`, then runs the job `name`; never throws. */
export async function executeJob(modules: readonly string[], name: string, args: unknown, ctx: JobContext): Promise<Executed> {
  try {
    await importModules(modules);
  } catch (e) {
    const d = errorData(e);
    return { ok: false, error: { ...d, message: `could not import the job modules (${modules.join(', ')}): ${d.message}` } };
  }
  const fn = lookupJob(name);
  if (fn === undefined) {
    const known = registeredJobs();
    return { ok: false, error: { kind: 'unknown-job', message: `no job '${name}' is registered by ${modules.join(', ') || 'any module'} (registered: ${known.join(', ') || 'none'})` } };
  }
  try {
    return { ok: true, value: await fn(args, ctx) };
  } catch (e) {
    return { ok: false, error: errorData(e) };
  }
}
