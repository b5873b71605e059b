/**
 * `a + α·b` for a number α, or a tensor α of per-entry rates: the gradient-descent
 * update θ − lr·g of every inner loop (MAML's, and Meta-SGD's with learned rates), as
 * one op with one output buffer (instead of a product and a difference), and a
 * backward without the difference's negation.
 */
import { getBackend } from '../backend/registry.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { sameShape } from '../tensor/shape.ts';
import { coerce, uninitialized } from './core.ts';
import { add, mul } from './elementwise.ts';

// addScaled(a, b; α) = a + α·b:  d = da + α·db
export const addScaledPrim: PrimitiveDef<number> = {
  name: 'addScaled',
  forward: (inputs, alpha) => {
    const out = uninitialized(inputs[0]!.dtype, inputs[1]!.shape);
    addScaledPrim.into!(inputs, out, alpha);
    return out;
  },
  // `a` has b's shape or a suffix of it (addScaled checks), so it repeats over b's leading axes.
  into: ([a, b], out, alpha) => getBackend().axpy(a!.data, b!.data, alpha, out.data),
  vjp: (g, _in, _out, alpha, needs) => [needs[0] ? g : null, needs[1] ? mul(g, alpha) : null],
};

// addScaled(a, b, α) = a + α⊙b with α a tensor:  d = da + α⊙db + b⊙dα
export const addProductPrim: PrimitiveDef<null> = {
  name: 'addProduct',
  forward: (inputs) => {
    const out = uninitialized(inputs[0]!.dtype, inputs[1]!.shape);
    addProductPrim.into!(inputs, out, null);
    return out;
  },
  into: ([a, b, alpha], out) => {
    const backend = getBackend();
    backend.binary('mul', b!.data, b!.shape, alpha!.data, alpha!.shape, out.data, b!.shape);
    backend.binary('add', a!.data, a!.shape, out.data, b!.shape, out.data, b!.shape);
  },
  vjp: (g, [, b, alpha], _out, _p, needs) => [needs[0] ? g : null, needs[1] ? mul(g, alpha!) : null, needs[2] ? mul(g, b!) : null],
};

/**
 * `a + alpha·b` elementwise, for a plain number `alpha` (e.g. `addScaled(theta, grad, -lr)`)
 * or a tensor of per-entry rates that broadcasts against `b` (Meta-SGD's
 * `addScaled(theta, grad, neg(alpha))`). `a` and `alpha` may broadcast against `b`;
 * otherwise it is `add(a, mul(b, alpha))`.
 *
 * @example
 * ```ts
 * addScaled(tensor([1, 2]), tensor([10, 20]), 0.5).toArray(); // [6, 12]
 * ```
 */
export function addScaled(a: Tensor, b: Tensor, alpha: number | Tensor): Tensor {
  const [x, y] = coerce('addScaled', a, b);
  // The fused kernel writes into a buffer of b's shape, so b must have the result's shape.
  const fitsB = (t: Tensor): boolean => t.shape.length <= y.shape.length && sameShape(y.shape.slice(y.shape.length - t.shape.length), t.shape);
  if (typeof alpha === 'number') {
    if (!Number.isFinite(alpha)) throw new TypeError(`addScaled: alpha must be a finite number or a tensor, got ${String(alpha)}`);
    return fitsB(x) ? bind(addScaledPrim, [x, y], alpha) : add(x, mul(y, alpha));
  }
  const [, rate] = coerce('addScaled', y, alpha);
  return fitsB(x) && fitsB(rate) ? bind(addProductPrim, [x, y, rate], null) : add(x, mul(y, rate));
}
