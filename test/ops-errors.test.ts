/**
 * Error classes and messages: every message names the op and the offending
 * shapes or values, so one line tells the user what to fix.
 */
import {
  DTypeError, GradError, ShapeError, Tensor, TreeError, tensor, zeros, ones, grad, valueAndGrad, vjp, jvp,
  add, sub, mul, div, pow, maximum, minimum, gt, eq, where, matmul, matmulT, concat, stack, sum, mean, max,
  logSumExp, softmax, logSoftmax, transpose, squeeze, expandDims, reshape, broadcastTo, slice, pad, take,
  takeAlongAxis, oneHot, mse, crossEntropy, treeZip,
} from '../src/index.ts';
import { eachBackend, throwsWith } from './engine-helpers.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const binaries: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', add], ['sub', sub], ['mul', mul], ['div', div], ['pow', pow], ['maximum', maximum], ['minimum', minimum],
  ['gt', gt], ['eq', eq],
];

eachBackend('binary ops: a shape mismatch names the op and both shapes', () => {
  for (const [name, fn] of binaries) {
    throwsWith(() => fn(zeros([2, 3]), zeros([4])), ShapeError, `${name}:`, '[2, 3]', '[4]');
    throwsWith(() => fn(zeros([3, 1]), zeros([2, 4])), ShapeError, `${name}:`, '[3, 1]', '[2, 4]');
  }
  throwsWith(() => zeros([2, 3]).add(zeros([3, 2])), ShapeError, 'add:', '[2, 3]', '[3, 2]');
  throwsWith(() => where(zeros([3]), zeros([3]), zeros([4])), ShapeError, 'where:', '[3]', '[4]');
  throwsWith(() => add(zeros([2]), 'a' as never), TypeError, 'add', 'string');
});

eachBackend('mixed dtypes throw DTypeError naming the op and both dtypes', () => {
  const f32 = zeros([2]), f64 = zeros([2], 'float64');
  for (const [name, fn] of binaries) throwsWith(() => fn(f32, f64), DTypeError, `${name}:`, 'float32', 'float64');
  throwsWith(() => matmul(zeros([2, 2]), zeros([2, 2], 'float64')), DTypeError, 'matmul', 'float32', 'float64');
  throwsWith(() => where(ones([2]), f32, f64), DTypeError, 'where', 'float32', 'float64');
  throwsWith(() => concat([f32, f64]), DTypeError, 'concat', 'float32', 'float64');
  throwsWith(() => stack([f64, f32]), DTypeError, 'concat', 'float32', 'float64');
});

eachBackend('bad axes name the op, the axis and the rank', () => {
  const x = zeros([3, 4]);
  throwsWith(() => sum(x, 2), ShapeError, 'sum', 'axis 2', 'rank 2');
  throwsWith(() => sum(x, [0, -3]), ShapeError, 'sum', 'axis -3', 'rank 2');
  throwsWith(() => sum(x, [1, -1]), ShapeError, 'sum', 'repeated axis', '[1, -1]');
  throwsWith(() => sum(x, 0.5), ShapeError, 'sum', 'axis 0.5');
  throwsWith(() => mean(x, 5), ShapeError, 'mean', 'axis 5');
  throwsWith(() => max(x, -3), ShapeError, 'max', 'axis -3');
  throwsWith(() => x.min([0, 2]), ShapeError, 'min', 'axis 2');
  throwsWith(() => logSumExp(x, 2), ShapeError, 'logSumExp', 'axis 2');
  throwsWith(() => softmax(x, 2), ShapeError, 'softmax', 'axis 2', 'rank 2');
  throwsWith(() => logSoftmax(x, -3), ShapeError, 'logSoftmax', 'axis -3', 'rank 2');
  throwsWith(() => transpose(x, [0, 0]), ShapeError, 'transpose', '[0, 0]', '[3, 4]');
  throwsWith(() => transpose(x, [0]), ShapeError, 'transpose', '[0]', '[3, 4]');
  throwsWith(() => transpose(x, [0, 2]), ShapeError, 'transpose', 'axis 2');
  throwsWith(() => squeeze(x, 1), ShapeError, 'squeeze', 'axis 1', 'size 4', '[3, 4]');
  throwsWith(() => expandDims(x, 3), ShapeError, 'expandDims', 'axis 3');
  throwsWith(() => concat([x, x], 2), ShapeError, 'concat', 'axis 2');
  throwsWith(() => stack([x, x], -4), ShapeError, 'stack', 'axis -4');
  throwsWith(() => take(x, [0], 2), ShapeError, 'take', 'axis 2');
  throwsWith(() => takeAlongAxis(x, zeros([3, 1]), 2), ShapeError, 'takeAlongAxis', 'axis 2');
  throwsWith(() => max(zeros([0, 2]), 0), RangeError, 'max', 'axis 0', 'size 0');
});

eachBackend('matmul: inner dimension and batch mismatches name both shapes', () => {
  throwsWith(() => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, 'matmul', '[2, 3]', '[4, 5]', '3 vs 4');
  throwsWith(() => zeros([2, 3]).matmul(zeros([2, 3])), ShapeError, 'matmul', '[2, 3]', '3 vs 2');
  throwsWith(() => matmul(zeros([3]), zeros([4])), ShapeError, 'matmul', '[3]', '[4]', '3 vs 4');
  throwsWith(() => matmul(zeros([3]), zeros([4, 2])), ShapeError, 'matmul', '[3]', '[4, 2]');
  throwsWith(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5])), ShapeError, 'matmul', '[2, 3, 4]', '[3, 4, 5]');
  throwsWith(() => matmul(zeros([2]), tensor(1)), ShapeError, 'matmul', 'scalars');
  throwsWith(() => matmulT(zeros([3, 4]), zeros([3, 4]), false, false), ShapeError, 'matmul', '[3, 4]', '4 vs 3');
  throwsWith(() => matmulT(zeros([3, 4]), zeros([5, 4]), true, true), ShapeError, 'matmul', '[3, 4]ᵀ', '[5, 4]ᵀ', '3 vs 4');
  throwsWith(() => matmulT(zeros([3]), zeros([3, 4]), false, false), ShapeError, 'matmulT', 'rank >= 2', '[3]');
});

eachBackend('shape ops: invalid shapes, bounds and indices', () => {
  const x = zeros([3, 4]);
  throwsWith(() => reshape(x, [5, -1]), ShapeError, 'reshape', '[5, -1]', '12 elements');
  throwsWith(() => reshape(x, [5, 2]), ShapeError, 'reshape', '[3, 4]', '[5, 2]');
  throwsWith(() => reshape(x, [-1, -1]), ShapeError, 'reshape', '[-1, -1]');
  throwsWith(() => broadcastTo(x, [4, 4]), ShapeError, 'broadcastTo', '[3, 4]', '[4, 4]');
  throwsWith(() => broadcastTo(x, [4]), ShapeError, 'broadcastTo', '[3, 4]', '[4]');
  throwsWith(() => slice(x, [2, 0], [2, 4]), ShapeError, 'slice', '[2, 0]', '[3, 4]');
  throwsWith(() => pad(x, [1], [1]), ShapeError, 'pad', '[3, 4]');
  throwsWith(() => pad(x, [1, -1], [0, 0]), ShapeError, 'pad', '[1, -1]');
  throwsWith(() => concat([x, zeros([2, 3])], 0), ShapeError, 'concat', '[3, 4]', '[2, 3]');
  throwsWith(() => stack([zeros([2]), zeros([3])]), ShapeError, 'stack', '[2]', '[3]');
});

eachBackend('take, takeAlongAxis, oneHot: an index out of range names the index and the axis size', () => {
  const x = zeros([3, 4]);
  throwsWith(() => take(x, [0, 3]), ShapeError, 'take', 'index 3', 'size 3', '[3, 4]');
  throwsWith(() => take(x, [-4]), ShapeError, 'take', 'index -4', 'size 3');
  throwsWith(() => x.take([7], 1), ShapeError, 'take', 'index 7', 'size 4');
  throwsWith(() => take(x, [0.5]), ShapeError, 'take', 'index 0.5', 'not an integer');
  throwsWith(() => takeAlongAxis(x, tensor([[4]]), 1), ShapeError, 'takeAlongAxis', 'index 4', 'size 4');
  throwsWith(() => takeAlongAxis(x, tensor([0, 1]), 1), ShapeError, 'takeAlongAxis', '[2]', '[3, 4]');
  throwsWith(() => oneHot([3], 3), ShapeError, 'oneHot', 'index 3');
  throwsWith(() => oneHot([0], 0), ShapeError, 'oneHot', 'depth');
});

eachBackend('losses: shape errors', () => {
  throwsWith(() => mse(zeros([3]), zeros([3, 1])), ShapeError, 'mse', '[3]', '[3, 1]');
  throwsWith(() => crossEntropy(zeros([3, 4]), [1, 2]), ShapeError, 'crossEntropy', '[2]', '[3, 4]');
  throwsWith(() => crossEntropy(zeros([2, 4]), [1, 4]), ShapeError, 'index 4', 'size 4');
});

test('grad: non-scalar output, non-tensor output, bad argnums, bad hasAux return', () => {
  throwsWith(() => grad((x: Tensor) => mul(x, 2))(zeros([3])), GradError, 'grad', 'scalar', '[3]');
  throwsWith(() => valueAndGrad((x: Tensor) => x)(zeros([2, 2])), GradError, 'grad', '[2, 2]');
  throwsWith(() => grad((_x: Tensor) => 3 as never)(zeros([2])), GradError, 'grad', 'Tensor', 'number');
  throwsWith(() => grad((x: Tensor) => sum(x), { argnums: 1 })(zeros([2])), GradError, 'argnums 1', '1 argument');
  throwsWith(() => grad((x: Tensor) => sum(x), { argnums: [0, -1] })(zeros([2])), GradError, 'argnums [0,-1]');
  throwsWith(() => grad((x: Tensor) => sum(x), { hasAux: true })(zeros([2])), GradError, 'hasAux', '[loss, aux]');
});

test('trees: a non-tensor leaf is named by its path', () => {
  throwsWith(() => grad((p: { a: Tensor; b: Tensor }) => sum(p.a))({ a: zeros([2]), b: 3 as never }), TreeError, '$.b', 'number 3');
  throwsWith(() => grad((p: Tensor[]) => sum(p[0]!))([zeros([2]), null as never]), TreeError, '$[1]', 'null');
  class Params { w = zeros([2]); }
  throwsWith(() => grad((p: Params) => sum(p.w))(new Params()), TreeError, '$', 'class Params');
});

test('vjp: cotangents with the wrong tree structure, shape or dtype', () => {
  const x = ones([2]);
  const [, backList] = vjp((t: Tensor) => [mul(t, 2), sum(t)], x);
  throwsWith(() => backList([ones([2])] as never), TreeError, 'vjp cotangent', 'structure differs at $', 'arrays of 2 and 1 entries');
  throwsWith(() => backList([ones([2]), ones([]), ones([1])] as never), TreeError, 'vjp cotangent', 'structure differs', 'arrays of 2 and 3 entries');
  throwsWith(() => backList([ones([3]), ones([])]), TreeError, 'vjp cotangent', '$[0]', '[2] vs [3]');
  throwsWith(() => backList([ones([2]), 1 as never]), TreeError, '$[1]', 'number 1');
  const [, backObj] = vjp((t: Tensor) => ({ a: t, b: { c: sum(t) } }), x);
  throwsWith(() => backObj({ a: ones([2]), b: { c: ones([2]) } }), TreeError, 'vjp cotangent', '$.b.c', '[] vs [2]');
  const [, back] = vjp((t: Tensor) => mul(t, 3), x);
  throwsWith(() => back(ones([2], 'float64')), GradError, 'vjp', 'cotangent 0', 'float64', 'float32');
});

test('treeZip: structure is compared, not just leaf counts; objects match by key', () => {
  const a = { w: tensor([1, 2]), b: tensor([3]) };
  throwsWith(() => treeZip(a, [tensor([1, 2]), tensor([3])], (x) => x, 'params'), TreeError, 'params', 'structure differs at $', 'an object against an array');
  throwsWith(() => treeZip(a, { w: tensor([1, 2]), c: tensor([3]) }, (x) => x), TreeError, 'missing from the second tree: b', 'only in the second tree: c');
  throwsWith(() => treeZip([a], [tensor([1])], (x) => x), TreeError, 'structure differs at $[0]', 'an object against a Tensor');
  // The same keys in another order pair by key, not by position.
  const summed = treeZip(a, { b: tensor([30]), w: tensor([10, 20]) }, (x, y) => add(x, y));
  assert.equal([summed.w.toArray(), summed.b.toArray()], [[11, 22], [33]]);
});

test('jvp: tangents with the wrong shape or dtype', () => {
  throwsWith(() => jvp((t: Tensor) => t, [zeros([2])], [zeros([3])]), TreeError, 'jvp tangents', '[2] vs [3]');
  throwsWith(() => jvp((t: Tensor) => t, [zeros([2])], [zeros([2], 'float64')]), GradError, 'jvp', 'float64', 'float32');
});

test.run();
