/**
 * The grid-world study (`metagrad gridworld --seeds N`): one `gridworld.run` unit per
 * seed, combined into the mean over seeds with 95% CIs — the adaptation table and
 * curves, the meta-training curve, the return by cell — plus every seed's metrics, and
 * the first seed's trajectories.
 */
import type { HeatmapFigure, LineFigure } from '../../report/figures.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition, StudyOutcome } from '../study.ts';
import type { GridworldConfig } from './gridworld-config.ts';
import type { GridworldRun } from './gridworld-unit.ts';
import { meanHeatmap, meanLineFigure } from './seed-means.ts';
import { combineSeeds, seedStudy, type SeedStudyShape } from './seed-study.ts';

/** The study's config: a grid-world config (its `seed` the first seed) and the number of seeds. */
export type GridworldStudyConfig = GridworldConfig & { readonly seeds: number };

const SHAPE: SeedStudyShape<GridworldStudyConfig> = {
  command: 'gridworld',
  job: 'gridworld.run',
  headline: (key, { algorithm, evalSteps: k }) => key.endsWith(`/${algorithm}/step${k}`) || key.endsWith(`/pretrained/step${k}`) || key.endsWith(`/scratch/step${k}`),
  perSeedTitle: (config) => `Expected return after ${config.evalSteps} adaptation steps, per seed`,
  figure: (_id, all, firstSeed) => {
    const spec = all[0]!;
    if (spec.type === 'line' && all.every((f) => f?.type === 'line')) return meanLineFigure(all as LineFigure[], ['optimal']);
    if (spec.type === 'heatmap' && all.every((f) => f?.type === 'heatmap')) return meanHeatmap(all as HeatmapFigure[]);
    // Trajectories are the first seed's, not averaged.
    if (spec.type === 'grid') return { ...spec, title: `${spec.title} (seed ${firstSeed})` };
    return undefined;
  },
};

/** Combines the finished seeds (see the module comment). */
export function combineGridworld(config: GridworldStudyConfig, units: readonly UnitResult<GridworldRun>[], totalUnits: number): StudyOutcome {
  return combineSeeds(SHAPE, config, units, totalUnits);
}

/** The grid-world study for {@link runStudy} and `metagrad merge`. */
export const GRIDWORLD_STUDY: StudyDefinition<GridworldStudyConfig, GridworldRun> = seedStudy(SHAPE);
