/**
 * The wasm backend against the TypeScript reference: matmul on awkward shapes, all
 * transpose variants and batch broadcasting; argument errors; the memory scheme; and
 * the rules for choosing the relaxed-SIMD build.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MatmulSpec } from '../src/backend/backend.ts';
import { tsBackend } from '../src/backend/ts.ts';
import { initWasm, selectWasmVariant, wasmMemoryBytes, type WasmBackend } from '../src/backend/wasm/index.ts';
import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from '../src/backend/wasm/generated/bytes.ts';
import { Rng } from '../src/random/rng.ts';

const maybeWasm = await initWasm();
if (!maybeWasm) throw new Error('wasm-parity: this runtime lacks WebAssembly SIMD; the suite cannot run');
const wasm: WasmBackend = maybeWasm;

function normals(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

interface Case {
  batch: number; m: number; k: number; n: number;
  transA: boolean; transB: boolean;
  /** Batch strides; default: matrices packed back to back. */
  aBatchStride?: number; bBatchStride?: number;
}

function specOf(c: Case): MatmulSpec {
  return {
    batch: c.batch, m: c.m, k: c.k, n: c.n, transA: c.transA, transB: c.transB,
    aBatchStride: c.aBatchStride ?? c.m * c.k, bBatchStride: c.bBatchStride ?? c.k * c.n,
  };
}

function describe(s: MatmulSpec): string {
  return `batch=${s.batch} m=${s.m} k=${s.k} n=${s.n} transA=${s.transA} transB=${s.transB} ` +
    `aBatchStride=${s.aBatchStride} bBatchStride=${s.bBatchStride}`;
}

function spanOf(count: number, stride: number, size: number): number {
  return count === 0 || size === 0 ? 0 : (count - 1) * stride + size;
}

/**
 * Runs both backends on random operands and checks every output element with
 * |wasm - ref| <= 1e-5 · Σ_p |A_ip·B_pj|. That sum is the scale of the rounding error
 * of any summation order of the dot product (it bounds |ref| too); the reference
 * accumulates in float64, so this measures the wasm kernel's float32 error alone.
 */
function checkParity(c: Case, seed: number): void {
  const spec = specOf(c);
  const rng = new Rng(seed);
  const a = normals(rng, spanOf(spec.batch, spec.aBatchStride, spec.m * spec.k));
  const b = normals(rng, spanOf(spec.batch, spec.bBatchStride, spec.k * spec.n));
  const size = spec.batch * spec.m * spec.n;
  // Out starts as garbage, plus a sentinel tail that must survive untouched.
  const got = new Float32Array(size + 3).fill(Number.NaN);
  got.fill(7, size);
  const want = new Float32Array(size);
  const scale = new Float32Array(size);
  wasm.matmul(a, b, got, spec);
  tsBackend.matmul(a, b, want, spec);
  tsBackend.matmul(a.map(Math.abs), b.map(Math.abs), scale, spec);
  for (let i = 0; i < size; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= 1e-5 * scale[i]!)) {
      assert.unreachable(`${describe(spec)}: out[${i}] = ${got[i]} but reference ${want[i]} (|err| ${err}, scale ${scale[i]})`);
    }
  }
  assert.equal(Array.from(got.subarray(size)), [7, 7, 7], `${describe(spec)}: wrote past the output`);
}

const TRANSPOSES: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true], [true, true]];

test('matmul: every (m, k, n) in {1, 3, 17, 65}³, all transposes, batch 2', () => {
  const sizes = [1, 3, 17, 65];
  let seed = 1;
  for (const m of sizes) for (const k of sizes) for (const n of sizes) {
    for (const [transA, transB] of TRANSPOSES) checkParity({ batch: 2, m, k, n, transA, transB }, seed++);
  }
});

test('matmul: few rows of A against whole 8-wide panels of B (B read in place, unpacked), either side of the limit', () => {
  let seed = 200;
  for (const m of [1, 2, 3, 4, 5, 10, 31, 32, 33]) {
    for (const [k, n] of [[1, 8], [3, 16], [40, 40], [17, 64], [300, 8], [5, 1032]] as const) {
      for (const [transA, transB] of TRANSPOSES) checkParity({ batch: 3, m, k, n, transA, transB }, seed++);
    }
  }
});

test('matmul: the unpacked small-product path (k ≤ 256, n a multiple of 4, k·n ≤ 4096): every row tile and the 4-wide column edge', () => {
  let seed = 500;
  for (const m of [1, 2, 3, 4, 5, 7, 10, 11]) {
    for (const [k, n] of [[1, 4], [10, 12], [40, 20], [3, 36], [100, 40], [17, 44], [64, 60], [256, 16], [257, 12], [64, 68]] as const) {
      for (const [transA, transB] of TRANSPOSES) {
        checkParity({ batch: 3, m, k, n, transA, transB }, seed++);
        checkParity({ batch: 3, m, k, n, transA, transB, bBatchStride: 0 }, seed++);
      }
    }
  }
});

test('matmul: sizes around the tile and cache blocks (63, 65, 129, k > 256, n > 1024)', () => {
  const shapes: Array<[number, number, number]> = [
    [63, 129, 65], [129, 63, 129], [129, 129, 129], [130, 300, 33], [5, 257, 9], [3, 7, 1030], [2, 520, 1025],
  ];
  let seed = 100;
  for (const [m, k, n] of shapes) {
    for (const [transA, transB] of TRANSPOSES) checkParity({ batch: 1, m, k, n, transA, transB }, seed++);
  }
});

test('matmul: batch broadcasting (stride 0), padded and overlapping batch strides', () => {
  let seed = 200;
  for (const [transA, transB] of TRANSPOSES) {
    for (const [m, k, n] of [[17, 63, 65], [3, 1, 17], [65, 17, 1], [1, 65, 3]] as const) {
      checkParity({ batch: 5, m, k, n, transA, transB, aBatchStride: 0 }, seed++);
      checkParity({ batch: 5, m, k, n, transA, transB, bBatchStride: 0 }, seed++);
      checkParity({ batch: 3, m, k, n, transA, transB, aBatchStride: 0, bBatchStride: 0 }, seed++);
      checkParity({ batch: 4, m, k, n, transA, transB, aBatchStride: m * k + 5, bBatchStride: k * n + 3 }, seed++);
      checkParity({ batch: 4, m, k, n, transA, transB, aBatchStride: Math.max(1, m * k - 2), bBatchStride: 1 }, seed++);
    }
  }
});

test('matmul: the sinusoid MAML shapes (25 tasks), forward and backward', () => {
  let seed = 300;
  const cases: Case[] = [
    { batch: 25, m: 10, k: 1, n: 40, transA: false, transB: false, bBatchStride: 0 },
    { batch: 25, m: 10, k: 40, n: 40, transA: false, transB: false },
    { batch: 25, m: 10, k: 40, n: 1, transA: false, transB: false },
    { batch: 25, m: 10, k: 40, n: 40, transA: false, transB: true }, // dX = dY·Wᵀ
    { batch: 25, m: 40, k: 10, n: 40, transA: true, transB: false }, // dW = Xᵀ·dY
    { batch: 25, m: 10, k: 1, n: 40, transA: false, transB: true },
    { batch: 25, m: 40, k: 10, n: 1, transA: true, transB: false },
    { batch: 25, m: 1, k: 10, n: 40, transA: true, transB: false },
  ];
  for (const c of cases) checkParity(c, seed++);
});

test('matmul: k = 0 writes zeros; empty batch and empty output are no-ops', () => {
  const out = new Float32Array(6).fill(Number.NaN);
  wasm.matmul(new Float32Array(0), new Float32Array(0), out, specOf({ batch: 2, m: 1, k: 0, n: 3, transA: false, transB: false }));
  assert.equal(Array.from(out), [0, 0, 0, 0, 0, 0]);
  const untouched = new Float32Array(2).fill(5);
  wasm.matmul(new Float32Array(4), new Float32Array(4), untouched, specOf({ batch: 0, m: 2, k: 2, n: 2, transA: false, transB: false }));
  wasm.matmul(new Float32Array(4), new Float32Array(0), untouched, specOf({ batch: 1, m: 2, k: 2, n: 0, transA: false, transB: false }));
  assert.equal(Array.from(untouched), [5, 5]);
});

test('matmul: NaN in A poisons exactly its output row', () => {
  for (const [m, k, n] of [[6, 9, 11], [6, 9, 1], [1, 9, 11]] as const) {
    const rng = new Rng(5);
    const a = normals(rng, m * k), b = normals(rng, k * n);
    a[k * (m - 1) + 2] = Number.NaN; // row m-1
    const out = new Float32Array(m * n);
    wasm.matmul(a, b, out, specOf({ batch: 1, m, k, n, transA: false, transB: false }));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) assert.is(Number.isNaN(out[i * n + j]!), i === m - 1, `m=${m} n=${n} out[${i},${j}]`);
    }
  }
});

test('matmul: a batch larger than the scratch budget is chunked, and stays correct', () => {
  // 1200 × 3 × 64² floats ≈ 59 MB, above the 32 MB budget of one kernel call. The bound is
  // on the scratch the product asked for (what earlier tests left in wasm memory does not count).
  wasm.resident!.scratchHighWater(true);
  checkParity({ batch: 1200, m: 64, k: 64, n: 64, transA: false, transB: true }, 400);
  const scratch = wasm.resident!.scratchHighWater(false);
  assert.ok(scratch > 0 && scratch <= 33 * 1024 * 1024, `scratch ${scratch} bytes; chunking should bound it near 32 MB`);
});

test('matmul: float64 storage delegates to the reference, bit for bit', () => {
  const rng = new Rng(6);
  const spec = specOf({ batch: 2, m: 5, k: 7, n: 3, transA: true, transB: false });
  const a = Float64Array.from(normals(rng, 70)), b = Float64Array.from(normals(rng, 42));
  const got = new Float64Array(30), want = new Float64Array(30);
  wasm.matmul(a, b, got, spec);
  tsBackend.matmul(a, b, want, spec);
  assert.equal(Array.from(got), Array.from(want));
});

test('matmul: bad arguments throw, naming the kernel and the values', () => {
  const spec = specOf({ batch: 2, m: 3, k: 4, n: 5, transA: false, transB: false });
  const a = new Float32Array(24), b = new Float32Array(40), out = new Float32Array(30);
  assert.throws(() => wasm.matmul(a.subarray(0, 23), b, out, spec), /wasm matmul: a has 23 elements .*m=3, k=4.*reads 24/);
  assert.throws(() => wasm.matmul(a, b.subarray(0, 39), out, spec), /wasm matmul: b has 39 elements .*k=4, n=5.*reads 40/);
  assert.throws(() => wasm.matmul(a, b, out.subarray(0, 29), spec), /wasm matmul: out has 29 elements .*writes 30/);
  assert.throws(() => wasm.matmul(a, b, out, { ...spec, m: -1 }), /wasm matmul: spec\.m must be a non-negative integer, got -1/);
  assert.throws(() => wasm.matmul(a, b, out, { ...spec, aBatchStride: 1.5 }), /spec\.aBatchStride .* got 1\.5/);
  assert.throws(() => wasm.matmul(a, b, out, { ...spec, k: Number.NaN }), /spec\.k .* got NaN/);
});

test('methods without a worthwhile wasm kernel are the reference ones', () => {
  assert.is(wasm.name, 'wasm');
  for (const method of ['where', 'take', 'scatterAdd'] as const) {
    assert.is(wasm[method], tsBackend[method], method);
  }
});

test('reduce sum: every [outer, size, inner] over awkward sizes equals the reference', () => {
  const rng = new Rng(21);
  for (const outer of [1, 3, 25]) {
    for (const size of [1, 3, 17, 63, 65]) {
      for (const inner of [1, 3, 4, 17, 129]) {
        const x = Float32Array.from({ length: outer * size * inner }, () => rng.normal());
        const got = new Float32Array(outer * inner), want = new Float32Array(outer * inner);
        wasm.reduce('sum', x, got, outer, size, inner);
        tsBackend.reduce('sum', x, want, outer, size, inner);
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            // f32 accumulation: the error scale of a sum is Σ|x|.
            let scale = 0;
            for (let j = 0; j < size; j++) scale += Math.abs(x[(o * size + j) * inner + i]!);
            const k = o * inner + i;
            assert.ok(Math.abs(got[k]! - want[k]!) <= 1e-5 * scale, `[${outer},${size},${inner}] at ${k}: ${got[k]} vs ${want[k]}`);
          }
        }
      }
    }
  }
  const maxOut = new Float32Array(1);
  wasm.reduce('max', Float32Array.of(1, 5, 2), maxOut, 1, 3, 1);
  assert.is(maxOut[0], 5, 'max delegates to the reference');
});

test('linear and activationGrad: fused kernels equal the reference over awkward shapes', () => {
  const rng = new Rng(22);
  const acts = ['identity', 'relu', 'tanh', 'sigmoid'] as const;
  for (const [batch, m, k, n, biasStride] of [[1, 1, 1, 1, 0], [3, 17, 5, 63, 63], [25, 10, 40, 40, 0], [2, 65, 3, 129, 129], [4, 3, 17, 1, 1]] as const) {
    const spec = specOf({ batch, m, k, n, transA: false, transB: false });
    const a = Float32Array.from({ length: batch * m * k }, () => rng.normal());
    const b = Float32Array.from({ length: batch * k * n }, () => rng.normal());
    const bias = Float32Array.from({ length: biasStride === 0 ? n : batch * n }, () => rng.normal());
    for (const act of acts) {
      const got = new Float32Array(batch * m * n), want = new Float32Array(batch * m * n);
      wasm.linear(a, b, bias, got, spec, biasStride, act);
      tsBackend.linear(a, b, bias, want, spec, biasStride, act);
      for (let i = 0; i < got.length; i++) {
        assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)) * Math.sqrt(k), `linear ${act} [${batch},${m},${k},${n}] at ${i}: ${got[i]} vs ${want[i]}`);
      }
    }
  }
  for (const len of [1, 3, 17, 63, 64, 65, 129]) {
    const g = Float32Array.from({ length: len }, () => rng.normal());
    const y = Float32Array.from({ length: len }, () => Math.tanh(rng.normal()));
    for (const act of acts) {
      const got = new Float32Array(len), want = new Float32Array(len);
      wasm.activationGrad(act, g, y, got);
      tsBackend.activationGrad(act, g, y, want);
      for (let i = 0; i < len; i++) {
        assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6 * (1 + Math.abs(want[i]!)), `activationGrad ${act} n=${len} at ${i}: ${got[i]} vs ${want[i]}`);
      }
    }
  }
});

/** A float32 view of a fresh block of the backend's resident memory (where compiled programs live). */
function residentFloats(n: number): { view: () => Float32Array; free: () => void } {
  const bytes = 4 * Math.max(4, Math.ceil(n / 4) * 4);
  const at = wasm.resident!.alloc(bytes);
  return { view: () => new Float32Array(wasm.resident!.buffer(), at, n), free: () => wasm.resident!.free(at, bytes) };
}

test('copyStrided: on resident memory the wasm walk equals the reference (broadcast, transpose, slice, pad, flip)', () => {
  const rng = new Rng(23);
  const stridesOf = (shape: readonly number[]): number[] => {
    const s = new Array<number>(shape.length);
    for (let d = shape.length - 1, acc = 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]!; }
    return s;
  };
  // [box shape, source strides, source offset, source length]
  const cases: [number[], number[], number, number][] = [
    [[25, 40, 40], [0, 40, 1], 0, 1600],            // share one matrix over a batch
    [[25, 10, 40], [40, 0, 1], 0, 1000],            // repeat rows
    [[25, 10, 1], [1, 0, 0], 0, 25],                // repeat one value per batch element
    [[17, 63], [1, 17], 0, 17 * 63],                // transpose
    [[3, 17, 5], [85, 1, 17], 0, 255],              // permute the last two of three
    [[3, 5], [9, 1], 11, 60],                       // slice with an offset
    [[65], [-1], 64, 65],                           // reversed
    [[1], [0], 2, 3],                               // one element
    [[2, 3, 1, 4, 1, 5, 2, 3, 2], [720, 240, 0, 60, 0, 12, 6, 2, 1], 0, 1440], // rank 9 collapses to fit
    [[2, 3, 2, 3, 2, 3, 2, 3, 2, 3], [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 0, 3], // 10 dims that never merge: the reference
    [[4, 0, 3], [3, 3, 1], 0, 12],                  // empty box
  ];
  for (const [shape, srcStrides, srcOffset, srcLen] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    const dstStrides = stridesOf(shape);
    const srcData = normals(rng, srcLen);
    const want = new Float32Array(n + 3).fill(-7);
    tsBackend.copyStrided(srcData, srcOffset, srcStrides, want, 2, dstStrides, shape);
    const src = residentFloats(srcLen), dst = residentFloats(n + 3);
    src.view().set(srcData);
    dst.view().fill(-7);
    wasm.copyStrided(src.view(), srcOffset, srcStrides, dst.view(), 2, dstStrides, shape);
    assertSame(dst.view(), want, `copyStrided ${JSON.stringify(shape)} strides ${JSON.stringify(srcStrides)}`);
    src.free(); dst.free();
  }
});

test('axpy: a + alpha·b, a shared or not, resident or not, equals the reference bit for bit', () => {
  const rng = new Rng(24);
  for (const n of [1, 3, 17, 63, 64, 65, 129, 1000, 4099, 40000]) {
    for (const period of [...new Set([n, 1, 4, 40, 1600].filter((p) => n % p === 0))]) {
      const a = awkward(rng, period), b = awkward(rng, n);
      for (const alpha of [-0.01, 1, 0, 3.25]) {
        const want = new Float32Array(n), got = new Float32Array(n);
        tsBackend.axpy(a, b, alpha, want);
        wasm.axpy(a, b, alpha, got);
        assertSame(got, want, `axpy n=${n} period=${period} alpha=${alpha}`);
        const ra = residentFloats(period), rb = residentFloats(n), ro = residentFloats(n);
        ra.view().set(a); rb.view().set(b);
        wasm.axpy(ra.view(), rb.view(), alpha, ro.view());
        assertSame(ro.view(), want, `axpy resident n=${n} period=${period} alpha=${alpha}`);
        ra.free(); rb.free(); ro.free();
      }
    }
  }
  const a64 = Float64Array.of(1, 2), b64 = Float64Array.of(0.1, 0.2, 0.3, 0.4), o64 = new Float64Array(4);
  wasm.axpy(a64, b64, 0.5, o64);
  assert.equal(Array.from(o64), [1 + 0.5 * 0.1, 2 + 0.5 * 0.2, 1 + 0.5 * 0.3, 2 + 0.5 * 0.4], 'float64 goes to the reference');
  assert.throws(() => wasm.axpy(new Float32Array(3), new Float32Array(100), 1, new Float32Array(100)), /wasm axpy: a has 3 elements, b 100, out 100/);
});

test('matmul: a batch sharing one B (folded into A\'s rows) gives the bits of one product per batch element', () => {
  const rng = new Rng(25);
  for (const [batch, m, k, n] of [[25, 10, 40, 40], [3, 17, 65, 3], [4, 1, 1, 129], [2, 63, 300, 5]] as const) {
    const a = normals(rng, batch * m * k), b = normals(rng, k * n);
    const shared = new Float32Array(batch * m * n);
    wasm.matmul(a, b, shared, { batch, m, k, n, transA: false, transB: false, aBatchStride: m * k, bBatchStride: 0 });
    for (let t = 0; t < batch; t++) {
      const one = new Float32Array(m * n);
      wasm.matmul(a.subarray(t * m * k, (t + 1) * m * k), b, one, { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
      assertSame(shared.subarray(t * m * n, (t + 1) * m * n), one, `[${batch},${m},${k},${n}] batch ${t}`);
    }
  }
});

test('gemm: C + alpha·op(A)·op(B) fused into the tile stores gives the bits of matmul, mul and add run apart', () => {
  const rng = new Rng(26);
  // Thin products (a side of 1), tile and panel edges, k over one depth block (256), shared B.
  const shapes: [number, number, number, number, number?][] = [
    [2, 1, 3, 17], [2, 3, 1, 17], [2, 17, 3, 1], [2, 17, 65, 3], [2, 63, 17, 65], [3, 65, 129, 9],
    [1, 5, 300, 17], [2, 4, 257, 8], [25, 10, 40, 40], [25, 10, 40, 40, 0], [25, 40, 10, 40], [1, 129, 3, 63], [2, 3, 0, 5],
  ];
  for (const [batch, m, k, n, bStride] of shapes) {
    for (const [transA, transB] of TRANSPOSES) {
      for (const alpha of [1, -0.01, 3.25]) {
        for (const withAddend of [false, true]) {
          const spec: MatmulSpec = { batch, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: bStride ?? k * n };
          const a = normals(rng, batch * m * k), b = normals(rng, spanOf(batch, spec.bBatchStride, k * n));
          const size = batch * m * n;
          const c0 = withAddend ? awkward(rng, size) : null;
          // The unfused reference: the wasm product, then the f32 scale, then the f32 sum.
          const want = new Float32Array(size);
          wasm.matmul(a, b, want, spec);
          for (let i = 0; i < size; i++) {
            if (alpha !== 1) want[i] = Math.fround(want[i]! * Math.fround(alpha));
            if (c0) want[i] = Math.fround(c0[i]! + want[i]!);
          }
          const what = `gemm ${describe(spec)} alpha=${alpha} addend=${withAddend}`;
          const got = new Float32Array(size);
          wasm.gemm(a, b, c0, got, spec, alpha);
          assertSame(got, want, `${what} (copied in)`);
          const ra = residentFloats(a.length), rb = residentFloats(b.length), rc = residentFloats(size), ro = residentFloats(size + 3);
          ra.view().set(a); rb.view().set(b);
          if (c0) rc.view().set(c0);
          ro.view().fill(Number.NaN); ro.view().fill(7, size);
          wasm.gemm(ra.view(), rb.view(), c0 ? rc.view() : null, ro.view().subarray(0, size), spec, alpha);
          assertSame(ro.view(), Float32Array.from([...want, 7, 7, 7]), `${what} (resident, fused)`);
          // The reference backend agrees to matmul's rounding (it sums in float64).
          const ref = new Float32Array(size);
          tsBackend.gemm(a, b, c0, ref, spec, alpha);
          for (let i = 0; i < size; i++) {
            const tol = 1e-5 * (Math.abs(ref[i]!) + Math.abs(c0?.[i] ?? 0) + Math.abs(alpha) * k + 1);
            if (!(ref[i] === want[i] || Math.abs(ref[i]! - want[i]!) <= tol || (Number.isNaN(ref[i]!) && Number.isNaN(want[i]!)))) {
              assert.unreachable(`${what}: reference [${i}] = ${ref[i]}, wasm ${want[i]}`);
            }
          }
          ra.free(); rb.free(); rc.free(); ro.free();
        }
      }
    }
  }
  const same = new Float32Array(6);
  assert.throws(() => wasm.gemm(new Float32Array(6), new Float32Array(6), same, same, { batch: 1, m: 2, k: 3, n: 3, transA: false, transB: false, aBatchStride: 6, bBatchStride: 9 }, 1), /gemm: addend and out overlap/);
});

/** Normal draws salted with the values elementwise kernels get wrong first. */
function awkward(rng: Rng, n: number): Float32Array {
  const specials = [0, -0, 1, -1, Number.NaN, Infinity, -Infinity, 1e-40, -3.5, 2];
  const x = normals(rng, n);
  for (let i = 0; i < n; i += 7) x[i] = specials[rng.int(specials.length)]!;
  return x;
}

/** Exact equality, NaN equal to NaN; ±0 equal (wasm max/min may pick the other zero). */
function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (!(g === w || (Number.isNaN(g) && Number.isNaN(w)))) assert.unreachable(`${what}: [${i}] = ${g}, reference ${w}`);
  }
}

const UNARY_OPS = ['neg', 'exp', 'log', 'sin', 'cos', 'tanh', 'sqrt', 'abs', 'sign', 'sigmoid', 'relu', 'step', 'square', 'reciprocal'] as const;
const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq'] as const;
const LENGTHS = [1, 3, 17, 63, 64, 65, 129, 1000, 4099];

test('unary: every op, on lengths below and above the wasm threshold, equals the reference', () => {
  const rng = new Rng(8);
  for (const n of LENGTHS) {
    const x = awkward(rng, n);
    for (const op of UNARY_OPS) {
      const got = new Float32Array(n), want = new Float32Array(n);
      wasm.unary(op, x, got);
      tsBackend.unary(op, x, want);
      assertSame(got, want, `unary ${op} n=${n}`);
    }
  }
});

test('binary: every op, equal shapes and scalar broadcasts either side, equals the reference', () => {
  const rng = new Rng(9);
  for (const n of LENGTHS) {
    const a = awkward(rng, n), b = awkward(rng, n), s = awkward(rng, 1);
    for (const op of BINARY_OPS) {
      for (const [x, xs, y, ys] of [[a, [n], b, [n]], [s, [], b, [n]], [a, [n], s, [1]]] as const) {
        const got = new Float32Array(n), want = new Float32Array(n);
        wasm.binary(op, x, xs, y, ys, got, [n]);
        tsBackend.binary(op, x, xs, y, ys, want, [n]);
        assertSame(got, want, `binary ${op} n=${n} shapes ${JSON.stringify(xs)}, ${JSON.stringify(ys)}`);
      }
    }
  }
});

test('binary: general broadcasting and float64 go to the reference', () => {
  const rng = new Rng(10);
  const a = normals(rng, 40 * 65), b = normals(rng, 65);
  const got = new Float32Array(40 * 65), want = new Float32Array(40 * 65);
  wasm.binary('add', a, [40, 65], b, [65], got, [40, 65]);
  tsBackend.binary('add', a, [40, 65], b, [65], want, [40, 65]);
  assertSame(got, want, 'row broadcast');
  const a64 = Float64Array.from(a), got64 = new Float64Array(a.length), want64 = new Float64Array(a.length);
  wasm.unary('relu', a64, got64);
  tsBackend.unary('relu', a64, want64);
  assert.equal(Array.from(got64), Array.from(want64));
});

test('memory: thousands of mixed-size matmul and elementwise calls leave wasm memory flat after warm-up', () => {
  const rng = new Rng(7);
  const dims = [1, 2, 3, 10, 17, 40, 64, 65, 129];
  const pool = normals(rng, 4 * 129 * 129);
  const out = new Float32Array(4 * 129 * 129);
  const call = (m: number, k: number, n: number, batch: number, transA: boolean, transB: boolean): void =>
    wasm.matmul(pool, pool, out, specOf({ batch, m, k, n, transA, transB }));
  // Warm-up: the largest call of the run below.
  call(129, 129, 129, 4, false, false);
  const warm = wasmMemoryBytes();
  assert.ok(warm > 0);
  for (let i = 0; i < 3000; i++) {
    const pick = (): number => dims[rng.int(dims.length)]!;
    call(pick(), pick(), pick(), 1 + rng.int(4), rng.uniform() < 0.5, rng.uniform() < 0.5);
    const len = 64 + rng.int(129 * 129 - 64);
    wasm.binary('mul', pool.subarray(0, len), [len], pool.subarray(1, len + 1), [len], out.subarray(0, len), [len]);
    wasm.unary('relu', pool.subarray(0, len), out.subarray(0, len));
    if (wasmMemoryBytes() !== warm) assert.unreachable(`call ${i}: wasm memory went from ${warm} to ${wasmMemoryBytes()} bytes`);
  }
});

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

test('relaxed SIMD: used only when requested, and only where the runtime validates it', async () => {
  const canRelax = WebAssembly.validate(decode(RELAXED_SIMD_WASM_BASE64));
  assert.is(WebAssembly.validate(decode(SIMD_WASM_BASE64)), true);
  assert.is(selectWasmVariant(), 'simd');
  assert.is((await initWasm())?.variant, 'simd');
  assert.is(selectWasmVariant({ relaxedSimd: true }), canRelax ? 'relaxed-simd' : 'simd');
  assert.is((await initWasm({ relaxedSimd: true }))?.variant, canRelax ? 'relaxed-simd' : 'simd');
});

test('relaxed SIMD: a runtime that validates it uses it on opt-in only, with parity', () => {
  // Node 20 validates relaxed SIMD only behind a V8 flag: run a child with the flag.
  const index = fileURLToPath(new URL('../src/backend/wasm/index.ts', import.meta.url));
  const ts = fileURLToPath(new URL('../src/backend/ts.ts', import.meta.url));
  const script = `
    const { initWasm } = await import(${JSON.stringify(index)});
    const { tsBackend } = await import(${JSON.stringify(ts)});
    const plain = await initWasm();
    const relaxed = await initWasm({ relaxedSimd: true });
    const spec = { batch: 3, m: 17, k: 65, n: 33, transA: true, transB: false, aBatchStride: 17 * 65, bBatchStride: 0 };
    const a = Float32Array.from({ length: 3 * 17 * 65 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 65 * 33 }, (_, i) => Math.cos(i));
    const got = new Float32Array(3 * 17 * 33), want = new Float32Array(3 * 17 * 33);
    relaxed.matmul(a, b, got, spec);
    tsBackend.matmul(a, b, want, spec);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + 1));
    console.log(JSON.stringify({ plain: plain.variant, relaxed: relaxed.variant, worst }));
  `;
  const child = spawnSync(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '--eval', script],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.is(child.status, 0, `child failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as { plain: string; relaxed: string; worst: number };
  assert.is(result.plain, 'simd');
  assert.is(result.relaxed, 'relaxed-simd');
  assert.ok(result.worst < 1e-5, `relaxed build differs from the reference by ${result.worst}`);
});

test('initWasm resolves to null, without throwing, where SIMD does not validate', async () => {
  const original = WebAssembly.validate;
  WebAssembly.validate = () => false; // a runtime with WebAssembly but no SIMD
  try {
    assert.is(await initWasm(), null);
    assert.is(await initWasm({ relaxedSimd: true }), null);
  } finally {
    WebAssembly.validate = original;
  }
});

test.run();
