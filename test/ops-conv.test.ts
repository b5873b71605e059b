/**
 * conv2d, unfold2d and pooling: forward against direct loops written here (float64),
 * first- and second-order gradients against finite differences on awkward shapes
 * (strides, padding, dilation, groups, a per-task weight), TS/wasm agreement, jit
 * equal to eager, and errors naming the op and the shapes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, ShapeError, checkGrad, conv2d, unfold2d, maxPool2d, avgPool2d, globalAvgPool, globalMaxPool, randomNormal,
  add, cast, tanh, square, sum, jit, grad, tensor, type Tensor,
} from '../src/index.ts';
import { allclose, onBackend, testBackends } from './helpers.ts';

interface Geometry { stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number }

/** out[n, o, y, x] = Σ_{c in o's group, i, j} in[n, c, y·sh + i·dh − ph, x·sw + j·dw − pw] · w[o, c, i, j] + b[o]. */
function naiveConv(x: Tensor, w: Tensor, b: Tensor | null, g: Geometry): number[] {
  const [n, c, h, wd] = x.shape as number[], [o, cg, kh, kw] = w.shape as number[];
  const ho = Math.floor((h! + 2 * g.padding[0] - g.dilation[0] * (kh! - 1) - 1) / g.stride[0]) + 1;
  const wo = Math.floor((wd! + 2 * g.padding[1] - g.dilation[1] * (kw! - 1) - 1) / g.stride[1]) + 1;
  const og = o! / g.groups, out: number[] = [];
  for (let ni = 0; ni < n!; ni++) for (let oi = 0; oi < o!; oi++) for (let y = 0; y < ho; y++) for (let xx = 0; xx < wo; xx++) {
    let s = b ? b.data[oi]! : 0;
    const group = Math.floor(oi / og);
    for (let ci = 0; ci < cg!; ci++) for (let i = 0; i < kh!; i++) for (let j = 0; j < kw!; j++) {
      const r = y * g.stride[0] + i * g.dilation[0] - g.padding[0], q = xx * g.stride[1] + j * g.dilation[1] - g.padding[1];
      if (r < 0 || r >= h! || q < 0 || q >= wd!) continue;
      s += x.data[((ni * c! + group * cg! + ci) * h! + r) * wd! + q]! * w.data[((oi * cg! + ci) * kh! + i) * kw! + j]!;
    }
    out.push(s);
  }
  return out;
}

/** [x shape, w shape, geometry]: awkward sizes, every option, odd kernels and rectangular ones. */
const CASES: [number[], number[], Geometry][] = [
  [[1, 1, 1, 1], [1, 1, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }],
  [[2, 3, 5, 7], [4, 3, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }],
  [[2, 3, 8, 8], [5, 3, 3, 2], { stride: [2, 3], padding: [1, 0], dilation: [1, 1], groups: 1 }],
  [[1, 4, 9, 6], [6, 2, 2, 3], { stride: [1, 2], padding: [2, 1], dilation: [2, 1], groups: 2 }],
  [[3, 3, 5, 5], [3, 1, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 3 }],
  [[1, 2, 17, 3], [3, 2, 5, 1], { stride: [3, 1], padding: [0, 0], dilation: [3, 1], groups: 1 }],
];

const conv = (g: Geometry) => (x: Tensor, w: Tensor, b?: Tensor): Tensor => conv2d(x, w, { ...g, ...(b ? { bias: b } : {}) });

for (const backend of testBackends()) {
  test(`conv2d equals the direct sum, every option [${backend}]`, () => onBackend(backend, () => {
    const rng = new Rng(1);
    for (const [xs, ws, g] of CASES) {
      const x = randomNormal(rng, xs, 0, 1, 'float64'), w = randomNormal(rng, ws, 0, 1, 'float64'), b = randomNormal(rng, [ws[0]!], 0, 1, 'float64');
      const got = conv(g)(x, w, b);
      assert.equal(Array.from(got.data).length, naiveConv(x, w, b, g).length, `${xs} * ${ws}`);
      allclose(Array.from(got.data), naiveConv(x, w, b, g), 1e-12, 1e-12, `conv2d ${xs} * ${ws} ${JSON.stringify(g)}`);
      const f32 = conv(g)(cast(x, 'float32'), cast(w, 'float32'), cast(b, 'float32'));
      allclose(Array.from(f32.data), naiveConv(x, w, b, g), 1e-4, 1e-4, `float32 conv2d ${xs} * ${ws}`);
    }
  }));

  test(`conv2d: first and second-order gradients in x, w and bias [${backend}]`, () => onBackend(backend, () => {
    const rng = new Rng(2);
    for (const [xs, ws, g] of CASES) {
      const x = randomNormal(rng, xs), w = randomNormal(rng, ws, 0, 0.5), b = randomNormal(rng, [ws[0]!]);
      // tanh makes the second derivative in every input non-zero.
      const f = (x: Tensor, w: Tensor, b: Tensor): Tensor => sum(tanh(conv(g)(x, w, b)));
      for (const order of [1, 2] as const) {
        const r = checkGrad(f, [x, w, b], { order, atol: 1e-7, rtol: 1e-6 });
        assert.ok(r.ok, `${xs} * ${ws} ${JSON.stringify(g)} order ${order}: ${r.message}`);
      }
    }
  }));

  test(`conv2d with a per-task weight equals one convolution per task, gradients included [${backend}]`, () => onBackend(backend, () => {
    const rng = new Rng(3);
    const g: Geometry = { stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 2 };
    const x = randomNormal(rng, [3, 2, 4, 6, 5], 0, 1, 'float64'), w = randomNormal(rng, [3, 6, 2, 3, 2], 0, 1, 'float64');
    const b = randomNormal(rng, [3, 6], 0, 1, 'float64');
    const batched = conv(g)(x, w, b);
    for (let t = 0; t < 3; t++) {
      const xt = tensor(Array.from(x.data.subarray(t * 240, (t + 1) * 240)), [2, 4, 6, 5], 'float64');
      const wt = tensor(Array.from(w.data.subarray(t * 72, (t + 1) * 72)), [6, 2, 3, 2], 'float64');
      const bt = tensor(Array.from(b.data.subarray(t * 6, (t + 1) * 6)), [6], 'float64');
      const per = batched.data.subarray(t * batched.size / 3, (t + 1) * batched.size / 3);
      allclose(Array.from(per), naiveConv(xt, wt, bt, g), 1e-12, 1e-12, `task ${t}`);
    }
    const r = checkGrad((x: Tensor, w: Tensor, b: Tensor) => sum(tanh(conv(g)(x, w, b))), [x, w, b], { order: 2, atol: 1e-7, rtol: 1e-6 });
    assert.ok(r.ok, r.message);
  }));

  test(`unfold2d, pools and global pools: values and gradients to second order [${backend}]`, () => onBackend(backend, () => {
    const rng = new Rng(4);
    const x = randomNormal(rng, [2, 3, 7, 5], 0, 1, 'float64');
    // unfold's windows, read back pixel by pixel.
    const cols = unfold2d(x, [3, 2], { stride: [2, 1], padding: [1, 1], dilation: [1, 2] });
    assert.equal(cols.shape, [2, 3, 6, 4, 5]);
    for (let k = 0; k < 6; k++) for (let y = 0; y < 4; y++) for (let q = 0; q < 5; q++) {
      const r = y * 2 + Math.floor(k / 2) - 1, c = q + (k % 2) * 2 - 1;
      const want = r < 0 || r >= 7 || c < 0 || c >= 5 ? 0 : x.data[((1 * 3 + 2) * 7 + r) * 5 + c]!;
      assert.is(cols.data[(((1 * 3 + 2) * 6 + k) * 4 + y) * 5 + q], want, `window ${k} at (${y}, ${q})`);
    }
    const m = maxPool2d(x, 3, { stride: 2, padding: 1 });
    assert.equal(m.shape, [2, 3, 4, 3]);
    for (let y = 0; y < 4; y++) for (let q = 0; q < 3; q++) {
      let best = -Infinity;
      for (let i = -1; i <= 1; i++) for (let j = -1; j <= 1; j++) {
        const r = y * 2 + i, c = q * 2 + j;
        if (r >= 0 && r < 7 && c >= 0 && c < 5) best = Math.max(best, x.data[((0 * 3 + 1) * 7 + r) * 5 + c]!);
      }
      assert.is(m.data[((0 * 3 + 1) * 4 + y) * 3 + q], best, `max window (${y}, ${q})`);
    }
    const a = avgPool2d(x, 2);
    assert.equal(a.shape, [2, 3, 3, 2]);
    assert.ok(Math.abs(a.data[0]! - (x.data[0]! + x.data[1]! + x.data[5]! + x.data[6]!) / 4) < 1e-15);
    allclose(globalAvgPool(x), Array.from({ length: 6 }, (_, i) => Array.from(x.data.subarray(i * 35, i * 35 + 35)).reduce((s, v) => s + v, 0) / 35), 1e-12, 1e-12, 'globalAvgPool');
    allclose(globalMaxPool(x), Array.from({ length: 6 }, (_, i) => Math.max(...x.data.subarray(i * 35, i * 35 + 35))), 0, 0, 'globalMaxPool');
    const fs: [string, (x: Tensor) => Tensor][] = [
      ['unfold2d', (x) => sum(tanh(unfold2d(x, [3, 2], { stride: [2, 1], padding: [1, 1], dilation: [1, 2] })))],
      ['maxPool2d', (x) => sum(square(maxPool2d(x, 3, { stride: 2, padding: 1 })))],
      ['avgPool2d', (x) => sum(tanh(avgPool2d(x, [2, 3], { stride: [1, 2], padding: [1, 1] })))],
      ['globalAvgPool', (x) => sum(tanh(globalAvgPool(x)))],
      ['globalMaxPool', (x) => sum(square(globalMaxPool(x)))],
    ];
    // Distinct values (normal draws) keep each max away from ties, where max is not differentiable.
    const y = cast(x, 'float32');
    for (const [name, f] of fs) {
      for (const order of [1, 2] as const) {
        const r = checkGrad(f, [y], { order, atol: 1e-7, rtol: 1e-6 });
        assert.ok(r.ok, `${name} order ${order}: ${r.message}`);
      }
    }
  }));

  test(`conv2d net: jit gives eager's value, gradient and gradient of gradient bit for bit [${backend}]`, () => onBackend(backend, () => {
    const rng = new Rng(5);
    const x = randomNormal(rng, [2, 3, 8, 8]), w1 = randomNormal(rng, [8, 3, 3, 3], 0, 0.3), w2 = randomNormal(rng, [4, 2, 3, 3], 0, 0.3);
    const net = (w1: Tensor, w2: Tensor): Tensor => {
      const h = tanh(conv2d(x, w1, { padding: 1 }));
      const p = maxPool2d(h, 2);
      return sum(square(globalAvgPool(conv2d(p, w2, { padding: 1, groups: 4 }))));
    };
    const g = grad(net, { argnums: [0, 1] });
    const gg = grad((a: Tensor, b: Tensor) => { const [da, db] = g(a, b) as Tensor[]; return add(sum(square(da!)), sum(square(db!))); }, { argnums: [0, 1] });
    for (const [name, f] of [['value', net], ['grad', g], ['grad of grad', gg]] as const) {
      const eager = (f as (a: Tensor, b: Tensor) => unknown)(w1, w2), compiled = jit(f as (a: Tensor, b: Tensor) => unknown)(w1, w2);
      const e = ([] as Tensor[]).concat(eager as Tensor), c = ([] as Tensor[]).concat(compiled as Tensor);
      e.forEach((t, i) => assert.equal(Array.from(c[i]!.data), Array.from(t.data), `${name} leaf ${i}`));
    }
  }));
}

test('conv2d and pools: bad shapes and options throw ShapeErrors naming the op and the values', () => {
  const x = randomNormal(new Rng(0), [1, 4, 5, 5]);
  const cases: [() => unknown, RegExp][] = [
    [() => conv2d(randomNormal(new Rng(0), [4, 5, 5]), randomNormal(new Rng(0), [2, 4, 3, 3])), /conv2d: expected an NCHW input \[N, C, H, W\], got shape \[4, 5, 5\]/],
    [() => conv2d(x, randomNormal(new Rng(0), [2, 4, 3])), /conv2d: expected a weight \[O, C\/groups, kh, kw\].*\[2, 4, 3\]/],
    [() => conv2d(x, randomNormal(new Rng(0), [2, 3, 3, 3])), /conv2d: weight \[2, 3, 3, 3\] expects 3 input channels per group, but input \[1, 4, 5, 5\] with groups=1 has 4/],
    [() => conv2d(x, randomNormal(new Rng(0), [3, 2, 3, 3]), { groups: 2 }), /conv2d: groups=2 must be a positive integer dividing the input channels \(4\) and output channels \(3\)/],
    [() => conv2d(x, randomNormal(new Rng(0), [2, 4, 7, 7])), /conv2d: a 7×7 window .* does not fit input 5×5/],
    [() => conv2d(x, randomNormal(new Rng(0), [2, 4, 3, 3]), { stride: 0 }), /conv2d: stride must be an integer ≥ 1 or a pair of them, got 0/],
    [() => conv2d(x, randomNormal(new Rng(0), [2, 4, 3, 3]), { bias: randomNormal(new Rng(0), [3]) }), /conv2d: bias must have shape \[2\], got \[3\]/],
    [() => maxPool2d(x, 2, { padding: 2 }), /maxPool2d: padding 2×2 must be at most half the kernel 2×2/],
    [() => avgPool2d(x, [2, 2.5]), /avgPool2d: kernel must be an integer ≥ 1/],
    [() => globalAvgPool(randomNormal(new Rng(0), [4, 5])), /globalAvgPool: expected an NCHW input/],
  ];
  for (const [f, re] of cases) assert.throws(f, (e: unknown) => e instanceof ShapeError && re.test((e as Error).message), String(re));
});

test.run();
