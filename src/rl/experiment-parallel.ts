/**
 * The grid-world experiment on the worker pool: each seed of {@link runExperiment} is one
 * `rl.experimentSeed` job, and the runs come back in seed order, so the result is the
 * serial one apart from the timings.
 */
import { runJobs } from '../parallel/pool.ts';
import { registerJob } from '../parallel/registry.ts';
import type { JobContext } from '../parallel/types.ts';
import {
  checkExperimentConfig, combineExperimentSeeds, runExperimentSeed,
  type ExperimentConfig, type ExperimentResult, type ExperimentSeedRun,
} from './evaluate.ts';
import { RlError } from './errors.ts';

/** This module's URL: the job module every worker of {@link runExperimentParallel} imports. */
export const EXPERIMENT_JOBS: string = import.meta.url;

registerJob('rl.experimentSeed', (args: { config: ExperimentConfig; seed: number }, ctx: JobContext) =>
  runExperimentSeed(args.config, args.seed, (line) => ctx.progress(line)));

/** Options of {@link runExperimentParallel}. */
export interface ParallelExperimentOptions {
  /** Worker threads; default: the available cores. `1` runs every seed in this thread. */
  readonly workers?: number;
  /** Receives each seed's log line as the seed finishes training. */
  readonly log?: (line: string) => void;
}

/**
 * {@link runExperiment} with its seeds on worker threads: every seed's numbers depend
 * only on the config and the seed, and the runs are combined in `config.seeds` order,
 * so the result equals the serial one except `seconds`. The config is checked before any
 * worker starts; if seeds fail, the others still run, then it throws an RlError naming
 * each failed seed.
 *
 * @example
 * ```ts
 * const result = await runExperimentParallel({
 *   family: 'goal', size: 5, innerLr: 20, metaIterations: 2, metaBatchSize: 2, seeds: [0, 1], adaptationSteps: 1, maxTasksPerSplit: 2,
 * }, { workers: 2 });
 * console.log(formatResultTable(result));
 * ```
 */
export async function runExperimentParallel(config: ExperimentConfig, options: ParallelExperimentOptions = {}): Promise<ExperimentResult> {
  checkExperimentConfig(config);
  const outcomes = await runJobs<ExperimentSeedRun>(config.seeds.map((seed) => ({ name: 'rl.experimentSeed', args: { config, seed } })), {
    modules: [EXPERIMENT_JOBS], ...(options.workers !== undefined && { workers: options.workers }),
    onProgress: (_index, line) => options.log?.(String(line)),
  });
  const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [`seed ${config.seeds[i]}: ${o.error.message}`]));
  if (failed.length > 0) throw new RlError(`runExperimentParallel: ${failed.length} of ${config.seeds.length} seeds failed:\n${failed.join('\n')}`);
  return combineExperimentSeeds(config, outcomes.map((o) => (o as { value: ExperimentSeedRun }).value));
}
