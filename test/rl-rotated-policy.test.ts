/**
 * rotatedEgocentricPolicy: the four views are the window's quarter turns, turning the
 * map a quarter permutes the move logits and keeps the stay logit (bit for bit),
 * oracle logits = observation logits, first- and second-order gradients (float64), jit
 * = eager (bit for bit), a MAML-RL run, and errors naming the option and value.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, checkGrad, grad, jit, sub, mul, sum, tanh, tensor, cast, treeLeaves, treeZip, type Tensor } from '../src/index.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { rotatedEgocentricPolicy, type RotatedPolicyParams } from '../src/rl/rotated-policy.ts';
import { egocentricView } from '../src/rl/egocentric-policy.ts';
import { collectEpisodes } from '../src/rl/rollout.ts';
import { metaTrain } from '../src/rl/mamlrl.ts';
import { softmaxRows } from '../src/rl/policy.ts';
import { throwsRl } from './rl-helpers.ts';

/** Random gridChannels planes of an `h × w` map: walls and goals 0/1, lava in [0, 1), one agent. */
function randomPlanes(rng: Rng, h: number, w: number): number[] {
  const P = h * w, x = new Array<number>(4 * P).fill(0);
  for (let j = 0; j < P; j++) {
    if (rng.uniform() < 0.25) x[j] = 1;
    if (rng.uniform() < 0.1) x[2 * P + j] = 1;
    if (rng.uniform() < 0.2) x[3 * P + j] = rng.uniform();
  }
  x[P + Math.floor(rng.uniform() * P)] = 1;
  return x;
}

/** The planes of an `h × w` map turned a quarter clockwise (a `w × h` map): cell (r, c) moves to (c, h − 1 − r). */
function turnMapCw(x: readonly number[], h: number, w: number): number[] {
  const P = h * w, y = new Array<number>(4 * P).fill(0);
  for (let ch = 0; ch < 4; ch++) for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) y[ch * P + c * h + (h - 1 - r)] = x[ch * P + r * w + c]!;
  return y;
}

test('rotatedEgocentricPolicy: feature view a is the egocentric view of the window turned a quarters counter-clockwise', () => {
  const H = 7, W = 7, P = H * W;
  // Agent (3, 3), goal 2 cells right of it: in view 1 (turned once ccw) it is 2 up, in view 2 two left, in view 3 two down.
  const x = new Array<number>(4 * P).fill(0);
  x[P + 3 * W + 3] = 1; x[2 * P + 3 * W + 5] = 1;
  const policy = rotatedEgocentricPolicy({ height: H, width: W, numActions: 5, features: ['rays'] });
  const form = policy.traceable!;
  assert.is(form.featureSize, 4 * 3 * 4);
  const f = Array.from(form.features(Float32Array.from(x), 1));
  const goalRays = (a: number) => f.slice(a * 12 + 4, a * 12 + 8); // planes wall, goal, lava; rays up, right, down, left
  assert.equal(goalRays(0), [0, 0.5, 0, 0]);
  assert.equal(goalRays(1), [0.5, 0, 0, 0]);
  assert.equal(goalRays(2), [0, 0, 0, 0.5]);
  assert.equal(goalRays(3), [0, 0, 0.5, 0]);
  // View 0 is egocentricView's row exactly (same shared code), for every feature group.
  const features = ['window', 'axes', 'rays'] as const;
  const rng = new Rng(4);
  const rows = [...randomPlanes(rng, H, W), ...randomPlanes(rng, H, W)];
  const plain = egocentricView({ height: H, width: W, radius: 3, features }).apply(rows, 2);
  const rotated = rotatedEgocentricPolicy({ height: H, width: W, numActions: 4, radius: 3, features }).traceable!;
  const F = plain.length / 2, all = rotated.features(Float32Array.from(rows), 2);
  assert.is(rotated.featureSize, 4 * F);
  for (let i = 0; i < 2; i++) assert.equal(Array.from(all.subarray(i * 4 * F, i * 4 * F + F)), Array.from(plain.subarray(i * F, (i + 1) * F)));
});

test('rotatedEgocentricPolicy: turning the map a quarter clockwise cycles the move logits and keeps the stay logit, bit for bit', () => {
  const rng = new Rng(7);
  for (const [h, w, hidden, activation, features] of [
    [7, 7, [8, 6], 'tanh', ['window', 'axes', 'rays']],
    [6, 6, [5], 'relu', ['axes']],
    [5, 7, [], 'tanh', ['axes', 'rays']], // a non-square map turns into a 7 × 5 one (same radius: same window)
  ] as const) {
    const options = { numActions: 5, hidden, activation, features, radius: 6, outputScale: 1 };
    const policy = rotatedEgocentricPolicy({ height: h, width: w, ...options });
    const turned = rotatedEgocentricPolicy({ height: w, width: h, ...options });
    const params = policy.init(new Rng(h + w));
    const n = 6;
    let maps = Array.from({ length: n }, () => randomPlanes(rng, h, w));
    let H: number = h, W: number = w;
    let logits = Array.from(policy.logits(params, tensor(maps.flat(), [n, 4 * H * W])).data);
    for (let turn = 1; turn <= 4; turn++) {
      maps = maps.map((m) => turnMapCw(m, H, W));
      [H, W] = [W, H];
      const next = Array.from((H === h ? policy : turned).logits(params, tensor(maps.flat(), [n, 4 * H * W])).data);
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < 4; a++) {
          assert.ok(Object.is(next[i * 5 + ((a + 1) % 4)], logits[i * 5 + a]), `turn ${turn}, map ${i}: logit of ${(a + 1) % 4} ${next[i * 5 + ((a + 1) % 4)]} vs ${a} before ${logits[i * 5 + a]}`);
        }
        assert.ok(Object.is(next[i * 5 + 4], logits[i * 5 + 4]), `turn ${turn}, map ${i}: stay ${next[i * 5 + 4]} vs ${logits[i * 5 + 4]}`);
      }
      logits = next;
    }
    // Not vacuous: the directions score differently.
    assert.ok(new Set(logits.filter((_v, j) => j % 5 < 4)).size > 4, 'distinct move logits');
  }
});

test('rotatedEgocentricPolicy: the oracle\'s stateLogits, the sampler and rollouts agree with the logits of the encoded states', () => {
  const env = new VecEnv({ map: openRoom(5), numEnvs: 4, maxSteps: 8, observation: { kind: 'gridChannels' } });
  env.setTasks(goalFamily({ size: 5, seed: 0 }).train[0]!);
  const policy = rotatedEgocentricPolicy({ height: 5, width: 5, numActions: env.numActions, features: ['axes'], outputScale: 1 });
  const params = policy.init(new Rng(2));
  const model = env.modelOf(0), S = model.numStates, A = env.numActions;
  const encoded = new Float32Array(S * env.obsSize);
  for (let s = 0; s < S; s++) encoded.set(env.observation.encode(model, s), s * env.obsSize);
  const table = policy.stateLogits(params, model, env.observation);
  assert.equal(table.shape, [S, A]);
  assert.equal(Array.from(table.data), Array.from(policy.logits(params, tensor(encoded, [S, env.obsSize])).data));
  const probs = new Float64Array(S * A);
  policy.sampler(params)(encoded, S, probs);
  const softmax = softmaxRows(table.data, S, A);
  assert.ok(probs.every((q, j) => Math.abs(q - softmax[j]!) < 1e-6), 'the sampler is the softmax of the logits');
  assert.is(collectEpisodes(env, policy, params, 1).actions.length, 4 * 8);
});

/** Two observations of a 4 × 3 map: walls, goal and lava around agents at (1, 1) and (3, 2). */
function smallObs(): Tensor {
  const x = new Array<number>(2 * 4 * 12).fill(0);
  x[12 + 4] = 1; x[2 * 12 + 5] = 1; x[0] = 1; x[3 * 12 + 7] = 0.5;
  x[48 + 12 + 11] = 1; x[48 + 3 * 12 + 7] = 1; x[48 + 2 * 12 + 1] = 1;
  return tensor(x, [2, 48]);
}

test('rotatedEgocentricPolicy: first- and second-order gradients in every parameter (float64), with and without stay', () => {
  const obs = smallObs();
  for (const numActions of [5, 4]) {
    const policy = rotatedEgocentricPolicy({ height: 4, width: 3, numActions, radius: 1, features: ['window', 'axes', 'rays'], hidden: [3], outputScale: 1 });
    const p = policy.init(new Rng(3));
    const heads = numActions === 5 ? [p.score, p.stay!] : [p.score];
    const inputs = [...p.layers, ...heads].flatMap((l) => [l.weight, l.bias]).map((t) => cast(t, 'float64'));
    const f = (...t: Tensor[]): Tensor => {
      const params: RotatedPolicyParams = {
        layers: [{ weight: t[0]!, bias: t[1]! }], score: { weight: t[2]!, bias: t[3]! }, ...(numActions === 5 ? { stay: { weight: t[4]!, bias: t[5]! } } : {}),
      };
      return sum(tanh(policy.logits(params, obs)));
    };
    for (const order of [1, 2] as const) {
      const r = checkGrad(f, inputs, { order, atol: 1e-7, rtol: 1e-6 });
      assert.ok(r.ok, `${numActions} actions, order ${order}: ${r.message}`);
    }
  }
});

test('rotatedEgocentricPolicy: jit of the logits and of an inner gradient step equals eager, bit for bit', () => {
  const policy = rotatedEgocentricPolicy({ height: 4, width: 3, numActions: 5, radius: 2, features: ['axes', 'rays'], hidden: [6, 4], outputScale: 1 });
  const params = policy.init(new Rng(5));
  const form = policy.traceable!;
  const obs = smallObs();
  const feats = tensor(form.features(Float32Array.from(obs.data), 2), [2, form.featureSize]);
  const loss = (p: RotatedPolicyParams, f: Tensor): Tensor => sum(tanh(form.logits(p, f)));
  // One inner step, then the logits: what MAML-RL's compiled meta-gradient differentiates again.
  const adapted = (p: RotatedPolicyParams, f: Tensor): Tensor => {
    const g = grad(loss)(p, f) as RotatedPolicyParams;
    return form.logits(treeZip(p, g, (v, dv) => sub(v, mul(dv, 0.3))), f);
  };
  const eager = Array.from(form.logits(params, feats).data);
  assert.equal(Array.from(policy.logits(params, obs).data), eager, 'the traceable form is the policy');
  assert.equal(Array.from(jit(form.logits)(params, feats).data), eager);
  const eagerStep = Array.from(adapted(params, feats).data);
  assert.ok(eagerStep.some((v, i) => v !== eager[i]), 'the step moves the logits');
  assert.equal(Array.from(jit(adapted)(params, feats).data), eagerStep);
  const meta = (p: RotatedPolicyParams, f: Tensor): Tensor => sum(tanh(adapted(p, f)));
  const eagerMeta = grad(meta)(params, feats) as RotatedPolicyParams;
  const jitMeta = jit(grad(meta))(params, feats) as RotatedPolicyParams;
  const leaves = (t: RotatedPolicyParams) => treeLeaves(t).map((v) => Array.from(v.data));
  assert.is(leaves(eagerMeta).length, 8, 'two hidden layers, score and stay heads');
  assert.equal(leaves(jitMeta), leaves(eagerMeta), 'the second-order meta-gradient');
});

test('rotatedEgocentricPolicy: MAML-RL meta-trains it deterministically (DiCE, second order), jit as eager', () => {
  const env = new VecEnv({ map: openRoom(5), numEnvs: 6, maxSteps: 8, observation: { kind: 'gridChannels' }, allowStay: true });
  assert.is(env.numActions, 5, 'the stay head is exercised');
  const family = goalFamily({ size: 5, seed: 0 });
  const policy = rotatedEgocentricPolicy({ height: 5, width: 5, numActions: env.numActions, features: ['axes'], hidden: [8] });
  const run = (iterations: number, jitted = false) => metaTrain({
    policy, env, tasks: family.train, iterations, metaBatchSize: 2, outerLr: 0.05, seed: 3, innerLr: 1, estimator: 'dice', baseline: 'observation', jit: jitted,
  });
  const a = run(2), b = run(2), initial = run(0), compiled = run(2, true);
  const all = (r: typeof a) => [...r.params.layers.flatMap((l) => [l.weight, l.bias]), r.params.score.weight, r.params.stay!.weight].map((t) => Array.from(t.data));
  assert.equal(all(a), all(b));
  all(a).forEach((v, i) => assert.ok(v.some((x, j) => x !== all(initial)[i]![j]), `the meta-gradient reaches tensor ${i}`));
  const gap = Math.max(...all(a).flatMap((v, i) => v.map((x, j) => Math.abs(x - all(compiled)[i]![j]!))));
  assert.ok(gap < 1e-4, `jit vs eager: ${gap}`);
});

test('rotatedEgocentricPolicy: bad options, parameters and observations throw RlErrors naming them', () => {
  const base = { height: 5, width: 5, numActions: 5 };
  throwsRl(() => rotatedEgocentricPolicy({ ...base, height: 0 }), /rotatedEgocentricPolicy: height must be an integer ≥ 1, got 0/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, radius: 1.5 }), /rotatedEgocentricPolicy: radius must be an integer ≥ 0, got 1.5/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, features: [] }), /rotatedEgocentricPolicy: features must be a non-empty list without repeats of 'window', 'axes', 'rays', got \[\]/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, wallChannel: 1 }), /rotatedEgocentricPolicy: wallChannel 1 must be one of the 4 channels other than agentChannel 1/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, numActions: 3 }), /rotatedEgocentricPolicy: numActions must be 4 \(up, right, down, left\) or 5 \(and stay\), got 3/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, numActions: 0 }), /rotatedEgocentricPolicy: numActions must be an integer ≥ 1, got 0/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, hidden: [4, 0] }), /rotatedEgocentricPolicy: hidden\[1\] must be an integer ≥ 1, got 0/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, hidden: 4 as unknown as number[] }), /rotatedEgocentricPolicy: hidden must be an array of layer widths, got 4/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, activation: 'sigmoid' as 'tanh' }), /rotatedEgocentricPolicy: activation must be one of 'tanh', 'relu', got "sigmoid"/);
  throwsRl(() => rotatedEgocentricPolicy({ ...base, outputScale: -1 }), /rotatedEgocentricPolicy: outputScale must be a finite number in \[0, ∞\), got -1/);
  const policy = rotatedEgocentricPolicy({ height: 3, width: 3, numActions: 5, hidden: [2] });
  const params = policy.init(new Rng(0));
  const obs = tensor(new Array(36).fill(0).map((_v, i) => (i === 13 ? 1 : 0)), [1, 36]);
  throwsRl(() => policy.logits({ layers: params.layers, score: params.score }, obs), /rotatedEgocentricPolicy: params must hold 1 hidden layers, a score head and a stay head, got 1 layers, no stay/);
  throwsRl(() => policy.logits({ ...params, layers: [] }, obs), /params must hold 1 hidden layers.*got 0 layers/);
  throwsRl(() => policy.logits(params, tensor(new Array(36).fill(0), [1, 36])), /rotatedEgocentricPolicy: observation 0 has no 1 in its agent plane \(channel 1\); use the 'gridChannels' observation/);
  throwsRl(() => policy.logits(params, tensor([1, 2, 3], [1, 3])), /rotatedEgocentricPolicy.logits: observations must be a \[N, 36\] tensor, got \[1, 3\]/);
});

test.run();
