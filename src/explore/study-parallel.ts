/**
 * The exploration study on the worker pool: every unit of {@link exploreStudyUnits} is
 * one `explore.studyUnit` job, and the results come back in unit order, so the study is
 * the one {@link runExploreStudy} computes in this thread, apart from the timings.
 */
import { runJobs } from '../parallel/pool.ts';
import { registerJob } from '../parallel/registry.ts';
import type { JobContext } from '../parallel/types.ts';
import {
  assembleExploreStudy, exploreStudyUnits, runExploreStudyUnit,
  type ExploreStudy, type ExploreStudyOptions, type ExploreStudyUnit, type StudySeedResult,
} from './study.ts';
import type { SensitivityRun } from './sensitivity.ts';

/** This module's URL: the job module every worker of {@link runExploreStudyParallel} imports. */
export const EXPLORE_STUDY_JOBS: string = import.meta.url;

registerJob('explore.studyUnit', (unit: ExploreStudyUnit, ctx: JobContext) => {
  const { result, log } = runExploreStudyUnit(unit);
  ctx.progress(log);
  return result;
});

/** Options of {@link runExploreStudyParallel}: the study's, plus the pool size. */
export interface ParallelExploreStudyOptions extends ExploreStudyOptions {
  /** Worker threads; default: the available cores. `1` runs every unit in this thread. */
  readonly workers?: number;
}

/**
 * {@link runExploreStudy} with its units (agent × seed × variant, and the harness's
 * scheme × seed runs) spread over worker threads. Each unit's randomness comes from its
 * seed alone and results are assembled in unit order, so the study equals the serial
 * one except `trainSeconds` and the harness's `seconds`. Log lines arrive as units
 * finish. If units fail, the others still run; it then throws an error naming each
 * failed unit.
 *
 * @example
 * ```ts
 * const study = await runExploreStudyParallel({
 *   seeds: 2, scale: 1, variants: ['bits'], only: ['dream', 'rl2'], iterations: { dream: 2, rl2: 2 }, log: () => {}, workers: 2, // tiny
 * });
 * study.variants.bits?.summary.dream?.train.greedy.mean;
 * ```
 */
export async function runExploreStudyParallel(options: ParallelExploreStudyOptions): Promise<ExploreStudy> {
  const units = exploreStudyUnits(options);
  const outcomes = await runJobs<StudySeedResult | SensitivityRun>(units.map((args) => ({ name: 'explore.studyUnit', args })), {
    modules: [EXPLORE_STUDY_JOBS], ...(options.workers !== undefined && { workers: options.workers }),
    onProgress: (_index, line) => options.log(String(line)),
  });
  const failed = outcomes.flatMap((o) => (o.ok ? [] : [o.error.message]));
  if (failed.length > 0) throw new Error(`runExploreStudyParallel: ${failed.length} of ${units.length} units failed:\n${failed.join('\n')}`);
  const study = assembleExploreStudy(options, outcomes.map((o) => (o as { value: StudySeedResult | SensitivityRun }).value));
  if (study.sensitivity) options.log(JSON.stringify(study.sensitivity, null, 1));
  return study;
}
