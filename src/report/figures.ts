/**
 * Figures as data. A run's `results.json` stores every figure as one of these specs
 * (the numbers, not pictures), and the HTML report renders them, so a report can be
 * rebuilt from `results.json` alone.
 */
import { heatmap } from './heatmap.ts';
import { lineChart, type Series } from './line-chart.ts';
import { clusterStrip, streamChart } from '../continual/plots.ts';

/** A line chart; see {@link lineChart}. */
export interface LineFigure {
  readonly type: 'line';
  readonly title: string;
  readonly caption?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly integerX?: boolean;
}

/** A heatmap; see {@link heatmap}. */
export interface HeatmapFigure {
  readonly type: 'heatmap';
  readonly title: string;
  readonly caption?: string;
  readonly values: readonly (readonly (number | null)[])[];
  readonly rowLabels?: readonly string[];
  readonly colLabels?: readonly string[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Colour range (default: the data's min and max). */
  readonly domain?: readonly [number, number];
}

/**
 * Values along a task stream (one per step) over bands of the true task type, with a
 * dashed marker at every switch; see `streamChart` in `continual/plots.ts`.
 */
export interface StreamFigure {
  readonly type: 'stream';
  readonly title: string;
  readonly caption?: string;
  readonly yLabel: string;
  /** True type id per step. */
  readonly types: readonly number[];
  readonly typeNames?: readonly string[];
  /** One line per learner; null (NaN in JSON) breaks the line. Optional 95% band lo/hi. */
  readonly series: readonly { readonly name: string; readonly y: readonly (number | null)[]; readonly lo?: readonly (number | null)[]; readonly hi?: readonly (number | null)[] }[];
  readonly yRange?: readonly [number, number];
}

/** Cluster assignments over time under a strip of the true types; see `clusterStrip` in `continual/plots.ts`. */
export interface ClusterFigure {
  readonly type: 'clusters';
  readonly title: string;
  readonly caption?: string;
  readonly types: readonly number[];
  readonly typeNames?: readonly string[];
  /** One strip per row: the cluster id per step; `novel` steps get a dot. */
  readonly rows: readonly { readonly name: string; readonly clusters: readonly number[]; readonly novel?: readonly boolean[] }[];
}

/** One grid-world picture: the map as text rows plus a trajectory of `[row, col]`. */
export interface GridPanel {
  readonly title: string;
  /**
   * Map rows (`#` wall, `.` free, `L` lava, `S` start, `G` goal). Sign grids
   * (`metagrad explore`, drawn by `renderSignPanel`) add `g` (a goal that does not pay)
   * and `i` (a sign); their `G` is the goal that pays.
   */
  readonly map: readonly string[];
  readonly trajectory: readonly (readonly [number, number])[];
  /** Return of the episode drawn. */
  readonly return?: number;
}

/** A gallery of grid-world pictures (rendered by a caller-supplied function). */
export interface GridFigure {
  readonly type: 'grid';
  readonly title: string;
  readonly caption?: string;
  readonly panels: readonly GridPanel[];
}

export type FigureSpec = LineFigure | HeatmapFigure | StreamFigure | ClusterFigure | GridFigure;

/** Draws one grid panel as an `<svg>` (the grid-world renderer, injected to keep this module env-free). */
export type GridRenderer = (panel: GridPanel) => string;

const orNaN = (xs: readonly (number | null)[] | undefined): number[] | undefined => xs?.map((v) => v ?? NaN);

/** The SVG of any figure but a grid gallery. */
export function renderChart(spec: Exclude<FigureSpec, GridFigure>): string {
  switch (spec.type) {
    case 'line':
      return lineChart({ title: spec.title, xLabel: spec.xLabel, yLabel: spec.yLabel, series: spec.series, integerX: spec.integerX });
    case 'heatmap':
      return heatmap({
        title: spec.title, values: spec.values, rowLabels: spec.rowLabels, colLabels: spec.colLabels,
        xLabel: spec.xLabel, yLabel: spec.yLabel, ...(spec.domain && { domain: spec.domain }),
      });
    case 'stream':
      return streamChart({
        title: spec.title, yLabel: spec.yLabel, types: spec.types, typeNames: spec.typeNames, yRange: spec.yRange,
        series: spec.series.map((s) => ({ name: s.name, y: orNaN(s.y)!, lo: orNaN(s.lo), hi: orNaN(s.hi) })),
      });
    case 'clusters':
      return clusterStrip({ title: spec.title, types: spec.types, typeNames: spec.typeNames, rows: spec.rows });
  }
}
