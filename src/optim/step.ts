/**
 * The one plain gradient step every inner loop takes: θ + s·d leaf by leaf, with one
 * fused `addScaled` op per leaf (differentiable to any order). MAML's descent
 * (`s = −lr`, or Meta-SGD's per-entry rates) and MAML-RL's ascent on a return
 * (`s = +lr`) are both this step.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { TreeError } from '../tensor/errors.ts';
import { neg } from '../ops/elementwise.ts';
import { addScaled } from '../ops/axpy.ts';
import { treeLeaves, treeMap, treeZip } from '../autodiff/tree.ts';

/**
 * `params + scale · direction`, leaf by leaf. `scale` is a number, or a tree of per-entry
 * scales with the parameters' leaves in order (each may broadcast against its leaf, e.g.
 * unbatched rates against task-batched parameters). `caller` names the function in the
 * TreeError thrown when the trees do not match.
 *
 * @example
 * ```ts
 * const theta = { w: tensor([1, 2]) }, g = { w: tensor([0.5, -1]) };
 * stepAlong(theta, g, -0.1).w.toArray(); // ≈ [0.95, 2.1]
 * ```
 */
export function stepAlong<P>(params: P, direction: P, scale: number | unknown, caller = 'stepAlong'): P {
  if (typeof scale === 'number') return treeZip(params, direction, (p, d) => addScaled(p, d, scale), `${caller} direction`);
  const directions = treeLeaves(direction), scales = treeLeaves(scale);
  const count = treeLeaves(params).length;
  if (directions.length !== count) throw new TreeError(`${caller}: the direction tree has ${directions.length} leaves, the parameters ${count}`);
  if (scales.length !== count) throw new TreeError(`${caller}: the learning-rate tree has ${scales.length} leaves, the parameters ${count}`);
  let i = 0;
  return treeMap(params, (p: Tensor) => {
    const k = i++;
    return addScaled(p, directions[k]!, scales[k]!);
  });
}

/**
 * Gradient descent: `params − lr · grads`, with `lr` a number or a tree of per-entry
 * rates (Meta-SGD).
 *
 * @example
 * ```ts
 * const theta = { w: tensor([1, 2]) }, g = { w: tensor([0.5, -1]) };
 * descentStep(theta, g, 0.1).w.toArray(); // ≈ [0.95, 2.1]
 * ```
 */
export function descentStep<P>(params: P, grads: P, lr: number | unknown, caller = 'descentStep'): P {
  return stepAlong(params, grads, typeof lr === 'number' ? -lr : treeMap(lr, neg), caller);
}

/**
 * Gradient ascent: `params + lr · gradient` (on a return, as MAML-RL's inner step).
 *
 * @example
 * ```ts
 * const theta = { w: tensor([1, 2]) }, g = { w: tensor([0.5, -1]) };
 * ascentStep(theta, g, 0.1).w.toArray(); // ≈ [1.05, 1.9]
 * ```
 */
export function ascentStep<P>(params: P, gradient: P, lr: number): P {
  return stepAlong(params, gradient, lr, 'ascentStep');
}
