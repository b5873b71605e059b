/**
 * Higher-order derivatives against closed forms: second and third derivatives of
 * tanh, sigmoid, exp, log, sin (and fourth of x⁴), and of softmax components; a
 * multi-output primitive (split) against the same function written with slices.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  Tensor, tensor, grad, sum, tanh, sigmoid, exp, log, sin, pow, softmax, take, mul, split, slice, hvp, jvp, vjp,
  withAnomalyDetection, AnomalyError,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { eachBackend, normal, throwsWith } from './engine-helpers.ts';

type Fn = (x: Tensor) => Tensor;

/** The n-th derivative of an elementwise f, elementwise, by nesting grad of sums. */
function nthDerivative(f: Fn, n: number): Fn {
  let d = f;
  for (let i = 0; i < n; i++) {
    const prev = d;
    d = (x: Tensor) => grad((y: Tensor) => sum(prev(y)))(x) as Tensor;
  }
  return d;
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
interface Closed { name: string; f: Fn; d: ((x: number) => number)[]; points: number[] }
const closedForms: Closed[] = [
  {
    name: 'tanh', f: tanh, points: [-1.7, -0.4, 0.3, 1.1],
    d: [
      (x) => 1 - Math.tanh(x) ** 2,
      (x) => { const t = Math.tanh(x); return -2 * t * (1 - t * t); },
      (x) => { const t = Math.tanh(x); return (6 * t * t - 2) * (1 - t * t); },
    ],
  },
  {
    name: 'sigmoid', f: sigmoid, points: [-2.5, -0.6, 0.2, 1.9],
    d: [
      (x) => sig(x) * (1 - sig(x)),
      (x) => { const s = sig(x); return s * (1 - s) * (1 - 2 * s); },
      (x) => { const s = sig(x); return s * (1 - s) * (1 - 6 * s + 6 * s * s); },
    ],
  },
  { name: 'exp', f: exp, points: [-1.3, 0, 0.8, 2], d: [Math.exp, Math.exp, Math.exp] },
  { name: 'log', f: log, points: [0.3, 0.9, 1.5, 4], d: [(x) => 1 / x, (x) => -1 / (x * x), (x) => 2 / (x * x * x)] },
  { name: 'sin', f: sin, points: [-2, -0.5, 0.7, 3], d: [Math.cos, (x) => -Math.sin(x), (x) => -Math.cos(x)] },
  {
    name: 'x^4', f: (x) => pow(x, 4), points: [-1.5, 0.5, 2],
    d: [(x) => 4 * x ** 3, (x) => 12 * x * x, (x) => 24 * x],
  },
];

for (const c of closedForms) {
  eachBackend(`${c.name}: first, second and third derivatives match closed forms (float64 and float32)`, () => {
    const x = tensor(c.points, [c.points.length], 'float64');
    for (let n = 1; n <= 3; n++) {
      const got = nthDerivative(c.f, n)(x);
      assert.is(got.dtype, 'float64');
      allclose(got, c.points.map(c.d[n - 1]!), 1e-12, 1e-12, `${c.name} derivative ${n}`);
    }
    // the same nesting on a scalar and in float32
    const s = tensor(c.points[1]!, [], 'float64');
    allclose(grad(grad(grad(c.f)))(s) as Tensor, [c.d[2]!(c.points[1]!)], 1e-12, 1e-12, `${c.name} scalar grad³`);
    const x32 = tensor(c.points);
    const d2 = nthDerivative(c.f, 2)(x32);
    assert.is(d2.dtype, 'float32');
    allclose(d2, Array.from(x32.data, c.d[1]!), 1e-5, 1e-5, `${c.name} float32 second derivative`);
  });
}

eachBackend('fourth derivative of x^4 is 24 everywhere', () => {
  allclose(nthDerivative((x) => pow(x, 4), 4)(tensor([-1.5, 0.5, 2], [3], 'float64')), [24, 24, 24], 1e-12, 0);
});

// --- softmax ----------------------------------------------------------------

function refSoftmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** ∂²p_i / ∂x_j ∂x_k in closed form. */
function softmaxHessian(x: number[], i: number, j: number, k: number): number {
  const p = refSoftmax(x);
  const d = (a: number, b: number): number => (a === b ? 1 : 0);
  return d(i, j) * p[i]! * (d(i, k) - p[k]!) - p[i]! * (d(i, k) - p[k]!) * p[j]! - p[i]! * p[j]! * (d(j, k) - p[k]!);
}

eachBackend('softmax component: gradient, Hessian and third derivatives', () => {
  const xs = [0.3, -1.2, 0.8, 0.1];
  const x = tensor(xs, [4], 'float64');
  const p = refSoftmax(xs);
  const component = (i: number) => (t: Tensor) => sum(take(softmax(t), [i]));
  for (let i = 0; i < 4; i++) {
    // ∂p_i/∂x_j = p_i (δ_ij − p_j)
    allclose(grad(component(i))(x) as Tensor, p.map((pj, j) => p[i]! * ((i === j ? 1 : 0) - pj)), 1e-14, 1e-15, `∇p_${i}`);
    for (let j = 0; j < 4; j++) {
      const row = grad((t: Tensor) => sum(take(grad(component(i))(t) as Tensor, [j])))(x) as Tensor;
      allclose(row, [0, 1, 2, 3].map((k) => softmaxHessian(xs, i, j, k)), 1e-13, 1e-14, `∂²p_${i}/∂x_${j}∂x`);
    }
  }
  // third order: ∂/∂x_l of the closed-form Hessian entry (i, j, k), by central differences of the closed form
  const i = 2, j = 0, k = 1;
  const third = grad((t: Tensor) => sum(take(grad((u: Tensor) => sum(take(grad(component(i))(u) as Tensor, [j])))(t) as Tensor, [k])))(x) as Tensor;
  const h = 1e-5;
  const fd = [0, 1, 2, 3].map((l) => {
    const up = xs.map((v, m) => (m === l ? v + h : v)), dn = xs.map((v, m) => (m === l ? v - h : v));
    return (softmaxHessian(up, i, j, k) - softmaxHessian(dn, i, j, k)) / (2 * h);
  });
  allclose(third, fd, 1e-8, 1e-9, 'third derivative of p_2');
  // the sum of softmax is 1, so every derivative of Σp vanishes
  const total = grad((t: Tensor) => sum(grad((u: Tensor) => sum(mul(softmax(u), tensor([1, 1, 1, 1], [4], 'float64'))))(t)))(x) as Tensor;
  allclose(total, [0, 0, 0, 0], 0, 1e-15);
});

// The same function of x, with x cut into pieces of 2, 3 and 1 by one split or by three slices.
type Pieces = (x: Tensor) => [Tensor, Tensor, Tensor];
const bySplit: Pieces = (x) => split(x, [2, 3, 1]) as [Tensor, Tensor, Tensor];
const bySlices: Pieces = (x) => [slice(x, [0], [2]), slice(x, [2], [3]), slice(x, [5], [1])];
// Piece c is unused (its cotangent is null), b is consumed inside an inner grad.
const piecewise = (pieces: Pieces) => (x: Tensor): Tensor => {
  const [a, b] = pieces(x);
  const inner = grad((y: Tensor) => sum(mul(pow(y, 3), sum(sin(a)))))(b) as Tensor;
  return sum(mul(inner, tanh(b)));
};

eachBackend('multi-output primitive: derivatives to third order, hvp, jvp and vjp equal the slice-based ones', () => {
  const x = normal(31, [6]), v = normal(32, [6]);
  const third = (f: Fn): Tensor => {
    const d1: Fn = (y) => grad(f)(y) as Tensor;
    const d2: Fn = (y) => grad((z: Tensor) => sum(mul(d1(z), v)))(y) as Tensor;
    return grad((y: Tensor) => sum(mul(d2(y), v)))(x) as Tensor;
  };
  const fs = piecewise(bySplit), fl = piecewise(bySlices);
  const ref3 = third(fl);
  assert.ok(ref3.data.some((d) => Math.abs(d) > 1e-3), 'third derivative is not trivially zero');
  allclose(third(fs), ref3.toArray() as number[], 1e-12, 1e-12, 'third-order');
  allclose(hvp(fs, x, v), hvp(fl, x, v).toArray() as number[], 1e-12, 1e-12, 'hvp');
  allclose(jvp(fs, [x], [v])[1], jvp(fl, [x], [v])[1].toArray() as number, 1e-12, 1e-12, 'jvp');
  // vjp of the pieces themselves: the unused piece's cotangent is zero in the input's.
  const [, back] = vjp(bySplit, x);
  const [ct] = back([tensor([1, 2], [2], 'float64'), tensor([3, 4, 5], [3], 'float64'), tensor([0], [1], 'float64')]);
  assert.equal(ct.toArray(), [1, 2, 3, 4, 5, 0]);
});

eachBackend('multi-output primitive: anomaly mode names it', () => {
  throwsWith(() => withAnomalyDetection(() => split(tensor([1, NaN, 3, 4]), 2)), AnomalyError, "op 'split' (forward)");
});

test.run();
