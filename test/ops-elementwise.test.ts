/**
 * Elementwise ops on every backend: forward values against plain-JS references
 * (free functions and methods), broadcasting, numbers in either operand position,
 * comparisons and where, cast; gradients at orders 1 and 2 in float64.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  Tensor, type Operand, tensor, scalar, cast, grad,
  add, sub, mul, div, neg, pow, square, sqrt, exp, log, abs, sin, cos, tanh, sigmoid, relu, maximum, minimum,
  gt, ge, lt, le, eq, where, sign, reciprocal, sum, withAnomalyDetection,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { assertGrads, eachBackend, minGap, normal, probe, uniform } from './engine-helpers.ts';

const f32 = Math.fround;

/** NumPy-broadcast reference for a binary function on flat row-major data. */
function refBinary(a: Tensor, b: Tensor, fn: (x: number, y: number) => number): { shape: number[]; data: number[] } {
  const rank = Math.max(a.rank, b.rank);
  const pa = [...new Array<number>(rank - a.rank).fill(1), ...a.shape];
  const pb = [...new Array<number>(rank - b.rank).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const size = shape.reduce((p, d) => p * d, 1);
  const data: number[] = [];
  for (let f = 0; f < size; f++) {
    let rem = f, ia = 0, ib = 0, sa = 1, sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
      ia += (pa[d] === 1 ? 0 : i) * sa;
      ib += (pb[d] === 1 ? 0 : i) * sb;
      sa *= pa[d]!;
      sb *= pb[d]!;
    }
    data.push(fn(a.data[ia]!, b.data[ib]!));
  }
  return { shape, data };
}

type Unary = (x: Operand) => Tensor;
interface UnaryCase {
  name: string; fn: Unary; method: (t: Tensor) => Tensor; ref: (x: number) => number;
  /** Inputs for forward and gradient checks, inside the op's smooth domain. */
  lo: number; hi: number; awayFromZero?: boolean;
}

const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));
const unaryCases: UnaryCase[] = [
  { name: 'neg', fn: neg, method: (t) => t.neg(), ref: (x) => -x, lo: -2, hi: 2 },
  { name: 'square', fn: square, method: (t) => t.square(), ref: (x) => x * x, lo: -2, hi: 2 },
  { name: 'sqrt', fn: sqrt, method: (t) => t.sqrt(), ref: Math.sqrt, lo: 0.3, hi: 3 },
  { name: 'exp', fn: exp, method: (t) => t.exp(), ref: Math.exp, lo: -2, hi: 2 },
  { name: 'log', fn: log, method: (t) => t.log(), ref: Math.log, lo: 0.3, hi: 3 },
  { name: 'abs', fn: abs, method: (t) => t.abs(), ref: Math.abs, lo: -2, hi: 2, awayFromZero: true },
  { name: 'sin', fn: sin, method: (t) => t.sin(), ref: Math.sin, lo: -3, hi: 3 },
  { name: 'cos', fn: cos, method: (t) => t.cos(), ref: Math.cos, lo: -3, hi: 3 },
  { name: 'tanh', fn: tanh, method: (t) => t.tanh(), ref: Math.tanh, lo: -2, hi: 2 },
  { name: 'sigmoid', fn: sigmoid, method: (t) => t.sigmoid(), ref: sigmoidRef, lo: -4, hi: 4 },
  { name: 'relu', fn: relu, method: (t) => t.relu(), ref: (x) => Math.max(x, 0), lo: -2, hi: 2, awayFromZero: true },
];

/** Seeded inputs in [lo, hi), pushed at least 0.05 away from 0 when asked. */
function domainInput(c: UnaryCase, seed: number, shape: number[]): Tensor {
  const u = uniform(seed, shape, c.lo, c.hi);
  if (!c.awayFromZero) return u;
  return tensor(Float64Array.from(u.data, (v) => (Math.abs(v) < 0.05 ? v + Math.sign(v || 1) * 0.1 : v)), shape);
}

for (const c of unaryCases) {
  eachBackend(`${c.name}: forward values, free function and method, float32 and float64`, () => {
    const x32 = domainInput(c, 1, [2, 3]).astype('float32');
    const y = c.fn(x32);
    assert.is(y.dtype, 'float32');
    assert.equal(y.shape, [2, 3]);
    allclose(y, Array.from(x32.data, c.ref), 1e-6, 1e-7, c.name);
    assert.equal(Array.from(c.method(x32).data), Array.from(y.data), `${c.name} method`);
    const x64 = domainInput(c, 2, [5]);
    const y64 = c.fn(x64);
    assert.is(y64.dtype, 'float64');
    allclose(y64, Array.from(x64.data, c.ref), 1e-14, 1e-15, c.name);
    // a number operand is a float32 scalar
    const s = c.fn(0.5);
    assert.equal(s.shape, []);
    assert.is(s.item(), f32(c.ref(0.5)));
  });

  eachBackend(`${c.name}: gradient orders 1 and 2`, () => {
    assertGrads(c.name, (x) => probe(c.fn(x)), [domainInput(c, 3, [3, 4])]);
    assertGrads(`${c.name} (sum)`, (x) => sum(c.fn(x)), [domainInput(c, 4, [5])], [1]);
  });
}

eachBackend('unary ops on hand-picked values', () => {
  allclose(neg(tensor([1, -2, 0])), [-1, 2, -0]);
  allclose(square(tensor([-3, 0.5])), [9, 0.25]);
  allclose(sqrt(tensor([4, 0, 2.25])), [2, 0, 1.5]);
  allclose(exp(tensor([0, 1])), [1, Math.E]);
  allclose(log(tensor([1, Math.E, 0])), [0, 1, -Infinity]);
  allclose(abs(tensor([-2, 3])), [2, 3]);
  allclose(relu(tensor([-1, 0, 2, NaN])), [0, 0, 2, NaN]);
  allclose(sigmoid(tensor([0, -1000, 1000])), [0.5, 0, 1], 0, 0);
  allclose(tanh(tensor([0, 30, -30])), [0, 1, -1], 0, 0);
  allclose(sign(tensor([-3, 0, 2])), [-1, 0, 1], 0, 0);
  allclose(reciprocal(tensor([4, -0.5])), [0.25, -2], 0, 0);
  allclose(sin(tensor([Math.PI / 2])), [1]);
  allclose(cos(tensor([0, Math.PI])), [1, -1]);
});

eachBackend('sigmoid is finite and exact at extreme inputs, in float64 too', () => {
  const s = sigmoid(tensor([-745, -40, 40, 745], [4], 'float64'));
  assert.ok(s.data.every((v) => Number.isFinite(v)));
  // for very negative x, σ(x) = eˣ/(1 + eˣ) ≈ eˣ: no underflow to 0 before eˣ itself does
  allclose(s, [Math.exp(-745), Math.exp(-40) / (1 + Math.exp(-40)), 1 / (1 + Math.exp(-40)), 1], 1e-15, 0);
  assert.ok(s.data[0]! > 0);
});

// --- binary ops --------------------------------------------------------------

type Binary = (a: Operand, b: Operand) => Tensor;
interface BinaryCase {
  name: string; fn: Binary; method: (a: Tensor, b: Operand) => Tensor; ref: (x: number, y: number) => number;
  /** Seeded inputs for operand a and b with the given shapes, in the op's smooth domain. */
  a: (seed: number, shape: number[]) => Tensor; b: (seed: number, shape: number[]) => Tensor;
  /** Numbers used as scalar operands (a-position, b-position). */
  na: number; nb: number;
}

const anyA = (s: number, sh: number[]): Tensor => normal(s, sh);
const positive = (s: number, sh: number[]): Tensor => uniform(s, sh, 0.5, 2);
const binaryCases: BinaryCase[] = [
  { name: 'add', fn: add, method: (a, b) => a.add(b), ref: (x, y) => x + y, a: anyA, b: anyA, na: 1.5, nb: -0.7 },
  { name: 'sub', fn: sub, method: (a, b) => a.sub(b), ref: (x, y) => x - y, a: anyA, b: anyA, na: 1.5, nb: -0.7 },
  { name: 'mul', fn: mul, method: (a, b) => a.mul(b), ref: (x, y) => x * y, a: anyA, b: anyA, na: 1.5, nb: -0.7 },
  { name: 'div', fn: div, method: (a, b) => a.div(b), ref: (x, y) => x / y, a: anyA, b: positive, na: 1.5, nb: -0.7 },
  { name: 'pow', fn: pow, method: (a, b) => a.pow(b), ref: Math.pow, a: positive, b: (s, sh) => uniform(s, sh, -1.5, 2.5), na: 1.5, nb: 2.5 },
  // Offsets keep every a-b pair apart (maximum and minimum are not differentiable at ties).
  { name: 'maximum', fn: maximum, method: (a, b) => a.maximum(b), ref: Math.max, a: anyA, b: (s, sh) => normal(s + 100, sh, 0.05), na: 0.3, nb: -0.2 },
  { name: 'minimum', fn: minimum, method: (a, b) => a.minimum(b), ref: Math.min, a: anyA, b: (s, sh) => normal(s + 100, sh, 0.05), na: 0.3, nb: -0.2 },
];

const broadcastPairs: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[3, 1], [4]],
  [[4], [3, 1]],
  [[2, 1, 3], [4, 1]],
  [[], [2, 3]],
  [[2, 3], []],
  [[1, 3], [2, 1]],
];

for (const c of binaryCases) {
  eachBackend(`${c.name}: forward values with broadcasting, free function and method`, () => {
    for (const [sa, sb] of broadcastPairs) {
      const a = c.a(1, sa).astype('float32'), b = c.b(2, sb).astype('float32');
      const ref = refBinary(a, b, c.ref);
      const y = c.fn(a, b);
      assert.equal(y.shape, ref.shape, `${c.name} ${JSON.stringify([sa, sb])} shape`);
      assert.is(y.dtype, 'float32');
      allclose(y, ref.data, 1e-6, 1e-7, `${c.name} ${JSON.stringify([sa, sb])}`);
      assert.equal(Array.from(c.method(a, b).data), Array.from(y.data), `${c.name} method`);
    }
    const a64 = c.a(3, [3, 1]), b64 = c.b(4, [4]);
    allclose(c.fn(a64, b64), refBinary(a64, b64, c.ref).data, 1e-14, 1e-15, `${c.name} float64`);
  });

  eachBackend(`${c.name}: a number in either operand position`, () => {
    const x = c.a(5, [2, 2]).astype('float32');
    const xb = c.b(6, [2, 2]).astype('float32');
    const left = c.fn(c.na, xb);
    allclose(left, Array.from(xb.data, (v) => c.ref(c.na, v)), 1e-6, 1e-7, `${c.name}(number, x)`);
    assert.is(left.dtype, 'float32');
    const right = c.fn(x, c.nb);
    allclose(right, Array.from(x.data, (v) => c.ref(v, c.nb)), 1e-6, 1e-7, `${c.name}(x, number)`);
    assert.equal(Array.from(c.method(x, c.nb).data), Array.from(right.data));
    // the number takes the tensor's dtype
    assert.is(c.fn(c.na, c.b(7, [2])).dtype, 'float64');
    assert.is(c.fn(c.a(7, [2]), c.nb).dtype, 'float64');
    assert.is(c.fn(c.na, c.nb).item(), f32(c.ref(f32(c.na), f32(c.nb))));
  });

  eachBackend(`${c.name}: gradient orders 1 and 2, same shape and broadcast`, () => {
    for (const [sa, sb] of broadcastPairs) {
      const a = c.a(10, sa), b = c.b(11, sb);
      if (c.name === 'maximum' || c.name === 'minimum') assert.ok(minGap(a, b) > 1e-3, 'test inputs must avoid ties');
      assertGrads(`${c.name} ${JSON.stringify([sa, sb])}`, (x, y) => probe(c.fn(x, y)), [a, b]);
    }
  });

  eachBackend(`${c.name}: gradient with a number operand`, () => {
    const xa = c.a(12, [3, 2]), xb = c.b(13, [3, 2]);
    if (c.name === 'maximum' || c.name === 'minimum') {
      assert.ok(minGap(xb, scalar(c.na)) > 1e-3 && minGap(xa, scalar(c.nb)) > 1e-3, 'test inputs must avoid ties');
    }
    assertGrads(`${c.name}(number, x)`, (x) => probe(c.fn(c.na, x)), [xb]);
    assertGrads(`${c.name}(x, number)`, (x) => probe(c.fn(x, c.nb)), [xa]);
  });
}

eachBackend('binary ops: closed-form first derivatives', () => {
  const a = tensor([1.5, -2, 0.5], [3], 'float64'), b = tensor([2, 0.5, -3], [3], 'float64');
  const ga = (f: Binary) => grad((x: Tensor) => sum(f(x, b)))(a) as Tensor;
  const gb = (f: Binary) => grad((y: Tensor) => sum(f(a, y)))(b) as Tensor;
  allclose(ga(mul), b.toArray(), 0, 0);
  allclose(gb(mul), a.toArray(), 0, 0);
  allclose(ga(div), [0.5, 2, -1 / 3], 1e-15, 0);
  allclose(gb(div), [-1.5 / 4, 2 / 0.25, -0.5 / 9], 1e-15, 0);
  allclose(gb(sub), [-1, -1, -1], 0, 0);
  allclose(ga(maximum), [0, 0, 1], 0, 0);
  allclose(gb(maximum), [1, 1, 0], 0, 0);
  allclose(ga(minimum), [1, 1, 0], 0, 0);
  // pow: d/da a^b = b a^(b-1); d/db = a^b log a, taken as 0 where a <= 0
  const p = tensor([2, 3], [2], 'float64'), q = tensor([3, 0.5], [2], 'float64');
  allclose(grad((x: Tensor) => sum(pow(x, q)))(p), [12, 0.5 / Math.sqrt(3)], 1e-15, 0);
  allclose(grad((y: Tensor) => sum(pow(p, y)))(q), [8 * Math.log(2), Math.sqrt(3) * Math.log(3)], 1e-15, 0);
  allclose(grad((y: Tensor) => sum(pow(tensor([-2, 0], [2], 'float64'), y)))(tensor([2, 2], [2], 'float64')), [0, 0], 0, 0);
});

eachBackend('pow with a traced exponent at a non-positive base: no NaN at second order or in anomaly mode', () => {
  const a = tensor([-1.5, 0, 2], [3], 'float64'), b = tensor([2, 2, 3], [3], 'float64');
  // d/db a^b is taken as 0 where a <= 0; its derivative in a must then be 0, not NaN
  const cross = grad((x: Tensor) => sum(grad((y: Tensor) => sum(pow(x, y)))(b) as Tensor))(a) as Tensor;
  // at a = 2, b = 3: d/da (a^b log a) = b a^(b-1) log a + a^(b-1) = 12 log 2 + 4
  allclose(cross, [0, 0, 12 * Math.log(2) + 4], 1e-14, 0);
  const both = grad((x: Tensor, y: Tensor) => sum(pow(x, y)), { argnums: [0, 1] });
  const [ga, gb] = withAnomalyDetection(() => both(a, b)) as Tensor[];
  allclose(ga!, [-3, 0, 12], 0, 0);
  allclose(gb!, [0, 0, 8 * Math.log(2)], 1e-15, 0);
});

eachBackend('maximum and minimum: ties split the gradient evenly; NaN propagates', () => {
  const x = tensor([1, 2, 3]), y = tensor([1, 0, 3]);
  allclose(grad((t: Tensor) => sum(maximum(t, y)))(x), [0.5, 1, 0.5], 0, 0);
  allclose(grad((t: Tensor) => sum(maximum(x, t)))(y), [0.5, 0, 0.5], 0, 0);
  allclose(grad((t: Tensor) => sum(minimum(t, y)))(x), [0.5, 0, 0.5], 0, 0);
  allclose(maximum(tensor([NaN, 1]), tensor([1, NaN])), [NaN, NaN]);
  allclose(minimum(tensor([NaN, 1]), tensor([1, NaN])), [NaN, NaN]);
});

// --- comparisons and where ---------------------------------------------------

const comparisons: [string, Binary, (a: Tensor, b: Operand) => Tensor, (x: number, y: number) => boolean][] = [
  ['gt', gt, (a, b) => a.gt(b), (x, y) => x > y],
  ['ge', ge, (a, b) => a.ge(b), (x, y) => x >= y],
  ['lt', lt, (a, b) => a.lt(b), (x, y) => x < y],
  ['le', le, (a, b) => a.le(b), (x, y) => x <= y],
  ['eq', eq, (a, b) => a.eq(b), (x, y) => x === y],
];

for (const [name, fn, method, ref] of comparisons) {
  eachBackend(`${name}: 1/0 masks with broadcasting, numbers and methods`, () => {
    const a = tensor([[1], [2], [3]]), b = tensor([3, 2, 1, 2]);
    const y = fn(a, b);
    assert.equal(y.shape, [3, 4]);
    assert.is(y.dtype, 'float32');
    assert.equal(Array.from(y.data), refBinary(a, b, (p, q) => (ref(p, q) ? 1 : 0)).data);
    assert.equal(Array.from(method(a, b).data), Array.from(y.data));
    assert.equal(Array.from(fn(b, 2).data), Array.from(b.data, (v) => (ref(v, 2) ? 1 : 0)));
    assert.equal(Array.from(fn(2, b).data), Array.from(b.data, (v) => (ref(2, v) ? 1 : 0)));
    const y64 = fn(tensor([1, 2], [2], 'float64'), 1);
    assert.is(y64.dtype, 'float64');
    assert.equal(Array.from(y64.data), [ref(1, 1) ? 1 : 0, ref(2, 1) ? 1 : 0]);
  });

  eachBackend(`${name}: no gradient flows through the mask, at any order`, () => {
    const x = normal(20, [5]);
    const direct = grad((t: Tensor) => sum(fn(t, 0.1)))(x) as Tensor;
    assert.equal(Array.from(direct.data), [0, 0, 0, 0, 0]);
    // x · mask(x): the gradient is the mask itself
    const g = grad((t: Tensor) => sum(mul(t, fn(t, 0.1))))(x) as Tensor;
    assert.equal(Array.from(g.data), Array.from(x.data, (v) => (ref(v, 0.1) ? 1 : 0)));
    const g2 = grad((t: Tensor) => sum(grad((u: Tensor) => sum(mul(square(u), fn(u, 0.1))))(t)))(x) as Tensor;
    assert.equal(Array.from(g2.data), Array.from(x.data, (v) => (ref(v, 0.1) ? 2 : 0)));
  });
}

eachBackend('where: broadcasting, numeric conditions, numbers as branches', () => {
  const cond = tensor([[1], [0], [-2]]);
  const a = tensor([1, 2, 3, 4]);
  const y = where(cond, a, -1);
  assert.equal(y.shape, [3, 4]);
  assert.equal(y.toArray(), [[1, 2, 3, 4], [-1, -1, -1, -1], [1, 2, 3, 4]]);
  assert.equal(where(tensor([0, 1]), 5, tensor([7, 8])).toArray(), [7, 5]);
  assert.equal(where(1, tensor([1, 2]), tensor([3, 4])).toArray(), [1, 2]);
  assert.equal(where(tensor([1, 0]), tensor([[1, 2]]), tensor([[3], [4]])).toArray(), [[1, 3], [1, 4]]);
  const w64 = where(tensor([1, 0]), tensor([1, 2], [2], 'float64'), 0);
  assert.is(w64.dtype, 'float64');
  assert.equal(w64.toArray(), [1, 0]);
});

eachBackend('where: gradients go to the selected branch only, orders 1 and 2', () => {
  const mask = tensor([[1], [0], [1]], [3, 1], 'float64');
  assertGrads('where broadcast', (a, b) => probe(where(mask, sin(a), mul(b, b))), [normal(30, [3, 4]), normal(31, [4])]);
  const g = grad((a: Tensor) => sum(where(mask, a, 0)))(normal(32, [3, 4])) as Tensor;
  assert.equal(g.toArray(), [[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]]);
  // leaky relu written with where and a comparison of the traced input
  const x = tensor([-1.5, -0.2, 0.3, 2], [4], 'float64');
  const leaky = (t: Tensor) => where(gt(t, 0), t, mul(t, 0.1));
  allclose(grad((t: Tensor) => sum(leaky(t)))(x), [0.1, 0.1, 1, 1], 1e-15, 0);
  assertGrads('where(gt(x,0), ...)', (t) => probe(where(gt(t, 0), square(t), mul(t, 0.1))), [x]);
});

eachBackend('cast: values, dtype, method, and the gradient comes back in the input dtype', () => {
  const x = tensor([0.1, 1e-8, 3], [3], 'float64');
  const y = cast(x, 'float32');
  assert.is(y.dtype, 'float32');
  assert.equal(Array.from(y.data), [f32(0.1), f32(1e-8), 3]);
  assert.is(x.astype('float32').dtype, 'float32');
  assert.is(cast(x, 'float64'), x, 'casting to the same dtype is the identity');
  const back = cast(y, 'float64');
  assert.is(back.dtype, 'float64');
  assert.is(back.data[0], f32(0.1));

  const x32 = tensor([1.5, -2]);
  const c64 = tensor([0.25, 3], [2], 'float64');
  const g = grad((t: Tensor) => sum(mul(square(cast(t, 'float64')), c64)))(x32) as Tensor;
  assert.is(g.dtype, 'float32');
  allclose(g, [0.75, -12], 0, 0);
  const g2 = grad((t: Tensor) => sum(grad((u: Tensor) => sum(mul(pow(u.astype('float64'), 3), c64)))(t)))(x32) as Tensor;
  assert.is(g2.dtype, 'float32');
  allclose(g2, [6 * 1.5 * 0.25, 6 * -2 * 3], 0, 0);
  assert.throws(() => cast(x, 'int32' as never), /cast: unsupported dtype 'int32'/);
});

test.run();
