/**
 * The continual study (`metagrad continual`): one `continual.run` unit per experiment,
 * seed and learner — seed by seed, so an interrupted run has every learner on the same
 * seeds — regrouped into the experiments' results (runs by learner, in seed order) and
 * assembled into the same results.json `runExperiment` over every seed would give.
 */
import type { SeedRun } from '../../continual/experiments.ts';
import { continualExperiment, type ExperimentResult } from '../../continual/experiments.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition } from '../study.ts';
import { checkStreams, continualResults } from './continual.ts';
import type { ContinualConfig } from './continual-config.ts';
import { experimentOptions, type ContinualReplay, type ContinualUnitConfig } from './continual-unit.ts';

const seedsOf = (config: ContinualConfig): number[] => Array.from({ length: config.seeds }, (_v, i) => config.seed + i);

/** The replays: per experiment, seed by seed, every learner. */
function replays(config: ContinualConfig): { seed: number; config: ContinualUnitConfig }[] {
  return config.problems.flatMap((problem) => seedsOf(config).flatMap((seed) => config.learners.map((learner) => ({
    seed, config: { problem, learner, seed, steps: config.steps, period: config.period },
  }))));
}

/** The finished replays regrouped per experiment (experiments with none are left out). */
export function experimentResults(config: ContinualConfig, units: readonly UnitResult<ContinualReplay>[]): ExperimentResult[] {
  const results: ExperimentResult[] = [];
  for (const name of config.problems) {
    const mine = units.filter((u) => u.value.problem === name);
    if (mine.length === 0) continue;
    const exp = continualExperiment(name, experimentOptions(config));
    const seeds = [...new Set(mine.map((u) => u.seed))].sort((a, b) => a - b);
    const runs: Record<string, SeedRun[]> = {};
    // By learner in --learners order, each in seed order: as runExperiment lists them.
    for (const key of config.learners) {
      for (const u of mine.filter((m) => m.value.key === key).sort((a, b) => a.seed - b.seed)) {
        (runs[u.value.result.learner] ??= []).push({ seed: u.seed, key, result: u.value.result });
      }
    }
    results.push({
      name, typeNames: exp.typeNames, settings: exp.settings, seeds, streams: seeds.map((s) => exp.stream(s)), runs,
      complete: mine.length === config.seeds * config.learners.length,
    });
  }
  return results;
}

/** The continual study for {@link runStudy} and `metagrad merge`. */
export const CONTINUAL_STUDY: StudyDefinition<ContinualConfig, ContinualReplay> = {
  command: 'continual',
  job: 'continual.run',
  unitNoun: 'replays',
  units: (config) => replays(config) as unknown as { seed: number; config: ContinualConfig }[],
  unitConfig: (config) => config,
  work: (config, unit) => checkStreams(config)[(unit.config as unknown as ContinualUnitConfig).problem]!.length,
  assemble: (config, units, _totalUnits, header) => {
    const streams = checkStreams(config);
    const length = (u: UnitResult<ContinualReplay>): number => streams[u.value.problem]!.length;
    const total = config.problems.reduce((n, name) => n + config.seeds * config.learners.length * streams[name]!.length, 0);
    const done = units.reduce((n, u) => n + length(u), 0);
    return continualResults(config, header, streams, seedsOf(config), experimentResults(config, units), { total, done });
  },
};
