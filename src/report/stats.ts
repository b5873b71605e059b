/**
 * Summary statistics for plots: means with 95% confidence intervals, and binning of
 * long noisy curves (a training curve of thousands of iterations).
 */
import { meanInterval, type MeanInterval } from '../stats/interval.ts';

/** Mean and a 95% confidence interval of the mean. */
export type MeanCI = MeanInterval;

/**
 * Mean ± the 95% Student-t half-width over the finite samples (see `meanInterval`).
 * With one sample the interval is the point; with none, everything is NaN.
 *
 * @example meanCI([1, 2, 3]) // { mean: 2, lo: -0.484…, hi: 4.484…, n: 3 }
 */
export const meanCI = meanInterval;

/** A binned curve: for each bin, its centre x and the {@link meanCI} of its values. */
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
 * @example binCurve([1, 2, 3, 4], [4, 3, 2, 1], 2) // x [1.5, 3.5], mean [3.5, 1.5], …
 */
export function binCurve(x: readonly number[], y: readonly number[], maxBins = 50): BinnedCurve {
  const n = Math.min(x.length, y.length);
  const out: BinnedCurve = { x: [], mean: [], lo: [], hi: [] };
  if (n === 0) return out;
  const size = Math.max(1, Math.ceil(n / maxBins));
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    const s = meanCI(y.slice(start, end));
    out.x.push((x[start]! + x[end - 1]!) / 2);
    out.mean.push(s.mean);
    out.lo.push(s.lo);
    out.hi.push(s.hi);
  }
  return out;
}
