/**
 * The sinusoid study (`metagrad sinusoid --seeds N`): one `sinusoid.run` unit per seed,
 * combined into the mean over seeds with 95% CIs — the adaptation table and curves in
 * and out of distribution, the meta-training curve — plus every seed's metrics, and the
 * first seed's fit to one held-out task (the tasks differ between seeds).
 */
import type { LineFigure } from '../../report/figures.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition, StudyOutcome } from '../study.ts';
import type { SeedRun } from './meta-unit.ts';
import { meanLineFigure } from './seed-means.ts';
import { combineSeeds, seedStudy, type SeedStudyShape } from './seed-study.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';

/** The study's config: a sinusoid config (its `seed` the first seed) and the number of seeds. */
export type SinusoidStudyConfig = SinusoidConfig & { readonly seeds: number };

const SHAPE: SeedStudyShape<SinusoidStudyConfig> = {
  command: 'sinusoid',
  job: 'sinusoid.run',
  headline: (key, config) => key.endsWith(`/step${config.evalSteps}`),
  perSeedTitle: (config) => `Query MSE after ${config.evalSteps} adaptation steps, per seed`,
  figure: (id, all, firstSeed) => {
    const spec = all[0]!;
    // The fit is to one task of each seed's own held-out set: shown for the first seed, not averaged.
    if (id === 'fit') return { ...spec, title: `${spec.title} (seed ${firstSeed})` } as LineFigure;
    if (spec.type === 'line' && all.every((f) => f?.type === 'line')) return meanLineFigure(all as LineFigure[]);
    return undefined;
  },
};

/** Combines the finished seeds (see the module comment). */
export function combineSinusoid(config: SinusoidStudyConfig, units: readonly UnitResult<SeedRun>[], totalUnits: number): StudyOutcome {
  return combineSeeds(SHAPE, config, units, totalUnits);
}

/** The sinusoid study for {@link runStudy} and `metagrad merge`. */
export const SINUSOID_STUDY: StudyDefinition<SinusoidStudyConfig, SeedRun> = seedStudy(SHAPE);
