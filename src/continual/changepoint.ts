/**
 * Change-point detection on a learner's own score stream, for switches nobody
 * announces: a CUSUM of deviations from the running mean (the Page-Hinkley test;
 * Page, "Continuous Inspection Schemes", Biometrika 1954).
 */

/** A sequential detector: feed one value per step, true when it signals a change. */
export interface ChangeDetector {
  update(x: number): boolean;
  /** Forget everything (after a signalled change, the new regime starts afresh). */
  reset(): void;
}

/** Sensitivity of {@link pageHinkley}: drift allowance, alarm threshold, warm-up and direction. */
export interface PageHinkleyOptions {
  /** Deviations smaller than this per step are ignored (drift allowance). Default 0.05. */
  readonly delta?: number;
  /** Alarm when the cumulative deviation exceeds this. Default 0.5. */
  readonly threshold?: number;
  /** Values needed before any alarm (to estimate the mean). Default 3. */
  readonly minSamples?: number;
  /** `'down'` watches for drops only, `'both'` for drops and rises. Default `'both'`. */
  readonly direction?: 'down' | 'both';
}

/**
 * The Page-Hinkley test: with x̄ the running mean of the current regime,
 * g⁻ ← max(0, g⁻ + x̄ − x − δ) accumulates drops and g⁺ ← max(0, g⁺ + x − x̄ − δ)
 * rises; a change is signalled when either exceeds the threshold, and the detector
 * then resets itself.
 *
 * @example
 * ```ts
 * const detector = pageHinkley({ threshold: 0.5 });
 * [0.9, 0.92, 0.88, 0.91, 0.2].map((x) => detector.update(x)); // [false, false, false, false, true]
 * ```
 */
export function pageHinkley(options: PageHinkleyOptions = {}): ChangeDetector {
  const { delta = 0.05, threshold = 0.5, minSamples = 3, direction = 'both' } = options;
  let n = 0, mean = 0, down = 0, up = 0;
  const reset = (): void => { n = 0; mean = 0; down = 0; up = 0; };
  return {
    update(x) {
      if (!Number.isFinite(x)) return false;
      if (n > 0) {
        down = Math.max(0, down + mean - x - delta);
        up = Math.max(0, up + x - mean - delta);
      }
      n++;
      mean += (x - mean) / n;
      const fired = n > minSamples && (down > threshold || (direction === 'both' && up > threshold));
      if (fired) reset();
      return fired;
    },
    reset,
  };
}

/**
 * Indices at which a fresh detector signals on the sequence `xs`.
 * @example detectChanges([1, 1, 1, 1, 0, 0, 0, 0], pageHinkley()) // [4]
 */
export function detectChanges(xs: readonly number[], detector: ChangeDetector): number[] {
  detector.reset();
  const out: number[] = [];
  xs.forEach((x, i) => { if (detector.update(x)) out.push(i); });
  return out;
}

/** How well detected change points match true ones. */
export interface DetectionScore {
  /** True changes followed by a detection within `tolerance` steps. */
  readonly detected: number;
  readonly missed: number;
  /** Detections matching no true change. */
  readonly falseAlarms: number;
  /** Mean steps from a true change to its detection. */
  readonly meanDelay: number;
}

/**
 * Matches detections to true change points: each true change at t claims the first
 * unclaimed detection in [t, t + tolerance].
 * @example scoreDetections([10, 20], [11, 15, 40], 3) // { detected: 1, missed: 1, falseAlarms: 2, meanDelay: 1 }
 */
export function scoreDetections(truth: readonly number[], detections: readonly number[], tolerance = 3): DetectionScore {
  const used = new Set<number>();
  let detected = 0, delay = 0;
  for (const t of truth) {
    const hit = detections.find((d) => !used.has(d) && d >= t && d <= t + tolerance);
    if (hit !== undefined) { used.add(hit); detected++; delay += hit - t; }
  }
  return { detected, missed: truth.length - detected, falseAlarms: detections.length - used.size, meanDelay: detected ? delay / detected : NaN };
}
