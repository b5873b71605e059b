/**
 * The explore study (`metagrad explore`): one `explore.run` unit per seed and agent —
 * seed by seed, so an interrupted run has every agent on the same seeds — regrouped per
 * agent (runs in seed order, the first run's exploration episodes drawn) and assembled
 * into the same results.json the serial loop over seeds and agents gave.
 */
import { EXPLORE_VARIANT_OPTIONS, exploreSetup, type ExploreAgentName } from '../../explore/experiments.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition } from '../study.ts';
import { agentRecord, exploreResults } from './explore.ts';
import type { ExploreConfig } from './explore-config.ts';
import type { ExploreUnitConfig, ExploreUnitValue } from './explore-unit.ts';

const seedsOf = (config: ExploreConfig): number[] => Array.from({ length: config.seeds }, (_v, i) => config.seed + i);
const iterationsOf = (config: ExploreConfig, agent: ExploreAgentName): number => config.iterations[agent] ?? 1;

/** The training runs: seed by seed, every agent. */
function trainingRuns(config: ExploreConfig): { seed: number; config: ExploreUnitConfig }[] {
  return seedsOf(config).flatMap((seed) => config.agents.map((agent) => ({
    seed, config: { agent, variant: config.variant, seed, iterations: iterationsOf(config, agent), trials: config.trials },
  })));
}

/** The explore study for {@link runStudy} and `metagrad merge`. */
export const EXPLORE_STUDY: StudyDefinition<ExploreConfig, ExploreUnitValue> = {
  command: 'explore',
  job: 'explore.run',
  unitNoun: 'training runs',
  units: (config) => trainingRuns(config) as unknown as { seed: number; config: ExploreConfig }[],
  unitConfig: (config) => config,
  work: (_config, unit) => (unit.config as unknown as ExploreUnitConfig).iterations,
  assemble: (config, units: readonly UnitResult<ExploreUnitValue>[], _totalUnits, header) => {
    const setup = exploreSetup(EXPLORE_VARIANT_OPTIONS[config.variant]);
    const records = config.agents.flatMap((agent) => {
      const mine = units.filter((u) => u.value.agent === agent).sort((a, b) => a.seed - b.seed);
      return mine.length === 0 ? [] : [agentRecord(agent, iterationsOf(config, agent), mine.map((u) => u.value.run), mine[0]!.value.samples)];
    });
    const total = config.seeds * config.agents.reduce((n, a) => n + iterationsOf(config, a), 0);
    const done = units.reduce((n, u) => n + iterationsOf(config, u.value.agent), 0);
    return exploreResults(config, header, setup, seedsOf(config), records, { total, done });
  },
};
