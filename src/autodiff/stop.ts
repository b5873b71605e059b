import type { Tensor } from '../tensor/tensor.ts';
import { concreteOf } from './primitive.ts';

/**
 * The same values with no derivative at any order: every enclosing transform sees a constant.
 * @example
 * ```ts
 * grad((x: Tensor) => mul(x, stopGradient(x)).sum())(tensor([3])); // [3]: x, not 2x
 * ```
 */
export function stopGradient<T extends Tensor>(x: T): Tensor {
  return concreteOf(x);
}
