/**
 * jit: compiled programs equal eager execution bit for bit (the same kernels in the
 * same order) over the op set, at first and second order and through grad(jit(f));
 * signatures retrace and hit the cache as documented; tracing rules fail with clear
 * errors; every learner's `jit: true` gives its eager numbers; 10,000 calls leave the
 * heap and wasm memory flat.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import { settledHeap } from './gc-helpers.ts';
import {
  Rng, Tensor, JitError, jit, grad, valueAndGrad, vjp, jvp, hvp, checkpoint, noGrad, stopGradient, treeLeaves,
  treeZip, tensor, zeros, ones, randomNormal, randomUniform, add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sin, cos,
  tanh, sigmoid, relu, sqrt, abs, square, gt, where, sum, mean, max, min, logSumExp, softmax, logSoftmax, reshape,
  transpose, broadcastTo, slice, pad, concat, split, take, matmul, matmulT, dense, addScaled, cast, wasmMemoryBytes, getBackend,
} from '../src/index.ts';
import { MLP } from '../src/nn/index.ts';
import { anil, maml, metaSgd, pretraining, reptile, sinusoidTasks, type MetaLearner } from '../src/meta/index.ts';
import { assertGrads, eachBackend } from './engine-helpers.ts';
import { bind } from '../src/autodiff/primitive.ts';
import { mulPrim, subPrim, tanhPrim } from '../src/ops/elementwise.ts';
import { gemm } from '../src/ops/gemm.ts';
import { chainPrim, type ChainStep } from '../src/jit/chain.ts';

/** Same dtype, shape and every bit (NaN payloads aside), or within `rtol` if given. */
function assertBits(actual: unknown, expected: unknown, what: string, rtol = 0): void {
  const a = treeLeaves(actual), e = treeLeaves(expected);
  assert.is(a.length, e.length, `${what}: ${a.length} leaves vs ${e.length}`);
  a.forEach((x, i) => {
    const y = e[i]!;
    assert.equal(x.shape, y.shape, `${what}: leaf ${i} shape`);
    assert.is(x.dtype, y.dtype, `${what}: leaf ${i} dtype`);
    // A reordered float32 sum errs relative to its summands, not to its (possibly
    // cancelled) result: scale by the leaf's largest magnitude.
    let scale = 0;
    for (let k = 0; k < y.size; k++) scale = Math.max(scale, Math.abs(y.data[k]!));
    for (let k = 0; k < x.size; k++) {
      const u = x.data[k]!, v = y.data[k]!;
      if (!(Object.is(u, v) || (Number.isNaN(u) && Number.isNaN(v)) || Math.abs(u - v) <= rtol * scale)) {
        assert.unreachable(`${what}: leaf ${i} differs at ${k}: jit ${u} vs eager ${v}`);
      }
    }
  });
}

const rng = new Rng(7);
const X = randomNormal(rng, [3, 17], 0, 1);
const Y = randomNormal(rng, [17, 5], 0, 1);
const P = randomUniform(rng, [3, 17], 0.5, 2);

/** Scalar functions of (x [3,17], y [17,5]) covering every primitive family. */
const cases: Record<string, (x: Tensor, y: Tensor) => Tensor> = {
  unary: (x) => sum(add(add(mul(exp(neg(square(x))), sin(x)), tanh(cos(x))), add(sigmoid(x), relu(x)))),
  'log sqrt abs reciprocal': (x) => sum(add(log(add(abs(x), 1)), div(sqrt(add(square(x), 1)), add(abs(x), 2)))),
  'binary broadcasting': (x, y) => sum(mul(sub(x, reshape(slice(y, [0, 0], [17, 1]), [1, 17])), add(x, 0.5))),
  'pow maximum minimum': (x) => sum(add(pow(add(abs(x), 1), 1.5), mul(maximum(x, 0.1), minimum(x, sin(x))))),
  'where and comparisons': (x) => sum(where(gt(x, 0), square(x), mul(x, -3))),
  reductions: (x) => add(add(sum(mean(square(x), 1)), sum(max(x, 0))), add(sum(min(x, 1, true)), logSumExp(x))),
  softmax: (x) => sum(mul(softmax(x, 1), logSoftmax(mul(x, 2), 0))),
  'movement': (x) => {
    const t = transpose(x);
    const p = pad(t, [1, 0], [0, 2]);
    const [a, b] = split(p, [8, 10], 0);
    const column = pad(reshape(sum(x, 0), [17, 1]), [1, 0], [0, 0]);
    return sum(mul(concat([a!, square(b!)], 0), broadcastTo(column, [18, 5])));
  },
  take: (x) => sum(square(take(x, [2, 0, 2, 1], 0))),
  matmul: (x, y) => sum(square(add(matmul(x, y), matmulT(transpose(x), y, true, false)))),
  'matmul transpose folding': (x, y) => sum(sin(matmul(transpose(transpose(x)), transpose(transpose(y))))),
  dense: (x, y) => sum(square(dense(x, y, sum(y, 0), 'tanh'))),
  'cast round trip': (x) => sum(square(cast(cast(x, 'float64'), 'float32'))),
  // A batch of 4 "tasks" sharing one weight, stepped with addScaled: the broadcasts fold
  // into matmul/dense (shared operands) and addScaled, and add(broadcast row, matmul)
  // becomes a dense layer (see the structural test below).
  'shared-weight batch': (x, y) => perTaskStep(x, y),
  'checkpoint stopGradient noGrad': (x, y) => {
    const f = checkpoint((u: Tensor, v: Tensor) => tanh(matmul(u, v)));
    return add(sum(mul(f(x, y), stopGradient(f(x, y)))), sum(mul(x, noGrad(() => exp(x)))));
  },
};

function perTaskStep(x: Tensor, y: Tensor): Tensor {
  const scale = reshape(tensor([1, -0.5, 2, 0.25]), [4, 1, 1]);
  const xs = mul(broadcastTo(reshape(x, [1, 3, 17]), [4, 3, 17]), scale);
  const w = broadcastTo(reshape(y, [1, 17, 5]), [4, 17, 5]);
  const h = dense(xs, w, broadcastTo(reshape(sum(y, 0), [1, 1, 5]), [4, 1, 5]), 'relu');
  const stepped = addScaled(w, matmulT(xs, h, true, false), -0.1);
  const rows = broadcastTo(reshape(sum(h, 1), [4, 1, 5]), [4, 3, 5]);
  return sum(square(add(rows, matmul(xs, stepped))));
}

/**
 * Cases whose compiled program runs a different kernel variant than eager: a
 * transpose folded into matmul's flags reads the operand in another order, and the
 * TS reference then sums in another order (wasm packs both layouts alike: exact).
 * These match to float32 rounding instead (1e-6 of the leaf's largest magnitude,
 * about 8 ulps).
 */
const REORDERED: Record<string, number> = { 'matmul transpose folding': 1e-6 };

for (const [name, f] of Object.entries(cases)) {
  eachBackend(`jit equals eager bit for bit: ${name}`, () => {
    const inputs = name === 'log sqrt abs reciprocal' || name === 'pow maximum minimum' ? [P, Y] as const : [X, Y] as const;
    const tol = getBackend().name === 'ts' ? REORDERED[name] ?? 0 : 0;
    assertBits(jit(f)(...inputs), f(...inputs), `${name} value`, tol);
    const g = grad(f, { argnums: [0, 1] });
    assertBits(jit(g)(...inputs), g(...inputs), `${name} jit(grad)`, tol);
    const g2 = grad((x: Tensor, y: Tensor) => sum(square((grad(f) as (a: Tensor, b: Tensor) => Tensor)(x, y))), { argnums: [0, 1] });
    assertBits(jit(g2)(...inputs), g2(...inputs), `${name} jit(grad of grad)`, tol);
    assertBits(grad(jit(f), { argnums: [0, 1] })(...inputs), g(...inputs), `${name} grad(jit)`, tol);
    assertBits(g2Through(jit(f))(...inputs), g2(...inputs), `${name} grad(grad(jit))`, tol);
  });
}

function g2Through(f: (x: Tensor, y: Tensor) => Tensor) {
  return grad((x: Tensor, y: Tensor) => sum(square((grad(f) as (a: Tensor, b: Tensor) => Tensor)(x, y))), { argnums: [0, 1] });
}

eachBackend('jit composes with vjp, jvp and hvp, over trees, in float64 too', () => {
  const f = (p: { w: Tensor; b: Tensor }, x: Tensor) => sum(tanh(add(matmul(x, p.w), p.b)));
  const p = { w: randomNormal(new Rng(1), [17, 5], 0, 1), b: zeros([5]) };
  const v = { w: ones([17, 5]), b: ones([5]) };
  const h = (q: typeof p) => hvp((r: typeof p) => f(r, X), q, v);
  assertBits(jit(h)(p), h(p), 'hvp');
  const j = (x: Tensor) => jvp((u: Tensor) => tanh(matmul(u, p.w)), [x], [ones(x.shape)]);
  assertBits(jit(j)(X), j(X), 'jvp');
  const back = (x: Tensor) => vjp((u: Tensor) => sin(u), x)[1](ones(x.shape));
  assertBits(jit(back)(X), back(X), 'vjp');
  const x64 = cast(X, 'float64'), p64 = { w: cast(p.w, 'float64'), b: cast(p.b, 'float64') };
  const g = grad(f);
  assertBits(jit(g)(p64, x64), g(p64, x64), 'float64 grad');
});

test('jit: one trace per signature; shapes, dtypes, static numbers and backends are keys; LRU cache', () => {
  let traced = 0;
  const f = jit((x: Tensor, k: number) => { traced++; return mul(x, k); }, { cacheSize: 2 });
  f(tensor([1, 2]), 3);
  f(tensor([5, 6]), 3);
  assert.is(f.traceCount, 1, 'same signature hits the cache');
  assert.equal(f(tensor([5, 6]), 3).toArray(), [15, 18], 'the cached program runs on the new values');
  f(tensor([1, 2, 3]), 3);
  assert.is(f.traceCount, 2, 'a new shape retraces');
  assert.equal(f(tensor([1, 2]), 4).toArray(), [4, 8], 'static numbers are part of the key');
  assert.is(f.traceCount, 3);
  assert.is(f.cacheSize, 2, 'the cache is bounded');
  f(tensor([1, 2]), 3);
  assert.is(f.traceCount, 4, 'the evicted signature retraces');
  f(cast(tensor([1, 2]), 'float64'), 3);
  assert.is(f.traceCount, 5, 'dtype is part of the key');
  assert.is(traced, 5, 'side effects run once per trace, never on cached calls');
  f.clear();
  assert.is(f.cacheSize, 0);
});

test('jit: reuseOutputs returns the same tensors, overwritten by the next call', () => {
  const f = jit((x: Tensor) => square(x), { reuseOutputs: true });
  f(tensor([1, 2]));
  const a = f(tensor([2, 3]));
  const b = f(tensor([4, 5]));
  assert.ok(a === b, 'same tensor object');
  assert.equal(b.toArray(), [16, 25]);
});

test('jit: reading a traced value, tensor indices and leaked tracers throw JitError naming the cause', () => {
  const throwsJit = (fn: () => unknown, needle: string): void => {
    try { fn(); } catch (e) {
      assert.ok(e instanceof JitError, `expected a JitError, got ${(e as Error).name}: ${(e as Error).message}`);
      assert.ok((e as Error).message.includes(needle), `"${(e as Error).message}" should mention "${needle}"`);
      return;
    }
    assert.unreachable(`expected a JitError mentioning ${needle}`);
  };
  const x = tensor([1, -2]);
  throwsJit(() => jit((t: Tensor) => (sum(t).item() > 0 ? t : neg(t)))(x), 'item()');
  throwsJit(() => jit((t: Tensor) => tensor(t.toArray() as number[]))(x), 'toArray()');
  throwsJit(() => jit((t: Tensor) => tensor(t.toTypedArray()))(x), 'where(cond, a, b)');
  throwsJit(() => jit((t: Tensor, i: Tensor) => take(t, i))(x, tensor([1, 0])), 'take (tensor indices)');
  // A closure over a value being differentiated outside the jitted function.
  throwsJit(() => grad((w: Tensor) => sum(jit((t: Tensor) => mul(t, w))(x)))(tensor([3, 4])), 'closure');
  throwsJit(() => jit((t: Tensor) => t, { cacheSize: 0 }), 'cacheSize');
  throwsJit(() => jit((t: Tensor, _s: symbol) => t)(x, Symbol('s')), '$[1]');
  // Nothing is left behind by a failed trace: eager reads work again.
  assert.is(sum(x).item(), -1);
});

test('jit: batch broadcasts fold into matmul, dense and addScaled; a broadcast row plus a product becomes dense', () => {
  const low = jit(perTaskStep).lower(X, Y);
  // Left: the bias row broadcast [4,1,5] (dense takes bias rows as they are stored) and nothing of [4,17,5] or [4,3,5].
  assert.not.ok(/broadcastTo\(.*: f32\[4,(17|3),5\]/.test(low.listing), `weight and row broadcasts should fold away:\n${low.listing}`);
  // The step w − 0.1·xsᵀh: a gemm whose addend is the one shared w (batch stride 0).
  assert.ok(/gemm\(%\d+, %\d+, %\d+\) \{\{alpha:-0\.1,transA:true,transB:false\}\} : f32\[4,17,5\]/.test(low.listing), low.listing);
  assert.is(low.opCounts['dense'], 2, `relu layer + fused bias add:\n${low.listing}`);
  assert.is(low.opCounts['add'] ?? 0, 0, low.listing);
});

eachBackend('jit: a product scaled by a constant and added to a tensor becomes one gemm, the eager bits', () => {
  const rng = new Rng(31);
  const a = randomNormal(rng, [5, 17, 9]), b = randomNormal(rng, [5, 9, 3]), c = randomNormal(rng, [5, 17, 3]), w = randomNormal(rng, [9, 65]);
  const d = randomNormal(rng, [5, 9, 3]);
  const f = (a: Tensor, b: Tensor, c: Tensor, w: Tensor) => [
    add(c, mul(matmul(a, b), -0.01)),          // C + α·A·B
    add(matmul(a, d), c),                      // C + A·D, the product on the left
    mul(2.5, matmulT(w, a, true, true)),       // α·Wᵀ·Aᵀ, transposes folded first
  ];
  const jf = jit(f);
  const low = jf.lower(a, b, c, w);
  assert.is(low.opCounts['gemm'], 3, `fused epilogues:\n${low.listing}`);
  assert.not.ok(/ = mul\(/.test(low.listing), `no scale left over:\n${low.listing}`);
  assert.ok(low.fusedGroups >= 3, `fusedGroups ${low.fusedGroups}`);
  assertBits(jf(a, b, c, w), f(a, b, c, w), 'gemm epilogues');
  // A product read twice keeps its own block: no fusion that would compute it twice.
  const twice = jit((a: Tensor, b: Tensor) => { const p = matmul(a, b); return [mul(p, 3), p]; });
  assert.is(twice.lower(a, b).opCounts['gemm'] ?? 0, 0);
  // An inner step θ − lr·g with g a product and θ of g's shape (steps 2.. of an inner loop).
  const step = (a: Tensor, b: Tensor, c: Tensor) => [addScaled(c, matmul(a, b), -0.01), addScaled(c, gemm(a, d, null, 2), 0.3), addScaled(c, gemm(a, d, null, 1), 0.3)];
  const js = jit(step);
  const lowStep = js.lower(a, b, c);
  assert.is(lowStep.opCounts['gemm'], 3, lowStep.listing);
  // The product already scaled by 2 keeps its addScaled (one scale per gemm); the other two fuse.
  assert.is(lowStep.opCounts['addScaled'] ?? 0, 1, `addScaled of a product becomes a gemm:\n${lowStep.listing}`);
  assertBits(js(a, b, c), step(a, b, c), 'addScaled epilogue');
  // θ broadcast over the tasks (the first inner step): a gemm reading the one θ for every task (test/jit-fold.test.ts).
  const first = jit((a: Tensor, b: Tensor, c: Tensor) => addScaled(reshape(slice(c, [0, 0, 0], [1, 17, 3]), [17, 3]), matmul(a, b), -0.01));
  assert.is(first.lower(a, b, c).opCounts['addScaled'] ?? 0, 0, first.lower(a, b, c).listing);
  assert.is(first.lower(a, b, c).opCounts['gemm'], 1);
});

test('jit: an elementwise chain becomes one op run block by block, the eager bits, intermediates in registers', () => {
  for (const n of [64 * 64, 3, 2048 * 3 + 5]) {
    const x = randomNormal(new Rng(9), [n]);
    const chain = (x: Tensor) => sum(exp(neg(square(add(x, 1)))));
    const f = jit(chain);
    const low = f.lower(x);
    assert.is(low.opCounts['elementwiseChain'], 1, `add → square → neg → exp as one op:\n${low.listing}`);
    assert.is(low.ops, 2, `the chain and the sum:\n${low.listing}`);
    // The input, the chain's output, registers of at most one block (2 × 2048 elements) each, and a scalar.
    const block = n * 4;
    assert.ok(low.arenaBytes < 2 * block + 3 * Math.min(block, 4 * 4096) + 256, `arena ${low.arenaBytes} bytes for blocks of ${block}:\n${low.listing}`);
    assertBits(f(x), chain(x), `chain over ${n}`);
  }
  // Operands of the chain's size or single elements only: a row broadcast stays outside.
  const m = randomNormal(new Rng(10), [40, 40]), row = randomNormal(new Rng(11), [1, 40]);
  const g = (m: Tensor, row: Tensor) => relu(add(mul(m, 2), row));
  const low = jit(g).lower(m, row);
  assertBits(jit(g)(m, row), g(m, row), 'broadcast row');
  assert.ok(!/elementwiseChain\(%\d+, %1\)/.test(low.listing), low.listing);
});

eachBackend('jit: the chain primitive\'s rule (the vjp of its members) passes gradient checks at orders 1 and 2', () => {
  const c = randomNormal(new Rng(14), [3, 5], 0, 1, 'float64'), d = randomNormal(new Rng(15), [3, 5], 0, 1, 'float64');
  const f = (x: Tensor, y: Tensor) => sum(mul(tanh(sub(mul(x, y), 0.5)), x));
  const chained = jit((x: Tensor, y: Tensor) => mul(tanh(sub(mul(x, y), 0.5)), x));
  const listing = chained.lower(c, d).listing;
  assert.ok(/elementwiseChain\(%0, %1, %\d+\) \[mul → sub → tanh → mul\]/.test(listing), listing);
  // The optimised graph's chain op, applied eagerly and differentiated like any primitive.
  const steps = [
    { prim: mulPrim, params: null, args: [0, 1] },
    { prim: subPrim, params: null, args: [3, 2] },
    { prim: tanhPrim, params: null, args: [4] },
    { prim: mulPrim, params: null, args: [5, 0] },
  ];
  const half = tensor([0.5], [], 'float64');
  const viaChain = (x: Tensor, y: Tensor) => sum(bind(chainPrim, [x, y, half], { steps: steps as ChainStep[], registers: 3 }));
  assertBits(viaChain(c, d), f(c, d), 'chain forward');
  assertGrads('elementwiseChain', viaChain, [c, d]);
});

eachBackend('jit: a chain in an in-place program: elementwise ops over an operand that dies reuse its block', () => {
  const x = randomNormal(new Rng(12), [300, 70]), y = randomNormal(new Rng(13), [300, 70]);
  // y·x is read twice, so it is no chain member: the ops after it write over it in place.
  const f = (x: Tensor, y: Tensor) => { const p = mul(x, y); return [sum(p), tanh(sub(p, 1))]; };
  const jf = jit(f);
  assertBits(jf(x, y), f(x, y), 'in place after a shared value');
});

test('jit: values computed from constants only are folded at trace time; nested jit is inlined', () => {
  const c = tensor([1, 2, 3]);
  const inner = jit((t: Tensor) => mul(t, 2));
  const f = jit((x: Tensor) => add(inner(x), exp(c)));
  const low = f.lower(tensor([0, 0, 0]));
  assert.not.ok(/exp/.test(low.listing), `exp(c) should be a constant:\n${low.listing}`);
  assert.is(low.ops, 1, `mul and add only, as one chain:\n${low.listing}`);
  assert.ok(/elementwiseChain/.test(low.listing), low.listing);
  assert.is(inner.traceCount, 0, 'the inner jit ran inside the outer trace');
});

eachBackend('jit: lower() of a second-order MAML meta-gradient: CSE/DCE, planned arena smaller than unplanned', () => {
  const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 5, K: 10, queryK: 10 });
  const learner = maml({ model, innerLr: 0.01, innerSteps: 2 });
  const theta = learner.init(new Rng(0));
  const f = jit((m: typeof theta, t: typeof tasks) => valueAndGrad((q: typeof theta) => learner.metaLoss(q, t))(m));
  const low = f.lower(theta, tasks);
  assert.ok(low.ops > 50 && low.ops < low.tracedValues, `ops ${low.ops} of ${low.tracedValues} traced values`);
  assert.ok(low.arenaBytes < low.unplannedBytes / 2, `arena ${low.arenaBytes} vs unplanned ${low.unplannedBytes}`);
  assert.equal(low.copiedOps, [], 'every primitive writes in place');
  assert.ok(low.fusedGroups >= 1, `the bias adds of the second-order backward fuse into dense (${low.fusedGroups})`);
  assert.ok(low.listing.includes('matmul') && low.listing.includes('return'));
});

/** Every learner with `jit: true` gives its eager meta-gradient, loss and adaptation curve. */
function learnersOf(jitted: boolean): [string, MetaLearner<any>][] {
  const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
  const body = MLP({ sizes: [1, 40, 40], activation: 'relu', activateOutput: true });
  const head = MLP({ sizes: [40, 1] });
  const o = { jit: jitted };
  return [
    ['maml', maml({ model, innerLr: 0.01, ...o })],
    ['maml 3 steps checkpointed', maml({ model, innerLr: 0.01, innerSteps: 3, checkpointEvery: 1, ...o })],
    ['maml clipped', maml({ model, innerLr: 0.01, clipNorm: 0.5, ...o })],
    ['fomaml', maml({ model, innerLr: 0.01, firstOrder: true, ...o })],
    ['maml per-task loop', maml({ model, innerLr: 0.01, batched: false, ...o })],
    ['metasgd', metaSgd({ model, innerLr: 0.01, ...o })],
    ['anil', anil({ body, head, innerLr: 0.01, ...o })],
    ['reptile', reptile({ model, innerLr: 0.01, innerSteps: 3, ...o })],
    ['reptile per-task loop', reptile({ model, innerLr: 0.01, innerSteps: 3, batched: false, ...o })],
    ['pretraining', pretraining({ model, innerLr: 0.01, ...o })],
  ];
}

eachBackend('jit: every learner with jit: true gives the eager meta-gradient and adaptation curve bit for bit', () => {
  const eager = learnersOf(false), compiled = learnersOf(true);
  const tasks = sinusoidTasks(new Rng(3), { numTasks: 4, K: 5, queryK: 5 });
  const tasks2 = sinusoidTasks(new Rng(4), { numTasks: 4, K: 5, queryK: 5 });
  eager.forEach(([name, e], i) => {
    const c = compiled[i]![1];
    const theta = e.init(new Rng(0));
    for (const t of [tasks, tasks2]) {
      const a = c.metaGradient(theta, t), b = e.metaGradient(theta, t);
      assert.ok(Object.is(a.loss, b.loss), `${name}: loss ${a.loss} vs ${b.loss}`);
      assertBits(a.grads, b.grads, `${name} grads`);
      assert.equal(c.adaptationCurve(theta, t, 3), e.adaptationCurve(theta, t, 3), `${name} curve`);
    }
    // Two fresh sinusoid batches (their amplitudes differ) share one compiled program.
    const low = c.lower!(theta, tasks2);
    assert.is(low.traces, 1, `${name}: a fresh batch of the same shapes must not retrace`);
  });
});


eachBackend('jit: 10,000 calls of a compiled meta-gradient leave the heap and wasm memory flat', () => {
  const model = MLP({ sizes: [1, 8, 1], activation: 'relu' });
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 4, K: 5, queryK: 5 });
  const learner = maml({ model, innerLr: 0.01, jit: true });
  let theta = learner.init(new Rng(0));
  let heap1000 = 0, wasm1000 = 0;
  for (let it = 1; it <= 10000; it++) {
    const { grads } = learner.metaGradient(theta, tasks);
    if (it % 1000 === 0) theta = grads; // new input tensors now and then
    if (it === 1000) { heap1000 = settledHeap(); wasm1000 = wasmMemoryBytes(); }
  }
  const growth = (settledHeap() - heap1000) / 2 ** 20;
  assert.ok(growth < 1, `heap grew by ${growth.toFixed(2)} MB between call 1,000 and 10,000`);
  if (getBackend().name === 'wasm') assert.is(wasmMemoryBytes(), wasm1000, 'wasm memory grew');
});

test('jit: compiled functions that become garbage give their wasm arenas back (200 learners, wasm memory flat)', async () => {
  if (getBackend().name !== 'wasm') return;
  const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
  const tasks = sinusoidTasks(new Rng(3), { numTasks: 25, K: 10, queryK: 10 });
  const theta = model.init(new Rng(0));
  // A fresh learner (so fresh jitted functions and arenas) per call, dropped right after.
  const once = (): number => maml({ model, innerLr: 0.01, jit: true }).metaGradient(theta, tasks).loss;
  // Finalization callbacks run in a task of their own after a collection finds the functions dead.
  const collect = async (): Promise<void> => { for (let i = 0; i < 3; i++) { settledHeap(); await new Promise((r) => setTimeout(r, 0)); } };
  const arena = maml({ model, innerLr: 0.01, jit: true }).lower!(theta, tasks).arenaBytes;
  for (let i = 0; i < 10; i++) once();
  await collect();
  const before = wasmMemoryBytes();
  for (let i = 0; i < 200; i++) {
    once();
    if (i % 10 === 9) await collect();
  }
  await collect();
  const grown = wasmMemoryBytes() - before;
  // Kept, 200 programs would hold 200 arenas (${arena} bytes each); freed, the blocks are reused.
  assert.ok(grown <= 10 * arena, `wasm memory grew by ${grown} bytes over 200 dropped learners (one arena: ${arena} bytes)`);
});

eachBackend('jit: with reuseOutputs a call allocates next to nothing and returns the same result tree', () => {
  const model = MLP({ sizes: [1, 16, 16, 1], activation: 'relu' });
  const tasks = sinusoidTasks(new Rng(2), { numTasks: 5, K: 5, queryK: 5 });
  const support = { x: tasks.support.x, y: tasks.support.y }, query = { x: tasks.query.x, y: tasks.query.y };
  type P = ReturnType<typeof model.init>;
  const loss = (p: P, set: { x: Tensor; y: Tensor }): Tensor => mean(square(sub(model.apply(p, set.x), set.y)));
  const metaLoss = (p: P, s: typeof support, q: typeof query): Tensor => {
    const g = grad((w: P) => loss(w, s))(p);
    return loss(treeZip(p, g, (w, gw) => sub(w, mul(gw, 0.01))), q);
  };
  const f = jit(grad(metaLoss), { reuseOutputs: true });
  const theta = model.init(new Rng(0));
  const first = f(theta, support, query);
  // Fresh argument objects of the same signature take the fast path and the cached program.
  for (let i = 0; i < 2000; i++) f(model.init(new Rng(0)), { ...support }, { x: query.x, y: query.y });
  assert.ok(f(theta, support, query) === first, 'reuseOutputs returns the same tree');
  assertBits(first, grad(metaLoss)(theta, support, query), 'reuseOutputs result');
  // The TS reference kernels allocate small working arrays (strides, packed panels); the budget is the wasm engine's.
  if (getBackend().name !== 'wasm') return;
  const calls = 5000;
  const profiler = new v8.GCProfiler();
  const before = settledHeap();
  profiler.start();
  for (let i = 0; i < calls; i++) f(theta, support, query);
  const collections = profiler.stop().statistics.length;
  const perCall = (process.memoryUsage().heapUsed - before) / calls;
  assert.is(collections, 0, 'no garbage collection may run during the calls (their allocation would be hidden)');
  // Measured ≈ 180 B per call (Node 20: the call itself and a few boxed scalars), independent of
  // the tensors' sizes; before the fast signature path ≈ 2.2 KB, and the eager path ≈ 100 KB.
  assert.ok(perCall < 256, `${perCall.toFixed(0)} bytes allocated per call`);
  assert.is(f.traceCount, 1);
});

test('jit: the fast signature check retraces exactly when the key would differ', () => {
  const f = jit((t: { a: Tensor; b: Tensor }, k: number) => add(mul(t.a, k), t.b));
  const a = tensor([1, 2]), b = tensor([3, 4]);
  assert.equal(f({ a, b }, 2).toArray(), [5, 8]);
  assert.equal(f({ a: b, b: a }, 2).toArray(), [7, 10]);
  assert.is(f.traceCount, 1);
  assert.equal(f({ b, a } as never, 2).toArray(), [5, 8]); // same fields, another order: another key
  assert.is(f.traceCount, 2);
  assert.equal(f({ a, b }, 3).toArray(), [6, 10]); // another static number
  assert.is(f.traceCount, 3);
  assert.equal(f({ a: tensor([1, 2, 3]), b: tensor([1, 1, 1]) }, 3).toArray(), [4, 7, 10]); // another shape
  assert.is(f.traceCount, 4);
  assert.equal(f({ a, b, c: a } as never, 3).toArray(), [6, 10]); // an extra field: another key
  assert.is(f.traceCount, 5);
  assert.equal(f({ a, b }, 2).toArray(), [5, 8]); // back to the first signature: cached
  assert.equal(f({ a: tensor([1, 2], undefined, 'float64'), b: tensor([3, 4], undefined, 'float64') }, 2).dtype, 'float64'); // another dtype
  assert.is(f.traceCount, 6);
});

test.run();
