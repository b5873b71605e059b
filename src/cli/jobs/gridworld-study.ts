/**
 * The grid-world study (`metagrad gridworld --seeds N`): one `gridworld.run` unit per
 * seed, combined into the mean over seeds with 95% CIs — the adaptation table and
 * curves, the meta-training curve, the return by cell — plus every seed's metrics, and
 * the first seed's trajectories.
 */
import type { MeanInterval } from '../../stats/interval.ts';
import type { FigureSpec, HeatmapFigure, LineFigure } from '../../report/figures.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import type { MetaJob } from '../job.ts';
import { trainingFigure } from '../run.ts';
import { intervalOf, meanCurves, meanHeatmap, meanLineFigure, meanOrNull, meanTable } from './seed-means.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition, StudyOutcome } from '../study.ts';
import type { GridworldConfig } from './gridworld-config.ts';
import type { GridworldRun } from './gridworld-unit.ts';

/** The study's config: a grid-world config (its `seed` the first seed) and the number of seeds. */
export type GridworldStudyConfig = GridworldConfig & { readonly seeds: number };

/** Combines the finished seeds (see the module comment). */
export function combineGridworld(config: GridworldStudyConfig, units: readonly UnitResult<GridworldRun>[], totalUnits: number): StudyOutcome {
  const runs = units.map((u) => u.value);
  const n = runs.length;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
  const intervals: Record<string, MeanInterval> = Object.fromEntries(keys.map((k) => [k, intervalOf(runs.map((r) => r.metrics[k]))]));
  const metrics = Object.fromEntries(keys.map((k) => [k, meanOrNull(intervals[k]!)]));
  const k = config.evalSteps;
  const headline = keys.filter((key) => key.endsWith(`/${config.algorithm}/step${k}`) || key.endsWith(`/pretrained/step${k}`) || key.endsWith(`/scratch/step${k}`));
  const tables: SummaryTable[] = [];
  const figures: Record<string, FigureSpec> = {};
  if (n > 0) {
    const firstTables = runs.map((r) => r.tables[0]).filter((t): t is SummaryTable => t !== undefined);
    if (firstTables.length === n) tables.push(meanTable(firstTables));
    tables.push({
      title: `Expected return after ${k} adaptation steps, per seed`,
      header: ['seed', ...headline],
      rows: units.map((u) => [u.seed, ...headline.map((key) => u.value.metrics[key] ?? null)]),
    });
    const curves = meanCurves(runs);
    if ((curves[runs[0]!.curve.key]?.length ?? 0) > 0) {
      const fig = trainingFigure(curves, { curve: runs[0]!.curve, config } as unknown as MetaJob);
      figures['meta-training'] = { ...fig, caption: `Mean over ${n} seed${n === 1 ? '' : 's'} per iteration, then averaged in bins (at most 100); shaded: 95% CI of each bin's mean.` };
    }
    for (const [id, spec] of Object.entries(runs[0]!.figures)) {
      const all = runs.map((r) => r.figures[id]);
      if (spec.type === 'line' && all.every((f) => f?.type === 'line')) figures[id] = meanLineFigure(all as LineFigure[], ['optimal']);
      else if (spec.type === 'heatmap' && all.every((f) => f?.type === 'heatmap')) figures[id] = meanHeatmap(all as HeatmapFigure[]);
      else if (spec.type === 'grid') figures[id] = { ...spec, title: `${spec.title} (seed ${units[0]!.seed})` };
    }
  }
  return {
    metrics, tables, figures,
    data: {
      intervals,
      runs: units.map((u) => ({ seed: u.seed, unit: u.index, metrics: u.value.metrics })),
      missing: totalUnits - n,
    },
  };
}

/** The grid-world study for {@link runStudy} and `metagrad merge`. */
export const GRIDWORLD_STUDY: StudyDefinition<GridworldStudyConfig, GridworldRun> = {
  command: 'gridworld',
  job: 'gridworld.run',
  unitConfig: (config, seed) => {
    const { seeds: _seeds, ...single } = config;
    return { ...single, seed } as GridworldStudyConfig;
  },
  work: (config) => config.iterations,
  combine: combineGridworld,
};
