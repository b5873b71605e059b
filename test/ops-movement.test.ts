/**
 * Shape ops: reshape, transpose, expandDims, squeeze, broadcastTo, concat, stack,
 * split, unstack, slice, pad, take, takeAlongAxis, oneHot. Forward values against index-by-index
 * references, gradients at orders 1 and 2 (through a nonlinear probe, so the
 * second-order check differentiates each op's rule).
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  Tensor, tensor, arange, grad, sum, mul, reshape, transpose, expandDims, squeeze, broadcastTo, concat, stack,
  slice, pad, take, takeAlongAxis, oneHot, split, unstack, ShapeError,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { assertGrads, eachBackend, normal, probe, throwsWith } from './engine-helpers.ts';

const stridesOf = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
const unravel = (f: number, shape: readonly number[]): number[] => {
  const st = stridesOf(shape);
  return shape.map((d, i) => Math.floor(f / st[i]!) % d);
};
const ravel = (idx: readonly number[], shape: readonly number[]): number => {
  const st = stridesOf(shape);
  return idx.reduce((s, v, i) => s + v * st[i]!, 0);
};

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]));
}

function refTranspose(x: Tensor, perm: readonly number[]): { shape: number[]; data: number[] } {
  const shape = perm.map((p) => x.shape[p]!);
  const size = x.size;
  const data: number[] = [];
  for (let f = 0; f < size; f++) {
    const j = unravel(f, shape);
    const src = new Array<number>(x.rank);
    perm.forEach((p, i) => { src[p] = j[i]!; });
    data.push(x.data[ravel(src, x.shape)]!);
  }
  return { shape, data };
}

eachBackend('reshape: values, -1 inference, method, gradient', () => {
  const x = arange(6);
  assert.equal(reshape(x, [2, 3]).toArray(), [[0, 1, 2], [3, 4, 5]]);
  assert.equal(reshape(x, [3, -1]).shape, [3, 2]);
  assert.equal(reshape(x, [-1]).shape, [6]);
  assert.equal(reshape(x, [-1, 1, 2]).shape, [3, 1, 2]);
  assert.equal(x.reshape([2, -1]).toArray(), [[0, 1, 2], [3, 4, 5]]);
  assert.equal(reshape(tensor([7]), []).shape, []);
  assert.equal(reshape(tensor(7), [1, 1]).toArray(), [[7]]);
  assert.equal(reshape(tensor([]), [0, 3]).shape, [0, 3]);
  assertGrads('reshape', (t) => probe(reshape(t, [4, -1])), [normal(1, [2, 3, 2])]);
});

eachBackend('transpose: every permutation of a 3-D and a 4-D tensor, default reverse, method', () => {
  const x3 = arange(24).reshape([2, 3, 4]);
  for (const perm of permutations(3)) {
    const ref = refTranspose(x3, perm);
    const y = transpose(x3, perm);
    assert.equal(y.shape, ref.shape, `perm ${perm}`);
    assert.equal(Array.from(y.data), ref.data, `perm ${perm}`);
  }
  const x4 = normal(2, [2, 3, 4, 5]).astype('float32');
  for (const perm of permutations(4)) {
    const ref = refTranspose(x4, perm);
    const y = x4.transpose(perm);
    assert.equal(y.shape, ref.shape, `perm ${perm}`);
    assert.equal(Array.from(y.data), ref.data, `perm ${perm}`);
  }
  const x4b = arange(12).reshape([1, 3, 1, 4]);
  for (const perm of permutations(4)) assert.equal(Array.from(transpose(x4b, perm).data), refTranspose(x4b, perm).data, `size-1 axes, perm ${perm}`);
  assert.equal(transpose(x3).shape, [4, 3, 2]);
  assert.equal(Array.from(transpose(x3).data), refTranspose(x3, [2, 1, 0]).data);
  assert.equal(Array.from(transpose(x3, [-1, 0, -2]).data), refTranspose(x3, [2, 0, 1]).data, 'negative axes');
  assert.equal(transpose(tensor([[1, 2]])).toArray(), [[1], [2]]);
});

eachBackend('transpose: gradient orders 1 and 2 (3-D all permutations, 4-D several)', () => {
  const x3 = normal(3, [2, 3, 2]);
  for (const perm of permutations(3)) assertGrads(`transpose ${perm}`, (t) => probe(transpose(t, perm)), [x3]);
  const x4 = normal(4, [2, 3, 1, 2]);
  for (const perm of [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1], [0, 2, 3, 1]]) {
    assertGrads(`transpose ${perm}`, (t) => probe(transpose(t, perm)), [x4]);
  }
});

eachBackend('expandDims and squeeze', () => {
  const x = tensor([[1, 2, 3]]);
  assert.equal(expandDims(x, 0).shape, [1, 1, 3]);
  assert.equal(expandDims(x, 2).shape, [1, 3, 1]);
  assert.equal(expandDims(x, -1).shape, [1, 3, 1]);
  assert.equal(x.expandDims(1).shape, [1, 1, 3]);
  assert.equal(expandDims(x, -1).toArray(), [[[1], [2], [3]]]);
  const y = tensor([[[1], [2]]]);
  assert.equal(squeeze(y).shape, [2]);
  assert.equal(squeeze(y).toArray(), [1, 2]);
  assert.equal(squeeze(y, 0).shape, [2, 1]);
  assert.equal(squeeze(y, [-1]).shape, [1, 2]);
  assert.equal(y.squeeze([0, 2]).shape, [2]);
  assert.equal(squeeze(tensor([[5]])).shape, []);
  assertGrads('expandDims', (t) => probe(expandDims(t, 1)), [normal(5, [3, 2])]);
  assertGrads('squeeze', (t) => probe(squeeze(t, 1)), [normal(6, [3, 1, 2])]);
});

eachBackend('broadcastTo: values, method, gradient sums over broadcast axes', () => {
  const x = tensor([[1], [2], [3]]);
  const y = broadcastTo(x, [2, 3, 4]);
  assert.equal(y.shape, [2, 3, 4]);
  assert.equal(Array.from(y.data), Array.from({ length: 24 }, (_, f) => Math.floor(f / 4) % 3 + 1));
  assert.equal(x.broadcastTo([3, 2]).toArray(), [[1, 1], [2, 2], [3, 3]]);
  assert.equal(broadcastTo(tensor(2), [2]).toArray(), [2, 2]);
  allclose(grad((t: Tensor) => sum(broadcastTo(t, [2, 3, 4])))(x), [[8], [8], [8]], 0, 0);
  assertGrads('broadcastTo [3,1]->[2,3,4]', (t) => probe(broadcastTo(t, [2, 3, 4])), [normal(7, [3, 1])]);
  assertGrads('broadcastTo []->[2,2]', (t) => probe(broadcastTo(t, [2, 2])), [normal(8, [])]);
});

eachBackend('concat and stack: values along each axis, gradient to every input', () => {
  const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6]]), c = tensor([[7], [8]]);
  assert.equal(concat([a, b]).toArray(), [[1, 2], [3, 4], [5, 6]]);
  assert.equal(concat([a, c], 1).toArray(), [[1, 2, 7], [3, 4, 8]]);
  assert.equal(concat([c, a, c], -1).toArray(), [[7, 1, 2, 7], [8, 3, 4, 8]]);
  assert.is(concat([a]), a);
  const x = arange(6).reshape([2, 3]), y = arange(6, 12).reshape([2, 3]);
  assert.equal(stack([x, y]).toArray(), [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]);
  assert.equal(stack([x, y], 1).toArray(), [[[0, 1, 2], [6, 7, 8]], [[3, 4, 5], [9, 10, 11]]]);
  assert.equal(stack([x, y], -1).toArray(), [[[0, 6], [1, 7], [2, 8]], [[3, 9], [4, 10], [5, 11]]]);
  assert.equal(stack([tensor(1), tensor(2)]).toArray(), [1, 2]);

  assertGrads('concat axis 1', (p, q, r) => probe(concat([p, q, r], 1)), [normal(9, [2, 1, 3]), normal(10, [2, 2, 3]), normal(11, [2, 3, 3])]);
  assertGrads('concat axis 0', (p, q) => probe(concat([p, q, p], 0)), [normal(12, [1, 3]), normal(13, [2, 3])]);
  assertGrads('stack axis -1', (p, q) => probe(stack([p, q], -1)), [normal(14, [2, 3]), normal(15, [2, 3])]);
});

eachBackend('split and unstack: values, inverse of concat and stack, errors', () => {
  const x = arange(12).reshape([2, 6]);
  const [a, b, c] = split(x, [1, 2, 3], 1);
  assert.equal(a!.toArray(), [[0], [6]]);
  assert.equal(b!.toArray(), [[1, 2], [7, 8]]);
  assert.equal(c!.toArray(), [[3, 4, 5], [9, 10, 11]]);
  assert.equal(split(x, 3, -1).map((t) => t.shape), [[2, 2], [2, 2], [2, 2]]);
  assert.equal(concat(split(x, 2, 0), 0).toArray(), x.toArray());
  assert.equal(split(x, [0, 6], 1).map((t) => t.shape), [[2, 0], [2, 6]]);
  assert.is(split(x, 1, 1)[0], x);
  assert.equal(unstack(x, 1).map((t) => t.toArray()), [[0, 6], [1, 7], [2, 8], [3, 9], [4, 10], [5, 11]]);
  const y = arange(24).reshape([2, 3, 4]);
  for (const axis of [0, 1, 2, -1]) assert.equal(stack(unstack(y, axis), axis).toArray(), y.toArray());
  assert.equal(unstack(tensor([]).reshape([0, 2])), []);
  throwsWith(() => split(x, 4, 1), ShapeError, 'split', '4 equal pieces', 'length 6');
  throwsWith(() => split(x, [2, 2], 1), ShapeError, 'split', 'sizes [2, 2]', 'summing to 6');
  throwsWith(() => split(x, [7, -1], 1), ShapeError, 'sizes [7, -1]');
  throwsWith(() => split(x, 2, 2), ShapeError, 'split');
});

eachBackend('split and unstack: gradients at orders 1 and 2, with pieces unused or used twice', () => {
  assertGrads('split sizes axis 1', (t) => {
    const [p, q, r] = split(t, [1, 3, 2], 1);
    return probe(concat([r!, p!, q!, r!], 1));
  }, [normal(21, [2, 6, 2])]);
  assertGrads('split, one piece unused', (t) => {
    const [, q, r] = split(t, 3, 0);
    return probe(mul(q!, r!));
  }, [normal(22, [6, 2])]);
  assertGrads('unstack axis -1', (t) => {
    const parts = unstack(t, -1);
    return probe(mul(parts[0]!, parts[2]!));
  }, [normal(23, [3, 4])]);
});

eachBackend('slice and pad: values, negative begins, -1 sizes, gradients', () => {
  const x = arange(24).reshape([2, 3, 4]);
  const s = slice(x, [1, 0, 1], [1, 2, 2]);
  assert.equal(s.toArray(), [[[13, 14], [17, 18]]]);
  assert.equal(slice(x, [0, 1]).shape, [2, 2, 4]);
  assert.equal(slice(x, [0, -1, -2], [-1, 1, -1]).toArray(), [[[10, 11]], [[22, 23]]]);
  assert.equal(x.slice([1, 2, 3], [1, 1, 1]).toArray(), [[[23]]]);
  assert.equal(slice(x, [0, 0, 4], [2, 3, 0]).shape, [2, 3, 0]);

  const p = pad(tensor([[1, 2], [3, 4]]), [1, 0], [0, 2]);
  assert.equal(p.toArray(), [[0, 0, 0, 0], [1, 2, 0, 0], [3, 4, 0, 0]]);
  assert.equal(pad(tensor([5]), [2], [1]).toArray(), [0, 0, 5, 0]);
  allclose(grad((t: Tensor) => sum(mul(slice(t, [1], [2]), tensor([3, 4]))))(tensor([1, 2, 3, 4])), [0, 3, 4, 0], 0, 0);

  assertGrads('slice', (t) => probe(slice(t, [1, 0, 1], [1, 2, 2])), [normal(16, [2, 3, 4])]);
  assertGrads('slice negative', (t) => probe(slice(t, [-2, -3])), [normal(17, [3, 4])]);
  assertGrads('pad', (t) => probe(pad(t, [1, 0, 2], [0, 2, 1])), [normal(18, [2, 2, 1])]);
});

eachBackend('take: axes, index forms, negative and repeated indices, method', () => {
  const x = arange(12).reshape([3, 4]);
  assert.equal(take(x, [2, 0]).toArray(), [[8, 9, 10, 11], [0, 1, 2, 3]]);
  assert.equal(take(x, [1, -1], 1).toArray(), [[1, 3], [5, 7], [9, 11]]);
  assert.equal(take(x, new Int32Array([3, 3]), -1).toArray(), [[3, 3], [7, 7], [11, 11]]);
  const t2 = take(x, tensor([[0, 1], [2, 0]]), 0);
  assert.equal(t2.shape, [2, 2, 4]);
  assert.equal(t2.toArray(), [[[0, 1, 2, 3], [4, 5, 6, 7]], [[8, 9, 10, 11], [0, 1, 2, 3]]]);
  assert.equal(take(x, tensor([[1], [2]]), 1).shape, [3, 2, 1]);
  assert.equal(take(x, tensor(2), 0).toArray(), [8, 9, 10, 11], 'a scalar index removes the axis');
  assert.equal(x.take([1], 1).toArray(), [[1], [5], [9]]);
  assert.equal(take(x, [], 0).shape, [0, 4]);
  // repeated indices accumulate in the gradient
  allclose(grad((t: Tensor) => sum(take(t, [1, 1, 0, 1])))(tensor([1, 2, 3])), [1, 3, 0], 0, 0);
  assertGrads('take axis 0 repeated', (t) => probe(take(t, [2, 0, 2, -1], 0)), [normal(19, [3, 2, 2])]);
  assertGrads('take axis 1 2-D indices', (t) => probe(take(t, tensor([[1, 0], [1, 1]]), 1)), [normal(20, [2, 3, 2])]);
  assertGrads('take axis -1', (t) => probe(take(t, [0, 0, 2], -1)), [normal(21, [2, 3])]);
});

eachBackend('takeAlongAxis: values, broadcast index axes, negative indices, gradient', () => {
  const x = arange(6).reshape([2, 3]);
  assert.equal(takeAlongAxis(x, tensor([[0, 2], [1, 1]]), 1).toArray(), [[0, 2], [4, 4]]);
  assert.equal(takeAlongAxis(x, tensor([[1, 0, 1]]), 0).toArray(), [[3, 1, 5]]);
  assert.equal(takeAlongAxis(x, tensor([[2, -3]]), 1).toArray(), [[2, 0], [5, 3]], 'index axis of size 1 broadcasts');
  assert.equal(takeAlongAxis(arange(3), [2, 0, 2], 0).toArray(), [2, 0, 2], 'number-array indices on a 1-D tensor');
  const x3 = arange(24).reshape([2, 3, 4]);
  const idx = tensor([[[3], [0], [1]], [[2], [2], [0]]]);
  assert.equal(takeAlongAxis(x3, idx, -1).toArray(), [[[3], [4], [9]], [[14], [18], [20]]]);
  allclose(grad((t: Tensor) => sum(takeAlongAxis(t, tensor([[1, 1], [0, 2]]), 1)))(x), [[0, 2, 0], [1, 0, 1]], 0, 0);
  assertGrads('takeAlongAxis', (t) => probe(takeAlongAxis(t, idx, 2)), [normal(22, [2, 3, 4])]);
  assertGrads('takeAlongAxis axis 0', (t) => probe(takeAlongAxis(t, tensor([[1, 0, 1, 1], [0, 0, 1, 0]]), 0)), [normal(23, [2, 4])]);
});

eachBackend('oneHot: rows, tensor indices, dtype; a constant', () => {
  assert.equal(oneHot([0, 2, 1], 3).toArray(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
  const o = oneHot(tensor([[1, 0], [3, 3]]), 4, 'float64');
  assert.equal(o.shape, [2, 2, 4]);
  assert.is(o.dtype, 'float64');
  assert.equal(o.toArray(), [[[0, 1, 0, 0], [1, 0, 0, 0]], [[0, 0, 0, 1], [0, 0, 0, 1]]]);
  assert.equal(oneHot(new Int32Array([1]), 2).toArray(), [[0, 1]]);
  assert.is(oneHot([0], 2).level, 0);
});

test.run();
