/** Losses: mse and crossEntropy (class indices and probabilities). */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { Tensor, tensor, grad, mse, crossEntropy, softmax, oneHot, sub, div, cast } from '../src/index.ts';
import { allclose } from './helpers.ts';
import { assertGrads, eachBackend, normal } from './engine-helpers.ts';

eachBackend('mse: hand-computed value and gradient', () => {
  const pred = tensor([[1, 2], [3, 4]]), target = tensor([[1, 0], [5, 3]]);
  // (0 + 4 + 4 + 1) / 4
  allclose(mse(pred, target), [9 / 4]);
  assert.equal(mse(pred, target).shape, []);
  allclose(grad((p: Tensor) => mse(p, target))(pred), [[0, 1], [-1, 0.5]], 0, 0);
  allclose(grad((t: Tensor) => mse(pred, t))(target), [[0, -1], [1, -0.5]], 0, 0);
  assertGrads('mse', (p, t) => mse(p, t), [normal(1, [3, 2]), normal(2, [3, 2])]);
});

eachBackend('crossEntropy with class indices: number[], Int32Array and tensor labels', () => {
  const logits = tensor([[1, 2, 3], [1, 1, 1]]);
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const expected = ((lse - 3) + Math.log(3)) / 2;
  allclose(crossEntropy(logits, [2, 0]), [expected]);
  allclose(crossEntropy(logits, new Int32Array([2, 0])), [expected]);
  allclose(crossEntropy(logits, tensor([2, 0])), [expected]);
  assert.equal(crossEntropy(logits, [2, 0]).shape, []);
  // d/dlogits = (softmax − onehot) / N
  const g = grad((z: Tensor) => crossEntropy(z, [2, 0]))(logits) as Tensor;
  allclose(g, div(sub(softmax(logits), oneHot([2, 0], 3)), 2), 1e-6, 1e-7);
  // higher-rank logits with tensor labels
  const z3 = normal(3, [2, 2, 3]).astype('float32');
  const labels = tensor([[0, 2], [1, 1]]);
  const flat = crossEntropy(z3.reshape([4, 3]), [0, 2, 1, 1]);
  allclose(crossEntropy(z3, labels), [flat.item()], 1e-6, 1e-7);
});

eachBackend('crossEntropy with target probabilities', () => {
  const logits = tensor([[1, 2, 3], [0, 0, 0]]);
  const probs = tensor([[0.2, 0.3, 0.5], [1, 0, 0]]);
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const row0 = -(0.2 * (1 - lse) + 0.3 * (2 - lse) + 0.5 * (3 - lse));
  allclose(crossEntropy(logits, probs), [(row0 + Math.log(3)) / 2]);
  // one-hot probabilities equal class indices
  allclose(crossEntropy(logits, oneHot([2, 1], 3)), [crossEntropy(logits, [2, 1]).item()], 1e-6, 0);
  const g = grad((z: Tensor) => crossEntropy(z, probs))(logits) as Tensor;
  allclose(g, div(sub(softmax(logits), probs), 2), 1e-6, 1e-7);
});

eachBackend('losses: gradient orders 1 and 2', () => {
  assertGrads('crossEntropy indices', (z) => crossEntropy(z, [1, 0, 3]), [normal(4, [3, 4])]);
  assertGrads('crossEntropy tensor indices, rank 3', (z) => crossEntropy(z, tensor([[1, 0], [2, 2]])), [normal(5, [2, 2, 3])]);
  // probabilities are differentiable too (soft targets)
  const p = softmax(normal(6, [3, 4]));
  assertGrads('crossEntropy probabilities', (z, q) => crossEntropy(z, q), [normal(7, [3, 4]), p]);
  assertGrads('crossEntropy float64 one-hot', (z) => crossEntropy(z, cast(oneHot([3, 1, 0], 4), 'float64')), [normal(8, [3, 4])]);
});

test.run();
