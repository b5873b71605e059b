/** Configuration of the sinusoid job (kept apart from the job so `--help` loads no model code). */

/** The algorithms `metagrad sinusoid --algorithm` accepts. */
export const SINUSOID_ALGORITHMS = ['maml', 'fomaml', 'metasgd', 'anil', 'reptile'] as const;
export type SinusoidAlgorithm = (typeof SINUSOID_ALGORITHMS)[number];

/** The job's configuration, stored in results.json and checkpoints. */
export interface SinusoidConfig {
  readonly [key: string]: string | number | boolean | number[];
  readonly algorithm: SinusoidAlgorithm;
  readonly seed: number;
  readonly iterations: number;
  readonly metaBatch: number;
  /** Support examples per task (K). */
  readonly shots: number;
  readonly innerSteps: number;
  readonly innerLr: number;
  readonly outerLr: number;
  /** Hidden layer widths of the MLP. */
  readonly hidden: number[];
  /** Held-out tasks per split for evaluation. */
  readonly evalTasks: number;
  /** Adaptation steps shown in the evaluation (k). */
  readonly evalSteps: number;
  /** Also train the pretrained baseline. */
  readonly baselines: boolean;
}

export const SINUSOID_DEFAULTS: SinusoidConfig = {
  algorithm: 'maml', seed: 0, iterations: 1000, metaBatch: 25, shots: 10, innerSteps: 1,
  innerLr: 0.01, outerLr: 0.001, hidden: [40, 40], evalTasks: 100, evalSteps: 10, baselines: true,
};
