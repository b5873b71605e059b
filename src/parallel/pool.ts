/**
 * The worker pool: a queue of jobs handed to idle workers (or, with `workers: 1`, run in
 * the calling thread), outcomes stored by job index so the order never depends on which
 * worker finished first. A job that throws, or whose worker dies, fails alone (a dead
 * worker is replaced); `terminate()` ends every worker at once.
 */
import { currentBackend } from './backend-sync.ts';
import { availableCores } from './cores.ts';
import { describeArgs, JobError } from './errors.ts';
import { executeJob } from './execute.ts';
import type { FromWorker } from './messages.ts';
import { transferablesOf } from './transfer.ts';
import type { JobOutcome, JobSpec, Pool, PoolOptions, RunOptions } from './types.ts';
import { defaultWorkerUrl, startWorker, type WorkerHandle } from './worker-host.ts';

interface Task {
  readonly id: number;
  readonly index: number;
  readonly spec: JobSpec;
  readonly argsText: string;
  readonly onProgress: ((index: number, value: unknown) => void) | undefined;
  settle(outcome: JobOutcome): void;
}

interface Slot {
  handle: WorkerHandle | null;
  /** Resolves when the worker is started (or fails to). */
  starting: Promise<void> | null;
  task: Task | null;
  dead: boolean;
}

function checkWorkers(workers: unknown): number {
  if (workers === undefined) return availableCores();
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`createPool: workers must be a positive integer, got ${JSON.stringify(workers)}`);
  }
  return workers;
}

/** Resolves on a later turn of the event loop (lets messages, signals and timers run). */
function macrotask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Creates a pool of `workers` workers (default: {@link availableCores}) that run the jobs
 * registered by `modules`. Workers start on the first `run` and stay up until
 * `terminate()`; with `workers: 1` jobs run in the calling thread, one after another,
 * with no worker. Workers compute on the backend the caller had selected when the pool
 * was created (the wasm kernels are embedded, so a worker loads them itself). Outcomes
 * are in job order, so a result combined from them is the same for any number of workers.
 *
 * @example
 * ```ts
 * // jobsUrl: the URL of a module that calls registerJob('square', ({ x }) => x * x), e.g.
 * // new URL('./jobs.js', import.meta.url)
 * const pool = createPool({ workers: 2, modules: [jobsUrl] });
 * const outcomes = await pool.run([1, 2, 3].map((x) => ({ name: 'square', args: { x } })));
 * outcomes.map((o) => (o.ok ? o.value : o.error.message)); // [1, 4, 9]
 * pool.terminate();
 * ```
 */
export function createPool(options: PoolOptions): Pool {
  const size = checkWorkers(options.workers);
  const inThisThread = options.inThisThread ?? size === 1;
  if (typeof inThisThread !== 'boolean') throw new TypeError(`createPool: inThisThread must be true or false, got ${JSON.stringify(options.inThisThread)}`);
  if (inThisThread && size !== 1) throw new RangeError(`createPool: inThisThread runs jobs one at a time in the calling thread, so workers must be 1, got ${size}`);
  if (!Array.isArray(options.modules)) throw new TypeError('createPool: modules must be an array of module URLs (the modules that call registerJob)');
  const modules = options.modules.map((m) => String(m));
  const workerUrl = String(options.workerUrl ?? defaultWorkerUrl());
  // Workers compute on the backend the caller had when the pool was created.
  const backend = currentBackend();
  const queue: Task[] = [];
  const slots: Slot[] = [];
  const running = new Set<Task>();
  let nextId = 0;
  let terminated = false;
  let inProcessBusy = false;

  const fail = (task: Task, kind: JobError['kind'], reason: string, stack?: string): JobOutcome =>
    ({ ok: false, error: new JobError(task.spec.name, task.argsText, task.index, kind, reason, stack) });

  // ---- in-process (workers: 1, unless inThisThread is false) ----
  const drainInProcess = async (): Promise<void> => {
    if (inProcessBusy) return;
    inProcessBusy = true;
    try {
      while (!terminated && queue.length > 0) {
        const task = queue.shift()!;
        running.add(task);
        const ctx = { index: task.index, get cancelled() { return terminated; }, progress: (v: unknown) => { if (!terminated) task.onProgress?.(task.index, v); } };
        const r = await executeJob(modules, task.spec.name, task.spec.args, ctx);
        running.delete(task);
        if (terminated) break; // already settled as cancelled
        task.settle(r.ok ? { ok: true, value: r.value } : fail(task, r.error.kind, r.error.message, r.error.stack));
        await macrotask();
      }
    } finally {
      inProcessBusy = false;
    }
  };

  // ---- workers ----
  const onMessage = (slot: Slot, m: FromWorker): void => {
    const task = slot.task;
    if (task === null || m.id !== task.id) return;
    if (m.type === 'progress') { task.onProgress?.(task.index, m.value); return; }
    slot.task = null;
    running.delete(task);
    task.settle(m.type === 'done' ? { ok: true, value: m.value } : fail(task, m.error.kind, m.error.message, m.error.stack));
    dispatch();
  };
  const onFail = (slot: Slot, reason: string): void => {
    slot.dead = true;
    slot.handle = null;
    const task = slot.task;
    slot.task = null;
    if (task !== null) { running.delete(task); task.settle(fail(task, 'worker-died', reason)); }
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    dispatch(); // a replacement takes the remaining jobs
  };
  const spawn = (): Slot => {
    const slot: Slot = { handle: null, starting: null, task: null, dead: false };
    slot.starting = startWorker(workerUrl, { message: (m) => onMessage(slot, m), fail: (r) => onFail(slot, r) })
      .then((handle) => {
        if (terminated || slot.dead) { handle.terminate(); return; }
        slot.handle = handle;
        handle.post({ type: 'init', modules, backend }, []);
      })
      .catch((e: unknown) => onFail(slot, `the worker could not start: ${(e as Error).message ?? String(e)}`))
      .finally(() => { slot.starting = null; if (!terminated) dispatch(); });
    slots.push(slot);
    return slot;
  };
  const dispatch = (): void => {
    if (terminated) return;
    if (inThisThread) { void drainInProcess(); return; }
    while (slots.length < Math.min(size, slots.filter((s) => s.task !== null).length + queue.length)) spawn();
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.dead || slot.handle === null || slot.task !== null) continue;
      const task = queue.shift()!;
      slot.task = task;
      running.add(task);
      const transfer = transferablesOf(task.spec.args);
      try {
        slot.handle.post({ type: 'run', id: task.id, index: task.index, name: task.spec.name, args: task.spec.args }, transfer);
      } catch (e) {
        slot.task = null;
        running.delete(task);
        task.settle(fail(task, 'threw', `the job's arguments cannot be sent to a worker (${(e as Error).message}); pass plain data and typed arrays`));
      }
    }
  };

  return {
    size,
    get terminated() { return terminated; },
    run<R>(jobs: readonly JobSpec[], runOptions: RunOptions = {}): Promise<JobOutcome<R>[]> {
      if (terminated) return Promise.reject(new Error('Pool.run: the pool was terminated; create a new one'));
      if (!Array.isArray(jobs)) return Promise.reject(new TypeError('Pool.run: expected an array of { name, args } jobs'));
      const bad = jobs.findIndex((spec: unknown) => spec === null || typeof spec !== 'object' || typeof (spec as JobSpec).name !== 'string');
      if (bad >= 0) return Promise.reject(new TypeError(`Pool.run: job #${bad} must be { name: string, args }, got ${describeArgs(jobs[bad])}`));
      const outcomes: JobOutcome[] = new Array(jobs.length);
      return new Promise((resolve) => {
        let left = jobs.length;
        if (left === 0) { resolve([]); return; }
        jobs.forEach((spec, index) => {
          let settled = false;
          queue.push({
            id: nextId++, index, spec, argsText: describeArgs(spec.args), onProgress: runOptions.onProgress,
            settle(outcome) {
              if (settled) return;
              settled = true;
              outcomes[index] = outcome;
              if (--left === 0) resolve(outcomes as JobOutcome<R>[]);
            },
          });
        });
        dispatch();
      });
    },
    terminate() {
      if (terminated) return;
      terminated = true;
      for (const slot of slots) { slot.dead = true; slot.handle?.terminate(); }
      const unfinished = [...running, ...queue.splice(0)];
      running.clear();
      for (const slot of slots) slot.task = null;
      slots.length = 0;
      for (const task of unfinished) task.settle(fail(task, 'cancelled', 'the pool was terminated'));
    },
  };
}

/**
 * Runs `jobs` on a fresh pool and terminates it afterwards: {@link createPool} for one batch.
 *
 * @example
 * ```ts
 * const outcomes = await runJobs([{ name: 'square', args: { x: 4 } }], { workers: 1, modules: [jobsUrl] });
 * outcomes; // [{ ok: true, value: 16 }]
 * ```
 */
export async function runJobs<R = unknown>(jobs: readonly JobSpec[], options: PoolOptions & RunOptions): Promise<JobOutcome<R>[]> {
  const pool = createPool(options);
  try {
    return await pool.run<R>(jobs, options);
  } finally {
    pool.terminate();
  }
}
