/**
 * Means over seeds of what single training runs report: curves per iteration, line
 * figures (the band becomes the 95% CI over seeds), heat maps, and the step columns of
 * an adaptation table. Shared by the studies that combine seed runs of one `MetaJob`
 * (`sinusoid --seeds`, `gridworld --seeds`).
 */
import { meanInterval, type MeanInterval } from '../../stats/interval.ts';
import { formatInterval } from '../../report/stats.ts';
import type { HeatmapFigure, LineFigure } from '../../report/figures.ts';
import type { Series } from '../../report/line-chart.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import type { Curves } from '../run.ts';

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** Mean and 95% CI over seeds of values that may be missing (non-numbers count as missing). */
export const intervalOf = (values: readonly unknown[]): MeanInterval => meanInterval(values.map(num));

/** The mean of an interval, or null when there was no finite value. */
export const meanOrNull = (i: MeanInterval): number | null => (Number.isFinite(i.mean) ? i.mean : null);

const endOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

const seedsText = (n: number): string => `${n} seed${n === 1 ? '' : 's'}`;

/** Mean over seeds, per iteration, of every training curve. */
export function meanCurves(runs: readonly { readonly curves: Curves }[]): Curves {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.curves)))];
  return Object.fromEntries(names.map((name) => {
    const length = Math.max(...runs.map((r) => r.curves[name]?.length ?? 0));
    return [name, Array.from({ length }, (_v, i) => intervalOf(runs.map((r) => r.curves[name]?.[i])).mean)];
  }));
}

/**
 * A line figure averaged over seeds: each series' y is the mean over seeds, its band the
 * 95% CI over seeds (series named in `noBand`, e.g. a reference line, get none).
 */
export function meanLineFigure(figs: readonly LineFigure[], noBand: readonly string[] = []): LineFigure {
  const first = figs[0]!;
  const series: Series[] = first.series.map((s) => {
    const same = figs.map((f) => f.series.find((t) => t.name === s.name));
    const at = s.x.map((_x, i) => intervalOf(same.map((t) => t?.y[i])));
    const { lo: _lo, hi: _hi, ...rest } = s;
    return noBand.includes(s.name)
      ? { ...rest, y: at.map(meanOrNull) }
      : { ...rest, y: at.map(meanOrNull), lo: at.map((v) => endOrNull(v.low)), hi: at.map((v) => endOrNull(v.high)) };
  });
  return { ...first, series, caption: `${first.caption ?? ''} Mean over ${seedsText(figs.length)} of the per-seed means; shaded: 95% CI over seeds.`.trim() };
}

/** A heat map averaged cell by cell over seeds. */
export function meanHeatmap(figs: readonly HeatmapFigure[]): HeatmapFigure {
  const first = figs[0]!;
  const values = first.values.map((row, r) => row.map((_v, c) => meanOrNull(intervalOf(figs.map((f) => f.values[r]?.[c])))));
  return { ...first, values, caption: `${first.caption ?? ''} Mean over ${seedsText(figs.length)}.`.trim() };
}

/** The first seed's table with every column whose header starts with `step` replaced by mean [95% CI] over seeds. */
export function meanTable(tables: readonly SummaryTable[]): SummaryTable {
  const first = tables[0]!;
  const statCols = first.header.map((h, j) => (String(h).startsWith('step') ? j : -1)).filter((j) => j >= 0);
  return {
    title: `${first.title}, mean [95% CI] over ${seedsText(tables.length)}`,
    header: first.header,
    rows: first.rows.map((row, r) => row.map((cell, j) => (statCols.includes(j) ? formatInterval(intervalOf(tables.map((t) => t.rows[r]?.[j]))) : cell))),
  };
}
