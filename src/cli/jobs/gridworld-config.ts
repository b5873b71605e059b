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
  /** Meta-learn per-parameter inner step sizes (Meta-SGD); MAML adapts with them at test time. */
  readonly learnInnerLr: boolean;
  /** Weight of the initial policy's entropy in the meta-objective (keeps it exploring). */
  readonly entropyBonus: number;
  /** Decoupled weight decay of the outer update (AdamW), a pull toward the uniform policy. */
  readonly weightDecay: number;
  readonly outerLr: number;
  readonly evalSteps: number;
  /** At most this many tasks per evaluation split. */
  readonly evalTasks: number;
  readonly baselines: boolean;
  /**
   * Compile MAML-RL's meta-gradient with `jit` (`metaTrainStep`'s `jit`): ~2× faster per
   * iteration on the defaults (BENCHMARKS.md), the same numbers to float32 rounding.
   */
  readonly jit: boolean;
}

/**
 * The defaults are the settings of the grid-world study (scripts/gridworld.ts, RESULTS.md)
 * for its default family, goals on the 8×8 open room.
 */
export const GRIDWORLD_DEFAULTS: GridworldConfig = {
  algorithm: 'maml', estimator: 'dice', family: 'goal', layout: 'open', map: null, size: 8, horizon: 20,
  policy: 'tabular', seed: 0, iterations: 150, metaBatch: 10, episodes: 160, innerSteps: 1, innerLr: 100,
  learnInnerLr: true, entropyBonus: 0.4, weightDecay: 0, outerLr: 0.1, evalSteps: 3, evalTasks: 16, baselines: true, jit: true,
};

/**
 * What the keys added after the first checkpoint format meant when they were absent:
 * a checkpoint without them is read with these values, so it resumes and evaluates as
 * the run that wrote it.
 */
export const GRIDWORLD_ABSENT_KEYS: Partial<GridworldConfig> = { learnInnerLr: false, entropyBonus: 0, weightDecay: 0, jit: false };
