/**
 * MAML meta-gradients through nested `grad`: a two-layer MLP written with plain
 * ops, adapted by 1 or 3 inner gradient steps; the meta-gradient is checked
 * against float64 central differences of the whole meta-objective, and the
 * float32 meta-gradient of a 1-40-40-1 ReLU MLP against the same in float64.
 */
import * as assert from 'uvu/assert';
import {
  Rng, Tensor, tensor, grad, valueAndGrad, treeMap, treeLeaves, stopGradient, cast,
  add, sub, mul, matmul, relu, tanh, mean, square, sin, randomNormal, randomUniform, zeros,
} from '../src/index.ts';
import { allclose } from './helpers.ts';
import { eachBackend } from './engine-helpers.ts';
import { test } from 'uvu';

type Params = Record<string, Tensor>;
type Act = (x: Tensor) => Tensor;

/** An MLP with plain ops: layers (w_i, b_i), `act` between layers, linear output. */
function mlp(p: Params, x: Tensor, act: Act): Tensor {
  const n = Object.keys(p).length / 2;
  let h = x;
  for (let i = 1; i <= n; i++) {
    h = add(matmul(h, p[`w${i}`]!), p[`b${i}`]!);
    if (i < n) h = act(h);
  }
  return h;
}

/** Pre-activations of every hidden layer (plain values), to keep ReLU inputs away from 0. */
function preActivations(p: Params, x: Tensor, act: Act): number[] {
  const n = Object.keys(p).length / 2;
  const out: number[] = [];
  let h = x;
  for (let i = 1; i < n; i++) {
    const z = add(matmul(h, p[`w${i}`]!), p[`b${i}`]!);
    out.push(...z.data);
    h = act(z);
  }
  return out;
}

interface Task { xs: Tensor; ys: Tensor; xq: Tensor; yq: Tensor }

/** A sinusoid regression task: y = A sin(x + φ), K support and K query points. */
function sinusoidTask(seed: number, k: number): Task {
  const rng = new Rng(seed);
  const amp = rng.uniformIn(0.1, 5), phase = rng.uniformIn(0, Math.PI);
  const xs = randomUniform(rng, [k, 1], -5, 5, 'float64'), xq = randomUniform(rng, [k, 1], -5, 5, 'float64');
  const f = (x: Tensor) => mul(sin(add(x, phase)), amp);
  return { xs, ys: f(xs), xq, yq: f(xq) };
}

function castTask(t: Task, dtype: 'float32' | 'float64'): Task {
  return { xs: cast(t.xs, dtype), ys: cast(t.ys, dtype), xq: cast(t.xq, dtype), yq: cast(t.yq, dtype) };
}

function initParams(seed: number, sizes: number[], biasStd = 0): Params {
  const rng = new Rng(seed);
  const p: Params = {};
  for (let i = 0; i + 1 < sizes.length; i++) {
    p[`w${i + 1}`] = randomNormal(rng, [sizes[i]!, sizes[i + 1]!], 0, Math.sqrt(2 / sizes[i]!), 'float64');
    p[`b${i + 1}`] = biasStd > 0 ? randomNormal(rng, [sizes[i + 1]!], 0, biasStd, 'float64') : zeros([sizes[i + 1]!], 'float64');
  }
  return p;
}

/** The adapted parameters after `steps` inner SGD steps on the support set. */
function adapt(p: Params, task: Task, act: Act, lr: number, steps: number, firstOrder = false): Params {
  const support = (q: Params) => mean(square(sub(mlp(q, task.xs, act), task.ys)));
  let q = p;
  for (let s = 0; s < steps; s++) {
    const g = grad(support)(q) as Params;
    const cur = q;
    q = treeMap(cur, (w, path) => sub(w, mul(firstOrder ? stopGradient(pickLeaf(g, path)) : pickLeaf(g, path), lr)));
  }
  return q;
}

function pickLeaf(tree: Params, path: string): Tensor {
  return tree[path.slice(2)]!; // paths look like "$.w1"
}

function metaLoss(p: Params, task: Task, act: Act, lr: number, steps: number, firstOrder = false): Tensor {
  const q = adapt(p, task, act, lr, steps, firstOrder);
  return mean(square(sub(mlp(q, task.xq, act), task.yq)));
}

/** Central differences of the meta-objective over every parameter, float64. */
function finiteDifferences(p: Params, f: (q: Params) => Tensor, eps = 1e-5): Params {
  return treeMap(p, (leaf, path) => {
    const key = path.slice(2);
    const out = new Float64Array(leaf.size);
    for (let j = 0; j < leaf.size; j++) {
      const probe = (d: number): number => {
        const data = Float64Array.from(leaf.data);
        data[j] = data[j]! + d;
        return f({ ...p, [key]: tensor(data, leaf.shape, 'float64') }).item();
      };
      out[j] = (probe(eps) - probe(-eps)) / (2 * eps);
    }
    return tensor(out, leaf.shape, 'float64');
  });
}

const flat = (t: Params): number[] => treeLeaves(t).flatMap((l) => Array.from(l.data));
const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

const acts: [string, Act][] = [['tanh', tanh], ['relu', relu]];

for (const [actName, act] of acts) {
  for (const steps of [1, 3]) {
    eachBackend(`MAML meta-gradient, ${actName} MLP, ${steps} inner step(s), equals central differences`, () => {
      const task = sinusoidTask(100 + steps, 6);
      const p = initParams(200 + steps, [1, 8, 1], 0.5);
      const lr = 0.02;
      if (actName === 'relu') {
        // every pre-activation, at every adapted parameter set, is far from the kink
        for (let s = 0; s <= steps; s++) {
          const q = adapt(p, task, act, lr, s);
          const gap = Math.min(...[...preActivations(q, task.xs, act), ...preActivations(q, task.xq, act)].map(Math.abs));
          assert.ok(gap > 1e-3, `relu pre-activation ${gap} too close to 0 after ${s} steps; the finite differences would be invalid`);
        }
      }
      const objective = (q: Params) => metaLoss(q, task, act, lr, steps);
      const [value, g] = valueAndGrad(objective)(p) as [Tensor, Params];
      assert.ok(Number.isFinite(value.item()));
      assert.equal(Object.keys(g), ['w1', 'b1', 'w2', 'b2']);
      const fd = finiteDifferences(p, objective);
      const ga = flat(g), gn = flat(fd);
      const maxErr = Math.max(...ga.map((v, i) => Math.abs(v - gn[i]!)));
      allclose(ga, gn, 1e-6, 1e-6, `meta-gradient (max |err| ${maxErr.toExponential(2)})`);
      // the second-order terms matter here: first-order MAML is measurably different
      const fo = flat(grad((q: Params) => metaLoss(q, task, act, lr, steps, true))(p) as Params);
      const diff = norm(fo.map((v, i) => v - ga[i]!)) / norm(ga);
      assert.ok(diff > 1e-4, `first-order and second-order meta-gradients should differ (relative ${diff})`);
    });
  }
}

eachBackend('MAML meta-gradient of a 1-40-40-1 ReLU MLP: float32 agrees with float64 to 1e-4', () => {
  const task64 = sinusoidTask(7, 10);
  const p64 = initParams(8, [1, 40, 40, 1]);
  const lr = 0.01;
  const metaGrad = (p: Params, t: Task) => grad((q: Params) => metaLoss(q, t, relu, lr, 1))(p) as Params;
  const g64 = flat(metaGrad(p64, task64));
  const g32params = metaGrad(treeMap(p64, (w) => cast(w, 'float32')), castTask(task64, 'float32'));
  assert.ok(treeLeaves(g32params).every((l) => l.dtype === 'float32'));
  const g32 = flat(g32params);
  const relErr = norm(g32.map((v, i) => v - g64[i]!)) / norm(g64);
  let maxRel = 0, at = -1;
  g64.forEach((v, i) => {
    const r = Math.abs(g32[i]! - v) / Math.max(Math.abs(v), 1e-30);
    if (r > maxRel) { maxRel = r; at = i; }
  });
  assert.ok(norm(g64) > 0);
  assert.ok(relErr < 1e-4,
    `||g32 − g64|| / ||g64|| = ${relErr.toExponential(3)}; max elementwise relative error ${maxRel.toExponential(3)} at ${at} (g64 ${g64[at]}, g32 ${g32[at]})`);
});

test.run();
