/** Configuration of the grid-world job (kept apart from the job so `--help` loads no RL code). */

export const GRIDWORLD_ALGORITHMS = ['maml', 'fomaml'] as const;
export const GRIDWORLD_ESTIMATORS = ['dice', 'lvc', 'reinforce'] as const;
export const GRIDWORLD_FAMILIES = ['goal', 'start', 'layout'] as const;
export const GRIDWORLD_LAYOUTS = ['open', 'fourRooms', 'corridor', 'cliff'] as const;
export const GRIDWORLD_POLICIES = ['tabular', 'mlp'] as const;

/** The job's configuration, stored in results.json and checkpoints. */
export interface GridworldConfig {
  readonly [key: string]: string | number | boolean | null;
  readonly algorithm: (typeof GRIDWORLD_ALGORITHMS)[number];
  readonly estimator: (typeof GRIDWORLD_ESTIMATORS)[number];
  readonly family: (typeof GRIDWORLD_FAMILIES)[number];
  readonly layout: (typeof GRIDWORLD_LAYOUTS)[number];
  /** Map text from `--map FILE` (overrides `layout`), or null. */
  readonly map: string | null;
  readonly size: number;
  /** Episode length limit (the environment's maxSteps). */
  readonly horizon: number;
  readonly policy: (typeof GRIDWORLD_POLICIES)[number];
  readonly seed: number;
  readonly iterations: number;
  readonly metaBatch: number;
  /** Episodes per inner and per outer batch. */
  readonly episodes: number;
  readonly innerSteps: number;
  readonly innerLr: number;
  readonly outerLr: number;
  readonly evalSteps: number;
  /** At most this many tasks per evaluation split. */
  readonly evalTasks: number;
  readonly baselines: boolean;
}

export const GRIDWORLD_DEFAULTS: GridworldConfig = {
  algorithm: 'maml', estimator: 'dice', family: 'goal', layout: 'open', map: null, size: 8, horizon: 20,
  policy: 'tabular', seed: 0, iterations: 300, metaBatch: 10, episodes: 20, innerSteps: 1, innerLr: 100,
  outerLr: 0.1, evalSteps: 3, evalTasks: 16, baselines: true,
};
