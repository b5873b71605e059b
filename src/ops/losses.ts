/** Loss functions, composed from differentiable ops. */
import { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { fmt, sameShape } from '../tensor/shape.ts';
import { mul, neg, square, sub } from './elementwise.ts';
import { mean, sum } from './reduce.ts';
import { expandDims, takeAlongAxis, type Indices } from './movement.ts';
import { logSoftmax } from './softmax.ts';

/**
 * Mean squared error over all elements; `pred` and `target` must have the same shape
 * (no silent broadcasting of a [N] target against [N, 1] predictions).
 *
 * @example
 * ```ts
 * mse(tensor([[1], [2]]), tensor([[1], [4]])).item(); // (0² + 2²) / 2 = 2
 * ```
 */
export function mse(pred: Tensor, target: Tensor): Tensor {
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError(`mse: prediction ${fmt(pred.shape)} and target ${fmt(target.shape)} shapes differ`);
  }
  return mean(square(sub(pred, target)));
}

/**
 * Mean cross-entropy of `logits` [..., C] against class indices (shape [...]) or
 * target probabilities (a tensor of the logits' shape).
 *
 * @example
 * ```ts
 * crossEntropy(tensor([[0, 0], [10, 0]]), [1, 0]).item();              // (ln 2 + ≈0) / 2 ≈ 0.347
 * crossEntropy(tensor([[0, 0]]), tensor([[0.5, 0.5]])).item();         // ln 2 ≈ 0.693
 * ```
 */
export function crossEntropy(logits: Tensor, labels: Indices): Tensor {
  const logp = logSoftmax(logits, -1);
  if (labels instanceof Tensor && sameShape(labels.shape, logits.shape)) {
    return neg(mean(sum(mul(labels, logp), -1)));
  }
  const lshape = labels instanceof Tensor ? labels.shape : [labels.length];
  if (!sameShape(lshape, logits.shape.slice(0, -1))) {
    throw new ShapeError(`crossEntropy: labels ${fmt(lshape)} must be class indices of shape ${fmt(logits.shape.slice(0, -1))} or probabilities of shape ${fmt(logits.shape)}`);
  }
  const idx = labels instanceof Tensor ? expandDims(labels, -1) : new Tensor(Float32Array.from(labels), [labels.length, 1]);
  return neg(mean(takeAlongAxis(logp, idx, -1)));
}
