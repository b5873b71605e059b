/** Configuration of the explore job (kept apart from the job so `--help` loads no agent code). */
import type { ExploreAgentName, ExploreVariant } from '../../explore/experiments.ts';

/** What `--agents` accepts: `EXPLORE_AGENTS` of `explore/experiments.ts` (checked below). */
export const EXPLORE_AGENT_CHOICES = ['dream', 'rl2', 'maml', 'transformer'] as const satisfies readonly ExploreAgentName[];
// Fails to compile when the library gains an agent this list lacks.
const everyAgentListed: Record<ExploreAgentName, (typeof EXPLORE_AGENT_CHOICES)[number]> = { dream: 'dream', rl2: 'rl2', maml: 'maml', transformer: 'transformer' };
void everyAgentListed;

/** What `--variant` accepts: `EXPLORE_VARIANTS` of `explore/experiments.ts` (checked below). */
export const EXPLORE_VARIANT_CHOICES = ['standard', 'bits', 'noisy'] as const satisfies readonly ExploreVariant[];
const everyVariantListed: Record<ExploreVariant, (typeof EXPLORE_VARIANT_CHOICES)[number]> = { standard: 'standard', bits: 'bits', noisy: 'noisy' };
void everyVariantListed;

/** The agents run without `--agents`. */
export const DEFAULT_EXPLORE_AGENTS: readonly ExploreAgentName[] = ['dream', 'maml'];

/**
 * Training iterations per agent without `--iterations`: short budgets (the full study,
 * `scripts/explore.ts`, uses 1000 / 1600 / 600 / 1600).
 */
export const DEFAULT_EXPLORE_ITERATIONS: Readonly<Record<ExploreAgentName, number>> = { dream: 300, rl2: 300, maml: 50, transformer: 100 };

/** The job's configuration, stored in results.json. */
export interface ExploreConfig {
  readonly [key: string]: unknown;
  readonly agents: readonly ExploreAgentName[];
  /** The sign-grid variant every agent is trained and tested on. */
  readonly variant: ExploreVariant;
  /** Number of seeds: seed, seed + 1, …, seed + seeds − 1. */
  readonly seeds: number;
  readonly seed: number;
  /** Training iterations of each chosen agent. */
  readonly iterations: Readonly<Partial<Record<ExploreAgentName, number>>>;
  /** Meta-test trials per split (the probe uses twice as many exploration episodes). */
  readonly trials: number;
}
