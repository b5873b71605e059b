/**
 * One unit of the explore study (`explore.run`): train one agent with one seed on the
 * sign grid of the chosen variant, meta-test it, measure its exploration and draw a few
 * of its exploration episodes, reporting iterations as progress and the finished run's
 * numbers as a log line.
 */
import type { JobContext } from '../../parallel/types.ts';
import {
  EXPLORE_SPLITS, EXPLORE_VARIANT_OPTIONS, exploreSetup, explorationSamples, measureAgent, signVisits, trainExploreAgent,
  type ExplorationSample, type ExploreAgentName, type ExploreVariant,
} from '../../explore/experiments.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import type { UnitLog } from '../study.ts';
import type { ExploreRun } from './explore.ts';

/** The config of one training run. */
export interface ExploreUnitConfig {
  readonly [key: string]: unknown;
  readonly agent: ExploreAgentName;
  readonly variant: ExploreVariant;
  readonly seed: number;
  readonly iterations: number;
  /** Meta-test trials per split (the probe uses twice as many exploration episodes). */
  readonly trials: number;
}

/** The unit job's arguments: plain data. */
export interface ExploreUnitArgs {
  readonly seed: number;
  readonly index: number;
  readonly backend: string;
  readonly config: ExploreUnitConfig;
}

/** What one training run gives back: its numbers and exploration episodes on a few test tasks. */
export interface ExploreUnitValue {
  readonly agent: ExploreAgentName;
  readonly run: ExploreRun;
  readonly samples: readonly ExplorationSample[];
}

/** Thrown inside a cancelled in-process unit (the pool has already settled it as cancelled). */
class Cancelled extends Error {}

/** Trains, meta-tests and measures `config.agent` with seed `config.seed`. */
export async function runExploreUnit(args: ExploreUnitArgs, ctx: JobContext): Promise<ExploreUnitValue> {
  await selectBackend(args.backend as BackendChoice);
  const { agent, variant, seed, iterations, trials } = args.config;
  const setup = exploreSetup(EXPLORE_VARIANT_OPTIONS[variant]);
  const trained = trainExploreAgent(agent, setup, {
    seed, iterations, checkpointEvery: Math.max(1, Math.round(iterations / 10)), checkpointTrials: trials,
    onIteration: (i) => {
      if (ctx.cancelled) throw new Cancelled('cancelled');
      ctx.progress(i + 1);
    },
  });
  const measure = measureAgent(trained.tester, setup, seed, { trials, probeTrials: 2 * trials });
  const run: ExploreRun = {
    seed, trainSeconds: trained.seconds, finalTraining: trained.final, ...measure,
    signVisits: signVisits(trained.tester, setup, seed, trials, 'all'), history: trained.history, checkpoints: trained.checkpoints,
  };
  // Drawn last, so they change nothing above; the study draws the first seed's.
  const samples = explorationSamples(trained.tester, setup, seed);
  const f = (s: (typeof EXPLORE_SPLITS)[number]): string => `${s} ${run.fraction[s].sampled.toFixed(3)}/${run.fraction[s].greedy.toFixed(3)}`;
  const log: UnitLog = { log: `${agent} seed ${seed}: ${run.trainSeconds.toFixed(1)} s; fraction of oracle (sampled/greedy) ${EXPLORE_SPLITS.map(f).join(' ')}; probe ${run.probe.toFixed(3)}; sign visited ${run.signVisits.toFixed(2)}` };
  ctx.progress(log);
  return { agent, run, samples };
}
