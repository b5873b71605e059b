/**
 * The three convolution kernels of the backend interface (forward, input gradient,
 * weight gradient): the wasm kernels against the TypeScript reference on awkward
 * geometries (1, 3 and 17 channels and sizes, strides, dilation, groups, padding wider
 * than the kernel, several tasks), eagerly and on a compiled program's in-place buffers,
 * which must give eager's bits. 3×3 stride-1 convolutions with enough channels run on
 * Winograd F(2×2, 3×3): checked against the reference and the direct kernels on its own
 * awkward geometries (ragged tiles, 1-channel and 1-pixel images).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, getBackend, jit, listBackends, randomNormal, type Tensor } from '../src/index.ts';
import type { Backend, Conv2dSpec } from '../src/backend/backend.ts';
import { bind, type PrimitiveDef } from '../src/autodiff/primitive.ts';
import { primitives } from '../src/ops/primitives.ts';
import { setConvWinograd, usesWinograd } from '../src/backend/wasm/conv.ts';
import { allclose, onBackend } from './helpers.ts';

type Pair = [number, number];
/** [tasks, n, c, h, w], o, kernel, stride, padding, dilation, groups. */
type Case = [[number, number, number, number, number], number, Pair, Pair, Pair, Pair, number];

const CASES: Case[] = [
  [[1, 1, 1, 1, 1], 1, [1, 1], [1, 1], [0, 0], [1, 1], 1],
  [[1, 2, 3, 17, 17], 17, [3, 3], [1, 1], [1, 1], [1, 1], 1],
  [[1, 3, 17, 3, 17], 3, [3, 2], [2, 2], [1, 0], [1, 1], 1],
  [[2, 2, 6, 9, 10], 9, [3, 3], [1, 2], [2, 2], [2, 2], 3],
  [[1, 1, 17, 5, 5], 17, [3, 3], [1, 1], [1, 1], [1, 1], 17],
  [[3, 1, 4, 17, 3], 5, [5, 1], [3, 1], [0, 0], [3, 1], 1],
  [[1, 2, 1, 12, 13], 6, [5, 5], [2, 2], [2, 2], [1, 1], 1],
  [[1, 1, 2, 4, 4], 3, [2, 2], [1, 1], [3, 3], [1, 1], 1],
  [[1, 2, 3, 3, 40], 4, [1, 1], [3, 3], [0, 0], [1, 1], 1],
  [[2, 3, 8, 8, 8], 16, [3, 3], [1, 1], [1, 1], [1, 1], 2],
  // Chosen for Winograd: forward only (5 → 17; the input gradient's 17 → 5 runs direct), and both passes.
  [[2, 3, 5, 7, 9], 17, [3, 3], [1, 1], [1, 1], [1, 1], 1],
  [[1, 2, 9, 5, 5], 8, [3, 3], [1, 1], [2, 2], [1, 1], 1],
];

function specOf([[tasks, n, c, h, w], o, kernel, stride, padding, dilation, groups]: Case): Conv2dSpec {
  const ho = Math.floor((h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) / stride[0]) + 1;
  const wo = Math.floor((w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) / stride[1]) + 1;
  return { tasks, n, c, h, w, o, groups, kh: kernel[0], kw: kernel[1], ho, wo, stride, padding, dilation };
}

/** Random operands of a case: x, w and an output gradient g, as float32 tensors. */
function operands(s: Conv2dSpec, seed: number): { x: Tensor; w: Tensor; g: Tensor } {
  const rng = new Rng(seed);
  return {
    x: randomNormal(rng, [s.tasks, s.n, s.c, s.h, s.w]),
    w: randomNormal(rng, [s.tasks, s.o, s.c / s.groups, s.kh, s.kw]),
    g: randomNormal(rng, [s.tasks, s.n, s.o, s.ho, s.wo]),
  };
}

/** The three kernels of `backend` on (x, w, g), in the storage type of `dtype`. */
function run(backend: Backend, s: Conv2dSpec, x: Tensor, w: Tensor, g: Tensor, dtype: 'float32' | 'float64'): Float64Array[] {
  const as = (t: Tensor) => (dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data));
  const out = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const y = out(g.size), dx = out(x.size), dw = out(w.size);
  // Garbage in the outputs: every kernel must overwrite, not accumulate.
  y.fill(7); dx.fill(-3); dw.fill(11);
  backend.conv2d(as(x), as(w), y, s);
  backend.conv2dInputGrad(as(g), as(w), dx, s);
  backend.conv2dWeightGrad(as(x), as(g), dw, s);
  return [y, dx, dw].map((a) => Float64Array.from(a));
}

const NAMES = ['conv2d', 'conv2dInputGrad', 'conv2dWeightGrad'];

test('wasm conv kernels equal the TS reference (float64) on awkward geometries', () => {
  assert.ok(listBackends().includes('wasm'), 'the wasm backend is registered');
  const ts = onBackend('ts', () => getBackend()), wasm = onBackend('wasm', () => getBackend());
  CASES.forEach((c, i) => {
    const s = specOf(c);
    const { x, w, g } = operands(s, i);
    const want = run(ts, s, x, w, g, 'float64'), got = run(wasm, s, x, w, g, 'float32');
    got.forEach((a, k) => {
      // float32 sums of up to a few hundred unit-normal products.
      allclose(Array.from(a), Array.from(want[k]!), 1e-4, 1e-4, `${NAMES[k]} ${JSON.stringify(c)}`);
    });
    // The TS reference in float32 agrees too (the f64 run is not trivially the same code path's output).
    run(ts, s, x, w, g, 'float32').forEach((a, k) => allclose(Array.from(a), Array.from(want[k]!), 1e-4, 1e-4, `ts float32 ${NAMES[k]} ${JSON.stringify(c)}`));
  });
});

test('wasm conv kernels: images too many for one scratch chunk go through in chunks, tasks apart', () => {
  // Several MB of scratch per image: 13 images per task take several chunks of the kernels' 16 MB budget.
  const c: Case = [[2, 13, 1, 300, 500], 1, [2, 2], [1, 1], [0, 0], [1, 1], 1];
  const s = specOf(c);
  const { x, w, g } = operands(s, 7);
  const ts = onBackend('ts', () => getBackend()), wasm = onBackend('wasm', () => getBackend());
  const want = run(ts, s, x, w, g, 'float64'), got = run(wasm, s, x, w, g, 'float32');
  got.forEach((a, k) => allclose(Array.from(a), Array.from(want[k]!), 1e-4, 1e-4, `${NAMES[k]} chunked`));
});

test('wasm conv kernels: an infinity the windows never read stays out of the weight gradient', () => {
  // Output columns 0..2 of a 5-wide image; the kernel's tile also reads columns 3 and 4
  // past the last output (with zero gradient). An infinity at column 4 is read for real
  // only by the tap in kernel column 2.
  const c: Case = [[1, 1, 2, 5, 5], 3, [3, 3], [1, 1], [0, 0], [1, 1], 1];
  for (const stride of [[1, 1], [2, 1]] as Pair[]) {
    const s = specOf([c[0], c[1], c[2], stride, c[4], c[5], c[6]]);
    const { x, w, g } = operands(s, 8);
    x.data[4] = Infinity;
    const ts = onBackend('ts', () => getBackend()), wasm = onBackend('wasm', () => getBackend());
    const want = run(ts, s, x, w, g, 'float64'), got = run(wasm, s, x, w, g, 'float32');
    assert.ok(want[2]!.some((v) => v === Infinity || v === -Infinity) && want[2]!.some((v) => Number.isFinite(v)), 'the reference has both');
    got.forEach((a, k) => allclose(Array.from(a), Array.from(want[k]!), 1e-4, 1e-4, `${NAMES[k]} with an infinity, stride ${stride}`));
  }
});

test('wasm conv kernels: a compiled program (buffers in linear memory) gives eager\'s bits', () => onBackend('wasm', () => {
  const conv = primitives.conv2d as PrimitiveDef<unknown>, dx = primitives.conv2dInputGrad as PrimitiveDef<unknown>;
  const dw = primitives.conv2dWeightGrad as PrimitiveDef<unknown>;
  CASES.forEach((c, i) => {
    const s = specOf(c);
    const p = { kernel: [s.kh, s.kw], stride: s.stride, padding: s.padding, dilation: s.dilation, input: [s.h, s.w], groups: s.groups };
    const f = (x: Tensor, w: Tensor, g: Tensor): Tensor[] => [bind(conv, [x, w], p), bind(dx, [g, w], p), bind(dw, [x, g], p)];
    const { x, w, g } = operands(s, 100 + i);
    const eager = f(x, w, g), compiled = jit(f)(x, w, g);
    eager.forEach((e, k) => {
      assert.equal(compiled[k]!.shape, e.shape, `${NAMES[k]} shape ${JSON.stringify(c)}`);
      assert.equal(Array.from(compiled[k]!.data), Array.from(e.data), `${NAMES[k]} ${JSON.stringify(c)}`);
    });
    // And eager wasm is the kernel itself, not a fallback: it matches the reference only to rounding.
    const ts = onBackend('ts', () => f(x, w, g));
    ts.forEach((t, k) => allclose(eager[k]!, t, 1e-4, 1e-4, `${NAMES[k]} ts vs wasm ${JSON.stringify(c)}`));
  });
}));

/** 3×3, stride 1: [tasks, n, c, h, w], o, padding — 1, 3, 5, 17 channels and sides, odd outputs (ragged 2×2 tiles), padding 0–2 (3: a cropped input gradient). */
const WINOGRAD: [[number, number, number, number, number], number, number][] = [
  [[1, 1, 1, 1, 1], 1, 1], [[1, 2, 3, 5, 5], 5, 0], [[2, 1, 5, 3, 17], 3, 1], [[1, 3, 17, 17, 3], 17, 2],
  [[3, 2, 1, 5, 3], 1, 1], [[1, 1, 17, 17, 17], 5, 0], [[2, 2, 5, 7, 4], 17, 2], [[1, 1, 3, 4, 4], 3, 3],
];

const maxError = (a: Float64Array, b: Float64Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

test('wasm Winograd F(2×2, 3×3): forward and stride-1 input gradient equal the TS reference on awkward geometries', () => {
  const ts = onBackend('ts', () => getBackend()), wasm = onBackend('wasm', () => getBackend());
  try {
    WINOGRAD.forEach(([dims, o, p], i) => {
      const c: Case = [dims, o, [3, 3], [1, 1], [p, p], [1, 1], 1];
      const s = specOf(c);
      const { x, w, g } = operands(s, 200 + i);
      const want = run(ts, s, x, w, g, 'float64');
      setConvWinograd('always');
      assert.ok(usesWinograd(s, 'forward') && usesWinograd(s, 'inputGrad'), 'forced onto the Winograd path');
      const wino = run(wasm, s, x, w, g, 'float32');
      setConvWinograd('never');
      const direct = run(wasm, s, x, w, g, 'float32');
      for (const k of [0, 1]) {
        const label = `${NAMES[k]} ${JSON.stringify(c)}`;
        // The direct kernels' tolerance, not widened: the transforms' coefficients are 0, ±1
        // and ±½ (exact in float32), so each output is a float32 sum of c·16 products of
        // transformed values, each rounded a few times more than the direct kernel's c·9
        // products; with unit-normal operands its error stays ~1e-6, the tolerance's 1e-4
        // is for sums of a few hundred such products.
        allclose(Array.from(wino[k]!), Array.from(want[k]!), 1e-4, 1e-4, `winograd ${label}`);
        // And within a small factor of the direct kernel's own rounding error (a floor of a
        // few ulps of the largest output for cases the direct sum gets exact).
        const scale = want[k]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const bound = 4 * maxError(direct[k]!, want[k]!) + 8 * 2 ** -24 * scale;
        assert.ok(maxError(wino[k]!, want[k]!) <= bound, `${label}: Winograd error ${maxError(wino[k]!, want[k]!)} vs direct ${maxError(direct[k]!, want[k]!)}`);
      }
      // The weight gradient has no Winograd path: the same bits either way.
      assert.equal(Array.from(wino[2]!), Array.from(direct[2]!), `weight gradient ${JSON.stringify(c)}`);
    });
  } finally {
    setConvWinograd('auto');
  }
});

test('wasm Winograd: an infinite input gives the direct sum\'s infinities, not the transforms\' NaN', () => {
  // ∞ − ∞ inside the transforms would turn ±∞ outputs into NaN; such calls run direct.
  const c: Case = [[2, 1, 8, 6, 5], 8, [3, 3], [1, 1], [1, 1], [1, 1], 1];
  const s = specOf(c);
  const { x, w, g } = operands(s, 400);
  x.data[14] = Infinity;
  g.data[7] = -Infinity;
  const ts = onBackend('ts', () => getBackend()), wasm = onBackend('wasm', () => getBackend());
  const want = run(ts, s, x, w, g, 'float64');
  assert.ok(want[0]!.some((v) => v === Infinity || v === -Infinity) && want[1]!.some((v) => v === Infinity || v === -Infinity), 'the reference has infinities');
  try {
    for (const mode of ['always', 'auto'] as const) {
      setConvWinograd(mode);
      assert.ok(usesWinograd(s, 'forward') && usesWinograd(s, 'inputGrad'), mode);
      const got = run(wasm, s, x, w, g, 'float32');
      for (const k of [0, 1]) allclose(Array.from(got[k]!), Array.from(want[k]!), 1e-4, 1e-4, `${NAMES[k]} ${mode} with infinities`);
    }
  } finally {
    setConvWinograd('auto');
  }
});

test('wasm Winograd: chosen by channel counts where it is faster, and then it is what runs', () => {
  const grid = specOf([[1, 40, 16, 8, 8], 16, [3, 3], [1, 1], [1, 1], [1, 1], 1]);
  assert.ok(usesWinograd(grid, 'forward') && usesWinograd(grid, 'inputGrad'));
  const narrow = specOf([[1, 40, 4, 8, 8], 16, [3, 3], [1, 1], [1, 1], [1, 1], 1]);
  assert.ok(usesWinograd(narrow, 'forward') && !usesWinograd(narrow, 'inputGrad'), '4 → 16 forward; its gradient 16 → 4 direct');
  assert.not.ok(usesWinograd(specOf([[1, 4, 1, 8, 8], 4, [3, 3], [1, 1], [1, 1], [1, 1], 1]), 'forward'), '1 → 4 direct');
  assert.not.ok(usesWinograd(specOf([[1, 4, 16, 8, 8], 16, [3, 3], [2, 2], [1, 1], [1, 1], 1]), 'forward'), 'stride 2 direct');
  assert.not.ok(usesWinograd(specOf([[1, 4, 16, 8, 8], 16, [3, 3], [1, 1], [2, 2], [2, 2], 1]), 'forward'), 'dilation 2 direct');
  assert.not.ok(usesWinograd(specOf([[1, 4, 16, 8, 8], 16, [3, 3], [1, 1], [1, 1], [1, 1], 2]), 'forward'), 'groups direct');
  const wasm = onBackend('wasm', () => getBackend());
  const { x, w, g } = operands(grid, 300);
  const auto = run(wasm, grid, x, w, g, 'float32');
  try {
    setConvWinograd('always');
    const wino = run(wasm, grid, x, w, g, 'float32');
    setConvWinograd('never');
    const direct = run(wasm, grid, x, w, g, 'float32');
    assert.equal(Array.from(auto[0]!), Array.from(wino[0]!));
    assert.equal(Array.from(auto[1]!), Array.from(wino[1]!));
    // Different roundings: the bits show which kernel ran.
    assert.ok(auto[0]!.some((v, i) => v !== direct[0]![i]), 'the forward is not the direct kernel\'s');
  } finally {
    setConvWinograd('auto');
  }
});

test.run();
