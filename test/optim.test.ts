import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, tensor, grad, sum, square, mul, randomNormal, type Tensor } from '../src/index.ts';
import { sgd, adam, adamw, clipByGlobalNorm, clipByGlobalNormEager, clipByGlobalNormPerTask, globalNorm, withGradientClipping, type Optimizer, type OptimizerState } from '../src/optim/index.ts';
import { allclose } from './helpers.ts';

// float64 throughout the hand-computed checks, so the expected values are exact to ~1e-15.
const f64 = (v: number[]): Tensor => tensor(v, [v.length], 'float64');

const steps = suite('optimizer steps');

steps('sgd: p ← p − lr·g', () => {
  const opt = sgd({ lr: 0.1 });
  const params = { w: f64([1, -2]) };
  const { params: next, state } = opt.update({ w: f64([0.5, 3]) }, opt.init(params), params);
  allclose(next.w, [1 - 0.05, -2 - 0.3], 0, 1e-15);
  assert.is(state.step, 1);
  allclose(params.w, [1, -2], 0, 0, 'input untouched');
});

steps('sgd with momentum and with Nesterov over two steps', () => {
  const g1 = 2, g2 = -1, lr = 0.1, mu = 0.9;
  for (const nesterov of [false, true]) {
    const opt = sgd({ lr, momentum: mu, nesterov });
    let params = { w: f64([1]) };
    let state = opt.init(params);
    ({ params, state } = opt.update({ w: f64([g1]) }, state, params));
    ({ params, state } = opt.update({ w: f64([g2]) }, state, params));
    // v1 = g1; v2 = μ·v1 + g2. Heavy ball steps v; Nesterov steps g + μ·v.
    const v1 = g1, v2 = mu * v1 + g2;
    const expected = nesterov ? 1 - lr * (g1 + mu * v1) - lr * (g2 + mu * v2) : 1 - lr * v1 - lr * v2;
    allclose(params.w, [expected], 0, 1e-15, nesterov ? 'nesterov' : 'momentum');
    allclose([...state.slots.velocity[0]!], [v2], 0, 1e-15);
  }
});

steps('sgd weight decay adds λ·p to the gradient', () => {
  const opt = sgd({ lr: 0.5, weightDecay: 0.1 });
  const params = [f64([2])];
  allclose(opt.update([f64([1])], opt.init(params), params).params[0]!, [2 - 0.5 * (1 + 0.2)], 0, 1e-15);
});

steps('adam: two bias-corrected steps by hand', () => {
  const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const opt = adam({ lr });
  let params = { w: f64([0.5, -1]) };
  let state = opt.init(params);
  const gs = [[0.2, -3], [-0.1, 1]];
  const expected = [0.5, -1];
  const m = [0, 0], v = [0, 0];
  for (let t = 1; t <= 2; t++) {
    const g = gs[t - 1]!;
    ({ params, state } = opt.update({ w: f64(g) }, state, params));
    for (let j = 0; j < 2; j++) {
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! ** 2;
      expected[j] = expected[j]! - lr * (m[j]! / (1 - b1 ** t)) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + eps);
    }
    allclose(params.w, expected, 0, 1e-15, `step ${t}`);
  }
  assert.is(state.step, 2);
});

steps('adamw decays decoupled from the gradient; adam adds λp to the gradient', () => {
  const lr = 0.1, wd = 0.5, p0 = 2, g = 0.3;
  const w = adamw({ lr, weightDecay: wd });
  const pw = w.update([f64([g])], w.init([f64([p0])]), [f64([p0])]).params[0]!;
  // First step: m̂ = g, v̂ = g², so the Adam part is lr·g/(|g| + ε).
  allclose(pw, [p0 * (1 - lr * wd) - lr * g / (Math.abs(g) + 1e-8)], 0, 1e-15);
  const a = adam({ lr, weightDecay: wd });
  const pa = a.update([f64([g])], a.init([f64([p0])]), [f64([p0])]).params[0]!;
  const gl2 = g + wd * p0;
  allclose(pa, [p0 - lr * gl2 / (Math.abs(gl2) + 1e-8)], 0, 1e-15);
});

steps('a schedule sets the learning rate from the step number', () => {
  const opt = sgd({ lr: (step) => 1 / step });
  let params = [f64([0])];
  let state = opt.init(params);
  ({ params, state } = opt.update([f64([1])], state, params));
  ({ params, state } = opt.update([f64([1])], state, params));
  allclose(params[0]!, [-1.5], 0, 1e-15);
});

steps('updates keep the parameter dtype and reject mismatched trees', () => {
  const opt = adam({ lr: 0.1 });
  const params = { a: tensor([1, 2]), b: [tensor([[3]])] };
  const { params: next } = opt.update({ a: tensor([1, 1]), b: [tensor([[1]])] }, opt.init(params), params);
  assert.is(next.a.dtype, 'float32');
  assert.equal(next.b[0]!.shape, [1, 1]);
  assert.throws(() => opt.update({ a: tensor([1, 1]) } as never, opt.init(params), params), /fewer leaves/);
  assert.throws(() => opt.update({ a: tensor([1, 1, 1]), b: [tensor([[1]])] }, opt.init(params), params), /3 elements, parameter has 2/);
});

steps.run();

const saving = suite('optimizer state save/restore');

function trainSteps<S extends OptimizerState>(opt: Optimizer<S>, params: Tensor[], state: S, from: number, n: number): { params: Tensor[]; state: S } {
  const rng = new Rng(from);
  for (let i = 0; i < n; i++) {
    const target = randomNormal(rng, [6]);
    const g = grad((p: Tensor[]) => sum(square(p[0]!.sub(target))).add(sum(square(mul(p[1]!, 0.5)))))(params) as Tensor[];
    ({ params, state } = opt.update(g, state, params));
  }
  return { params, state };
}

saving('a JSON round trip of the state continues bit for bit', () => {
  for (const opt of [adam({ lr: 0.05 }), adamw({ lr: 0.05 }), sgd({ lr: 0.05, momentum: 0.9, nesterov: true })] as Optimizer[]) {
    const init = [randomNormal(new Rng(1), [6]), randomNormal(new Rng(2), [2, 3])];
    const half = trainSteps(opt, init, opt.init(init), 0, 5);
    const text = JSON.stringify(half.state);
    const restored = opt.restore(JSON.parse(text), half.params);
    const straight = trainSteps(opt, half.params, half.state, 100, 5);
    const resumed = trainSteps(opt, half.params, restored, 100, 5);
    assert.is(resumed.state.step, 10);
    assert.equal(Array.from(resumed.params[0]!.data), Array.from(straight.params[0]!.data), `${resumed.state.kind} leaf 0`);
    assert.equal(Array.from(resumed.params[1]!.data), Array.from(straight.params[1]!.data), `${resumed.state.kind} leaf 1`);
    assert.equal(JSON.stringify(resumed.state), JSON.stringify(straight.state));
  }
});

saving('restore names what does not match', () => {
  const opt = adam({ lr: 0.1 });
  const params = [tensor([1, 2]), tensor([3])];
  const good = JSON.parse(JSON.stringify(opt.init(params)));
  assert.throws(() => opt.restore({ ...good, kind: 'sgd' }, params), /written by 'sgd'/);
  assert.throws(() => opt.restore(good, [tensor([1, 2])]), /2 arrays for 1 parameters/);
  assert.throws(() => opt.restore(good, [tensor([1, 2, 3]), tensor([3])]), /2 entries for a parameter of 3 elements/);
  assert.throws(() => opt.restore({ ...good, step: -1 }, params), /non-negative integer/);
  assert.throws(() => opt.restore(null, params), /expected an object/);
});

saving.run();

const clipping = suite('gradient clipping');

clipping('clipByGlobalNorm rescales the whole tree to maxNorm and keeps its direction', () => {
  const grads = { a: tensor([3, 0]), b: [tensor([[4]])] };
  const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
  allclose(norm, 5, 1e-7, 0);
  allclose(clipped.a, [0.6, 0], 1e-6, 0);
  allclose(clipped.b[0]!, [[0.8]], 1e-6, 0);
  allclose(globalNorm(clipped), 1, 1e-6, 0);
});

clipping('clipByGlobalNorm leaves small gradients (and zero gradients) unchanged', () => {
  const small = tensor([0.3, 0.4]);
  const { grads } = clipByGlobalNorm([small], 1);
  allclose(grads[0]!, small, 0, 0);
  const { grads: zero } = clipByGlobalNorm([tensor([0, 0])], 1);
  allclose(zero[0]!, [0, 0], 0, 0);
  assert.throws(() => clipByGlobalNorm([tensor([1])], 0), /maxNorm must be positive/);
});

clipping('clipByGlobalNormPerTask takes each task\'s norm over all leaves', () => {
  // task 0: leaves [3, 0] and [4] → norm 5; task 1: [0.3, 0] and [0.4] → norm 0.5
  const grads = [tensor([[3, 0], [0.3, 0]]), tensor([4, 0.4])];
  const { grads: clipped, norms } = clipByGlobalNormPerTask(grads, 1);
  allclose(norms, [5, 0.5], 1e-6, 0);
  allclose(clipped[0]!, [[0.6, 0], [0.3, 0]], 1e-6, 0);
  allclose(clipped[1]!, [0.8, 0.4], 1e-6, 0);
  assert.throws(() => clipByGlobalNormPerTask([tensor([[1]]), tensor([1, 2])], 1), /leading task axis 1/);
});

clipping('clipping is differentiable: d‖clip(g)‖/dg vanishes above the threshold', () => {
  // Above maxNorm, clip(g) = maxNorm·g/‖g‖ (up to the 1e-6 guard), whose norm is constant.
  const g = grad((x: Tensor) => globalNorm(clipByGlobalNorm([x], 1).grads))(tensor([3, 4], [2], 'float64')) as Tensor;
  allclose(g, [0, 0], 0, 1e-6);
});

clipping('clipByGlobalNormEager: float64 norm, each entry scaled in float64 and rounded once, dtypes kept', () => {
  const rng = new Rng(9);
  const values = (n: number): number[] => Array.from({ length: n }, () => 3 * rng.normal());
  const grads = { a: tensor(values(7), [7]), b: [tensor(values(6), [2, 3], 'float64'), tensor(values(1), [1])] };
  const leaves = [grads.a, grads.b[0]!, grads.b[1]!];
  let total = 0;
  for (const g of leaves) for (const x of g.data) total += x * x;
  const norm = Math.sqrt(total), maxNorm = norm / 3;
  const out = clipByGlobalNormEager(grads, maxNorm);
  assert.is(out.norm, norm);
  const scale = maxNorm / norm;
  const clipped = [out.grads.a, out.grads.b[0]!, out.grads.b[1]!];
  clipped.forEach((c, i) => {
    assert.is(c.dtype, leaves[i]!.dtype);
    assert.equal(c.shape, leaves[i]!.shape);
    const expected = Array.from(leaves[i]!.data, (x) => (leaves[i]!.dtype === 'float64' ? x * scale : Math.fround(x * scale)));
    assert.equal(Array.from(c.data), expected, `leaf ${i}`);
  });
  // The same clip as the differentiable form (float32 trees only), up to its float32 sums and 1e-6 guard.
  const f32 = [grads.a, grads.b[1]!], eager = clipByGlobalNormEager(f32, 1).grads, graph = clipByGlobalNorm(f32, 1).grads;
  f32.forEach((_, i) => allclose(eager[i]!, graph[i]!, 1e-6, 1e-6));
  // Within the norm (and at it) the tree comes back as it is.
  const within = clipByGlobalNormEager(grads, norm);
  assert.ok(within.grads === grads);
  assert.ok(clipByGlobalNormEager([tensor([0, 0])], 1).norm === 0);
  assert.throws(() => clipByGlobalNormEager(grads, 0), /clip: maxNorm must be positive, got 0/);
  assert.throws(() => clipByGlobalNormEager(grads, NaN), /maxNorm must be positive, got NaN/);
});

clipping('withGradientClipping steps the wrapped optimizer on the clipped gradient and keeps its state format', () => {
  const params = [tensor([1, 2]), tensor([3])];
  const big = [tensor([30, 0]), tensor([40])], unitGrads = [tensor([0.6, 0]), tensor([0.8])];
  const plain = sgd({ lr: 0.1, momentum: 0.9 }), clipped = withGradientClipping(plain, 1);
  const a = clipped.update(big, clipped.init(params), params);
  const b = plain.update(unitGrads, plain.init(params), params);
  a.params.forEach((p, i) => allclose(p, b.params[i]!, 1e-6, 0));
  // Below the threshold it is the plain optimizer, bit for bit, over several steps.
  const small = [tensor([0.03, 0.01]), tensor([-0.02])];
  let sa = clipped.init(params), sb = plain.init(params), pa = params, pb = params;
  for (let i = 0; i < 3; i++) {
    ({ params: pa, state: sa } = clipped.update(small, sa, pa));
    ({ params: pb, state: sb } = plain.update(small, sb, pb));
  }
  pa.forEach((p, i) => allclose(p, pb[i]!, 0, 0));
  assert.equal(JSON.stringify(sa), JSON.stringify(sb));
  assert.equal(clipped.restore(JSON.parse(JSON.stringify(sa)), params).step, 3);
  assert.throws(() => withGradientClipping(plain, -1), /maxNorm must be positive, got -1/);
});

clipping.run();
