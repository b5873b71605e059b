/** The README's examples, run as written (values checked against closed forms). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  tensor, grad, hvp, sum, pow, sub, mul, tanh, matmul, maml, MLP, adam, sinusoidTasks, Rng, jit, square, type Tensor,
  vmap, jacobian, hessian,
} from '../src/index.ts';
import { allclose } from './helpers.ts';

test('README: grad to third order and hvp', () => {
  const f = (x: Tensor) => sum(pow(x, 3));
  const x = tensor([1, 2, 3]);
  assert.equal(grad(f)(x).toArray(), [3, 12, 27]);
  assert.equal(grad((x: Tensor) => sum(grad(f)(x)))(x).toArray(), [6, 12, 18]);
  assert.equal(grad((x: Tensor) => sum(grad((y: Tensor) => sum(grad(f)(y)))(x)))(x).toArray(), [6, 6, 6]);
  assert.equal(hvp(f, x, tensor([1, 0, 1])).toArray(), [6, 0, 18]);
});

test('README: the MAML meta-gradient of a tiny model equals its closed form', () => {
  const a = [1, 2];
  const loss = (w: Tensor) => sum(pow(tanh(matmul(tensor([a]), w)), 2));
  const metaGrad = grad((w: Tensor) => loss(sub(w, mul(grad(loss)(w), 0.1))));
  const w0 = [0.5, -0.3];
  const got = metaGrad(tensor([[w0[0]!], [w0[1]!]])) as Tensor;
  // Closed form: L(w) = tanh(a·w)², ∇L = 2 t (1 − t²) a with t = tanh(a·w); w' = w − 0.1 ∇L(w);
  // d/dw L(w') = (I − 0.1 ∇²L(w)) ∇L(w'), where ∇²L = s''(u) a aᵀ for s(u) = tanh(u)².
  const s1 = (u: number) => { const t = Math.tanh(u); return 2 * t * (1 - t * t); };
  const s2 = (u: number) => { const t = Math.tanh(u); return 2 * (1 - t * t) * (1 - 3 * t * t); };
  const u = a[0]! * w0[0]! + a[1]! * w0[1]!;
  const w1 = w0.map((w, i) => w - 0.1 * s1(u) * a[i]!);
  const u1 = a[0]! * w1[0]! + a[1]! * w1[1]!;
  const g1 = a.map((ai) => s1(u1) * ai);
  const expected = a.map((ai, i) => g1[i]! - 0.1 * s2(u) * ai * (a[0]! * g1[0]! + a[1]! * g1[1]!));
  allclose(got, [[expected[0]!], [expected[1]!]], 1e-5, 1e-6, 'meta-gradient');
});

test('README: jit traces once, runs the cached program, and a learner lowers its meta-gradient', () => {
  const loss = (w: Tensor, x: Tensor, y: Tensor) => sum(square(sub(matmul(x, w), y)));
  const step = jit((w: Tensor, x: Tensor, y: Tensor, lr: number) => sub(w, (grad(loss)(w, x, y) as Tensor).mul(lr)));
  const w = tensor([[0.5], [-0.3]]), x = tensor([[1, 2], [3, 4]]), y = tensor([[1], [0]]);
  const a = step(w, x, y, 0.1), b = step(w, x, y, 0.1);
  assert.is(step.traceCount, 1);
  // ∇ = 2xᵀ(xw − y): xw − y = [[-1.1], [0.3]], xᵀ·that = [[-0.2], [-1.0]], so w − 0.1·2·[[-0.2], [-1]] = [[0.54], [-0.1]].
  allclose(a, [[0.54], [-0.1]], 1e-6, 1e-6, 'jit step');
  assert.equal(Array.from(b.data), Array.from(a.data));
  assert.ok(step.lower(w, x, y, 0.1).listing.includes('matmul'));
  const learner = maml({ model: MLP({ sizes: [1, 40, 40, 1], activation: 'relu' }), innerLr: 0.01, jit: true });
  const low = learner.lower!(learner.init(new Rng(0)), sinusoidTasks(new Rng(1), { numTasks: 25, K: 10 }));
  assert.ok(low.ops > 50 && low.arenaBytes > 0 && low.compileMs >= 0, `ops ${low.ops}, arena ${low.arenaBytes}`);
});

test('TSDoc: the package example (src/index.ts) and grad\'s third derivative run as written', () => {
  // #20: these examples used to call grad on a vector-valued function and throw.
  const f = (x: Tensor) => sum(pow(x, 3));
  assert.equal(grad((x: Tensor) => sum(grad((y: Tensor) => sum(grad(f)(y) as Tensor))(x) as Tensor))(tensor([1, 2])).toArray(), [6, 6]);
});

test('README: vmap per example, per-example gradients, jacobian and hessian', () => {
  const w = tensor([[1, 0], [0, 2], [1, 1]]);
  const xs = tensor([[1, 2, 3], [4, 5, 6]]);
  const loss = (w: Tensor, x: Tensor) => sum(square(matmul(x, w)));
  assert.equal(vmap(loss, { inAxes: [null, 0] })(w, xs).toArray(), [65, 356]);
  const perExample = vmap(grad(loss), { inAxes: [null, 0] })(w, xs) as Tensor;
  assert.equal(perExample.shape, [2, 3, 2]);
  assert.equal(perExample.toArray(), [0, 1].map((e) => (grad(loss)(w, tensor([[1, 2, 3], [4, 5, 6]][e]!)) as Tensor).toArray()));
  assert.equal(jacobian((x: Tensor) => matmul(x, w))(tensor([1, 2, 3])).toArray(), [[1, 0, 1], [0, 2, 1]]);
  assert.equal(hessian((x: Tensor) => sum(pow(x, 3)))(tensor([1, 2])).toArray(), [[6, 0], [0, 12]]);
});

test('README: the MAML loop runs and adaptation lowers the loss', () => {
  const learner = maml({ model: MLP({ sizes: [1, 40, 40, 1], activation: 'relu' }), innerLr: 0.01 });
  const outer = adam({ lr: 0.001 });
  const rng = new Rng(0);
  let theta = learner.init(rng), state = outer.init(theta);
  for (let i = 0; i < 300; i++) {
    const { grads } = learner.metaGradient(theta, sinusoidTasks(rng, { numTasks: 25, K: 10 }));
    ({ params: theta, state } = outer.update(grads, state, theta));
  }
  const curve = learner.adaptationCurve(theta, sinusoidTasks(rng, { numTasks: 100, K: 10, queryK: 100 }), 10);
  assert.is(curve.length, 11);
  assert.ok(curve[1]! < 0.9 * curve[0]! && curve[10]! < curve[1]!, `adaptation lowers the query MSE: ${curve.map((v) => v.toFixed(3)).join(" ")}`);
});

test.run();
