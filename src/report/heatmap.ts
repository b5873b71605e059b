/**
 * Heatmaps as standalone SVG strings: a matrix of coloured cells with row and column
 * labels and a colour bar. Non-finite or null cells are drawn hatched grey.
 *
 * @example
 * ```ts
 * heatmap({ title: 'Return by task and step', values: [[0.1, 0.5], [0.2, 0.9]],
 *           rowLabels: ['task 1', 'task 2'], colLabels: ['0', '1'], xLabel: 'steps', yLabel: 'task' });
 * ```
 */
import { escapeXml, formatTick, formatValue, px } from './svg.ts';

/** What {@link heatmap} draws: the matrix, its labels and how cells are coloured. */
export interface HeatmapOptions {
  readonly title: string;
  /** Rows of values (all rows the same length). */
  readonly values: readonly (readonly (number | null)[])[];
  readonly rowLabels?: readonly string[];
  readonly colLabels?: readonly string[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Pixels per cell side. Default: fits ~480 px wide, clamped to 6..40. */
  readonly cellSize?: number;
  /** Colour range; default the data's min and max. */
  readonly domain?: readonly [number, number];
  /** Print values inside cells when they are large enough. Default true. */
  readonly annotate?: boolean;
}

// Anchors of a perceptually ordered dark-blue → green → yellow ramp (viridis-like).
const RAMP: readonly (readonly [number, number, number])[] = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

/** The ramp's colour at t ∈ [0, 1] (clamped), as `rgb(r,g,b)`. */
export function rampColor(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(u));
  const f = u - i;
  const a = RAMP[i]!, b = RAMP[i + 1]!;
  const mix = (k: number): number => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${mix(0)},${mix(1)},${mix(2)})`;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Renders a heatmap as a standalone SVG string (non-finite or null cells hatched grey).
 *
 * @example
 * ```ts
 * // An R matrix (rMatrixFigures of metagrad/studies gives one per learner of a continual run):
 * const svg = heatmap({ title: 'R', values: [[0.9, 0.2], [0.5, null]], rowLabels: ['after A', 'after B'], colLabels: ['A', 'B'] });
 * svg.startsWith('<svg'); // true
 * ```
 */
export function heatmap(options: HeatmapOptions): string {
  const rows = options.values.length;
  const cols = Math.max(0, ...options.values.map((r) => r.length));
  const cell = options.cellSize ?? Math.max(6, Math.min(40, Math.floor(480 / Math.max(1, cols))));
  const rowLabelW = options.rowLabels ? Math.min(160, 8 + 6.5 * Math.max(0, ...options.rowLabels.map((l) => l.length))) : 8;
  const margin = { top: 34, left: rowLabelW + (options.yLabel ? 20 : 0), right: 70, bottom: 40 + (options.colLabels ? 14 : 0) };
  const width = Math.ceil(margin.left + cols * cell + margin.right);
  const height = Math.ceil(margin.top + rows * cell + margin.bottom);
  const all = options.values.flat().filter(finite);
  const [lo, hi] = options.domain ?? [all.length ? Math.min(...all) : 0, all.length ? Math.max(...all) : 1];
  const norm = (v: number): number => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const parts: string[] = [];

  parts.push('<defs><pattern id="hm-missing" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#eee"/><path d="M0 6L6 0" stroke="#bbb"/></pattern></defs>');
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);
  const annotate = (options.annotate ?? true) && cell >= 28;
  options.values.forEach((row, r) => {
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      const x = margin.left + c * cell, y = margin.top + r * cell;
      const fill = finite(v) ? rampColor(norm(v)) : 'url(#hm-missing)';
      parts.push(`<rect x="${px(x)}" y="${px(y)}" width="${px(cell)}" height="${px(cell)}" fill="${fill}"><title>${escapeXml(`${options.rowLabels?.[r] ?? r}, ${options.colLabels?.[c] ?? c}: ${formatValue(v ?? null)}`)}</title></rect>`);
      if (annotate && finite(v)) {
        const ink = norm(v) > 0.6 ? '#222' : '#fff';
        parts.push(`<text x="${px(x + cell / 2)}" y="${px(y + cell / 2)}" text-anchor="middle" dominant-baseline="middle" font-size="9" fill="${ink}">${formatValue(v, 2)}</text>`);
      }
    }
    const label = options.rowLabels?.[r];
    if (label !== undefined) {
      parts.push(`<text x="${margin.left - 4}" y="${px(margin.top + (r + 0.5) * cell)}" text-anchor="end" dominant-baseline="middle" font-size="10">${escapeXml(label)}</text>`);
    }
  });
  const labelEvery = Math.max(1, Math.ceil(24 / cell));
  options.colLabels?.forEach((label, c) => {
    if (c % labelEvery !== 0) return;
    parts.push(`<text x="${px(margin.left + (c + 0.5) * cell)}" y="${margin.top + rows * cell + 13}" text-anchor="middle" font-size="10">${escapeXml(label)}</text>`);
  });
  if (options.xLabel) {
    parts.push(`<text x="${px(margin.left + (cols * cell) / 2)}" y="${height - 10}" text-anchor="middle" font-size="12">${escapeXml(options.xLabel)}</text>`);
  }
  if (options.yLabel) {
    parts.push(`<text transform="translate(14 ${px(margin.top + (rows * cell) / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(options.yLabel)}</text>`);
  }
  // Colour bar: 10 stops, labelled at both ends.
  const barX = margin.left + cols * cell + 16;
  const barH = Math.max(40, rows * cell);
  for (let i = 0; i < 10; i++) {
    const y = margin.top + (barH * (9 - i)) / 10;
    parts.push(`<rect x="${px(barX)}" y="${px(y)}" width="12" height="${px(barH / 10 + 0.5)}" fill="${rampColor((i + 0.5) / 10)}"/>`);
  }
  parts.push(`<text x="${px(barX + 16)}" y="${margin.top + 8}" font-size="10">${formatTick(hi)}</text>`);
  parts.push(`<text x="${px(barX + 16)}" y="${px(margin.top + barH)}" font-size="10">${formatTick(lo)}</text>`);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.max(height, margin.top + barH + 20)}" viewBox="0 0 ${width} ${Math.max(height, margin.top + barH + 20)}" font-family="system-ui, sans-serif" role="img" aria-label="${escapeXml(options.title)}">`,
    ...parts.map((p) => `  ${p}`),
    '</svg>',
  ].join('\n');
}
