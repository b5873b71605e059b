/**
 * The exploration study's configuration: its agents, variants, splits, iteration
 * budgets and the settings chosen in pilots (what `runExploreStudy` runs, in
 * experiments.ts; its figure is in study-plots.ts).
 *
 * @module
 */
import { inputSizeOf } from './common.ts';
import { SignGrid, signGridFamily, type SignFamily, type SignFamilyOptions, type SignGridConfig, type SignTask } from './env.ts';
import { transformerAgent, type SequenceAgent, type TransformerParams } from './rl2.ts';
import type { InitScheme } from './seq.ts';

/** The agents of the comparison. */
export const EXPLORE_AGENTS = ['dream', 'rl2', 'maml', 'transformer'] as const;
/** `'dream' | 'rl2' | 'maml' | 'transformer'`: an agent of {@link EXPLORE_AGENTS}. */
export type ExploreAgentName = (typeof EXPLORE_AGENTS)[number];

/** Display names of the agents. */
export const EXPLORE_AGENT_LABELS: Readonly<Record<ExploreAgentName, string>> = {
  dream: 'DREAM (decoupled)', rl2: 'RL² (GRU)', maml: 'MAML-RL (DiCE)', transformer: 'transformer (RL², depth-scaled init)',
};

/** What each agent's training curve measures. */
export const EXPLORE_CURVE_LABELS: Readonly<Record<ExploreAgentName, string>> = {
  dream: 'exploitation return per episode', rl2: 'trial return (all episodes)', maml: 'return per episode after the inner step', transformer: 'trial return (all episodes)',
};

/** The full study's training iterations per agent (`scripts/explore.ts`, scale 1). */
export const STUDY_ITERATIONS: Readonly<Record<ExploreAgentName, number>> = { dream: 1000, rl2: 1600, maml: 600, transformer: 1600 };

/** Task sets the agents are meta-tested on. */
export const EXPLORE_SPLITS = ['train', 'oodSign', 'oodGoal'] as const;
/** `'train' | 'oodSign' | 'oodGoal'`: a task set of {@link ExploreSetup.splits}. */
export type ExploreSplit = (typeof EXPLORE_SPLITS)[number];

/** The sign-grid variants of the study (see {@link EXPLORE_VARIANT_OPTIONS}). */
export const EXPLORE_VARIANTS = ['standard', 'bits', 'noisy'] as const;
/** `'standard' | 'bits' | 'noisy'`: a sign-grid variant of {@link EXPLORE_VARIANTS}. */
export type ExploreVariant = (typeof EXPLORE_VARIANTS)[number];

/**
 * The family of each variant: `standard`, one sign telling the goal index; `bits`, the
 * index spread over two signs on opposite sides of the start (one bit each, so both
 * must be read); `noisy`, one sign whose reading is a uniformly drawn index with
 * probability 0.3 (right 77.5% of the time, so reading it more than once pays).
 *
 * @example
 * ```ts
 * const setup = exploreSetup(EXPLORE_VARIANT_OPTIONS.bits);
 * setup.family.train.length; // 16
 * ```
 */
export const EXPLORE_VARIANT_OPTIONS: Readonly<Record<ExploreVariant, SignFamilyOptions>> = {
  standard: {}, bits: { readout: 'bits' }, noisy: { noise: 0.3 },
};

/** The sign-grid family and its environment. */
export interface ExploreSetup {
  readonly family: SignFamily;
  readonly config: SignGridConfig;
  readonly env: SignGrid;
  readonly splits: Readonly<Record<ExploreSplit, readonly SignTask[]>>;
}

/**
 * The standard sign grid (or a variant) ready for the study.
 * @example
 * ```ts
 * const setup = exploreSetup({ noise: 0.3 });     // or EXPLORE_VARIANT_OPTIONS.noisy
 * setup.splits.oodSign.length;                     // 16: 4 wall-midpoint signs × 4 goals
 * ```
 */
export function exploreSetup(options: SignFamilyOptions = {}): ExploreSetup {
  const family = signGridFamily(options);
  return { family, config: family.config, env: new SignGrid(family.config), splits: { train: family.train, oodSign: family.oodSign, oodGoal: family.oodGoal } };
}

/**
 * Training settings shared by the end-to-end sequence agents (RL², transformer): A2C
 * with an entropy bonus of 0.05 and the wrong-goal penalty curriculum over the first
 * half of training. Without the curriculum both settle on never entering a goal
 * (−0.083 of the oracle on 3/3 seeds, RL² at 800 and 1600 iterations, transformer at 200).
 * Entropy 0.05 instead of 0.02 (pilots, 1600 iterations, greedy, training tasks): RL²
 * 0.86 → 1.00 on the standard grid (seed 0), 0.73 / 0.59 → 1.00 / 1.00 on the two-sign
 * grid (seeds 0, 2), 0.02 / 0.29 → 0.70 / 0.31 on the noisy grid (seeds 2, 4); the
 * transformer stays at 1.00 (standard, seed 0).
 *
 * @example
 * ```ts
 * sequenceTraining(1600); // { batchSize: 16, lr: 0.003, entropyCoef: 0.05, penaltyWarmup: 800 }
 * const { env, family } = exploreSetup();
 * trainSequenceAgent(rl2Agent(inputSizeOf(env), 4, 32), { env, tasks: family.train, iterations: 2, ...sequenceTraining(2), batchSize: 4 }); // the study: 1600
 * ```
 */
export function sequenceTraining(iterations: number): { batchSize: number; lr: number; entropyCoef: number; penaltyWarmup: number } {
  return { batchSize: 16, lr: 3e-3, entropyCoef: 0.05, penaltyWarmup: Math.round(iterations / 2) };
}

/**
 * The transformer of the study: 2 pre-LN blocks of width 32, 4 heads, depth-scaled initialisation.
 *
 * @example
 * ```ts
 * const agent = studyTransformer(exploreSetup().env);
 * ```
 */
export function studyTransformer(env: SignGrid, init: InitScheme = 'depthScaled'): SequenceAgent<TransformerParams> {
  return transformerAgent({ inputSize: inputSizeOf(env), numActions: env.numActions, length: env.trialLength, init, numBlocks: 2, width: 32 });
}
