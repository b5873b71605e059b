import type { Tensor } from '../tensor/tensor.ts';
import { concreteOf } from './primitive.ts';

/**
 * The same values with no derivative at any order: every enclosing transform sees a constant.
 * @example grad((x: Tensor) => mul(x, stopGradient(x)).sum())(x) // == x, not 2x
 */
export function stopGradient<T extends Tensor>(x: T): Tensor {
  return concreteOf(x);
}
