/** Log-sum-exp and softmax: composites with no derivative rules of their own. */
import type { Tensor } from '../tensor/tensor.ts';
import { normalizeAxes, normalizeAxis } from '../tensor/shape.ts';
import { stopGradient } from '../autodiff/stop.ts';
import { add, div, exp, log, sub } from './elementwise.ts';
import { max, sum } from './reduce.ts';
import { reshape } from './movement.ts';

/**
 * log Σ exp(x) over all elements or `axes`, computed stably by shifting with the
 * (gradient-free) maximum, which cancels in the derivative.
 *
 * @example
 * ```ts
 * logSumExp(tensor([1000, 1000])).item(); // 1000.6931… (no overflow)
 * ```
 */
export function logSumExp(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const list = normalizeAxes(axes, x.shape.length, 'logSumExp');
  const m = stopGradient(max(x, list, true));
  const r = add(log(sum(exp(sub(x, m)), list, true)), m);
  return keepDims ? r : reshape(r, x.shape.filter((_, i) => !list.includes(i)));
}

/**
 * exp(x) / Σ exp(x) along `axis` (shifted by the maximum, so large logits do not overflow).
 * @example
 * ```ts
 * softmax(tensor([[0, 0], [Math.log(3), 0]])).toArray(); // [[0.5, 0.5], [0.75, 0.25]]
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  normalizeAxis(axis, x.shape.length, 'softmax'); // so a bad axis names softmax, not max
  const e = exp(sub(x, stopGradient(max(x, axis, true))));
  return div(e, sum(e, axis, true));
}

/**
 * x − logSumExp(x) along `axis`: log-probabilities, more accurate than `log(softmax(x))`
 * where probabilities underflow.
 * @example
 * ```ts
 * logSoftmax(tensor([0, -200])).toArray(); // [0, -200] (log(softmax) would give -Infinity)
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  normalizeAxis(axis, x.shape.length, 'logSoftmax');
  return sub(x, logSumExp(x, axis, true));
}
