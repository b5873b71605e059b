/**
 * The sinusoid study (`metagrad sinusoid --seeds N`): one `sinusoid.run` unit per seed,
 * combined into the mean over seeds with 95% CIs — the adaptation table and curves in
 * and out of distribution, the meta-training curve — plus every seed's metrics, and the
 * first seed's fit to one held-out task (the tasks differ between seeds).
 */
import type { FigureSpec, LineFigure } from '../../report/figures.ts';
import type { MeanInterval } from '../../stats/interval.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import type { MetaJob } from '../job.ts';
import { trainingFigure } from '../run.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition, StudyOutcome } from '../study.ts';
import type { SeedRun } from './meta-unit.ts';
import { intervalOf, meanCurves, meanLineFigure, meanOrNull, meanTable } from './seed-means.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';

/** The study's config: a sinusoid config (its `seed` the first seed) and the number of seeds. */
export type SinusoidStudyConfig = SinusoidConfig & { readonly seeds: number };

/** Combines the finished seeds (see the module comment). */
export function combineSinusoid(config: SinusoidStudyConfig, units: readonly UnitResult<SeedRun>[], totalUnits: number): StudyOutcome {
  const runs = units.map((u) => u.value);
  const n = runs.length;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
  const intervals: Record<string, MeanInterval> = Object.fromEntries(keys.map((k) => [k, intervalOf(runs.map((r) => r.metrics[k]))]));
  const metrics = Object.fromEntries(keys.map((k) => [k, meanOrNull(intervals[k]!)]));
  const k = config.evalSteps;
  const headline = keys.filter((key) => key.endsWith(`/step${k}`));
  const tables: SummaryTable[] = [];
  const figures: Record<string, FigureSpec> = {};
  if (n > 0) {
    const firstTables = runs.map((r) => r.tables[0]).filter((t): t is SummaryTable => t !== undefined);
    if (firstTables.length === n) tables.push(meanTable(firstTables));
    tables.push({
      title: `Query MSE after ${k} adaptation steps, per seed`,
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
      // The fit is to one task of each seed's own held-out set: shown for the first seed, not averaged.
      if (id === 'fit') figures[id] = { ...spec, title: `${spec.title} (seed ${units[0]!.seed})` } as LineFigure;
      else if (spec.type === 'line' && all.every((f) => f?.type === 'line')) figures[id] = meanLineFigure(all as LineFigure[]);
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

/** The sinusoid study for {@link runStudy} and `metagrad merge`. */
export const SINUSOID_STUDY: StudyDefinition<SinusoidStudyConfig, SeedRun> = {
  command: 'sinusoid',
  job: 'sinusoid.run',
  unitConfig: (config, seed) => {
    const { seeds: _seeds, ...single } = config;
    return { ...single, seed } as SinusoidStudyConfig;
  },
  work: (config) => config.iterations,
  combine: combineSinusoid,
};
