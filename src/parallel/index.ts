/**
 * Parallel jobs: one worker-pool interface over Node `worker_threads`, Web Workers and
 * Deno workers. Jobs are plain data (a registered name and clonable arguments); results
 * come back in job order.
 */
export { createPool, runJobs } from './pool.ts';
export { registerJob, lookupJob, registeredJobs } from './registry.ts';
export { availableCores } from './cores.ts';
export { JobError, describeArgs, type JobFailure } from './errors.ts';
export { transferablesOf } from './transfer.ts';
export type { JobSpec, JobContext, JobFunction, JobOutcome, Pool, PoolOptions, RunOptions } from './types.ts';
