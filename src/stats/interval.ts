/**
 * Confidence intervals of a mean over a few seeds: the one implementation every
 * report, experiment and test uses, and one result shape (`mean`, `low`, `high`, `n`).
 */

// Two-sided 95% Student-t quantiles t_{0.975, df} for df = 1..30.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * The 97.5% quantile of Student's t with `df` degrees of freedom: tabulated up to 30,
 * then a Cornish–Fisher expansion around the normal quantile (error < 1e-3).
 */
export function studentT975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`studentT975: degrees of freedom must be ≥ 1, got ${df}`);
  if (df <= 30 && Number.isInteger(df)) return T975[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/** A mean with its 95% confidence interval over `n` finite samples. */
export interface MeanInterval {
  readonly mean: number;
  /** Lower end of the 95% interval. */
  readonly low: number;
  /** Upper end of the 95% interval. */
  readonly high: number;
  /** How many finite samples the mean and interval are over. */
  readonly n: number;
}

/**
 * Mean and two-sided 95% t-interval of the mean (with 5 seeds the half-width is 2.776
 * standard errors, not 1.96). Non-finite samples are dropped; one sample gives a point,
 * none gives NaNs.
 *
 * @example meanInterval([1, 2, 3, 4, 5]) // { mean: 3, low: 1.037…, high: 4.963…, n: 5 }
 */
export function meanInterval(samples: readonly number[]): MeanInterval {
  const xs = samples.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, low: NaN, high: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: mean, high: mean, n };
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = studentT975(n - 1) * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half, n };
}

/** {@link MeanInterval} over seeds, with the per-seed values it summarises. */
export interface Interval extends MeanInterval {
  /** Every value given, in order, non-finite ones included (a seed that never recovered). */
  readonly perSeed: readonly number[];
}

/**
 * The mean of per-seed values with its 95% Student-t confidence interval: the summary
 * every experiment in the library reports. Non-finite values (a seed that diverged or
 * never reached a threshold) are kept in `perSeed` but left out of the mean and the
 * interval, and `n` counts the values used; a single finite value gives a point.
 *
 * @throws RangeError when `perSeed` is empty.
 * @example
 * ```ts
 * confidenceInterval([0.91, 0.93, 0.90, 0.95, 0.92]);
 * // { mean: 0.922, low: ≈0.898, high: ≈0.946, n: 5, perSeed: [0.91, 0.93, 0.90, 0.95, 0.92] }
 * ```
 */
export function confidenceInterval(perSeed: readonly number[]): Interval {
  if (perSeed.length === 0) throw new RangeError('confidenceInterval: perSeed must not be empty');
  return { ...meanInterval(perSeed), perSeed: [...perSeed] };
}
