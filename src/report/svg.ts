/**
 * Small helpers shared by the hand-written SVG plots: escaping, axis ticks, number
 * labels and the colour palette. Everything returns strings; nothing touches a DOM.
 */

/** Escapes text for use in SVG/HTML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A colour-blind-friendly categorical palette (Tableau 10 order). */
export const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#bab0ac', '#ff9da6'] as const;

/** The i-th palette colour, cycling. */
export function paletteColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/**
 * About `count` evenly spaced "nice" tick values (steps of 1, 2 or 5 × 10^k) covering
 * [lo, hi]. A degenerate range is widened around its value.
 *
 * @example niceTicks(0, 0.93, 5) // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * (1 - 1e-9); v += step) {
    ticks.push(Number(v.toFixed(12)));
    if (ticks.length > 50) break;
  }
  return ticks;
}

/** A short label for a tick value: `0.2`, `1.5k`, `2e-4`. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4) return `${Number((v / 1000).toPrecision(3))}k`;
  if (a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

/** A number with fixed significant digits for tables and captions. */
export function formatValue(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(digits)));
}

/** Linear map from [d0, d1] to [r0, r1]. */
export function scaleLinear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Rounds to 2 decimals to keep SVG text small. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}
