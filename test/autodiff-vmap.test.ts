/**
 * vmap: every registered primitive's batching rule against a loop over examples (the
 * same bits: a batched op runs the per-example kernel), inAxes/outAxes over trees,
 * nesting, composition with grad both ways (per-example gradients, gradients through a
 * vmap checked against finite differences), with jit both ways, checkpoint and
 * stopGradient inside, per-example gather indices, and the errors.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  Tensor, Rng, tensor, randomNormal, grad, jit, checkpoint, stopGradient, noGrad, treeLeaves, checkGrad,
  neg, exp, log, sin, cos, tanh, sqrt, abs, sign, sigmoid, relu, step, square, reciprocal,
  add, sub, mul, div, pow, maximum, minimum, gt, ge, lt, le, eq, where, cast,
  sum, max, min, mean, reshape, broadcastTo, transpose, slice, pad, concat, split, take, unstack, stack,
  unfold2d, conv2d, matmul, dense, activationGrad, addScaled, gather, mse, logSumExp, softmax, take as takeOp,
  gelu, softplus, leakyRelu, logSoftmax,
} from '../src/index.ts';
import { vmap, VmapError, type AxisSpec } from '../src/autodiff/vmap.ts';
import { batchingRules, batchingRuleOf, loopRule } from '../src/autodiff/batching.ts';
import { primitives, type PrimitiveName } from '../src/ops/primitives.ts';
import { bind, type PrimitiveDef } from '../src/autodiff/primitive.ts';
import { gemm } from '../src/ops/gemm.ts';
import { allclose } from './helpers.ts';
import { eachBackend, normal, throwsWith } from './engine-helpers.ts';

const rnd = (seed: number, shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor => randomNormal(new Rng(seed), shape, 0, 1, dtype);
const positive = (seed: number, shape: number[]): Tensor => add(abs(rnd(seed, shape)), 0.25);
/** Small integers: comparisons and max/min see ties. */
const ints = (seed: number, shape: number[]): Tensor => {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => Math.floor(rng.uniform() * 3) - 1), shape);
};

/** Example `e` of `x` along `axis` (null: x itself). */
function example(x: unknown, axis: number | null, e: number): unknown {
  if (!(x instanceof Tensor) || axis === null) return x;
  return unstack(x, axis)[e]!;
}

/** vmap(f) against stacking f over the examples: same structure, shapes and bits. */
function againstLoop(what: string, f: (...xs: any[]) => unknown, args: unknown[], inAxes: (number | null)[]): void {
  const size = (args.find((a, i) => a instanceof Tensor && inAxes[i] !== null) as Tensor).shape[inAxes[args.findIndex((a, i) => a instanceof Tensor && inAxes[i] !== null)]!]!;
  const batched = treeLeaves(vmap(f, { inAxes })(...args));
  const perExample = Array.from({ length: size }, (_, e) => treeLeaves(f(...args.map((a, i) => example(a, inAxes[i]!, e)))));
  assert.is(batched.length, perExample[0]!.length, `${what}: output count`);
  batched.forEach((b, k) => {
    const looped = stack(perExample.map((outs) => outs[k]!), 0);
    assert.equal(b.shape, looped.shape, `${what}: output ${k} shape`);
    assert.is(b.dtype, looped.dtype, `${what}: output ${k} dtype`);
    assert.equal(Array.from(b.data), Array.from(looped.data), `${what}: output ${k} values (inAxes ${JSON.stringify(inAxes)})`);
  });
}

/** An op (or a few) and runs of it: arguments with the inAxes to map them over (B = 3 examples). */
interface Case { what: string; f: (...xs: any[]) => unknown; runs: [unknown[], (number | null)[]][] }

const unaryOps = { neg, exp, log, sin, cos, tanh, sqrt, abs, sign, sigmoid, relu, step, square, reciprocal };
const binaryOps = { add, sub, mul, div, pow, maximum, minimum, gt, ge, lt, le, eq };
const scatterAdd = primitives.scatterAdd as PrimitiveDef<unknown>, fold2d = primitives.fold2d as PrimitiveDef<unknown>;
const gatherAdjoint = primitives.gatherAdjoint as PrimitiveDef<unknown>;
const foldParams = { kernel: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1], input: [3, 3], padValue: 0 };
const convInputGrad = primitives.conv2dInputGrad as PrimitiveDef<unknown>, convWeightGrad = primitives.conv2dWeightGrad as PrimitiveDef<unknown>;
const convParams = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], input: [4, 4], groups: 1 };

const cases = (): Case[] => [
  ...Object.entries(unaryOps).map(([name, op]): Case => {
    const x = name === 'log' || name === 'sqrt' ? positive(1, [3, 2, 3]) : ints(1, [3, 2, 3]).add(rnd(2, [3, 2, 3]).mul(0.1));
    return { what: name, f: (v: Tensor) => op(v), runs: [[[x], [0]], [[x], [2]]] };
  }),
  ...Object.entries(binaryOps).map(([name, op]): Case => {
    // a's examples are [3, 3] (axis 0 or 2), b's [3] (axis 0 or 1): a batched b is lifted to [B, 1, 3].
    const [a, b] = name === 'pow' ? [positive(3, [3, 3, 3]), rnd(4, [3, 3])] : [ints(3, [3, 3, 3]), ints(4, [3, 3])];
    return { what: name, f: (u: Tensor, v: Tensor) => op(u, v), runs: [[[a, b], [0, 1]], [[a, b], [0, null]], [[a, b], [null, 1]], [[a, b], [2, 0]], [[b, a], [0, 0]]] };
  }),
  {
    what: 'where', f: (c: Tensor, a: Tensor, b: Tensor) => where(c, a, b),
    runs: [[[gt(rnd(5, [3, 4]), 0), rnd(6, [3, 4]), rnd(7, [3, 1])], [0, null, 0]], [[gt(rnd(5, [3, 4]), 0), rnd(6, [3, 4]), rnd(7, [3, 1])], [null, 0, null]], [[gt(rnd(5, [3, 4]), 0), rnd(6, [3, 4]), rnd(7, [3, 1])], [0, 0, 0]]],
  },
  { what: 'cast', f: (x: Tensor) => cast(x, 'float64'), runs: [[[rnd(8, [3, 3])], [0]], [[rnd(8, [3, 3])], [1]]] },
  { what: 'sum/max/min', f: (x: Tensor) => [sum(x, 1), max(x), min(x, [0, 2], true), sum(x, [0, 1])], runs: [[[ints(9, [3, 2, 3, 4])], [0]], [[ints(9, [3, 2, 3, 4])], [2]]] },
  {
    what: 'reshape/broadcastTo/transpose', f: (x: Tensor, y: Tensor) => [reshape(x, [3, -1]), broadcastTo(y, [2, 3, 3]), transpose(x, [2, 0, 1])],
    runs: [[[rnd(10, [3, 3, 2, 2]), rnd(11, [3, 1])], [0, 0]], [[rnd(10, [3, 3, 2, 2]), rnd(11, [3, 1])], [1, 0]], [[rnd(10, [3, 3, 2, 2]), rnd(11, [3, 1])], [0, null]]],
  },
  { what: 'slice/pad', f: (x: Tensor) => [slice(x, [1, 0], [1, 2]), pad(x, [0, 1], [2, 0])], runs: [[[rnd(12, [3, 3, 3])], [0]], [[rnd(12, [3, 3, 3])], [2]]] },
  {
    what: 'concat/split', f: (a: Tensor, b: Tensor) => [concat([a, b, a], 1), ...split(a, [1, 2], 1)],
    runs: [[[rnd(13, [3, 2, 3]), rnd(14, [2, 1, 3])], [0, 2]], [[rnd(13, [3, 2, 3]), rnd(14, [2, 1])], [0, null]], [[rnd(13, [2, 3]), rnd(14, [2, 1, 3])], [null, 2]]],
  },
  {
    what: 'take/scatterAdd', f: (x: Tensor, g: Tensor) => [take(x, [2, 0, 2], 1), bind(scatterAdd, [g], { idx: new Int32Array([1, 1, 0]), axis: 0, axisSize: 2, idxShape: [3] })],
    runs: [[[rnd(15, [3, 3, 3]), rnd(16, [3, 3, 2])], [0, 0]], [[rnd(15, [3, 3, 3]), rnd(16, [3, 3, 2])], [1, 1]]],
  },
  {
    what: 'gather', f: (x: Tensor, i: Tensor) => gather(x, i, 1),
    runs: [
      ...[[0, null], [0, 0], [null, 1]].map((ax) => [[rnd(17, [3, 4, 4]), tensor([[3, 0, -1], [1, 1, 2], [0, 2, 3]])], ax] as [unknown[], (number | null)[]]),
      [[rnd(17, [4, 4, 3]), tensor([[3, 0, -1], [1, 1, 2], [0, 2, 3]])], [2, 1]],
    ],
  },
  {
    what: 'gatherAdjoint', f: (g: Tensor, i: Tensor) => bind(gatherAdjoint, [g, i], { axis: 1, axisSize: 4 }),
    runs: [
      [[rnd(18, [3, 2, 3]), tensor([3, 0, 3])], [0, null]],
      [[rnd(18, [3, 2, 3]), tensor([[3, 0, 3], [1, 1, 2], [0, -1, 3]])], [0, 0]],
      [[rnd(18, [2, 3]), tensor([[3, 0, 3], [1, 1, 2], [0, -1, 3]])], [null, 1]],
      [[rnd(18, [2, 3, 3]), tensor([[3, 0, 3], [1, 1, 2], [0, -1, 3]])], [2, 1]],
    ],
  },
  {
    what: 'unfold2d/fold2d', f: (x: Tensor, c: Tensor) => [unfold2d(x, 2, { padding: 1, stride: [1, 2] }), bind(fold2d, [c], foldParams)],
    runs: [[[rnd(19, [3, 3, 1, 3, 4]), rnd(20, [3, 3, 2, 4, 2, 2])], [0, 0]], [[rnd(19, [3, 3, 1, 3, 4]), rnd(20, [3, 3, 2, 4, 2, 2])], [1, 1]]],
  },
  {
    what: 'conv2d', f: (x: Tensor, w: Tensor) => conv2d(x, w, { padding: 1 }),
    runs: [[[rnd(21, [3, 2, 2, 4, 4]), rnd(22, [3, 2, 3, 3])], [0, null]], [[rnd(21, [3, 2, 2, 4, 4]), rnd(22, [3, 3, 2, 3, 3])], [0, 0]], [[rnd(21, [2, 2, 4, 4]), rnd(22, [3, 3, 2, 3, 3])], [null, 0]]],
  },
  {
    what: 'conv2dInputGrad/conv2dWeightGrad', f: (g: Tensor, w: Tensor, x: Tensor) => [bind(convInputGrad, [g, w], convParams), bind(convWeightGrad, [x, g], convParams)],
    runs: [[0, null, null], [0, 0, 0], [null, 0, 0], [null, null, 0]].map((ax) => [[rnd(41, [3, 1, 2, 3, 4, 4]), rnd(42, [3, 1, 3, 1, 3, 3]), rnd(43, [3, 1, 2, 1, 4, 4])].map((t, i) => (ax[i] === null ? unstack(t, 0)[0]! : t)), ax] as [unknown[], (number | null)[]]),
  },
  {
    what: 'matmul', f: (a: Tensor, b: Tensor) => matmul(a, b),
    runs: [[0, 1], [0, null], [null, 1], [1, 1]].map((ax) => [[rnd(23, [3, 3, 5, 3]), rnd(24, [3, 3, 4])], ax] as [unknown[], (number | null)[]]),
  },
  {
    what: 'matmul (vectors)', f: (a: Tensor, b: Tensor) => [matmul(a, b), matmul(b, transpose(b))],
    runs: [[0, 2], [null, 2], [0, null]].map((ax) => [[rnd(25, [3, 3]), rnd(26, [3, 3, 3])], ax] as [unknown[], (number | null)[]]),
  },
  {
    what: 'gemm', f: (a: Tensor, b: Tensor, c: Tensor) => [gemm(a, b, c, -0.5), gemm(a, b, null, 2, true, false)],
    runs: [
      ...[[0, 2, 0], [0, null, null], [null, 2, null]].map((ax) => [[rnd(27, [3, 3, 3]), rnd(28, [3, 3, 3]), rnd(29, [3, 3, 3])], ax] as [unknown[], (number | null)[]]),
      [[rnd(27, [3, 3]), rnd(28, [3, 3]), rnd(29, [3, 3, 3])], [null, null, 0]],
    ],
  },
  {
    what: 'dense', f: (x: Tensor, w: Tensor, b: Tensor) => [dense(x, w, b, 'tanh'), dense(x, w, reshape(b, [b.size]), 'relu')],
    runs: [
      [[rnd(30, [3, 5, 3]), rnd(31, [3, 4, 3]), rnd(32, [3, 1, 4])], [0, 2, 0]],
      [[rnd(30, [3, 5, 3]), rnd(31, [3, 4]), rnd(32, [1, 4])], [0, null, null]],
      [[rnd(30, [5, 3]), rnd(31, [3, 4, 3]), rnd(32, [1, 4])], [null, 2, null]],
      [[rnd(30, [5, 3]), rnd(31, [3, 4]), rnd(32, [3, 1, 4])], [null, null, 0]],
      [[rnd(30, [2, 5, 3]), rnd(31, [3, 3, 4]), rnd(32, [3, 1, 4])], [null, 0, 0]],
    ],
  },
  {
    what: 'activationGrad', f: (g: Tensor, y: Tensor) => activationGrad('sigmoid', g, y),
    runs: [[[rnd(33, [3, 4]), sigmoid(rnd(34, [4, 3]))], [0, 1]], [[rnd(33, [3, 4]), sigmoid(rnd(34, [4]))], [0, null]], [[rnd(33, [4]), sigmoid(rnd(34, [4, 3]))], [null, 1]]],
  },
  {
    what: 'addScaled', f: (a: Tensor, b: Tensor) => [addScaled(a, b, -0.1), addScaled(sum(a, 0), b, 0.5)],
    runs: [[[rnd(35, [3, 2, 4]), rnd(36, [2, 4, 3])], [0, 2]], [[rnd(35, [3, 2, 4]), rnd(36, [2, 4])], [0, null]], [[rnd(35, [2, 4]), rnd(36, [2, 4, 3])], [null, 2]]],
  },
  {
    what: 'addProduct', f: (a: Tensor, b: Tensor, r: Tensor) => addScaled(a, b, r),
    runs: [
      [[rnd(37, [3, 4]), rnd(38, [2, 4, 3]), rnd(39, [3, 4])], [0, 2, 0]],
      [[rnd(37, [4]), rnd(38, [2, 4]), rnd(39, [3, 4])], [null, null, 0]],
      [[rnd(37, [3, 4]), rnd(38, [2, 4]), rnd(39, [4])], [0, null, null]],
      [[rnd(37, [4]), rnd(38, [2, 4, 3]), rnd(39, [4])], [null, 2, null]],
    ],
  },
];

eachBackend('every registered primitive: vmap equals a loop over examples, bit for bit, for every batched/shared combination', () => {
  // Count which rules actually run, so the coverage claim below is measured, not declared.
  const seen = new Set<string>();
  const table = batchingRules as Record<string, unknown>;
  const saved = { ...table };
  for (const name of Object.keys(saved)) {
    const rule = saved[name] as (...a: unknown[]) => unknown;
    table[name] = (...a: unknown[]) => { seen.add(name); return rule(...a); };
  }
  try {
    for (const c of cases()) for (const [args, inAxes] of c.runs) againstLoop(c.what, c.f, args, inAxes);
  } finally {
    Object.assign(table, saved);
  }
  const missing = Object.keys(primitives).filter((n) => !seen.has(n));
  assert.equal(missing, [], `primitives whose batching rule no case exercised: ${missing.join(', ')}`);
});

test('every registered primitive has its own batching rule (none falls back to the loop)', () => {
  for (const name of Object.keys(primitives) as PrimitiveName[]) {
    assert.type(batchingRules[name], 'function', `${name}: no batching rule`);
    assert.ok(batchingRuleOf(primitives[name]) === batchingRules[name], `${name}: the registry's primitive must get its own rule`);
    assert.ok(batchingRules[name] !== loopRule, `${name}: uses the loop fallback`);
  }
  assert.equal(Object.keys(batchingRules).sort(), Object.keys(primitives).sort());
  // A primitive of the same name that is not the registered one (a user's checkpoint named 'add') loops.
  assert.ok(batchingRuleOf({ ...primitives.add, name: 'add' }) === loopRule);
});

test('inAxes and outAxes: trees, negative axes, shared arguments, static numbers, outAxes per output leaf', () => {
  const p = { w: rnd(40, [3, 2]), b: rnd(41, [2]) };
  const xs = rnd(42, [3, 5]); // 5 examples of [3] along axis 1
  const f = (q: { w: Tensor; b: Tensor }, x: Tensor, scale: number) => ({ y: mul(add(matmul(x, q.w), q.b), scale), n: sum(square(x)) });
  const out = vmap(f, { inAxes: [{ w: null, b: null }, -1, null], outAxes: { y: 1, n: 0 } })(p, xs, 2);
  assert.equal(out.y.shape, [2, 5]);
  assert.equal(out.n.shape, [5]);
  for (let e = 0; e < 5; e++) {
    const one = f(p, unstack(xs, 1)[e]!, 2);
    assert.equal(Array.from(unstack(out.y, 1)[e]!.data), Array.from(one.y.data), `y of example ${e}`);
    assert.is(out.n.data[e], one.n.data[0]);
  }
  // A prefix: one axis for a whole subtree; batching the parameters instead of the data.
  const ps = { w: rnd(43, [4, 3, 2]), b: rnd(44, [4, 2]) };
  const x = rnd(45, [3]);
  const outW = vmap((q: { w: Tensor; b: Tensor }) => add(matmul(x, q.w), q.b))(ps);
  for (let e = 0; e < 4; e++) assert.equal(Array.from(unstack(outW, 0)[e]!.data), Array.from(add(matmul(x, unstack(ps.w, 0)[e]!), unstack(ps.b, 0)[e]!).data));
  // outAxes -1 puts the batch last; an output that ignores the batch is broadcast; outAxes null keeps it unbatched.
  const g = vmap((v: Tensor) => [mul(v, 2), x], { outAxes: [-1, null] })(rnd(46, [6, 3]));
  assert.equal(g[0]!.shape, [3, 6]);
  assert.ok(g[1] === x, 'an unbatched output with outAxes null is returned as is');
  const h = vmap((_v: Tensor) => x)(rnd(46, [6, 3]));
  assert.equal(h.shape, [6, 3]);
  assert.equal(Array.from(unstack(h, 0)[5]!.data), Array.from(x.data));
  // No batched argument: axisSize gives the batch.
  assert.equal(vmap((v: Tensor) => exp(v), { inAxes: null, axisSize: 4 })(x).shape, [4, 3]);
});

test('nested vmap: an outer product of examples, and the batch of an inner vmap over an outer batched value', () => {
  const A = rnd(47, [4, 3]), Bm = rnd(48, [5, 3]);
  const d = (a: Tensor, b: Tensor) => sum(square(sub(a, b)));
  const table = vmap(vmap(d, { inAxes: [null, 0] }), { inAxes: [0, null] })(A, Bm);
  assert.equal(table.shape, [4, 5]);
  const ua = unstack(A, 0), ub = unstack(Bm, 0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) assert.is(table.data[i * 5 + j], d(ua[i]!, ub[j]!).data[0], `d(${i}, ${j})`);
  // Both axes of one argument, the inner vmap over axis 1 of the outer example.
  const X = rnd(49, [2, 3, 4]);
  const y = vmap(vmap((v: Tensor) => softmax(v), { inAxes: 1, outAxes: 1 }), { inAxes: 2, outAxes: 2 })(X);
  assert.equal(y.shape, [2, 3, 4]);
  for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) {
    const col = unstack(unstack(X, 2)[k]!, 1)[j]!;
    assert.equal(Array.from(unstack(unstack(y, 2)[k]!, 1)[j]!.data), Array.from(softmax(col).data), `(${j}, ${k})`);
  }
});

type Mlp = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
const mlp = (seed: number, dtype: 'float32' | 'float64' = 'float32'): Mlp => ({
  w1: rnd(seed, [3, 8], dtype).mul(0.5), b1: rnd(seed + 1, [8], dtype).mul(0.1), w2: rnd(seed + 2, [8, 1], dtype).mul(0.5), b2: rnd(seed + 3, [1], dtype),
});
/** One example's loss: x [1, 3], y [1, 1]. Dense layers, a matmul, a logSumExp: most rule kinds. */
const exampleLoss = (p: Mlp, x: Tensor, y: Tensor): Tensor => {
  const h = dense(x, p.w1, p.b1, 'tanh');
  return add(mse(add(matmul(h, p.w2), p.b2), y), mul(logSumExp(h), 0.1));
};

eachBackend('vmap(grad(loss)) gives per-example gradients: equal to a loop of grad, bit for bit; second order too', () => {
  const p = mlp(50), xs = rnd(54, [6, 1, 3]), ys = rnd(55, [6, 1, 1]);
  const perExample = vmap(grad(exampleLoss), { inAxes: [null, 0, 0] })(p, xs, ys) as Mlp;
  assert.equal(perExample.w1.shape, [6, 3, 8]);
  const ux = unstack(xs, 0), uy = unstack(ys, 0);
  for (let e = 0; e < 6; e++) {
    const g = grad(exampleLoss)(p, ux[e]!, uy[e]!) as Mlp;
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) assert.equal(Array.from(unstack(perExample[k], 0)[e]!.data), Array.from(g[k].data), `${k} of example ${e}`);
  }
  // Per-example Hessian-vector products (grad of grad under vmap).
  const v = mlp(60);
  const hv = (q: Mlp, x: Tensor, y: Tensor) => grad((r: Mlp) => treeLeaves(grad(exampleLoss)(r, x, y)).reduce((s: Tensor, t, i) => add(s, sum(mul(t, treeLeaves(v)[i]!))), tensor(0)))(q);
  const hvs = vmap(hv, { inAxes: [null, 0, 0] })(p, xs, ys) as Mlp;
  for (let e = 0; e < 6; e += 5) {
    const one = hv(p, ux[e]!, uy[e]!) as Mlp;
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) assert.equal(Array.from(unstack(hvs[k], 0)[e]!.data), Array.from(one[k].data), `hvp ${k} of example ${e}`);
  }
});

test('grad of a vmapped loss: the sum of per-example gradients, and checkGrad (orders 1 and 2) through the batched ops', () => {
  const p = mlp(70, 'float64'), xs = normal(74, [5, 1, 3]), ys = normal(75, [5, 1, 1]);
  const batchLoss = (q: Mlp) => sum(vmap((x: Tensor, y: Tensor) => exampleLoss(q, x, y))(xs, ys));
  const g = grad(batchLoss)(p) as Mlp;
  const ux = unstack(xs, 0), uy = unstack(ys, 0);
  for (const k of ['w1', 'b1', 'w2', 'b2'] as const) {
    const looped = ux.map((x, e) => (grad(exampleLoss)(p, x, uy[e]!) as Mlp)[k]).reduce((a, b) => add(a, b));
    allclose(g[k], looped, 1e-12, 1e-13, `grad ${k}`);
  }
  // Shared parameters (closure over grad's tracer) and batched data (vmap's), checked numerically.
  const flat = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => batchLoss({ w1, b1, w2, b2 });
  for (const order of [1, 2] as const) {
    const r = checkGrad(flat, [p.w1, p.b1, p.w2, p.b2], { order });
    assert.ok(r.ok && r.checked > 0, r.message);
  }
  // Gradient with respect to the batched argument itself.
  const r = checkGrad((x: Tensor) => sum(mul(vmap((v: Tensor) => softmax(mul(v, v)), { inAxes: 1, outAxes: 1 })(x), normal(76, [3, 4]))), [normal(77, [3, 4])], { order: 2 });
  assert.ok(r.ok, r.message);
});

eachBackend('vmap under jit: the compiled program equals eager vmap bit for bit, per-example gradients compile too', () => {
  const p = mlp(80), xs = rnd(84, [7, 1, 3]), ys = rnd(85, [7, 1, 1]);
  const per = vmap(grad(exampleLoss), { inAxes: [null, 0, 0] });
  const compiled = jit(per);
  const eager = per(p, xs, ys) as Mlp;
  for (let call = 0; call < 2; call++) {
    const c = compiled(p, xs, ys) as Mlp;
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) assert.equal(Array.from(c[k].data), Array.from(eager[k].data), `call ${call}: ${k}`);
  }
  assert.is(compiled.traceCount, 1);
  const f = jit((x: Tensor) => vmap((v: Tensor) => logSumExp(matmul(v, p.w1)))(x));
  assert.equal(Array.from(f(xs).data), Array.from(vmap((v: Tensor) => logSumExp(matmul(v, p.w1)))(xs).data));
  // The batch is one more leading axis of each product, not a loop: one dense and one matmul for 7 examples.
  const counts = jit(vmap(exampleLoss, { inAxes: [null, 0, 0] })).lower(p, xs, ys).opCounts;
  assert.is(counts.dense, 1, JSON.stringify(counts));
  // (the matmul may carry its bias add as a gemm epilogue)
  assert.is((counts.matmul ?? 0) + (counts.gemm ?? 0), 1, JSON.stringify(counts));
});

test('vmap of a jitted or checkpointed function (the loop fallback), and grad through it', () => {
  const w = rnd(90, [3, 2]);
  const f = (x: Tensor) => tanh(matmul(x, w));
  const xs = rnd(91, [4, 2, 3]);
  const plain = vmap(f)(xs);
  const viaJit = jit(f);
  assert.equal(Array.from(vmap(viaJit)(xs).data), Array.from(plain.data));
  assert.is(viaJit.traceCount, 1, 'every example runs the one compiled program');
  const ck = checkpoint(f);
  assert.equal(Array.from(vmap(ck)(xs).data), Array.from(plain.data));
  const gPlain = grad((x: Tensor) => sum(square(vmap(f)(x))))(xs);
  const gCk = grad((x: Tensor) => sum(square(vmap(ck)(x))))(xs);
  assert.equal(Array.from(gCk.data), Array.from(gPlain.data));
});

test('stopGradient and noGrad inside a vmap inside grad stop the gradient (of the shared and the batched values)', () => {
  const p = tensor([1.5, -2]), xs = tensor([[1, 2], [3, 4], [5, 6]]);
  // d/dp Σ_e sg(x_e·p)·p = Σ_e x_e·p (the stopped factor is a constant).
  const g = grad((q: Tensor) => sum(vmap((x: Tensor) => mul(stopGradient(mul(x, q)), q))(xs)))(p);
  allclose(g, sum(mul(xs, p), 0), 0, 0, 'stopGradient');
  const h = grad((q: Tensor) => sum(vmap((x: Tensor) => add(mul(x, q), noGrad(() => mul(x, square(q)))))(xs)))(p);
  allclose(h, sum(xs, 0), 0, 0, 'noGrad');
  // Under vmap(grad): the per-example gradient of x·sg(x) is sg(x).
  const per = vmap(grad((x: Tensor) => sum(mul(x, stopGradient(x)))))(xs);
  allclose(per, xs, 0, 0, 'per-example stopGradient');
});

test('per-example indices through gather; reading batched values throws, suggesting gather', () => {
  const table = rnd(92, [5, 2]);
  const idx = tensor([[0, 4], [2, 2], [-1, 1]]);
  const rows = vmap((i: Tensor) => gather(table, i, 0))(idx);
  assert.equal(rows.shape, [3, 2, 2]);
  for (let e = 0; e < 3; e++) assert.equal(Array.from(unstack(rows, 0)[e]!.data), Array.from(gather(table, unstack(idx, 0)[e]!, 0).data));
  // Gradient of per-example gathers from per-example tables, against the loop.
  const tables = rnd(93, [3, 5, 2]);
  const gv = grad((t: Tensor) => sum(square(vmap((tt: Tensor, i: Tensor) => gather(tt, i, 0))(t, idx))))(tables);
  const gl = grad((t: Tensor) => unstack(t, 0).map((tt, e) => sum(square(gather(tt, unstack(idx, 0)[e]!, 0)))).reduce((a, b) => add(a, b)))(tables);
  assert.equal(Array.from(gv.data), Array.from(gl.data));
  // An index out of range for one example must not read its neighbour.
  assert.throws(() => vmap((tt: Tensor, i: Tensor) => gather(tt, i, 0))(tables, tensor([[0], [5], [1]])), /gather: index NaN/);
  throwsWith(() => vmap((x: Tensor) => x.item())(tensor([1, 2])), VmapError, 'vmap: item() reads the values of a batched tensor', 'per-example shape []');
  throwsWith(() => vmap((x: Tensor) => mul(x, x.sum().toArray() as number))(tensor([[1, 2]])), VmapError, 'toArray()');
  throwsWith(() => vmap((i: Tensor) => takeOp(table, i, 0))(idx), VmapError, 'take (tensor indices)', 'gather');
  // Inside grad inside vmap, a read of a grad tracer over a batched value throws too.
  throwsWith(() => vmap(grad((x: Tensor) => { square(x).item(); return sum(x); }))(tensor([[1, 2]])), VmapError, 'item()');
  // vmap inside a jit trace: jit's own read guard still holds for its staged values.
  const j = jit((x: Tensor, y: Tensor) => vmap((v: Tensor) => mul(v, y.item()))(x));
  assert.throws(() => j(tensor([1, 2]), tensor(3)), /reads the value of a traced tensor/);
});

test('bad axes and mismatched batch sizes: VmapErrors naming the argument, its shape and the values', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]), b = tensor([1, 2, 3]);
  throwsWith(() => vmap(add)(a, tensor([1, 2, 3, 4])), VmapError, 'batch sizes differ', '2 along axis 0 of $[0] (shape [2, 3])', '4 along axis 0 of $[1] (shape [4])');
  throwsWith(() => vmap(add, { inAxes: [1, 0] })(a, tensor([1, 2])), VmapError, '3 along axis 1 of $[0]', '2 along axis 0 of $[1]');
  throwsWith(() => vmap(add, { inAxes: [2, 0] })(a, b), VmapError, 'axis 2 of $[0], which has shape [2, 3]', 'valid axes -2..1');
  throwsWith(() => vmap(neg)(tensor(3)), VmapError, 'axis 0 of $[0], which has shape []', 'a scalar has no axis');
  throwsWith(() => vmap(add, { inAxes: [0] as AxisSpec })(a, b), VmapError, 'inAxes has 1 entries', 'called with 2 argument(s)');
  throwsWith(() => vmap((x: Tensor, s: number) => mul(x, s))(a, 2), VmapError, 'inAxes gives axis 0 to $[1], which is number 2', 'give it null');
  throwsWith(() => vmap((p: { w: Tensor }) => p.w, { inAxes: [{ v: 0 }] })({ w: a }), VmapError, 'inAxes at $[0] has keys [v], the value there [w]');
  throwsWith(() => vmap((p: Tensor[]) => p[0]!, { inAxes: [[0, 0]] })([a]), VmapError, 'inAxes at $[0] is an array of 2 entries', 'an array of 1');
  throwsWith(() => vmap(neg, { inAxes: null })(a), VmapError, 'no argument is batched', 'axisSize');
  throwsWith(() => vmap(neg, { axisSize: 3 })(a), VmapError, 'batch sizes differ: axisSize 3 but 2 along axis 0 of $[0]');
  throwsWith(() => vmap(neg, { axisSize: -1 }), VmapError, 'axisSize must be a non-negative integer, got -1');
  throwsWith(() => vmap(neg, { outAxes: null })(a), VmapError, 'outAxes gives null to output $', 'depends on a batched input (per-example shape [3])');
  throwsWith(() => vmap(neg, { outAxes: 2 })(a), VmapError, 'outAxes puts the batch on axis 2 of output $, of per-example shape [3] (valid axes -2..1)');
  throwsWith(() => vmap((x: Tensor) => ({ y: x, n: 3 }))(a), VmapError, 'outAxes gives axis 0 to $.n, which is number 3');
  // A batched value kept past its vmap fails loudly when used.
  let kept: Tensor | null = null;
  vmap((x: Tensor) => { kept = x; return x; })(a);
  throwsWith(() => exp(kept!), VmapError, "op 'exp' got a batched value (per-example shape [3]) after the vmap that made it returned");
  throwsWith(() => kept!.toArray(), VmapError, 'toArray() reads the values of a batched tensor');
  // Shape errors inside the function show the per-example shapes, as the user wrote them.
  throwsWith(() => vmap((x: Tensor) => matmul(x, tensor([[1, 2]])))(a), Error, 'matmul: inner dimensions differ: [3] @ [1, 2]');
});

test('mean, logSumExp and losses compose from batched primitives (float64, against the loop)', () => {
  const xs = normal(95, [4, 3, 2]), ts = normal(96, [4, 3, 2]);
  const f = (x: Tensor, t: Tensor) => add(mse(x, t), mean(logSumExp(x, 1)));
  const v = vmap(f)(xs, ts);
  unstack(xs, 0).forEach((x, e) => assert.is(v.data[e], f(x, unstack(ts, 0)[e]!).data[0]));
});

eachBackend('composite ops (activations, softmax family) batch through their primitives: equal to the loop', () => {
  const f = (x: Tensor) => [gelu(x), gelu(x, { approximate: 'tanh' }), softplus(x), leakyRelu(x, 0.2), logSoftmax(x, 0)];
  againstLoop('composites', f, [rnd(97, [3, 4, 3])], [2]);
  againstLoop('composites', f, [rnd(97, [3, 4, 3])], [0]);
});

test.run();
