/**
 * Line charts with optional confidence bands, as standalone SVG strings.
 *
 * Non-finite points (NaN, ±Infinity, or null in JSON-loaded data) break a line rather
 * than distorting the axes, so partially computed curves (an interrupted run) plot.
 *
 * @example
 * ```ts
 * const svg = lineChart({
 *   title: 'Meta-training', xLabel: 'iteration', yLabel: 'loss',
 *   series: [{ name: 'MAML', x: [1, 2, 3], y: [1, 0.5, 0.3], lo: [0.8, 0.4, 0.2], hi: [1.2, 0.6, 0.4] }],
 * });
 * ```
 */
import { escapeXml, formatTick, niceTicks, paletteColor, px, scaleLinear } from './svg.ts';

/** One line; `lo`/`hi` (same length as `y`) draw a shaded band. */
export interface Series {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly (number | null)[];
  readonly lo?: readonly (number | null)[];
  readonly hi?: readonly (number | null)[];
  readonly color?: string;
  readonly dashed?: boolean;
  /** Draw a dot at every point (useful for short curves such as adaptation steps). */
  readonly markers?: boolean;
  /** `'points'` draws dots only (a scatter of samples). Default `'line'`. */
  readonly style?: 'line' | 'points';
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Force the y range to include these values (e.g. 0). */
  readonly yInclude?: readonly number[];
  /** Integer x ticks only (steps, iterations). */
  readonly integerX?: boolean;
}

const ok = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Splits indices into runs where every needed value is finite. */
function runs(n: number, valid: (i: number) => boolean): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < n; i++) {
    if (valid(i)) cur.push(i);
    else if (cur.length > 0) { out.push(cur); cur = []; }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Renders the chart; see the module comment. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const legendRows = Math.ceil(options.series.length / 3);
  const margin = { top: 34, right: 16, bottom: 48 + 18 * legendRows, left: 62 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  const xs: number[] = [];
  const ys: number[] = [...(options.yInclude ?? [])];
  for (const s of options.series) {
    s.x.forEach((x, i) => {
      if (!ok(x)) return;
      for (const v of [s.y[i], s.lo?.[i], s.hi?.[i]]) if (ok(v)) { ys.push(v); xs.push(x); }
    });
  }
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);

  if (xs.length === 0) {
    parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>`);
    parts.push(`<text x="${width / 2}" y="${margin.top + plotH / 2}" text-anchor="middle" fill="#777">no data</text>`);
    return wrap(width, height, options.title, parts);
  }

  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6).filter((t) => !options.integerX || Number.isInteger(t));
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const x0 = Math.min(Math.min(...xs), xTicks[0] ?? Infinity);
  const x1 = Math.max(Math.max(...xs), xTicks[xTicks.length - 1] ?? -Infinity);
  const y0 = yTicks[0]!;
  const y1 = yTicks[yTicks.length - 1]!;
  const sx = scaleLinear(x0, x1 === x0 ? x0 + 1 : x1, margin.left, margin.left + plotW);
  const sy = scaleLinear(y0, y1, margin.top + plotH, margin.top);

  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="#fcfcfc" stroke="#d0d4d9"/>`);
  for (const t of yTicks) {
    const y = px(sy(t));
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e6e8eb"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#444">${formatTick(t)}</text>`);
  }
  for (const t of xTicks) {
    if (t < x0 || t > x1) continue;
    const x = px(sx(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#888"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotH + 16}" text-anchor="middle" font-size="11" fill="#444">${formatTick(t)}</text>`);
  }
  parts.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 34}" text-anchor="middle" font-size="12">${escapeXml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(options.yLabel)}</text>`);

  options.series.forEach((s, k) => {
    const color = s.color ?? paletteColor(k);
    const n = Math.min(s.x.length, s.y.length);
    if (s.lo && s.hi) {
      const { lo, hi } = s;
      for (const run of runs(n, (i) => ok(s.x[i]) && ok(lo[i]) && ok(hi[i]))) {
        const upper = run.map((i) => `${px(sx(s.x[i]!))},${px(sy(hi[i]!))}`);
        const lower = run.slice().reverse().map((i) => `${px(sx(s.x[i]!))},${px(sy(lo[i]!))}`);
        parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
      }
    }
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    for (const run of runs(n, (i) => ok(s.x[i]) && ok(s.y[i]))) {
      const pts = run.map((i) => `${px(sx(s.x[i]!))},${px(sy(s.y[i]!))}`).join(' ');
      const points = s.style === 'points';
      if (run.length === 1 || s.markers || points) {
        for (const i of run) parts.push(`<circle cx="${px(sx(s.x[i]!))}" cy="${px(sy(s.y[i]!))}" r="${points ? 3.5 : 3}" fill="${color}"/>`);
      }
      if (run.length > 1 && !points) parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"${dash} stroke-linejoin="round"/>`);
    }
  });

  const legendY = margin.top + plotH + 50;
  const colW = plotW / 3;
  options.series.forEach((s, k) => {
    const color = s.color ?? paletteColor(k);
    const lx = margin.left + (k % 3) * colW;
    const ly = legendY + Math.floor(k / 3) * 18;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (s.style === 'points') parts.push(`<circle cx="${px(lx + 11)}" cy="${ly}" r="3.5" fill="${color}"/>`);
    else parts.push(`<line x1="${px(lx)}" x2="${px(lx + 22)}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"${dash}/>`);
    parts.push(`<text x="${px(lx + 28)}" y="${ly}" dominant-baseline="middle" font-size="11">${escapeXml(s.name)}</text>`);
  });
  return wrap(width, height, options.title, parts);
}

function wrap(width: number, height: number, title: string, parts: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img" aria-label="${escapeXml(title)}">`,
    ...parts.map((p) => `  ${p}`),
    '</svg>',
  ].join('\n');
}
