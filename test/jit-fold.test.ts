/**
 * Fusions that remove elementwise passes next to products (issue #19):
 * - an addend shared by a batch of products (θ + α·gₜ for every task's gradient gₜ, the
 *   first inner step of MAML) runs as a `gemm` whose C has batch stride 0 — the same bits
 *   as the unfused `addScaled`, checked against eager on the MAML meta-gradients and on
 *   small graphs, with the kernel's epilogue checked against the TypeScript reference;
 * - `mul(X, s)` read only as a product operand folds into the products' α
 *   (`optimize(g, { foldScales: true })`): NOT eager's bits (s·(x·W) against x·(s·W)),
 *   so it is checked to float32 rounding, with the bound justified where it is used;
 * - a batch of products Aₜᵀ·Bₜ summed over the batch becomes one product over the
 *   concatenated rows (`mergeBatchSums`), again to float32 rounding; `fastMath` runs both.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Tensor, jit, randomNormal, valueAndGrad, add, mul, matmul, matmulT, dense, addScaled, reshape, broadcastTo,
  sum, square, getBackend, relu, JitError,
} from '../src/index.ts';
import { MLP } from '../src/nn/index.ts';
import { maml, sinusoidTasks, taskTensors, type TaskBatch } from '../src/meta/index.ts';
import type { MatmulSpec } from '../src/backend/backend.ts';
import { tsBackend } from '../src/backend/ts.ts';
import { initWasm, type WasmBackend } from '../src/backend/wasm/index.ts';
import { bind } from '../src/autodiff/primitive.ts';
import { densePrim } from '../src/ops/dense.ts';
import { gemm } from '../src/ops/gemm.ts';
import { flattenArgs, rebuildArgs } from '../src/jit/signature.ts';
import { trace } from '../src/jit/trace.ts';
import { optimize, type OptimizeOptions } from '../src/jit/passes.ts';
import { Program } from '../src/jit/program.ts';
import { formatGraph } from '../src/jit/graph.ts';
import { assertGrads, assertTreeClose, eachBackend } from './engine-helpers.ts';

const maybeWasm = await initWasm();
if (!maybeWasm) throw new Error('jit-fold: this runtime lacks WebAssembly SIMD; the suite cannot run');
const wasm: WasmBackend = maybeWasm;


/** `f` traced, optimised with `options` and run once as a compiled program, as `jit` does. */
function compiled<A extends unknown[]>(f: (...args: A) => unknown, args: A, options: OptimizeOptions): { out: unknown; listing: string } {
  const { leaves } = flattenArgs(args, 'jit-fold');
  const traced = trace('jit-fold', (staged) => f(...rebuildArgs(args, staged)), leaves);
  const graph = optimize(traced.graph, options);
  const program = new Program(graph, getBackend());
  try {
    return { out: traced.rebuild(program.run(leaves)), listing: formatGraph(graph) };
  } finally {
    program.release();
  }
}

/** The workload of bench/jit.bench.ts: 25 sinusoid tasks, K = 10 + 10, MLP 1-40-40-1 ReLU, inner lr 0.01. */
function mamlCase(innerSteps: number) {
  const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
  const rng = new Rng(1);
  const meta = model.init(rng);
  const tasks = sinusoidTasks(rng, { numTasks: 25, K: 10, queryK: 10 });
  const learner = maml({ model, innerLr: 0.01, innerSteps });
  const metaGradient = (m: typeof meta, t: ReturnType<typeof taskTensors>) => valueAndGrad((mm: typeof meta) => learner.metaLoss(mm, t as TaskBatch))(m);
  return { meta, tasks, metaGradient, jitted: maml({ model, innerLr: 0.01, innerSteps, jit: true }) };
}

// ---- (a) an addend shared by the batch: the first inner step θ − lr·gₜ ----

eachBackend('jit-fold: MAML 1- and 5-step meta-gradients, jit (shared-θ gemm) equal eager bit for bit', () => {
  for (const steps of [1, 5]) {
    const { meta, tasks, metaGradient, jitted } = mamlCase(steps);
    const low = jitted.lower!(meta, tasks);
    // The first step's weight θ₂ − 0.01·g of [25,40,40] is one gemm reading θ₂ [1,40,40] for every task.
    assert.ok(/gemm\(%\d+, %\d+, %\d+\) \{\{alpha:-0\.01,transA:true,transB:false\}\} : f32\[25,40,40\]/.test(low.listing), low.listing);
    assert.not.ok(/addScaled\(.*: f32\[25,40,40\]/.test(low.listing), `no addScaled pass over [25,40,40]:\n${low.listing}`);
    const got = jitted.metaGradient(meta, tasks), want = metaGradient(meta, taskTensors(tasks));
    assert.ok(Object.is(got.loss, want[0].item()), `${steps} steps: loss ${got.loss} vs ${want[0].item()}`);
    assertTreeClose(got.grads, want[1], `maml ${steps} steps`);
  }
});

eachBackend('jit-fold: addScaled(θ, product) and add(broadcastTo(θ), product) become one gemm with a shared addend, the eager bits', () => {
  const rng = new Rng(5);
  for (const [m, k, n] of [[17, 3, 63], [40, 10, 40], [1, 65, 3], [63, 1, 17], [3, 17, 1]] as const) {
    const a = randomNormal(rng, [4, k, m]), theta = randomNormal(rng, [m, n]);
    const b1 = randomNormal(rng, [4, k, n]), b2 = randomNormal(rng, [4, k, n]), b3 = randomNormal(rng, [4, k, n]);
    const f = (a: Tensor, b1: Tensor, b2: Tensor, b3: Tensor, theta: Tensor) => [
      addScaled(theta, matmulT(a, b1, true, false), -0.01),                                // θ − 0.01·aᵀb per task
      add(broadcastTo(reshape(theta, [1, m, n]), [4, m, n]), matmulT(a, b2, true, false)), // θ + aᵀb, broadcast explicitly
      add(matmulT(a, b3, true, false), theta),                                              // θ + aᵀb, broadcast by add
    ];
    const jf = jit(f);
    const low = jf.lower(a, b1, b2, b3, theta);
    assert.is(low.opCounts['gemm'], 3, `[${m},${k},${n}]:\n${low.listing}`);
    assert.is((low.opCounts['addScaled'] ?? 0) + (low.opCounts['add'] ?? 0) + (low.opCounts['broadcastTo'] ?? 0), 0, low.listing);
    assertTreeClose(jf(a, b1, b2, b3, theta), f(a, b1, b2, b3, theta), `[${m},${k},${n}]`);
  }
});

eachBackend('jit-fold: no shared-addend gemm where the addend is not one matrix for the whole batch or the product is read twice', () => {
  const rng = new Rng(6);
  const a = randomNormal(rng, [3, 4, 5, 7]), b1 = randomNormal(rng, [3, 4, 7, 6]), b2 = randomNormal(rng, [3, 4, 7, 6]), b3 = randomNormal(rng, [3, 4, 7, 6]);
  const perGroup = randomNormal(rng, [3, 1, 5, 6]), row = randomNormal(rng, [6]), theta = randomNormal(rng, [5, 6]);
  const f = (a: Tensor, b1: Tensor, b2: Tensor, b3: Tensor, c: Tensor, r: Tensor, theta: Tensor) => {
    const p = matmul(a, b3);
    return [
      add(c, matmul(a, b1)),             // C repeats over the inner batch axis only: kept (a general broadcast)
      addScaled(r, matmul(a, b2), 0.5),  // a row repeated over rows: the axpy kernel's period, not a matrix
      addScaled(theta, p, 0.5), sum(p),  // the product is read twice
    ];
  };
  const args = [a, b1, b2, b3, perGroup, row, theta] as const;
  const low = jit(f).lower(...args);
  assert.is(low.opCounts['gemm'] ?? 0, 0, low.listing);
  assert.is(low.opCounts['addScaled'], 2, low.listing);
  assert.is(low.opCounts['add'], 1, low.listing);
  assertTreeClose(jit(f)(...args), f(...args), 'not fused');
});

eachBackend('jit-fold: gemm with a broadcast addend, eager: the bits of add(C, mul(P, α)), and dC sums over the batch', () => {
  const rng = new Rng(8);
  const a = randomNormal(rng, [5, 17, 9]), b = randomNormal(rng, [5, 9, 3]);
  for (const c of [randomNormal(rng, [17, 3]), randomNormal(rng, [1, 17, 3]), randomNormal(rng, [5, 1, 3]), randomNormal(rng, [3])]) {
    assertTreeClose(gemm(a, b, c, -0.25), add(c, mul(matmul(a, b), -0.25)), `addend ${c.shape.join('x')}`);
  }
  assert.throws(() => gemm(a, b, randomNormal(rng, [2, 17, 3])), /gemm: addend \[2, 17, 3\] must have the product's shape \[5, 17, 3\] or broadcast to it/);
  const a64 = randomNormal(rng, [3, 4, 5], 0, 1, 'float64'), b64 = randomNormal(rng, [3, 5, 2], 0, 1, 'float64'), c64 = randomNormal(rng, [4, 2], 0, 1, 'float64');
  assertGrads('gemm shared addend', (a, b, c) => sum(square(gemm(a, b, c, -0.5))), [a64, b64, c64]);
});

// ---- the kernels: shared addend (gemm) and a scaled product (dense) against the reference ----

const DIMS = [1, 3, 17, 40, 63, 65];

/**
 * Normals in wasm linear memory (where a compiled program's buffers live: the in-place
 * kernel path), bump-allocated in one block reserved up front with the kernels' scratch,
 * so that no call grows memory (which would detach the views).
 */
const POOL_BYTES = 1 << 20;
const pool = (() => {
  const r = wasm.resident!;
  r.ensureScratch(1 << 20);
  return { at: r.alloc(POOL_BYTES), used: 0 };
})();
test.after(() => wasm.resident!.free(pool.at, POOL_BYTES));
function resident(rng: Rng, n: number): Float32Array {
  const bytes = Math.ceil(Math.max(n, 4) / 4) * 16;
  if (pool.used + bytes > POOL_BYTES) throw new Error('jit-fold: test pool exhausted');
  const view = new Float32Array(wasm.resident!.buffer(), pool.at + pool.used, n);
  pool.used += bytes;
  for (let i = 0; i < n; i++) view[i] = rng.normal();
  return view;
}

/** |wasm − ref| ≤ 1e-5·(|C| + |α|·Σ|A||B|) + tiny: the product's float32 error scaled by α, plus the sum's rounding. */
function checkGemm(spec: MatmulSpec, alpha: number, seed: number, what: string): void {
  const rng = new Rng(seed);
  pool.used = 0;
  const { batch, m, k, n } = spec;
  const a = resident(rng, batch * m * k), b = resident(rng, batch * k * n), c = resident(rng, m * n);
  const got = resident(rng, batch * m * n);
  const want = new Float32Array(batch * m * n), scale = new Float32Array(batch * m * n), full = new Float32Array(batch * m * n);
  for (let t = 0; t < batch; t++) full.set(c, t * m * n);
  wasm.gemm(a, b, c, got, spec, alpha);
  tsBackend.gemm(a, b, c, want, spec, alpha);
  tsBackend.gemm(a.map(Math.abs), b.map(Math.abs), c.map(Math.abs), scale, spec, Math.abs(alpha));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= 1e-5 * scale[i]! + 1e-30)) assert.unreachable(`${what}: out[${i}] = ${got[i]} but reference ${want[i]} (scale ${scale[i]})`);
  }
  // The shared addend is exactly the addend repeated: same bits as the full one, on both backends.
  const fullResident = resident(rng, full.length);
  fullResident.set(full);
  const gotFull = resident(rng, full.length);
  wasm.gemm(a, b, fullResident, gotFull, spec, alpha);
  assert.equal(Array.from(got), Array.from(gotFull), `${what}: shared vs repeated addend (wasm)`);
  const wantFull = new Float32Array(full.length);
  tsBackend.gemm(a, b, full, wantFull, spec, alpha);
  assert.equal(Array.from(want), Array.from(wantFull), `${what}: shared vs repeated addend (ts)`);
}

test('jit-fold: wasm gemm with a shared addend (batch stride 0) matches the reference, every (m, k, n) in {1, 3, 17, 40, 63, 65}³, all transposes', () => {
  let seed = 0;
  for (const m of DIMS) for (const k of DIMS) for (const n of DIMS) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const spec: MatmulSpec = { batch: 3, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: k * n };
      checkGemm(spec, seed % 2 === 0 ? -0.01 : 1, seed++, `batch 3, m=${m} k=${k} n=${n} transA=${transA} transB=${transB}`);
    }
  }
  // Depth beyond one cache block (KC = 256): the epilogue only on the last block. And k = 0.
  checkGemm({ batch: 2, m: 17, k: 300, n: 65, transA: false, transB: false, aBatchStride: 17 * 300, bBatchStride: 300 * 65 }, -0.5, 99, 'k = 300');
  checkGemm({ batch: 2, m: 3, k: 0, n: 5, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }, 2, 98, 'k = 0');
});

test('jit-fold: wasm linear with a product scale α matches the reference, in place and copied', () => {
  let seed = 100;
  for (const m of DIMS) for (const k of [1, 3, 17, 40, 65]) for (const n of DIMS) {
    for (const act of ['identity', 'relu'] as const) {
      const rng = new Rng(seed++);
      pool.used = 0;
      const spec: MatmulSpec = { batch: 2, m, k, n, transA: false, transB: false, aBatchStride: m * k, bBatchStride: k * n };
      const a = resident(rng, 2 * m * k), b = resident(rng, 2 * k * n), bias = resident(rng, 2 * n), got = resident(rng, 2 * m * n);
      const want = new Float32Array(2 * m * n), copied = new Float32Array(2 * m * n);
      wasm.linear(a, b, bias, got, spec, n, act, -0.01);
      tsBackend.linear(a, b, bias, want, spec, n, act, -0.01);
      wasm.linear(Float32Array.from(a), Float32Array.from(b), Float32Array.from(bias), copied, spec, n, act, -0.01);
      const scale = new Float32Array(2 * m * n);
      tsBackend.linear(a.map(Math.abs), b.map(Math.abs), bias.map(Math.abs), scale, spec, n, 'identity', 0.01);
      for (let i = 0; i < want.length; i++) {
        const what = `m=${m} k=${k} n=${n} ${act}: out[${i}]`;
        if (!(Math.abs(got[i]! - want[i]!) <= 1e-5 * scale[i]! + 1e-30)) assert.unreachable(`${what} = ${got[i]}, reference ${want[i]}`);
        assert.ok(Object.is(copied[i], got[i]), `${what}: copied ${copied[i]} vs in place ${got[i]}`);
      }
    }
  }
});

eachBackend('jit-fold: dense with a product scale: act(α·x·W + b), its rule checked at orders 1 and 2', () => {
  const rng = new Rng(12);
  const x = randomNormal(rng, [2, 3, 4], 0, 1, 'float64'), w = randomNormal(rng, [2, 4, 5], 0, 1, 'float64'), b = randomNormal(rng, [5], 0, 1, 'float64');
  for (const act of ['identity', 'tanh'] as const) {
    const scaled = (x: Tensor, w: Tensor, b: Tensor) => bind(densePrim, [x, w, b], { act, alpha: -0.5 });
    assertTreeClose(scaled(x, w, b), dense(x, mul(w, -0.5), b, act), `${act} value`, 1e-15);
    assertGrads(`dense α ${act}`, (x, w, b) => sum(square(scaled(x, w, b))), [x, w, b]);
  }
});

// ---- (b) a scalar folded into the products that read it (not eager's bits) ----

/*
 * Tolerance of the folded programs: folding moves one rounding (s·W rounded per element
 * becomes s·P rounded per output), a relative change ≤ 2⁻²⁴ of each term of the affected
 * dot products. The longest sums downstream have 40 terms (the hidden width; K = 10 and
 * 25 tasks sum fewer per output), so an output can move by ≤ 40·2⁻²⁴ ≈ 2.4e-6 of the
 * magnitude of its terms, bounded here by the leaf's largest element.
 */
const FOLD_RTOL = 40 * 2 ** -24;

eachBackend('jit-fold: MAML 1- and 5-step meta-gradients with foldScales equal eager to float32 rounding (40·2⁻²⁴ of each leaf)', () => {
  for (const steps of [1, 5]) {
    const { meta, tasks, metaGradient } = mamlCase(steps);
    const args: [typeof meta, ReturnType<typeof taskTensors>] = [meta, taskTensors(tasks)];
    const folded = compiled(metaGradient, args, { foldScales: true });
    // The step's scaled weight gradient that dense and gemm both read is never written: no mul over [25,40,40].
    assert.not.ok(/ = mul\(.*: f32\[25,40,(40|1)\]/.test(folded.listing), folded.listing);
    assert.ok(/dense\(.*\{\{act:"identity",alpha:-0\.0099/.test(folded.listing), folded.listing);
    const want = metaGradient(...args);
    assertTreeClose(folded.out, want, `maml ${steps} steps folded`, FOLD_RTOL);
    // Without the option: the mul stays and the bits are eager's.
    const exact = compiled(metaGradient, args, {});
    assert.ok(/ = mul\(.*: f32\[25,40,40\]/.test(exact.listing), exact.listing);
    assertTreeClose(exact.out, want, `maml ${steps} steps exact`);
  }
});

eachBackend('jit-fold: jit(f, { foldScales: true }) compiles the folded program (fewer ops, eager to float32 rounding); a non-boolean is named', () => {
  const { meta, tasks, metaGradient } = mamlCase(1);
  const args: [typeof meta, ReturnType<typeof taskTensors>] = [meta, taskTensors(tasks)];
  const exact = jit(metaGradient), folded = jit(metaGradient, { foldScales: true });
  assert.ok(folded.lower(...args).ops < exact.lower(...args).ops, 'the folded program has fewer ops');
  const want = metaGradient(...args);
  assertTreeClose(folded(...args), want, 'jit foldScales', FOLD_RTOL);
  assertTreeClose(exact(...args), want, 'jit default');
  assert.throws(() => jit(metaGradient, { foldScales: 'yes' as unknown as boolean }), /foldScales must be true or false, got "yes"/);
});

eachBackend('jit-fold: foldScales moves a scale read by dense and gemm/matmul into their α, and keeps it where any reader cannot absorb it', () => {
  const rng = new Rng(21);
  const x = randomNormal(rng, [4, 10, 40]), h = randomNormal(rng, [4, 10, 40]), bias = randomNormal(rng, [4, 1, 40]), c = randomNormal(rng, [4, 10, 40]);
  // P = xᵀh is needed unscaled too (returned), so no epilogue absorbs the scale.
  const shared = (x: Tensor, h: Tensor, bias: Tensor, c: Tensor) => {
    const p = matmulT(x, h, true, false), sp = mul(p, -0.01);
    return [p, relu(dense(x, sp, bias)), add(c, matmulT(h, sp, false, true)), matmul(h, sp)];
  };
  const args = [x, h, bias, c] as const;
  const f = compiled(shared, [...args], { foldScales: true });
  assert.not.ok(/ = mul\(/.test(f.listing), f.listing);
  assert.ok(/gemm\(.*\{\{alpha:-0\.0099\d*,transA:false,transB:true\}\}/.test(f.listing), f.listing);
  assert.ok(/gemm\(%\d+, %\d+\) \{\{alpha:-0\.0099\d*,transA:false,transB:false\}\}/.test(f.listing), f.listing);
  assertTreeClose(f.out, shared(...args), 'folded', FOLD_RTOL);
  const cases: Record<string, (x: Tensor, h: Tensor, bias: Tensor, c: Tensor) => Tensor[]> = {
    // also an elementwise operand
    'read by add': (x, h, bias) => { const p = matmulT(x, h, true, false), sp = mul(p, -0.01); return [p, dense(x, sp, bias), add(sp, 1)]; },
    // returned
    returned: (x, h, bias) => { const p = matmulT(x, h, true, false), sp = mul(p, -0.01); return [p, dense(x, sp, bias), sp]; },
    // both operands of one product
    squared: (x, h) => { const p = matmulT(x, h, true, false), sp = mul(p, -0.01); return [p, matmul(sp, sp)]; },
    // the addend of a gemm
    'as an addend': (x, h) => { const p = matmulT(x, h, true, false), sp = mul(p, 2); return [p, add(sp, matmulT(h, x, true, false))]; },
    // a bias
    'as a bias': (x, h) => { const t = sum(h, 1, true), s = mul(t, 0.5); return [t, dense(x, matmulT(x, h, true, false), s)]; },
    // not a one-element constant
    'per-task scale': (x, h) => { const p = matmulT(x, h, true, false), sp = mul(p, new Tensor(new Float32Array([1, 2, 3, 4]), [4, 1, 1])); return [p, matmul(h, sp)]; },
  };
  for (const [what, g] of Object.entries(cases)) {
    const r = compiled(g, [...args], { foldScales: true });
    assert.ok(/ = mul\(/.test(r.listing), `${what}: the mul stays:\n${r.listing}`);
    assertTreeClose(r.out, g(...args), what);
  }
});

/*
 * Tolerance of the merged programs: an output of a merged product is the same sum of
 * T·K = 250 products (25 tasks × 10 points) added in another order, which moves it by at
 * most 2·249·2⁻²⁴ of Σ|terms| in the worst case; the terms here are of the leaf's scale or
 * below, and the deviations measured on these workloads are ≤ 4.1·2⁻²⁴ of it. Allowed:
 * 250·2⁻²⁴ (one rounding per merged term) of the leaf's largest element.
 */
const MERGE_RTOL = 250 * 2 ** -24;

eachBackend('jit-fold: mergeBatchSums turns the MAML meta-gradients\' task sums of weight gradients into one product each (eager to float32 rounding)', () => {
  for (const steps of [1, 5]) {
    const { meta, tasks, metaGradient } = mamlCase(steps);
    const args: [typeof meta, ReturnType<typeof taskTensors>] = [meta, taskTensors(tasks)];
    const exact = compiled(metaGradient, args, {});
    const merged = compiled(metaGradient, args, { mergeBatchSums: true });
    // The hidden layer's weight gradient: a product with 250 rows of depth (25 tasks × 10), no per-task [25,40,40] to sum.
    const mergedProducts = (listing: string) => (listing.match(/gemm\([^)]*\) \{\{alpha:1,transA:true,transB:false\}\} : f32\[1,40,40\]/g) ?? []).length;
    assert.ok(mergedProducts(merged.listing) >= 2, merged.listing);
    assert.is(mergedProducts(exact.listing), 0, exact.listing);
    const perTaskSums = (listing: string) => (listing.match(/ = sum\(%\d+\) \{\{axes:\[0\],keepDims:true\}\} : f32\[1,40,40\]/g) ?? []).length;
    assert.ok(perTaskSums(merged.listing) < perTaskSums(exact.listing) || perTaskSums(merged.listing) <= 1, merged.listing);
    const want = metaGradient(...args);
    assertTreeClose(merged.out, want, `maml ${steps} steps merged`, MERGE_RTOL);
    const fast = compiled(metaGradient, args, { mergeBatchSums: true, foldScales: true });
    assertTreeClose(fast.out, want, `maml ${steps} steps merged and folded`, MERGE_RTOL + FOLD_RTOL);
  }
});

eachBackend('jit-fold: mergeBatchSums merges Σₜ Aₜᵀ·Bₜ (matmul or gemm chain) and keeps every sum it cannot', () => {
  const rng = new Rng(31);
  const x = randomNormal(rng, [6, 5, 7]), y = randomNormal(rng, [6, 5, 3]), z = randomNormal(rng, [6, 5, 7]), w = randomNormal(rng, [6, 5, 3]);
  const merges: Record<string, (x: Tensor, y: Tensor, z: Tensor, w: Tensor) => Tensor[]> = {
    'matmul, keepDims': (x, y) => [sum(matmulT(x, y, true, false), 0, true)],
    'matmul, no keepDims': (x, y) => [sum(matmulT(x, y, true, false), 0)],
    'gemm chain': (x, y, z, w) => [sum(add(matmulT(z, w, true, false), mul(matmulT(x, y, true, false), -0.5)), 0, true)],
  };
  for (const [what, g] of Object.entries(merges)) {
    const r = compiled(g, [x, y, z, w], { mergeBatchSums: true });
    assert.not.ok(/ = sum\(/.test(r.listing), `${what}: no sum left:\n${r.listing}`);
    assert.ok(/gemm\(.*transA:true.*: f32\[1,7,3\]/.test(r.listing), `${what}: one merged product:\n${r.listing}`);
    assertTreeClose(r.out, g(x, y, z, w), what, 30 * 2 ** -24);
  }
  const kept: Record<string, (x: Tensor, y: Tensor, z: Tensor, w: Tensor) => Tensor[]> = {
    // the per-task products are returned too
    'product also returned': (x, y) => { const p = matmulT(x, y, true, false); return [p, sum(p, 0, true)]; },
    // Bᵀ stored: the rows of the depth axis are not contiguous across tasks
    transB: (x, _y, _z, w) => [sum(matmulT(x, reshape(w, [6, 3, 5]), true, true), 0, true)],
    // not transA: the batch does not concatenate along the depth
    'no transA': (x, _y, z) => [sum(matmulT(x, z, false, true), 0, true)],
    // summed over another axis
    'axis 1': (x, y) => [sum(matmulT(x, y, true, false), 1, true)],
  };
  for (const [what, g] of Object.entries(kept)) {
    const r = compiled(g, [x, y, z, w], { mergeBatchSums: true });
    assert.ok(/ = sum\(/.test(r.listing), `${what}: the sum stays:\n${r.listing}`);
    assertTreeClose(r.out, g(x, y, z, w), what);
  }
  // A shared operand (batch 1, broadcast by the product) is not concatenated either.
  const shared = (a: Tensor, b: Tensor) => [sum(matmulT(broadcastTo(a, [6, 5, 7]), b, true, false), 0, true)];
  const a1 = randomNormal(rng, [1, 5, 7]);
  const r = compiled(shared, [a1, y], { mergeBatchSums: true });
  assertTreeClose(r.out, shared(a1, y), 'shared operand');
});

eachBackend('jit-fold: jit(f, { fastMath }) runs both rewrites, a learner\'s fastMath reaches them, bad flags are named', () => {
  const { meta, tasks, metaGradient, jitted } = mamlCase(1);
  const args: [typeof meta, ReturnType<typeof taskTensors>] = [meta, taskTensors(tasks)];
  const want = metaGradient(...args);
  const fast = jit(metaGradient, { fastMath: true }), exact = jit(metaGradient);
  const fastOps = fast.lower(...args), exactOps = exact.lower(...args);
  assert.ok(fastOps.ops < exactOps.ops, `fastMath: ${fastOps.ops} ops against ${exactOps.ops}`);
  assert.ok(/f32\[1,40,40\]/.test(fastOps.listing) && !/ = mul\(.*: f32\[25,40,40\]/.test(fastOps.listing), fastOps.listing);
  assertTreeClose(fast(...args), want, 'jit fastMath', MERGE_RTOL + FOLD_RTOL);
  // Each pass can still be switched off on its own.
  const noMerge = jit(metaGradient, { fastMath: true, mergeBatchSums: false }).lower(...args).listing;
  assert.not.ok(/gemm\([^)]*\) \{\{alpha:1,transA:true,transB:false\}\} : f32\[1,40,40\]/.test(noMerge), noMerge);
  // The learner option: the same program, the same loss and gradients as the compiled function.
  const fastLearner = maml({ model: MLP({ sizes: [1, 40, 40, 1], activation: 'relu' }), innerLr: 0.01, jit: true, fastMath: true });
  assert.is(fastLearner.lower!(meta, tasks).ops, fastOps.ops);
  const viaLearner = fastLearner.metaGradient(meta, tasks);
  assertTreeClose(viaLearner.grads, want[1], 'learner fastMath', MERGE_RTOL + FOLD_RTOL);
  assert.ok(Math.abs(viaLearner.loss - (want[0] as Tensor).item()) <= 1e-6 * Math.abs(viaLearner.loss));
  assert.is(jitted.lower!(meta, tasks).ops, exactOps.ops, 'without fastMath the learner compiles the exact program');
  assert.throws(() => jit(metaGradient, { mergeBatchSums: 1 as unknown as boolean }), (e: unknown) => e instanceof JitError && /mergeBatchSums must be true or false, got 1/.test((e as Error).message));
  assert.throws(() => jit(metaGradient, { fastMath: 'on' as unknown as boolean }), /fastMath must be true or false, got "on"/);
});

test.run();
