/** Configuration of the continual job (kept apart from the job so `--help` loads no learner code). */
import type { ExperimentName, LearnerKey } from '../../continual/experiments.ts';

/** What `--problem` accepts. */
export const CONTINUAL_PROBLEMS = ['regression', 'gridworld', 'both'] as const;

/** What `--learners` accepts: `LEARNER_KEYS` of `continual/experiments.ts` (checked below). */
export const CONTINUAL_LEARNERS = ['sequential', 'online-maml', 'clustered', 'clustered-cd'] as const satisfies readonly LearnerKey[];
// Fails to compile when the library gains a learner this list lacks.
const everyLearnerListed: Record<LearnerKey, (typeof CONTINUAL_LEARNERS)[number]> = {
  'sequential': 'sequential', 'online-maml': 'online-maml', 'clustered': 'clustered', 'clustered-cd': 'clustered-cd',
};
void everyLearnerListed;

/** The learners run without `--learners`. */
export const DEFAULT_LEARNERS: readonly LearnerKey[] = ['sequential', 'online-maml', 'clustered'];

/** The job's configuration, stored in results.json. */
export interface ContinualConfig {
  readonly [key: string]: unknown;
  /** Experiments to run, in order. */
  readonly problems: readonly ExperimentName[];
  /** Number of seeds: seed, seed + 1, …, seed + seeds − 1. */
  readonly seeds: number;
  readonly seed: number;
  /** Stream length, or null for each experiment's default. */
  readonly steps: number | null;
  /** Switching period, or null for the default. */
  readonly period: number | null;
  readonly learners: readonly LearnerKey[];
}
