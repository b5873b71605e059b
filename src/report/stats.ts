/**
 * Summary statistics for plots: means with 95% confidence intervals, and binning of
 * long noisy curves (a training curve of thousands of iterations).
 */

/** Mean and a 95% confidence interval of the mean. */
export interface MeanCI {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/**
 * Mean ± 1.96 standard errors (normal approximation) over the finite samples.
 * With one sample the interval is the point; with none, everything is NaN.
 *
 * @example meanCI([1, 2, 3]) // { mean: 2, lo: 0.868…, hi: 3.131…, n: 3 }
 */
export function meanCI(samples: readonly number[]): MeanCI {
  const xs = samples.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean, n };
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = 1.96 * Math.sqrt(variance / n);
  return { mean, lo: mean - half, hi: mean + half, n };
}

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
