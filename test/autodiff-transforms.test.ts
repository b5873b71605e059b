/**
 * Transforms over trees: hvp against a finite-difference Hessian, jvp against
 * finite differences, vjp with tree outputs, grad with argnums and hasAux,
 * valueAndGrad, stopGradient and noGrad at every order, perturbation confusion.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  Tensor, tensor, scalar, ones, grad, valueAndGrad, vjp, jvp, hvp, treeVdot, treeMap, treeLeaves, noGrad, stopGradient,
  add, sub, mul, div, sum, mean, tanh, exp, sin, cos, square, matmul, logSumExp, pow,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { eachBackend, normal } from './engine-helpers.ts';

type Params = { w: Tensor; b: Tensor; s: Tensor };
const params = (seed: number): Params => ({ w: normal(seed, [3, 2], 0, 0.7), b: normal(seed + 1, [2]), s: normal(seed + 2, [], 0, 0.5) });
const data = normal(50, [4, 3]);

/** A non-trivial scalar function of a tree: coupling between all leaves. */
function objective(p: Params): Tensor {
  const h = tanh(add(matmul(data, p.w), p.b));
  return add(mul(logSumExp(mul(h, exp(p.s))), sin(p.s)), mul(mean(square(p.w)), cos(mul(p.s, 2))));
}

/** Flattens a tree to one JS array (leaf order) and back. */
const flatten = (t: Params): number[] => treeLeaves(t).flatMap((l) => Array.from(l.data));
function unflatten(v: number[], like: Params): Params {
  let k = 0;
  return treeMap(like, (l) => tensor(v.slice(k, (k += l.size)), l.shape, 'float64'));
}

eachBackend('hvp of a function of a tree matches H·v with H from central differences of the gradient', () => {
  const p = params(1);
  const n = flatten(p).length;
  const g = (q: Params): number[] => flatten(grad(objective)(q) as Params);
  const base = flatten(p);
  const eps = 1e-5;
  const H: number[][] = [];
  for (let j = 0; j < n; j++) {
    const up = base.slice(), dn = base.slice();
    up[j]! += eps;
    dn[j]! -= eps;
    const gu = g(unflatten(up, p)), gd = g(unflatten(dn, p));
    H.push(gu.map((v, i) => (v - gd[i]!) / (2 * eps))); // column j
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.ok(Math.abs(H[i]![j]! - H[j]![i]!) < 1e-8, 'finite-difference Hessian is symmetric');
  for (const seed of [7, 8]) {
    const v = params(seed);
    const hv = hvp(objective, p, v);
    assert.equal(Object.keys(hv), ['w', 'b', 's']);
    assert.equal(hv.w.shape, [3, 2]);
    assert.equal(hv.s.shape, []);
    const vf = flatten(v);
    const expected = base.map((_, i) => H.reduce((s, col, j) => s + col[i]! * vf[j]!, 0));
    allclose(flatten(hv), expected, 1e-7, 1e-8, `hvp direction ${seed}`);
  }
  // forward-over-reverse gives the same product
  const v = params(9);
  const [, fwd] = jvp((q: Params) => grad(objective)(q) as Params, [p], [v]);
  allclose(flatten(fwd), flatten(hvp(objective, p, v)), 1e-12, 1e-13, 'jvp of grad = hvp');
  // reverse-over-forward: the gradient of the directional derivative ⟨∇f, v⟩ is H·v too
  const [, dirDeriv] = jvp(objective, [p], [v]);
  assert.equal(dirDeriv.shape, []);
  const rof = grad((q: Params) => jvp(objective, [q], [v])[1])(p) as Params;
  allclose(flatten(rof), flatten(hvp(objective, p, v)), 1e-12, 1e-13, 'grad of jvp = hvp');
});

eachBackend('jvp matches central differences, for tree inputs and outputs', () => {
  const f = (x: Tensor, q: { a: Tensor; b: Tensor }) => ({
    y: tanh(matmul(x, q.a)),
    z: [mul(sum(exp(q.b)), sin(x)), div(q.b, add(square(x), 1))],
  });
  const x = normal(10, [2, 2]), q = { a: normal(11, [2, 3]), b: normal(12, [2, 2]) };
  const tx = normal(13, [2, 2]), tq = { a: normal(14, [2, 3]), b: normal(15, [2, 2]) };
  const [out, tangent] = jvp(f, [x, q], [tx, tq]);
  const eps = 1e-6;
  const shift = (s: number) => f(add(x, mul(tx, s)), { a: add(q.a, mul(tq.a, s)), b: add(q.b, mul(tq.b, s)) });
  const up = treeLeaves(shift(eps)), dn = treeLeaves(shift(-eps));
  const fd = up.map((u, i) => Array.from(u.data, (v, k) => (v - dn[i]!.data[k]!) / (2 * eps)));
  const got = treeLeaves(tangent);
  assert.is(got.length, 3);
  got.forEach((t, i) => allclose(t, fd[i]!, 1e-7, 1e-8, `jvp leaf ${i}`));
  allclose(treeLeaves(out)[0]!, treeLeaves(f(x, q))[0]!, 0, 0);
  // closed form for an elementwise function: J·t = f'(x) t
  const [, tsin] = jvp((t: Tensor) => sin(t), [x], [tx]);
  allclose(tsin, mul(cos(x), tx), 1e-15, 0);
});

eachBackend('vjp with a tree output and tree cotangent, closed form', () => {
  const x = normal(20, [3]), y = normal(21, [2, 3]);
  const f = (a: Tensor, b: Tensor) => ({ p: mul(a, b), q: [sin(a), sum(b)] });
  const [out, back] = vjp(f, x, y);
  allclose(out.p, mul(x, y), 0, 0);
  assert.is(out.p.level, 0, 'vjp returns concrete outputs');
  const ct = { p: normal(22, [2, 3]), q: [normal(23, [3]), scalar(0.7, 'float64')] };
  const [dx, dy] = back(ct);
  // dx = Σ_rows ct.p · y + ct.q0 · cos x ; dy = ct.p · x + ct.q1
  allclose(dx, add(sum(mul(ct.p, y), 0), mul(ct.q[0]!, cos(x))), 1e-14, 1e-15);
  allclose(dy, add(mul(ct.p, x), 0.7), 1e-14, 1e-15);
  // the pullback can be called again with another cotangent
  const [dx2] = back({ p: mul(ct.p, 2), q: [mul(ct.q[0]!, 2), scalar(1.4, 'float64')] });
  allclose(dx2, mul(dx, 2), 1e-14, 1e-15);
  // an output that does not depend on an input gets a zero cotangent
  const [, back2] = vjp((a: Tensor, b: Tensor) => mul(a, 3), x, y);
  const [, db] = back2(ones([3], 'float64'));
  allclose(db, new Array(6).fill(0), 0, 0);
  assert.equal(db.shape, [2, 3]);
});

eachBackend('grad with argnums (number and list), trees and non-differentiated arguments', () => {
  const f = (a: Tensor, k: number, b: { u: Tensor; v: Tensor[] }) => sum(mul(mul(a, k), add(b.u, mul(b.v[0]!, b.v[1]!))));
  const a = normal(30, [3]), b = { u: normal(31, [3]), v: [normal(32, [3]), normal(33, [3])] };
  const ga = grad(f)(a, 2, b) as Tensor;
  allclose(ga, mul(add(b.u, mul(b.v[0]!, b.v[1]!)), 2), 1e-15, 0);
  const gb = grad(f, { argnums: 2 })(a, 2, b) as typeof b;
  allclose(gb.u, mul(a, 2), 0, 0);
  allclose(gb.v[0]!, mul(mul(a, 2), b.v[1]!), 1e-15, 0);
  allclose(gb.v[1]!, mul(mul(a, 2), b.v[0]!), 1e-15, 0);
  const both = grad(f, { argnums: [0, 2] })(a, 2, b) as [Tensor, typeof b];
  assert.is(both.length, 2);
  allclose(both[0], ga, 0, 0);
  allclose(both[1].v[1]!, gb.v[1]!, 0, 0);
  const single = grad(f, { argnums: [2] })(a, 2, b) as [typeof b];
  assert.is(single.length, 1, 'a list of one argnum gives a list of one gradient');
  // a function that ignores its input has a zero gradient of the input's shape
  const z = grad((_x: Tensor, y: Tensor) => sum(y))(normal(34, [2, 2]), normal(35, [3])) as Tensor;
  assert.equal(z.shape, [2, 2]);
  assert.equal(Array.from(z.data), [0, 0, 0, 0]);
  // float32 in, float32 out
  const g32 = grad((t: Tensor) => sum(square(t)))(tensor([1, -2])) as Tensor;
  assert.is(g32.dtype, 'float32');
  assert.equal(g32.toArray(), [2, -4]);
});

eachBackend('valueAndGrad and hasAux', () => {
  const x = tensor([1, 2, 3], [3], 'float64');
  const [v, g] = valueAndGrad((t: Tensor) => sum(pow(t, 3)))(x);
  assert.is((v as Tensor).item(), 36);
  assert.equal((g as Tensor).toArray(), [3, 12, 27]);
  assert.is((v as Tensor).level, 0);

  const withAux = (t: Tensor) => [sum(square(t)), { doubled: mul(t, 2), note: 'kept' }] as const;
  const [[loss, aux], ga] = valueAndGrad(withAux, { hasAux: true })(x);
  assert.is(loss.item(), 14);
  assert.equal(aux.doubled.toArray(), [2, 4, 6]);
  assert.is(aux.doubled.level, 0, 'aux is returned as concrete values');
  assert.is(aux.note, 'kept');
  assert.equal(ga.toArray(), [2, 4, 6]);
  const gOnly = grad(withAux, { hasAux: true })(x) as Tensor;
  assert.equal(gOnly.toArray(), [2, 4, 6]);
  const [[, auxList], gl] = valueAndGrad((p: Tensor, q: Tensor) => [sum(mul(p, q)), [q]], { argnums: [0, 1], hasAux: true })(x, mul(x, 3));
  assert.equal((auxList as Tensor[])[0]!.toArray(), [3, 6, 9]);
  assert.equal((gl as Tensor[])[1]!.toArray(), [1, 2, 3]);
  // a one-element non-scalar output is accepted
  assert.equal((grad((t: Tensor) => matmul(t, t.reshape([3, 1])))(x.reshape([1, 3])) as Tensor).toArray(), [[2, 4, 6]]);
});

eachBackend('stopGradient cuts the derivative at every order', () => {
  const x = tensor([0.5, -1.5], [2], 'float64');
  // f = Σ x · sg(x): f' = sg(x) = x (not 2x), and f'' = 0 (not 2)
  const f = (t: Tensor) => sum(mul(t, stopGradient(t)));
  allclose(grad(f)(x), [0.5, -1.5], 0, 0);
  allclose(grad((t: Tensor) => sum(grad(f)(t)))(x), [0, 0], 0, 0);
  // f = Σ x² · sg(x): f' = 2x·sg(x); d/dx of that holds sg constant: 2 sg(x) = 2x (true f'' would be 6x)
  const h = (t: Tensor) => sum(mul(square(t), stopGradient(t)));
  allclose(grad((t: Tensor) => sum(grad(h)(t)))(x), [1, -3], 0, 0);
  // stopping inside an inner grad also hides the outer variable
  const outer = grad((a: Tensor) => sum(grad((y: Tensor) => sum(mul(y, stopGradient(mul(a, y)))))(tensor([2], [1], 'float64'))));
  allclose(outer(tensor([3], [1], 'float64')), [0], 0, 0);
  // the value is unchanged and concrete
  const sg = grad((t: Tensor) => { const s = stopGradient(t); assert.is(s.level, 0); return sum(mul(s, t)); })(x);
  allclose(sg, x, 0, 0);
});

eachBackend('noGrad: values computed inside are constants to every enclosing transform', () => {
  const x = tensor([0.3, 1.2], [2], 'float64');
  const g = grad((t: Tensor) => sum(mul(t, noGrad(() => exp(t)))))(x) as Tensor;
  allclose(g, exp(x), 0, 0);
  const g2 = grad((t: Tensor) => sum(grad((u: Tensor) => sum(mul(square(u), noGrad(() => exp(t)))))(t)))(x) as Tensor;
  // inner derivative 2u·c with c constant: outer derivative 2c = 2 exp(x)
  allclose(g2, mul(exp(x), 2), 1e-15, 0);
  const inside = noGrad(() => grad((t: Tensor) => sum(square(t)))(x)) as Tensor;
  allclose(inside, [0, 0], 0, 0);
  assert.is(noGrad(() => 42), 42);
  assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
  // the depth is restored after a throw: gradients work again
  allclose(grad((t: Tensor) => sum(square(t)))(x), [0.6, 2.4], 1e-15, 0);
});

eachBackend('perturbation confusion: nested derivatives keep their variables apart', () => {
  const a = tensor(1.7, [], 'float64'), c = tensor(0.4, [], 'float64');
  // d/dx [x · d/dy (x·y)] = d/dx x² = 2x
  const g = grad((x: Tensor) => mul(x, grad((y: Tensor) => mul(x, y))(c) as Tensor))(a) as Tensor;
  assert.is(g.item(), 2 * 1.7);
  // Siskind–Pearlmutter: d/dx [x · d/dy (x + y)] = 1 (confusion gives 2)
  const g1 = grad((x: Tensor) => mul(x, grad((y: Tensor) => add(x, y))(c) as Tensor))(a) as Tensor;
  assert.is(g1.item(), 1);
  // d/dx [d/dy (x·y²)] at y = c: d/dy = 2xy, d/dx = 2y
  const g2 = grad((x: Tensor) => grad((y: Tensor) => mul(x, square(y)))(c) as Tensor)(a) as Tensor;
  assert.is(g2.item(), 0.8);
  // the inner variable closed over by the outer function
  const g3 = grad((x: Tensor) => grad((y: Tensor) => mul(sin(x), mul(y, y)))(x) as Tensor)(a) as Tensor;
  // d/dx [2 x sin x] = 2 sin x + 2x cos x
  allclose(g3, [2 * Math.sin(1.7) + 2 * 1.7 * Math.cos(1.7)], 1e-15, 0);
});

eachBackend('treeVdot sums inner products over leaves', () => {
  const a = { u: tensor([1, 2]), v: [tensor([[3]])] }, b = { u: tensor([4, 5]), v: [tensor([[6]])] };
  assert.is(treeVdot(a, b).item(), 4 + 10 + 18);
  allclose(sub(treeVdot(a, b), 32), [0], 0, 0);
});

test.run();
