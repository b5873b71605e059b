// Small hand-written SVG line charts for the demo (no library).

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 480;
const HEIGHT = 260;
const MARGIN = { left: 52, right: 14, top: 30, bottom: 40 };

/**
 * @typedef {object} Series
 * @property {string} label
 * @property {string} color
 * @property {ReadonlyArray<readonly [number, number]>} points  [x, y] pairs
 * @property {number} [width]     stroke width (default 2)
 * @property {number} [opacity]   default 1
 * @property {string} [dash]      stroke-dasharray
 * @property {boolean} [markers]  draw a dot at every point
 * @property {boolean} [legend]   default true
 */

/**
 * Redraws `svg` as a line chart of `series`.
 * @param {SVGSVGElement} svg
 * @param {{ series: Series[], xLabel: string, yLabel: string, xDomain?: [number, number], yDomain?: [number, number], integerX?: boolean }} spec
 */
export function drawLineChart(svg, spec) {
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.replaceChildren();
  const all = spec.series.flatMap((s) => s.points);
  const [x0, x1] = spec.xDomain ?? extent(all.map((p) => p[0]), [0, 1]);
  const [y0, y1] = spec.yDomain ?? pad(extent(all.map((p) => p[1]), [0, 1]));
  const innerW = WIDTH - MARGIN.left - MARGIN.right;
  const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x) => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * innerW;
  const sy = (y) => MARGIN.top + (1 - (y - y0) / (y1 - y0 || 1)) * innerH;

  const axes = el('g', { class: 'axes' });
  for (const t of ticks(y0, y1, 5)) {
    axes.append(el('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: sy(t), y2: sy(t), class: 'gridline' }));
    axes.append(text(MARGIN.left - 6, sy(t) + 4, format(t), 'end'));
  }
  const xTicks = spec.integerX ? ticks(x0, x1, Math.min(8, Math.max(1, x1 - x0))).filter(Number.isInteger) : ticks(x0, x1, 6);
  for (const t of xTicks) {
    axes.append(el('line', { x1: sx(t), x2: sx(t), y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom + 4, class: 'tick' }));
    axes.append(text(sx(t), HEIGHT - MARGIN.bottom + 16, format(t), 'middle'));
  }
  axes.append(el('rect', { x: MARGIN.left, y: MARGIN.top, width: innerW, height: innerH, class: 'frame' }));
  axes.append(text(MARGIN.left + innerW / 2, HEIGHT - 6, spec.xLabel, 'middle', 'axis-label'));
  const yl = text(14, MARGIN.top + innerH / 2, spec.yLabel, 'middle', 'axis-label');
  yl.setAttribute('transform', `rotate(-90 14 ${MARGIN.top + innerH / 2})`);
  axes.append(yl);
  svg.append(axes);

  const plot = el('g', { class: 'series' });
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    plot.append(el('path', {
      d, fill: 'none', stroke: s.color, 'stroke-width': s.width ?? 2, 'stroke-opacity': s.opacity ?? 1,
      'stroke-linejoin': 'round', 'data-series': s.label, 'data-points': s.points.length, ...(s.dash && { 'stroke-dasharray': s.dash }),
    }));
    if (s.markers) for (const [x, y] of s.points) plot.append(el('circle', { cx: sx(x), cy: sy(y), r: 3.5, fill: s.color }));
  }
  svg.append(plot);

  const legend = el('g', { class: 'legend' });
  let lx = MARGIN.left;
  for (const s of spec.series.filter((s) => s.legend !== false)) {
    legend.append(el('line', { x1: lx, x2: lx + 16, y1: 12, y2: 12, stroke: s.color, 'stroke-width': 3, ...(s.dash && { 'stroke-dasharray': s.dash }) }));
    const label = text(lx + 20, 16, s.label, 'start');
    legend.append(label);
    lx += 28 + 6.2 * s.label.length;
  }
  svg.append(legend);
}

/** Exponential moving average of the y values (for noisy sampled returns). */
export function smooth(points, alpha = 0.15) {
  let m;
  return points.map(([x, y]) => [x, (m = m === undefined ? y : m + alpha * (y - m))]);
}

function el(name, attrs) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function text(x, y, content, anchor, cls = 'tick-label') {
  const node = el('text', { x, y, 'text-anchor': anchor, class: cls });
  node.textContent = content;
  return node;
}

function extent(values, fallback) {
  if (values.length === 0) return fallback;
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo === Infinity) return fallback;
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

function pad([lo, hi]) {
  const m = (hi - lo) * 0.06;
  return [lo - m, hi + m];
}

/** Round-number ticks covering [lo, hi]. */
function ticks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

function format(x) {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(Math.abs(x) >= 1 ? 1 : 2);
}
