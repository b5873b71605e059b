/**
 * The grid-world study (`metagrad gridworld --seeds N`): one `gridworld.run` unit per
 * seed, combined into the mean over seeds with 95% CIs — the adaptation table and
 * curves, the meta-training curve, the return by cell — plus every seed's metrics, and
 * the first seed's trajectories.
 */
import { meanInterval, type MeanInterval } from '../../stats/interval.ts';
import { formatInterval } from '../../report/stats.ts';
import type { FigureSpec, HeatmapFigure, LineFigure } from '../../report/figures.ts';
import type { Series } from '../../report/line-chart.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import type { MetaJob } from '../job.ts';
import { trainingFigure, type Curves } from '../run.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition, StudyOutcome } from '../study.ts';
import type { GridworldConfig } from './gridworld-config.ts';
import type { GridworldRun } from './gridworld-unit.ts';

/** The study's config: a grid-world config (its `seed` the first seed) and the number of seeds. */
export type GridworldStudyConfig = GridworldConfig & { readonly seeds: number };

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const orNull = (i: MeanInterval): number | null => (Number.isFinite(i.mean) ? i.mean : null);
const intervalOf = (values: readonly unknown[]): MeanInterval => meanInterval(values.map(num));

/** Mean over seeds, per iteration, of every training curve. */
function meanCurves(runs: readonly GridworldRun[]): Curves {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.curves)))];
  return Object.fromEntries(names.map((name) => {
    const length = Math.max(...runs.map((r) => r.curves[name]?.length ?? 0));
    return [name, Array.from({ length }, (_v, i) => intervalOf(runs.map((r) => r.curves[name]?.[i])).mean)];
  }));
}

/** A line figure averaged over seeds: each series' y is the mean, the band the 95% CI over seeds. */
function meanLineFigure(figs: readonly LineFigure[], n: number): LineFigure {
  const first = figs[0]!;
  const series: Series[] = first.series.map((s) => {
    const same = figs.map((f) => f.series.find((t) => t.name === s.name));
    const at = s.x.map((_x, i) => intervalOf(same.map((t) => t?.y[i])));
    const { lo: _lo, hi: _hi, ...rest } = s;
    return s.name === 'optimal'
      ? { ...rest, y: at.map(orNull) }
      : { ...rest, y: at.map(orNull), lo: at.map((v) => (Number.isFinite(v.low) ? v.low : null)), hi: at.map((v) => (Number.isFinite(v.high) ? v.high : null)) };
  });
  return { ...first, series, caption: `${first.caption ?? ''} Mean over ${n} seed${n === 1 ? '' : 's'} of the per-seed means; shaded: 95% CI over seeds.`.trim() };
}

function meanHeatmap(figs: readonly HeatmapFigure[], n: number): HeatmapFigure {
  const first = figs[0]!;
  const values = first.values.map((row, r) => row.map((_v, c) => orNull(intervalOf(figs.map((f) => f.values[r]?.[c])))));
  return { ...first, values, caption: `${first.caption ?? ''} Mean over ${n} seed${n === 1 ? '' : 's'}.`.trim() };
}

/** The first seed's adaptation table with every step column replaced by mean [95% CI] over seeds. */
function meanTable(tables: readonly SummaryTable[], n: number): SummaryTable {
  const first = tables[0]!;
  const statCols = first.header.map((h, j) => (String(h).startsWith('step') ? j : -1)).filter((j) => j >= 0);
  return {
    title: `${first.title}, mean [95% CI] over ${n} seed${n === 1 ? '' : 's'}`,
    header: first.header,
    rows: first.rows.map((row, r) => row.map((cell, j) => (statCols.includes(j) ? formatInterval(intervalOf(tables.map((t) => t.rows[r]?.[j]))) : cell))),
  };
}

/** Combines the finished seeds (see the module comment). */
export function combineGridworld(config: GridworldStudyConfig, units: readonly UnitResult<GridworldRun>[], totalUnits: number): StudyOutcome {
  const runs = units.map((u) => u.value);
  const n = runs.length;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
  const intervals: Record<string, MeanInterval> = Object.fromEntries(keys.map((k) => [k, intervalOf(runs.map((r) => r.metrics[k]))]));
  const metrics = Object.fromEntries(keys.map((k) => [k, orNull(intervals[k]!)]));
  const k = config.evalSteps;
  const headline = keys.filter((key) => key.endsWith(`/${config.algorithm}/step${k}`) || key.endsWith(`/pretrained/step${k}`) || key.endsWith(`/scratch/step${k}`));
  const tables: SummaryTable[] = [];
  const figures: Record<string, FigureSpec> = {};
  if (n > 0) {
    const firstTables = runs.map((r) => r.tables[0]).filter((t): t is SummaryTable => t !== undefined);
    if (firstTables.length === n) tables.push(meanTable(firstTables, n));
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
      if (spec.type === 'line' && all.every((f) => f?.type === 'line')) figures[id] = meanLineFigure(all as LineFigure[], n);
      else if (spec.type === 'heatmap' && all.every((f) => f?.type === 'heatmap')) figures[id] = meanHeatmap(all as HeatmapFigure[], n);
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
