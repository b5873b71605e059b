/** Tensor creation, accessors and copy semantics, and creation errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, ShapeError, Tensor, arange, eye, full, linspace, ones, randomNormal, randomUniform, scalar, tensor, zeros,
  zerosLike, onesLike,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { throwsWith } from './engine-helpers.ts';

const f32 = Math.fround;

test('tensor from nested arrays infers shape, float32 by default', () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.equal(t.shape, [2, 3]);
  assert.is(t.size, 6);
  assert.is(t.rank, 2);
  assert.is(t.dtype, 'float32');
  assert.instance(t.data, Float32Array);
  assert.equal(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  const t3 = tensor([[[1], [2]], [[3], [4]]]);
  assert.equal(t3.shape, [2, 2, 1]);
  assert.equal(t3.toArray(), [[[1], [2]], [[3], [4]]]);
  // float32 rounding is applied on the way in
  assert.is(tensor([0.1]).item(), f32(0.1));
});

test('tensor from a number is a scalar; empty arrays give zero-size shapes', () => {
  const s = tensor(3.5);
  assert.equal(s.shape, []);
  assert.is(s.size, 1);
  assert.is(s.item(), 3.5);
  assert.is(s.toArray(), 3.5);
  assert.equal(scalar(2, 'float64').dtype, 'float64');
  assert.equal(tensor([]).shape, [0]);
  assert.equal(tensor([[], []]).shape, [2, 0]);
  assert.equal(tensor([[], []]).toArray(), [[], []]);
  assert.equal(zeros([0, 3]).toArray(), []);
});

test('tensor from a flat array with a shape lays values out row-major', () => {
  const t = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
  assert.equal(t.shape, [3, 2]);
  assert.equal(t.toArray(), [[1, 2], [3, 4], [5, 6]]);
  assert.equal(tensor([7], []).toArray(), 7);
  assert.equal(tensor([[1, 2], [3, 4]], [4]).toArray(), [1, 2, 3, 4]);
});

test('tensor from typed arrays: dtype follows Float64Array unless given, and the input is copied', () => {
  const src32 = new Float32Array([1, 2, 3, 4]);
  const a = tensor(src32, [2, 2]);
  assert.is(a.dtype, 'float32');
  src32[0] = 100;
  assert.equal(a.toArray(), [[1, 2], [3, 4]], 'tensor() copies its input');

  const src64 = new Float64Array([0.1, 0.2]);
  const b = tensor(src64);
  assert.is(b.dtype, 'float64');
  assert.equal(b.shape, [2]);
  assert.is(b.data[0], 0.1, 'float64 keeps full precision');

  const c = tensor(new Float64Array([0.1]), [1], 'float32');
  assert.is(c.dtype, 'float32');
  assert.is(c.data[0], f32(0.1));

  const d = tensor([0.1, 0.2], [2], 'float64');
  assert.is(d.dtype, 'float64');
  assert.instance(d.data, Float64Array);
  assert.equal(d.toArray(), [0.1, 0.2]);
  assert.is(tensor(new Int32Array([3, -1])).toArray().toString(), '3,-1');
});

test('toArray and toTypedArray return copies; item reads one element', () => {
  const t = tensor([[1, 2], [3, 4]]);
  const arr = t.toArray() as number[][];
  arr[0]![0] = 99;
  const typed = t.toTypedArray();
  assert.instance(typed, Float32Array);
  typed[1] = 99;
  assert.equal(t.toArray(), [[1, 2], [3, 4]]);
  const t64 = tensor([1.5], [1, 1], 'float64');
  assert.instance(t64.toTypedArray(), Float64Array);
  assert.is(t64.item(), 1.5);
  assert.is(t.toString(), 'Tensor(float32, [2, 2]) [[1,2],[3,4]]');
});

test('zeros, ones, full, zerosLike, onesLike', () => {
  assert.equal(zeros([2, 3]).toArray(), [[0, 0, 0], [0, 0, 0]]);
  assert.equal(ones([3]).toArray(), [1, 1, 1]);
  assert.equal(full([2], 7.5).toArray(), [7.5, 7.5]);
  assert.equal(full([], -2).toArray(), -2);
  assert.is(zeros([2], 'float64').dtype, 'float64');
  assert.is(ones([1], 'float64').dtype, 'float64');
  assert.is(full([1], 0.1, 'float64').item(), 0.1);
  const x = tensor([[1, 2]], [1, 2], 'float64');
  assert.equal(zerosLike(x).shape, [1, 2]);
  assert.is(zerosLike(x).dtype, 'float64');
  assert.equal(onesLike(x).toArray(), [[1, 1]]);
});

test('arange and linspace', () => {
  assert.equal(arange(5).toArray(), [0, 1, 2, 3, 4]);
  assert.equal(arange(2, 5).toArray(), [2, 3, 4]);
  assert.equal(arange(5, 0, -2).toArray(), [5, 3, 1]);
  assert.equal(arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
  assert.equal(arange(3, 3).shape, [0]);
  assert.is(arange(0, 3, 1, 'float64').dtype, 'float64');
  assert.throws(() => arange(0, 3, 0), (e: unknown) => e instanceof RangeError && /step/.test((e as Error).message));

  assert.equal(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(linspace(2, 2, 1).toArray(), [2]);
  assert.equal(linspace(0, 1, 0).shape, [0]);
  const l = linspace(0, 0.3, 4, 'float64');
  assert.is(l.dtype, 'float64');
  assert.is(l.data[3], 0.3, 'the end point is exact');
  allclose(l, [0, 0.1, 0.2, 0.3], 1e-15, 1e-15);
  throwsWith(() => linspace(0, 1, -1), RangeError, 'linspace', '-1');
  throwsWith(() => linspace(0, 1, 2.5), RangeError, 'linspace', '2.5');
});

test('eye, square and rectangular', () => {
  assert.equal(eye(3).toArray(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assert.equal(eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
  assert.equal(eye(3, 2).toArray(), [[1, 0], [0, 1], [0, 0]]);
  assert.is(eye(2, 2, 'float64').dtype, 'float64');
});

test('randomUniform: seeded, reproducible, in range', () => {
  const a = randomUniform(new Rng(7), [1000], -2, 3);
  const b = randomUniform(new Rng(7), [1000], -2, 3);
  const c = randomUniform(new Rng(8), [1000], -2, 3);
  assert.equal(Array.from(a.data), Array.from(b.data), 'same seed, same numbers');
  assert.ok(Array.from(a.data).some((v, i) => v !== c.data[i]), 'different seed, different numbers');
  assert.ok(a.data.every((v) => v >= -2 && v < 3));
  const mean = Array.from(a.data).reduce((s, v) => s + v, 0) / a.size;
  assert.ok(Math.abs(mean - 0.5) < 0.15, `uniform mean ${mean}`);
  assert.equal(randomUniform(new Rng(0), [2, 3]).shape, [2, 3]);
  assert.is(randomUniform(new Rng(0), [2], 0, 1, 'float64').dtype, 'float64');
});

test('randomNormal: seeded, reproducible, moments', () => {
  const a = randomNormal(new Rng(3), [4000], 1, 2, 'float64');
  const b = randomNormal(new Rng(3), [4000], 1, 2, 'float64');
  const c = randomNormal(new Rng(4), [4000], 1, 2, 'float64');
  assert.equal(Array.from(a.data), Array.from(b.data), 'same seed, same numbers');
  assert.ok(Array.from(a.data).some((v, i) => v !== c.data[i]), 'different seed, different numbers');
  const n = a.size;
  const mean = Array.from(a.data).reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(Array.from(a.data).reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean - 1) < 0.1, `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.1, `std ${sd}`);
  // float32 draws are the float64 draws rounded
  const a32 = randomNormal(new Rng(3), [4000], 1, 2);
  assert.is(a32.dtype, 'float32');
  assert.ok(a32.data.every((v, i) => v === f32(a.data[i]!)));
});

test('errors: ragged arrays', () => {
  throwsWith(() => tensor([[1, 2], [3]]), ShapeError, 'ragged', 'values[1]');
  throwsWith(() => tensor([1, [2]] as never), ShapeError, 'ragged', 'values[1]');
  throwsWith(() => tensor([[1], 2] as never), ShapeError, 'ragged', 'values[1]');
});

test('errors: negative or fractional shape entries', () => {
  throwsWith(() => tensor([1, 2], [-1, -2]), ShapeError, 'tensor', '[-1, -2]');
  throwsWith(() => tensor([1, 2], [1.5]), ShapeError, 'tensor', '[1.5]');
  throwsWith(() => zeros([2, -3]), ShapeError, 'full', '[2, -3]');
  throwsWith(() => ones([0.5]), ShapeError, '[0.5]');
  throwsWith(() => full([NaN], 1), ShapeError, '[NaN]');
  throwsWith(() => eye(-1), ShapeError, 'eye');
  throwsWith(() => randomNormal(new Rng(0), [2.5]), ShapeError, 'randomNormal', '[2.5]');
  throwsWith(() => randomUniform(new Rng(0), [-1]), ShapeError, 'randomUniform', '[-1]');
});

test('errors: values that do not fill the shape', () => {
  throwsWith(() => tensor([1, 2, 3], [2, 2]), ShapeError, '3 values', '[2, 2]');
  throwsWith(() => tensor(new Float32Array(5), [2, 3]), ShapeError, '5 values', '[2, 3]');
  throwsWith(() => tensor(1, [2]), ShapeError, '1 values', '[2]');
});

test('errors: item() on a tensor with more than one element', () => {
  throwsWith(() => tensor([1, 2]).item(), RangeError, 'item', '[2]');
  throwsWith(() => zeros([0]).item(), RangeError, 'item', '[0]');
  assert.is(tensor([[5]]).item(), 5, 'one element of any rank is fine');
});

test('Tensor instances are immutable views: shape and dtype describe the storage', () => {
  const t = tensor([1, 2, 3, 4], [2, 2], 'float64');
  assert.instance(t, Tensor);
  assert.is(t.size, t.data.length);
  assert.is(t.level, 0);
  assert.is(t.primal, null);
});

test.run();
