/**
 * SVG figures of a continual run: scores along the stream over bands coloured by the
 * true task type (a dashed line at every switch), and cluster assignments over time.
 * The performance matrix is drawn with `report/heatmap.ts`.
 */
import { escapeXml, formatTick, niceTicks, paletteColor, px, scaleLinear } from '../report/svg.ts';

/** Light background colours per type id. */
const BAND = ['#dbe7f3', '#fde3c8', '#d9efd5', '#f8d4d4', '#d9eeec', '#eadcea', '#fbf1c9', '#e9ddd3'];

/** What {@link streamChart} draws: a line (with optional CI band) per learner over the true types' bands. */
export interface StreamChartOptions {
  readonly title: string;
  readonly yLabel: string;
  /** True type per step (bands and switch markers). */
  readonly types: readonly number[];
  readonly typeNames?: readonly string[];
  /** One line per learner: a value per step (NaN breaks the line). Optional band lo/hi. */
  readonly series: readonly { readonly name: string; readonly y: readonly number[]; readonly lo?: readonly number[]; readonly hi?: readonly number[] }[];
  /** Clamp the y axis to this range (values outside are drawn at the edge). */
  readonly yRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

function segmentsOf(types: readonly number[]): { type: number; start: number; end: number }[] {
  const out: { type: number; start: number; end: number }[] = [];
  types.forEach((type, t) => {
    const last = out[out.length - 1];
    if (last && last.type === type) last.end = t + 1;
    else out.push({ type, start: t, end: t + 1 });
  });
  return out;
}

/**
 * Scores along a stream with switch markers.
 *
 * @example
 * ```ts
 * streamChart({ title: 'Regression stream', yLabel: 'score', types: [0, 0, 1, 1],
 *   series: [{ name: 'clustered', y: [0.2, 0.8, 0.1, 0.7] }] });
 * ```
 */
export function streamChart(options: StreamChartOptions): string {
  const width = options.width ?? 760, height = options.height ?? 340;
  const n = options.types.length;
  const legendRows = Math.ceil(options.series.length / 4);
  const m = { top: 34, right: 16, bottom: 50 + 16 * legendRows, left: 56 };
  const all = options.series.flatMap((s) => [...s.y, ...(s.lo ?? []), ...(s.hi ?? [])]).filter(Number.isFinite);
  const [lo, hi] = options.yRange ?? [Math.min(0, ...all), Math.max(1, ...all)];
  const x = scaleLinear(0, Math.max(1, n), m.left, width - m.right);
  const y = scaleLinear(lo, hi, height - m.bottom, m.top);
  const clampY = (v: number): number => y(Math.min(hi, Math.max(lo, v)));
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);
  for (const seg of segmentsOf(options.types)) {
    parts.push(`<rect x="${px(x(seg.start))}" y="${m.top}" width="${px(x(seg.end) - x(seg.start))}" height="${px(height - m.bottom - m.top)}" fill="${BAND[seg.type % BAND.length]}"/>`);
    if (seg.start > 0) parts.push(`<line x1="${px(x(seg.start))}" x2="${px(x(seg.start))}" y1="${m.top}" y2="${height - m.bottom}" stroke="#666" stroke-dasharray="3 3" stroke-width="0.8"/>`);
    const name = options.typeNames?.[seg.type] ?? String(seg.type);
    if (x(seg.end) - x(seg.start) > 14) parts.push(`<text x="${px((x(seg.start) + x(seg.end)) / 2)}" y="${m.top + 12}" text-anchor="middle" font-size="10" fill="#555">${escapeXml(name)}</text>`);
  }
  for (const tick of niceTicks(lo, hi, 5)) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${px(y(tick))}" y2="${px(y(tick))}" stroke="#fff" stroke-width="0.6"/>`);
    parts.push(`<text x="${m.left - 6}" y="${px(y(tick) + 4)}" text-anchor="end" font-size="11">${formatTick(tick)}</text>`);
  }
  for (const tick of niceTicks(0, n, 8).filter((v) => v <= n)) parts.push(`<text x="${px(x(tick))}" y="${height - m.bottom + 16}" text-anchor="middle" font-size="11">${formatTick(tick)}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${width - m.left - m.right}" height="${height - m.top - m.bottom}" fill="none" stroke="#888"/>`);
  options.series.forEach((s, i) => {
    const color = paletteColor(i);
    if (s.lo && s.hi) {
      const upper: string[] = [], lower: string[] = [];
      for (let t = 0; t < s.y.length; t++) {
        if (!Number.isFinite(s.lo[t]!) || !Number.isFinite(s.hi[t]!)) continue;
        upper.push(`${px(x(t + 0.5))},${px(clampY(s.hi[t]!))}`);
        lower.unshift(`${px(x(t + 0.5))},${px(clampY(s.lo[t]!))}`);
      }
      if (upper.length > 1) parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15"/>`);
    }
    let path = '';
    let pen = false;
    s.y.forEach((v, t) => {
      if (!Number.isFinite(v)) { pen = false; return; }
      path += `${pen ? 'L' : 'M'}${px(x(t + 0.5))} ${px(clampY(v))}`;
      pen = true;
    });
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.4"/>`);
    const lx = m.left + (i % 4) * 170, ly = height - m.bottom + 52 + 16 * Math.floor(i / 4);
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/><text x="${lx + 22}" y="${ly}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push(`<text x="${width / 2}" y="${height - m.bottom + 30}" text-anchor="middle" font-size="12">stream step (bands: true task type; dashed: switches)</text>`);
  parts.push(`<text transform="translate(14 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(options.yLabel)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg>`;
}

/** What {@link clusterStrip} draws: the true types, then one row of cluster ids per learner or seed. */
export interface ClusterStripOptions {
  readonly title: string;
  readonly types: readonly number[];
  readonly typeNames?: readonly string[];
  /** One strip per learner (or seed): the cluster id per step; `novel` steps get a dot. */
  readonly rows: readonly { readonly name: string; readonly clusters: readonly number[]; readonly novel?: readonly boolean[] }[];
  readonly width?: number;
}

/**
 * Cluster assignments over time, one strip per row, under a strip of the true types.
 *
 * @example clusterStrip({ title: 'clusters', types: [0, 0, 1], rows: [{ name: 'seed 0', clusters: [0, 0, 1] }] })
 */
export function clusterStrip(options: ClusterStripOptions): string {
  const width = options.width ?? 760;
  const n = options.types.length;
  const labelW = 150, rowH = 16, gap = 4, top = 34;
  const x = scaleLinear(0, Math.max(1, n), labelW, width - 16);
  const rows = [{ name: 'true type', clusters: options.types, novel: undefined as readonly boolean[] | undefined }, ...options.rows];
  const height = top + rows.length * (rowH + gap) + 30;
  const parts: string[] = [`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`];
  rows.forEach((row, r) => {
    const yy = top + r * (rowH + gap);
    parts.push(`<text x="${labelW - 6}" y="${yy + rowH - 4}" text-anchor="end" font-size="11">${escapeXml(row.name)}</text>`);
    for (const seg of segmentsOf(row.clusters)) {
      const fill = r === 0 ? BAND[seg.type % BAND.length] : paletteColor(seg.type);
      parts.push(`<rect x="${px(x(seg.start))}" y="${yy}" width="${px(x(seg.end) - x(seg.start))}" height="${rowH}" fill="${fill}"/>`);
      if (r === 0 && x(seg.end) - x(seg.start) > 14) {
        parts.push(`<text x="${px((x(seg.start) + x(seg.end)) / 2)}" y="${yy + rowH - 4}" text-anchor="middle" font-size="10">${escapeXml(options.typeNames?.[seg.type] ?? String(seg.type))}</text>`);
      }
    }
    row.novel?.forEach((flag, t) => { if (flag) parts.push(`<circle cx="${px(x(t + 0.5))}" cy="${yy + rowH / 2}" r="2" fill="#000"/>`); });
  });
  parts.push(`<text x="${(labelW + width) / 2}" y="${height - 10}" text-anchor="middle" font-size="12">stream step (colour: cluster id; dot: task judged novel)</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg>`;
}
