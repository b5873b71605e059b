/**
 * Summary statistics for plots: means with 95% confidence intervals, and binning of
 * long noisy curves (a training curve of thousands of iterations).
 */
import { meanInterval, type MeanInterval } from '../stats/interval.ts';
import { formatValue } from './svg.ts';

/**
 * `0.63 [0.55, 0.71]` for a table cell: the mean and its interval at `digits`
 * significant digits, just the mean for one sample, `–` for none.
 *
 * @example
 * ```ts
 * formatInterval({ mean: 0.63, low: 0.5643, high: 0.6957, n: 3 }); // '0.63 [0.564, 0.696]'
 * formatInterval({ mean: 0.63, low: 0.63, high: 0.63, n: 1 }); // '0.63'
 * formatInterval(undefined); // '–'
 * ```
 */
export function formatInterval(i: MeanInterval | undefined, digits = 3): string {
  if (!i || i.n === 0 || !Number.isFinite(i.mean)) return '–';
  if (i.n === 1) return formatValue(i.mean, digits);
  return `${formatValue(i.mean, digits)} [${formatValue(i.low, digits)}, ${formatValue(i.high, digits)}]`;
}

/** A binned curve: for each bin, its centre x and the mean and 95% interval of its values. */
export interface BinnedCurve {
  readonly x: number[];
  readonly mean: number[];
  readonly lo: number[];
  readonly hi: number[];
}

/**
 * Groups consecutive points into at most `maxBins` bins of equal count and summarises
 * each; a curve with fewer points than bins keeps one point per bin.
 *
 * @example binCurve([1, 2, 3, 4], [4, 3, 2, 1], 2) // { x: [1.5, 3.5], mean: [3.5, 1.5], ... }
 */
export function binCurve(x: readonly number[], y: readonly number[], maxBins = 50): BinnedCurve {
  const n = Math.min(x.length, y.length);
  const out: BinnedCurve = { x: [], mean: [], lo: [], hi: [] };
  if (n === 0) return out;
  const size = Math.max(1, Math.ceil(n / maxBins));
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    const s = meanInterval(y.slice(start, end));
    out.x.push((x[start]! + x[end - 1]!) / 2);
    out.mean.push(s.mean);
    out.lo.push(s.low);
    out.hi.push(s.high);
  }
  return out;
}
