/**
 * jacobian (reverse and forward) and hessian: against float64 central differences, each
 * mode against the other, hessian against hvp and its own symmetry, tree structures as
 * JAX's (output tree of input trees), differentiating through both (checkGrad at orders
 * 1 and 2), under jit and vmap, and the errors.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  Tensor, tensor, grad, hvp, jit, vmap, jacobian, hessian, checkGrad, treeLeaves, treeMap, unstack,
  add, mul, sum, sin, tanh, exp, pow, square, matmul, logSumExp, reshape, concat, GradError, TreeError,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { eachBackend, normal, throwsWith } from './engine-helpers.ts';

type In = { a: Tensor; m: Tensor };
type Out = { y: Tensor; s: Tensor };
/** A coupled map from a tree to a tree: out y [3], s [] (a scalar). */
const f = (p: In): Out => {
  const h = tanh(add(matmul(p.m, p.a), sin(p.a)));                  // [2]
  return { y: concat([mul(h, exp(p.a)), reshape(sum(square(p.m)), [1])]), s: logSumExp(mul(h, p.m)) };
};
const input = (seed: number): In => ({ a: normal(seed, [2]), m: normal(seed + 1, [2, 2], 0, 0.7) });

/** ∂out_leaf / ∂in_leaf by central differences, in jacobian's layout [...out.shape, ...in.shape]. */
function numericJacobian(fn: (p: In) => Out, p: In, eps = 1e-6): Record<keyof Out, Record<keyof In, number[]>> {
  const result = { y: { a: [] as number[], m: [] as number[] }, s: { a: [] as number[], m: [] as number[] } };
  const cols: Record<keyof In, number[][]> = { a: [], m: [] };
  for (const k of ['a', 'm'] as const) {
    for (let j = 0; j < p[k].size; j++) {
      const probe = (d: number): Out => {
        const data = Float64Array.from(p[k].data);
        data[j] = data[j]! + d;
        return fn({ ...p, [k]: new Tensor(data, p[k].shape) });
      };
      const up = probe(eps), dn = probe(-eps);
      cols[k].push(treeLeaves(up).flatMap((u, i) => Array.from(u.data, (v, e) => (v - treeLeaves(dn)[i]!.data[e]!) / (2 * eps))));
    }
  }
  // Row-major over (output element, input element).
  const outSizes = { y: 3, s: 1 }, outOffset = { y: 0, s: 3 };
  for (const o of ['y', 's'] as const) for (const k of ['a', 'm'] as const) {
    for (let r = 0; r < outSizes[o]; r++) for (let j = 0; j < p[k].size; j++) result[o][k].push(cols[k][j]![outOffset[o] + r]!);
  }
  return result;
}

eachBackend('jacobian of a tree-to-tree map: both modes match central differences and each other; JAX layout', () => {
  const p = input(1);
  const fd = numericJacobian(f, p);
  const rev = jacobian(f)(p) as Record<keyof Out, In>;
  const fwd = jacobian(f, { mode: 'forward' })(p) as Record<keyof Out, In>;
  assert.equal(Object.keys(rev), ['y', 's']);
  assert.equal(Object.keys(rev.y), ['a', 'm']);
  assert.equal(rev.y.a.shape, [3, 2]);
  assert.equal(rev.y.m.shape, [3, 2, 2]);
  assert.equal(rev.s.a.shape, [2]);
  assert.equal(rev.s.m.shape, [2, 2]);
  for (const o of ['y', 's'] as const) for (const k of ['a', 'm'] as const) {
    assert.equal(fwd[o][k].shape, rev[o][k].shape, `${o}.${k} shape`);
    allclose(rev[o][k], fd[o][k], 1e-7, 1e-9, `reverse ${o}.${k} vs differences`);
    allclose(fwd[o][k], fd[o][k], 1e-7, 1e-9, `forward ${o}.${k} vs differences`);
    allclose(fwd[o][k], rev[o][k], 1e-12, 1e-14, `forward vs reverse ${o}.${k}`);
  }
  // The block of a leaf the output does not depend on is zeros of the right shape.
  const g = jacobian((x: Tensor, _z: Tensor) => mul(x, 2), { argnums: [0, 1] })(tensor([1, 2], [2], 'float64'), tensor([3, 4, 5], [3], 'float64')) as Tensor[];
  assert.equal(g[0]!.toArray(), [[2, 0], [0, 2]]);
  assert.equal(g[1]!.shape, [2, 3]);
  assert.ok(g[1]!.data.every((v) => v === 0));
});

test('argnums: a list gives a list per output leaf; other arguments are held fixed', () => {
  const x = normal(5, [3]), c = normal(6, [3]), z = normal(7, [2, 3]);
  const h = (u: Tensor, k: Tensor, w: Tensor) => matmul(w, mul(sin(u), k));   // [2]
  for (const mode of ['reverse', 'forward'] as const) {
    const [jx, jz] = jacobian(h, { argnums: [0, 2], mode })(x, c, z) as Tensor[];
    assert.equal(jx!.shape, [2, 3]);
    assert.equal(jz!.shape, [2, 2, 3]);
    // ∂h_i/∂x_j = w_ij cos(x_j) c_j;  ∂h_i/∂w_kl = [i = k] sin(x_l) c_l.
    const w = z.toArray() as number[][], xv = Array.from(x.data), cv = Array.from(c.data);
    allclose(jx!, w.map((row) => row.map((wij, j) => wij * Math.cos(xv[j]!) * cv[j]!)), 1e-14, 1e-15, `${mode} jx`);
    allclose(jz!, [0, 1].map((i) => [0, 1].map((k) => xv.map((xl, l) => (i === k ? Math.sin(xl) * cv[l]! : 0)))), 1e-14, 1e-15, `${mode} jz`);
  }
});

eachBackend('hessian: central differences of the gradient, symmetric, H·v = hvp, blocks of a tree as H.a.b', () => {
  const scalar = (p: In) => add(f(p).s, sum(mul(f(p).y, tensor([0.3, -0.2, 0.1], [3], 'float64'))));
  const p = input(10);
  const H = hessian(scalar)(p) as Record<keyof In, In>;
  assert.equal(H.a.a.shape, [2, 2]);
  assert.equal(H.a.m.shape, [2, 2, 2]);
  assert.equal(H.m.a.shape, [2, 2, 2]);
  assert.equal(H.m.m.shape, [2, 2, 2, 2]);
  // Flattened n×n matrix, row i = ∂/∂θ_i of the gradient.
  const n = 6, eps = 1e-6;
  const flat = (t: In): number[] => treeLeaves(t).flatMap((l) => Array.from(l.data));
  const unflat = (v: number[]): In => { let k = 0; return treeMap(p, (l) => tensor(v.slice(k, (k += l.size)), l.shape, 'float64')); };
  const g = (v: number[]) => flat(grad(scalar)(unflat(v)) as In);
  const base = flat(p);
  const fdRows = base.map((_, j) => {
    const up = base.slice(), dn = base.slice();
    up[j]! += eps;
    dn[j]! -= eps;
    const gu = g(up), gd = g(dn);
    return gu.map((v, i) => (v - gd[i]!) / (2 * eps));
  });
  const Hm: number[][] = Array.from({ length: n }, () => []);
  // H.a.a [2,2], H.a.m [2,2,2], H.m.a [2,2,2], H.m.m [2,2,2,2] → rows over (a, m), columns over (a, m).
  for (let i = 0; i < 2; i++) Hm[i] = [...Array.from(H.a.a.data.slice(2 * i, 2 * i + 2)), ...Array.from(H.a.m.data.slice(4 * i, 4 * i + 4))];
  for (let i = 0; i < 4; i++) Hm[2 + i] = [...Array.from(H.m.a.data.slice(2 * i, 2 * i + 2)), ...Array.from(H.m.m.data.slice(4 * i, 4 * i + 4))];
  allclose(Hm.flat(), fdRows.flat(), 1e-6, 1e-8, 'hessian vs differences of the gradient');
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.ok(Math.abs(Hm[i]![j]! - Hm[j]![i]!) < 1e-12, `symmetric at (${i}, ${j})`);
  const v = input(20);
  const hv = flat(hvp(scalar, p, v));
  const vf = flat(v);
  allclose(Hm.map((row) => row.reduce((s, h, j) => s + h * vf[j]!, 0)), hv, 1e-12, 1e-13, 'H·v vs hvp');
  // Closed form: ∇² Σ x³ = diag(6x).
  assert.equal(hessian((x: Tensor) => sum(pow(x, 3)))(tensor([1, 2])).toArray(), [[6, 0], [0, 12]]);
});

test('differentiating through jacobian and hessian: checkGrad at orders 1 and 2 (both modes)', () => {
  const x0 = normal(30, [3]);
  const map = (x: Tensor) => mul(sin(x), sum(square(x)));              // R³ → R³
  const weights = normal(31, [3, 3]);
  for (const mode of ['reverse', 'forward'] as const) {
    const J = jacobian(map, { mode });
    for (const order of [1, 2] as const) {
      const r = checkGrad((x: Tensor) => sum(mul(J(x) as Tensor, weights)), [x0], { order });
      assert.ok(r.ok && r.checked === 3, `${mode}, order ${order}: ${r.message}`);
    }
  }
  const r = checkGrad((x: Tensor) => sum(mul(hessian((y: Tensor) => sum(mul(exp(y), tanh(y))))(x) as Tensor, weights)), [x0], { order: 1 });
  assert.ok(r.ok, r.message);
});

eachBackend('jacobian under jit equals eager, bit for bit; vmap(jacobian) equals a loop of jacobians', () => {
  const w = normal(40, [2, 3]);
  const map = (x: Tensor) => tanh(matmul(w, x));
  const x = normal(41, [3]);
  for (const mode of ['reverse', 'forward'] as const) {
    const eager = jacobian(map, { mode })(x) as Tensor;
    const compiled = jit(jacobian(map, { mode }))(x) as Tensor;
    assert.equal(Array.from(compiled.data), Array.from(eager.data), mode);
    const xs = normal(42, [4, 3]);
    const batched = vmap(jacobian(map, { mode }))(xs) as Tensor;
    assert.equal(batched.shape, [4, 2, 3]);
    unstack(xs, 0).forEach((xe, e) => assert.equal(Array.from(unstack(batched, 0)[e]!.data), Array.from((jacobian(map, { mode })(xe) as Tensor).data), `${mode} example ${e}`));
  }
});

test('errors: an unknown mode, argnums out of range, a non-tensor output', () => {
  throwsWith(() => jacobian(sin, { mode: 'sideways' as 'forward' }), GradError, "jacobian: mode must be 'forward' or 'reverse', got \"sideways\"");
  throwsWith(() => jacobian(sin, { argnums: 1 })(tensor([1])), GradError, 'jacobian: argnums 1 out of range for a call with 1 argument(s)');
  throwsWith(() => jacobian((x: Tensor) => ({ y: x, n: 3 }))(tensor([1])), TreeError, '$.n is number 3');
});

test.run();
