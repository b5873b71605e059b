/**
 * Figures as data. A run's `results.json` stores every figure as one of these specs
 * (the numbers, not pictures), and the HTML report renders them, so a report can be
 * rebuilt from `results.json` alone.
 */
import { heatmap } from './heatmap.ts';
import { lineChart, type Series } from './line-chart.ts';

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
}

/** One grid-world picture: the map as text rows plus a trajectory of `[row, col]`. */
export interface GridPanel {
  readonly title: string;
  /** Map rows (`#` wall, `.` free, `L` lava, `S` start, `G` goal). */
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

export type FigureSpec = LineFigure | HeatmapFigure | GridFigure;

/** Draws one grid panel as an `<svg>` (the grid-world renderer, injected to keep this module env-free). */
export type GridRenderer = (panel: GridPanel) => string;

/** The SVG of a line or heatmap figure. */
export function renderChart(spec: LineFigure | HeatmapFigure): string {
  if (spec.type === 'line') {
    return lineChart({ title: spec.title, xLabel: spec.xLabel, yLabel: spec.yLabel, series: spec.series, integerX: spec.integerX });
  }
  return heatmap({
    title: spec.title, values: spec.values, rowLabels: spec.rowLabels, colLabels: spec.colLabels,
    xLabel: spec.xLabel, yLabel: spec.yLabel,
  });
}
