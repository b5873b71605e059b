/**
 * leakyRelu, gelu (exact and tanh), softplus, dropout and embedding
 * (src/ops/activations.ts) and the Embedding module: values against plain-JS
 * references on every backend, gradients at orders 1 and 2 in float64 (near kinks
 * and at large magnitudes), dropout's mask and scaling, embedding's scatter-add, bad
 * input, and jit equal to eager.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Tensor, tensor, ones, grad, sum, mul, jit, JitError, ShapeError, vmap, VmapError,
  leakyRelu, gelu, softplus, dropout, dropoutMask, embedding, Embedding,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { assertGrads, eachBackend, normal, probe, throwsWith, uniform } from './engine-helpers.ts';

const EPS64 = 2 ** -52;
const f64 = (values: number[]) => tensor(values, undefined, 'float64');

/**
 * erfc(z) for z ≥ 0 in float64, written out independently of the library: the
 * positive-term series erf(z)·e^{z²} = (2/√π) Σ 2ⁿz^{2n+1}/(2n+1)!! below 0.5 (where
 * 1 − erf loses under a bit), the continued fraction
 * erfc(z) = e^{−z²}/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …)))) above.
 */
function erfcRef(z: number): number {
  if (z < 0.5) {
    let term = z, total = z;
    for (let n = 1; term > 1e-20 * total; n++) total += (term *= (2 * z * z) / (2 * n + 1));
    return Math.exp(-z * z) * (Math.exp(z * z) - (2 / Math.sqrt(Math.PI)) * total);
  }
  const depth = z > 5 ? 300 : z > 2 ? 3000 : 30000;
  let f = z;
  for (let k = depth; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
}
/** x·Φ(x), Φ(x) = ½erfc(−x/√2), from the reference, with the library's split at 0. */
const geluRef = (x: number): number => {
  const tail = 0.5 * erfcRef(Math.abs(x) * Math.SQRT1_2);
  return x * (x >= 0 ? 1 - tail : tail);
};
const geluTanhRef = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
const softplusRef = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** |actual − ref| ≤ ulps·ε·scale(x)·|ref| for every entry (a relative bound in units of roundoff). */
function assertRelative(what: string, actual: Tensor, inputs: readonly number[], ref: (x: number) => number, bound: (x: number) => number): void {
  inputs.forEach((x, i) => {
    const want = ref(x), got = actual.data[i]!;
    const err = Math.abs(got - want);
    assert.ok(err <= bound(x) * Math.abs(want) || err === 0, `${what}(${x}) = ${got}, reference ${want}: relative error ${err / Math.abs(want)} > ${bound(x)}`);
  });
}

const GRID = Array.from({ length: 161 }, (_, i) => -10 + i / 8); // −10 … 10, through 0

eachBackend('gelu (exact) equals x·Φ(x) to a few ulps in float64, over the whole line', () => {
  const xs = [...GRID, -37, -30, -20, 1e-8, -1e-8, 1e-300, 25, 50];
  // erfc(z) is conditioned like 2z² (the rounding of z = |x|/√2 alone moves it by 2z²·ε).
  assertRelative('gelu', gelu(f64(xs)), xs, geluRef, (x) => 8 * EPS64 * Math.max(1, x * x));
  assert.is(gelu(f64([0])).data[0], 0);
  assert.is(gelu(f64([-40])).data[0], -0, 'Φ(−40) underflows: −0, not NaN');
});

eachBackend('gelu in float32 equals the float64 reference to float32 rounding', () => {
  const xs = GRID.map(Math.fround);
  const out = gelu(tensor(xs));
  assert.is(out.dtype, 'float32');
  assertRelative('gelu f32', out, xs, geluRef, (x) => 8 * 2 ** -23 * Math.max(1, x * x));
});

eachBackend("gelu approximate: 'tanh' is PyTorch's formula, within 5e-4 of the exact form", () => {
  const x = f64(GRID);
  const approx = gelu(x, { approximate: 'tanh' });
  allclose(approx, GRID.map(geluTanhRef), 4 * EPS64, 1e-300, 'gelu tanh');
  let worst = 0;
  GRID.forEach((v, i) => { worst = Math.max(worst, Math.abs(approx.data[i]! - geluRef(v))); });
  assert.ok(worst < 5e-4 && worst > 1e-5, `largest difference from the exact form ${worst}`);
});

eachBackend('softplus equals max(x, 0) + log1p(e^−|x|) to a few ulps, tiny and huge values included', () => {
  const xs = [...GRID, -745, -700, -100, -40, -37, -30, -1e-10, 1e-10, 30, 37, 40, 100, 700, 1e300, -1e300];
  assertRelative('softplus', softplus(f64(xs)), xs, softplusRef, () => 4 * EPS64);
  // Down to −80: e^−100 is a float32 subnormal, with fewer bits to be exact in.
  const x32 = [-80, -20, -1, 0, 1, 20, 100, 3e38].map(Math.fround);
  assertRelative('softplus f32', softplus(tensor(x32)), x32, softplusRef, () => 4 * 2 ** -23);
  assert.ok(softplus(tensor([-100])).data[0]! > 0, 'float32 keeps e^−100 (as a subnormal)');
  assert.ok(softplus(f64([-700])).data[0]! > 0, 'e^−700 is not lost to 1 + e^x rounding');
});

eachBackend('leakyRelu: x above 0, slope·x at or below (default slope 0.01)', () => {
  const xs = [-3, -0.5, 0, 0.5, 3];
  allclose(leakyRelu(f64(xs)), xs.map((x) => (x > 0 ? x : 0.01 * x)), 0, 0);
  allclose(leakyRelu(f64(xs), 0.2), xs.map((x) => (x > 0 ? x : 0.2 * x)), 0, 0);
  allclose(leakyRelu(f64(xs), -1), xs.map(Math.abs), 0, 0);
  const g = grad((x: Tensor) => sum(leakyRelu(x, 0.2)))(f64([-1, 0, 1])) as Tensor;
  assert.equal(Array.from(g.data), [0.2, 0.2, 1], "derivative at 0 is the slope (PyTorch's convention)");
});

test('gradients at orders 1 and 2 match finite differences in float64', () => {
  // Away from leakyRelu's kink by more than the finite-difference step.
  const kinkFree = normal(1, [3, 4]).toArray() as number[][];
  const lrInput = f64(kinkFree.flat().map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v)));
  assertGrads('leakyRelu', (x) => probe(leakyRelu(x, 0.1)), [lrInput]);
  const wide = f64([-6, -3.3, -1, -1e-3, 0, 1e-3, 0.7, 2.5, 6]);
  assertGrads('gelu', (x) => probe(gelu(x)), [wide]);
  assertGrads('gelu tanh', (x) => probe(gelu(x, { approximate: 'tanh' })), [wide]);
  assertGrads('gelu (plain sum)', (x) => sum(gelu(x)), [normal(2, [5])]);
  // softplus around 0 (the branch split) and far out (where a naive log(1 + e^x) breaks).
  assertGrads('softplus near 0', (x) => probe(softplus(x)), [f64([-1e-3, -1e-6, 0, 1e-6, 1e-3, -0.4, 0.4])]);
  assertGrads('softplus large', (x) => sum(mul(softplus(x), f64([1, 2, 3, 4, 5, 6]))), [f64([-40, -25, -12, 12, 25, 40])]);
  assertGrads('softplus plain', (x) => sum(softplus(x)), [uniform(3, [6], -5, 5)]);
  // dropout with a fixed mask (the same seed on every call) is linear in x.
  assertGrads('dropout', (x) => probe(dropout(x, 0.4, new Rng(7))), [normal(4, [4, 5])]);
  const ids = [3, 0, 3, 1, 4, 4, 4];
  assertGrads('embedding', (table) => probe(embedding(table, ids)), [normal(5, [5, 3])]);
});

test('gelu and softplus derivatives equal their closed forms', () => {
  const xs = [-4, -1.5, -0.2, 0, 0.3, 2, 5];
  const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  const Phi = (x: number) => (x >= 0 ? 1 - 0.5 * erfcRef(x * Math.SQRT1_2) : 0.5 * erfcRef(-x * Math.SQRT1_2));
  const d1 = grad((x: Tensor) => sum(gelu(x)))(f64(xs)) as Tensor;
  allclose(d1, xs.map((x) => Phi(x) + x * phi(x)), 1e-14, 1e-16, "gelu' = Φ + xφ");
  const d2 = grad((x: Tensor) => sum(grad((y: Tensor) => sum(gelu(y)))(x) as Tensor))(f64(xs)) as Tensor;
  // A truncated series' derivatives are less accurate than its values (each order
  // scales the truncation error by ~K² for K terms): over [−10, 10] gelu'' is within
  // 8e-14 of φ(2 − x²) (relative error is larger only near its zeros at ±√2).
  allclose(d2, xs.map((x) => phi(x) * (2 - x * x)), 0, 2e-13, "gelu'' = φ(2 − x²)");
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const s1 = grad((x: Tensor) => sum(softplus(x)))(f64([...xs, -50, 50])) as Tensor;
  allclose(s1, [...xs, -50, 50].map(sig), 1e-15, 1e-300, "softplus' = σ");
  const s2 = grad((x: Tensor) => sum(grad((y: Tensor) => sum(softplus(y)))(x) as Tensor))(f64(xs)) as Tensor;
  // σ(x)·σ(−x), not σ(1 − σ): 1 − σ(5) would lose digits in the reference itself.
  allclose(s2, xs.map((x) => sig(x) * sig(-x)), 1e-14, 1e-300, "softplus'' = σ(1 − σ), 1/4 at 0");
});

test('jit(gelu) and its gradient equal eager bit for bit', () => {
  const x = normal(6, [7, 5]);
  const compiled = jit((t: Tensor) => gelu(t));
  assert.equal(Array.from(compiled(x).data), Array.from(gelu(x).data));
  const dEager = grad((t: Tensor) => sum(softplus(gelu(t))))(x) as Tensor;
  const dJit = jit(grad((t: Tensor) => sum(softplus(gelu(t)))))(x) as Tensor;
  assert.equal(Array.from(dJit.data), Array.from(dEager.data));
  const x32 = tensor(Array.from(x.data));
  assert.equal(Array.from(compiled(x32).data), Array.from(gelu(x32).data), 'float32 (13-term series) too');
});

test('dropout: inverted scaling, keep rate, explicit Rng, identity at 0, zeros at 1', () => {
  const x = normal(8, [200, 500]);
  const rate = 0.3;
  const y = dropout(x, rate, new Rng(1));
  const mask = dropoutMask(new Rng(1), x.shape, rate, 'float64');
  let kept = 0;
  for (let i = 0; i < x.size; i++) {
    const m = mask.data[i]!;
    assert.ok(m === 0 || m === 1 / (1 - rate));
    if (m !== 0) kept++;
    assert.is(y.data[i], x.data[i]! * m);
  }
  // Binomial(n, 0.7): within 6 standard deviations.
  const n = x.size, sd = Math.sqrt(n * 0.7 * 0.3);
  assert.ok(Math.abs(kept - 0.7 * n) < 6 * sd, `kept ${kept} of ${n}`);
  // The same seed, the same mask; another seed, another.
  assert.equal(Array.from(dropout(x, rate, new Rng(1)).data), Array.from(y.data));
  assert.not.equal(Array.from(dropout(x, rate, new Rng(2)).data.slice(0, 50)), Array.from(y.data.slice(0, 50)));
  // Rate 0: x itself, no draws.
  const rng = new Rng(3);
  const before = rng.state();
  assert.is(dropout(x, 0, rng), x);
  assert.equal(rng.state(), before);
  assert.ok(dropout(x, 1, new Rng(4)).data.every((v) => v === 0));
  // The gradient is the mask.
  const g = grad((t: Tensor) => sum(dropout(t, 0.5, new Rng(9))))(normal(9, [3, 4])) as Tensor;
  assert.equal(Array.from(g.data), Array.from(dropoutMask(new Rng(9), [3, 4], 0.5, 'float64').data));
  assert.is(dropout(ones([2, 2]), 0.5, new Rng(0)).dtype, 'float32');
});

test('dropout rejects a bad rate, a missing Rng, tracing under jit and running under vmap', () => {
  const x = ones([3]);
  for (const bad of [-0.1, 1.5, NaN, '0.5' as never]) throwsWith(() => dropout(x, bad, new Rng(0)), RangeError, 'dropout: rate must be a number in [0, 1]', String(bad));
  throwsWith(() => dropout(x, 0.5, undefined as never), TypeError, 'dropout: rng must be an Rng');
  throwsWith(() => dropout(x, 0.5, Math.random as never), TypeError, 'rng must be an Rng');
  throwsWith(() => dropoutMask(new Rng(0), [2, -1], 0.5), ShapeError, 'dropoutMask', 'bad shape');
  throwsWith(() => jit((t: Tensor) => dropout(t, 0.5, new Rng(0)))(x), JitError, 'dropout', 'trace time', 'dropoutMask');
  // The documented way under jit: the mask as an argument.
  const step = jit((t: Tensor, m: Tensor) => mul(t, m));
  const m = dropoutMask(new Rng(5), [3], 0.5);
  assert.equal(Array.from(step(x, m).data), Array.from(dropout(x, 0.5, new Rng(5)).data));
  // Under vmap one per-example mask would be shared by the batch: refused, and the
  // documented way (a batch of masks, vmapped with x) gives each example its own.
  const xs = ones([4, 3]);
  throwsWith(() => vmap((t: Tensor) => dropout(t, 0.5, new Rng(0)))(xs), VmapError, 'dropout', 'shared by every example', '[3]', 'dropoutMask');
  const masks = dropoutMask(new Rng(6), [4, 3], 0.5);
  assert.equal(Array.from(vmap((t: Tensor, mk: Tensor) => mul(t, mk))(xs, masks).data), Array.from(masks.data));
  assert.equal(Array.from(dropout(xs, 0.5, new Rng(6)).data), Array.from(masks.data), 'outside vmap: the same draws');
});

eachBackend('embedding looks up rows; the gradient scatter-adds into the used rows', () => {
  const table = normal(10, [5, 3]);
  const ids = tensor([[4, 0, 4], [2, 2, 2]]);
  const out = embedding(table, ids);
  assert.equal(out.shape, [2, 3, 3]);
  const rows = table.toArray() as number[][];
  assert.equal(out.toArray(), [[rows[4], rows[0], rows[4]], [rows[2], rows[2], rows[2]]]);
  const w = normal(11, [2, 3, 3]);
  const g = grad((t: Tensor) => sum(mul(embedding(t, ids), w)))(table) as Tensor;
  const expected = Array.from({ length: 5 }, () => [0, 0, 0]);
  const flatIds = [4, 0, 4, 2, 2, 2];
  flatIds.forEach((id, k) => { for (let d = 0; d < 3; d++) expected[id]![d]! += w.data[k * 3 + d]!; });
  allclose(g, expected, 1e-15, 0, 'scatter-add');
  assert.equal((g.toArray() as number[][])[1], [0, 0, 0], 'an unused row gets no gradient');
});

test('embedding and the Embedding module reject bad tables and ids', () => {
  const table = ones([4, 2]);
  throwsWith(() => embedding(ones([4]), [0]), ShapeError, 'embedding: table must be a [V, D] tensor', '[4]');
  throwsWith(() => embedding(table, [0, 4]), ShapeError, 'embedding: id 4 at position 1', '[0, 4)');
  throwsWith(() => embedding(table, [-1]), ShapeError, 'id -1', 'not an integer in [0, 4)');
  throwsWith(() => embedding(table, [1.5]), ShapeError, 'id 1.5');
  const emb = Embedding({ numEmbeddings: 6, embeddingDim: 3 });
  const params = emb.init(new Rng(0));
  assert.equal(params.table.shape, [6, 3]);
  assert.equal(emb.apply(params, tensor([[5, 0]])).shape, [1, 2, 3]);
  throwsWith(() => emb.apply({ table: ones([5, 3]) }, tensor([0])), ShapeError, 'Embedding: table [5, 3] is not [6, 3]');
  throwsWith(() => Embedding({ numEmbeddings: 0, embeddingDim: 3 }), RangeError, 'numEmbeddings', 'got 0');
  throwsWith(() => leakyRelu(ones([1]), NaN), RangeError, 'leakyRelu: negativeSlope', 'NaN');
  throwsWith(() => gelu(ones([1]), { approximate: 'erf' as never }), RangeError, "gelu: approximate must be 'none' or 'tanh'", '"erf"');
});

test.run();
