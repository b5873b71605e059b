/**
 * Reductions (sum mean max min logSumExp) over all elements and given axes,
 * including non-consecutive and negative axes and keepDims; softmax and
 * logSoftmax. Forward values against plain-JS references, gradients at orders 1 and 2.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  Rng, Tensor, tensor, arange, grad, sum, mean, max, min, logSumExp, softmax, logSoftmax, exp, mul,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { assertGrads, eachBackend, normal, probe } from './engine-helpers.ts';

type Axes = number | number[] | undefined;

/** Reference reduction on flat row-major data, in float64. */
function refReduce(x: Tensor, axes: Axes, keepDims: boolean, init: number, step: (acc: number, v: number) => number, finish = (acc: number, n: number) => acc): { shape: number[]; data: number[] } {
  const rank = x.rank;
  const list = axes === undefined ? x.shape.map((_, i) => i) : (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + rank : a));
  const kept = x.shape.map((d, i) => (list.includes(i) ? 1 : d));
  const outSize = kept.reduce((p, d) => p * d, 1);
  const acc = new Array<number>(outSize).fill(init);
  let count = 1;
  for (const a of list) count *= x.shape[a]!;
  for (let f = 0; f < x.size; f++) {
    let rem = f, o = 0, stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rem % x.shape[d]!;
      rem = Math.floor(rem / x.shape[d]!);
      o += (list.includes(d) ? 0 : i) * stride;
      stride *= kept[d]!;
    }
    acc[o] = step(acc[o]!, x.data[f]!);
  }
  return { shape: keepDims ? kept : x.shape.filter((_, i) => !list.includes(i)), data: acc.map((v) => finish(v, count)) };
}

const refs: Record<string, (x: Tensor, axes: Axes, keep: boolean) => { shape: number[]; data: number[] }> = {
  sum: (x, a, k) => refReduce(x, a, k, 0, (s, v) => s + v),
  mean: (x, a, k) => refReduce(x, a, k, 0, (s, v) => s + v, (s, n) => s / n),
  max: (x, a, k) => refReduce(x, a, k, -Infinity, Math.max),
  min: (x, a, k) => refReduce(x, a, k, Infinity, Math.min),
  logSumExp: (x, a, k) => refReduce(x, a, k, 0, (s, v) => s + Math.exp(v), (s) => Math.log(s)),
};

type Reducer = (x: Tensor, axes?: Axes, keepDims?: boolean) => Tensor;
const reducers: [string, Reducer, (x: Tensor, axes?: Axes, keepDims?: boolean) => Tensor][] = [
  ['sum', sum, (x, a, k) => x.sum(a, k)],
  ['mean', mean, (x, a, k) => x.mean(a, k)],
  ['max', max, (x, a, k) => x.max(a, k)],
  ['min', min, (x, a, k) => x.min(a, k)],
  ['logSumExp', logSumExp, (x, a, k) => x.logSumExp(a, k)],
];

const axesCases: Axes[] = [undefined, 0, 1, 2, -1, -3, [0, 2], [2, 0], [-1, 0], [0, 1], [1, 2], [0, 1, 2], []];

/** Distinct values (pairwise gaps ≥ 0.05) in shuffled order: no ties for max/min. */
function distinct(seed: number, shape: number[]): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return tensor(Float64Array.from(order, (k) => (k - n / 2) * 0.1 + 0.05 * rng.uniform()), shape);
}

for (const [name, fn, method] of reducers) {
  eachBackend(`${name}: forward over all elements and given axes, keepDims, method`, () => {
    const x32 = distinct(1, [2, 3, 4]).astype('float32');
    for (const axes of axesCases) {
      for (const keep of [false, true]) {
        const ref = refs[name]!(x32, axes, keep);
        const y = fn(x32, axes, keep);
        const what = `${name} axes ${JSON.stringify(axes)} keepDims ${keep}`;
        assert.equal(y.shape, ref.shape, `${what} shape`);
        assert.is(y.dtype, 'float32');
        allclose(y, ref.data, 2e-6, 1e-6, what);
        assert.equal(Array.from(method(x32, axes, keep).data), Array.from(y.data), `${what} method`);
      }
    }
    const x64 = normal(2, [3, 2, 2, 3]);
    for (const axes of [[0, 3], [1, 3], [-4, -2], undefined] as Axes[]) {
      allclose(fn(x64, axes, true), refs[name]!(x64, axes, true).data, 1e-13, 1e-14, `${name} float64 ${JSON.stringify(axes)}`);
    }
  });

  eachBackend(`${name}: gradient orders 1 and 2 over various axes`, () => {
    for (const axes of [undefined, 1, -1, [0, 2], [-1, 0]] as Axes[]) {
      for (const keep of [false, true]) {
        assertGrads(`${name} axes ${JSON.stringify(axes)} keepDims ${keep}`, (x) => probe(fn(x, axes, keep)), [distinct(3, [2, 3, 4])]);
      }
    }
  });
}

eachBackend('reductions on hand-picked values', () => {
  const x = arange(24).reshape([2, 3, 4]);
  assert.is(sum(x).item(), 276);
  assert.equal(sum(x, 0).toArray(), [[12, 14, 16, 18], [20, 22, 24, 26], [28, 30, 32, 34]]);
  assert.equal(sum(x, [0, 2]).toArray(), [60, 92, 124]);
  assert.equal(sum(x, [0, 2], true).toArray(), [[[60], [92], [124]]]);
  assert.equal(mean(x, -1).toArray(), [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
  assert.equal(max(x, [1, 2]).toArray(), [11, 23]);
  assert.equal(min(x, [0, 1]).toArray(), [0, 1, 2, 3]);
  allclose(logSumExp(tensor([1000, 1000])), [1000 + Math.LN2]);
  allclose(logSumExp(tensor([[-1000, -1000], [0, Math.log(3)]]), 1), [-1000 + Math.LN2, Math.log(4)]);
  assert.is(sum(tensor([[]]), 1).shape[0], 1, 'sum over an empty axis');
  assert.equal(sum(tensor([[]]), 1).toArray(), [0]);
  assert.equal(sum(tensor(5)).shape, []);
});

eachBackend('max and min: the gradient goes to the arg-extremum, ties share it', () => {
  const x = tensor([[1, 3, 3], [4, 0, -1]]);
  allclose(grad((t: Tensor) => sum(max(t, 1)))(x), [[0, 0.5, 0.5], [1, 0, 0]], 0, 0);
  allclose(grad((t: Tensor) => sum(min(t, 1)))(x), [[1, 0, 0], [0, 0, 1]], 0, 0);
  allclose(grad((t: Tensor) => max(t))(x), [[0, 0, 0], [1, 0, 0]], 0, 0);
  allclose(grad((t: Tensor) => sum(mul(max(t, 0), tensor([2, 3, 5]))))(x), [[0, 3, 5], [2, 0, 0]], 0, 0);
  allclose(max(tensor([1, NaN, 3])), [NaN]);
  allclose(min(tensor([[NaN, 1], [2, 3]]), 1), [NaN, 2]);
});

eachBackend('mean and sum gradients in closed form', () => {
  const x = normal(5, [2, 3, 4]);
  allclose(grad((t: Tensor) => mean(t))(x), new Array(24).fill(1 / 24), 1e-15, 0);
  allclose(grad((t: Tensor) => sum(mean(t, [0, 2])))(x), new Array(24).fill(1 / 8), 1e-15, 0);
  // d logSumExp / dx = softmax(x)
  const g = grad((t: Tensor) => sum(logSumExp(t, [0, 2])))(x) as Tensor;
  const e = exp(x);
  allclose(g, mul(e, tensor(Float64Array.from({ length: 24 }, (_, f) => {
    const j = Math.floor(f / 4) % 3;
    return 1 / refs.sum!(e, [0, 2], false).data[j]!;
  }), [2, 3, 4])), 1e-14, 1e-15);
});

// --- softmax ------------------------------------------------------------------

function refSoftmax(x: Tensor, axis: number): number[] {
  const m = refs.logSumExp!(x, axis, true);
  const a = axis < 0 ? axis + x.rank : axis;
  const strides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((p, d) => p * d, 1));
  return Array.from(x.data, (v, f) => {
    // index of f's group in the keepDims output
    let o = 0, mul = 1;
    for (let d = x.rank - 1; d >= 0; d--) {
      const i = Math.floor(f / strides[d]!) % x.shape[d]!;
      if (d !== a) o += i * mul;
      mul *= d === a ? 1 : x.shape[d]!;
    }
    return Math.exp(v - m.data[o]!);
  });
}

eachBackend('softmax and logSoftmax: forward values along each axis, method', () => {
  const p = softmax(tensor([1, 2, 3]));
  const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
  allclose(p, [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z]);
  allclose(logSoftmax(tensor([1, 2, 3])), [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)]);
  const x = normal(6, [2, 3, 4]).astype('float32');
  for (const axis of [0, 1, 2, -1, -2]) {
    const ref = refSoftmax(x, axis);
    allclose(softmax(x, axis), ref, 1e-6, 1e-7, `softmax axis ${axis}`);
    allclose(logSoftmax(x, axis), ref.map(Math.log), 1e-6, 1e-6, `logSoftmax axis ${axis}`);
    assert.equal(Array.from(x.softmax(axis).data), Array.from(softmax(x, axis).data));
    assert.equal(Array.from(x.logSoftmax(axis).data), Array.from(logSoftmax(x, axis).data));
    allclose(sum(softmax(x, axis), axis), new Array(x.size / x.shape.at(axis)!).fill(1), 1e-6, 1e-6);
  }
  assert.equal(x.softmax().shape, [2, 3, 4]);
});

eachBackend('softmax and logSoftmax are stable for large inputs', () => {
  const big = tensor([1000, 1001, 1002]);
  const z = 1 + Math.exp(1) + Math.exp(2);
  allclose(softmax(big), [1 / z, Math.exp(1) / z, Math.exp(2) / z]);
  allclose(logSoftmax(tensor([-1000, 0])), [-1000, 0]);
  const g = grad((t: Tensor) => sum(mul(logSoftmax(t), tensor([1, 0, 0]))))(big) as Tensor;
  allclose(g, [1 - 1 / z, -Math.exp(1) / z, -Math.exp(2) / z]);
});

eachBackend('softmax and logSoftmax: gradient orders 1 and 2', () => {
  for (const axis of [0, 1, -1]) {
    assertGrads(`softmax axis ${axis}`, (x) => probe(softmax(x, axis)), [normal(7, [2, 3, 4])]);
    assertGrads(`logSoftmax axis ${axis}`, (x) => probe(logSoftmax(x, axis)), [normal(8, [2, 3, 4])]);
  }
});

test.run();
