/**
 * Gradient checking against float64 central differences, first and second order.
 */
import { Tensor } from '../tensor/tensor.ts';
import { GradError } from '../tensor/errors.ts';
import { Rng } from '../random/rng.ts';
import { cast } from '../ops/elementwise.ts';
import { grad, treeVdot } from './transforms.ts';

/** Settings of {@link checkGrad}: derivative order, difference step, tolerances. */
export interface CheckGradOptions {
  /** 1: gradient; 2: gradient of ⟨gradient, v⟩ for a random v (every second-order rule); default 1. */
  readonly order?: 1 | 2;
  /** Central-difference step (default 1e-5). */
  readonly eps?: number;
  /** Pass when |analytic − numeric| ≤ atol + rtol·|numeric| everywhere (defaults 1e-6, 1e-6). */
  readonly atol?: number;
  readonly rtol?: number;
  /** Seed of the random direction used at order 2. */
  readonly seed?: number;
}

/** What {@link checkGrad} found: pass/fail, the worst element and a readable `message` for assertions. */
export interface CheckGradReport {
  readonly ok: boolean;
  readonly order: 1 | 2;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|): ≤ 1 passes. */
  readonly worstRatio: number;
  readonly maxAbsError: number;
  /** Where the worst ratio was found. */
  readonly worst: { readonly input: number; readonly index: number; readonly analytic: number; readonly numeric: number } | null;
  readonly checked: number;
  readonly message: string;
}

/**
 * Compares analytic derivatives of a scalar function with float64 central
 * differences. Inputs are cast to float64 first, so write `f` dtype-agnostically
 * (numbers, not float32 constants).
 *
 * @example
 * ```ts
 * const r = checkGrad((x: Tensor) => sum(tanh(x)), [randomNormal(new Rng(0), [3])], { order: 2 });
 * r.ok; // true
 * ```
 */
export function checkGrad(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: CheckGradOptions = {}): CheckGradReport {
  const { order = 1, eps = 1e-5, atol = 1e-6, rtol = 1e-6, seed = 0 } = options;
  if (inputs.length === 0) throw new GradError('checkGrad: needs at least one input');
  const xs = inputs.map((x) => cast(new Tensor(x.data, x.shape), 'float64'));
  const argnums = xs.map((_, i) => i);
  const rng = new Rng(seed);
  const dirs = xs.map((x) => new Tensor(Float64Array.from({ length: x.size }, () => rng.normal()), x.shape));

  // The scalar whose gradient is checked: f itself, or ⟨∇f, v⟩ at order 2.
  const objective = order === 1
    ? f
    : (...ys: Tensor[]): Tensor => treeVdot(grad(f, { argnums })(...ys) as Tensor[], dirs);
  const value = (ys: Tensor[]): number => {
    const out = objective(...ys);
    if (out.size !== 1) throw new GradError(`checkGrad: f must return one element, got shape [${out.shape.join(', ')}]`);
    return out.data[0]!;
  };
  const analytic = grad(objective, { argnums })(...xs) as Tensor[];

  let worstRatio = 0, maxAbsError = 0, checked = 0;
  let worst: CheckGradReport['worst'] = null;
  xs.forEach((x, i) => {
    for (let j = 0; j < x.size; j++) {
      const probe = (delta: number): number => {
        const d = Float64Array.from(x.data);
        d[j] = d[j]! + delta;
        return value(xs.map((y, k) => (k === i ? new Tensor(d, x.shape) : y)));
      };
      const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      const a = analytic[i]!.data[j]!;
      const err = Math.abs(a - numeric);
      const ratio = Number.isNaN(err) ? Infinity : err / (atol + rtol * Math.abs(numeric));
      checked++;
      maxAbsError = Math.max(maxAbsError, err);
      if (ratio > worstRatio || worst === null) { worstRatio = ratio; worst = { input: i, index: j, analytic: a, numeric }; }
    }
  });
  const ok = worstRatio <= 1;
  const w = worst as CheckGradReport['worst'];
  const message = w === null
    ? 'checkGrad: nothing to check'
    : `checkGrad order ${order}: ${ok ? 'ok' : 'MISMATCH'}; worst at input ${w.input} flat index ${w.index}: analytic ${w.analytic} vs numeric ${w.numeric} (|err| ${Math.abs(w.analytic - w.numeric).toExponential(2)}, ${worstRatio.toFixed(3)}× tolerance)`;
  return { ok, order, worstRatio, maxAbsError, worst: w, checked, message };
}
