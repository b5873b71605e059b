/**
 * Losses. `mse` and `crossEntropy` are the engine's (whole-batch means); the per-task
 * variants reduce a task-batched prediction [T, K, ...] to one loss per task [T], so
 * that summing them and differentiating gives every task its own gradient.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { fmt, sameShape } from '../tensor/shape.ts';
import { mul, neg, square, sub } from '../ops/elementwise.ts';
import { mean, sum } from '../ops/reduce.ts';
import { logSoftmax } from '../ops/softmax.ts';

export { mse, crossEntropy } from '../ops/losses.ts';

/**
 * Maps a prediction and a target to a loss per task: shape [T] for task-batched
 * inputs [T, K, ...], a scalar for one task [K, ...].
 */
export type TaskLoss = (prediction: Tensor, target: Tensor) => Tensor;

/**
 * Mean squared error per task: the mean over every axis but the leading task axis of a
 * rank-3 input ([T, K, O] → [T]); over all elements of a rank-2 input ([K, O] → scalar).
 * @example
 * ```ts
 * perTaskMse(zeros([4, 10, 1]), ones([4, 10, 1])).toArray(); // [1, 1, 1, 1]: one per task
 * ```
 */
export const perTaskMse: TaskLoss = (prediction, target) => {
  if (!sameShape(prediction.shape, target.shape)) {
    throw new ShapeError(`perTaskMse: prediction ${fmt(prediction.shape)} and target ${fmt(target.shape)} shapes differ`);
  }
  const err = square(sub(prediction, target));
  return prediction.rank >= 3 ? mean(err, [-2, -1]) : mean(err);
};

/**
 * Cross-entropy per task against one-hot (or probability) targets of the logits' shape:
 * [T, K, C] → [T], or [K, C] → scalar (the mean over the K examples).
 * @example
 * ```ts
 * const labels = tensor([[0, 1, 2, 0, 1], [2, 2, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]);
 * perTaskCrossEntropy(zeros([4, 5, 3]), oneHot(labels, 3)).toArray(); // ≈ [1.0986, 1.0986, 1.0986, 1.0986]: log 3 per task
 * ```
 */
export const perTaskCrossEntropy: TaskLoss = (logits, targets) => {
  if (!sameShape(logits.shape, targets.shape)) {
    throw new ShapeError(`perTaskCrossEntropy: logits ${fmt(logits.shape)} and one-hot targets ${fmt(targets.shape)} shapes differ`);
  }
  const perExample = neg(sum(mul(targets, logSoftmax(logits, -1)), -1));
  return logits.rank >= 3 ? mean(perExample, -1) : mean(perExample);
};
