/**
 * egocentricPolicy / egocentricView: the window's contents (outside the map reads as
 * wall), the axis features, equivariance under shifting the grid and the agent
 * together, oracle logits = observation logits, first- and second-order gradients
 * (float64), errors, and a deterministic MAML-RL run (jit = eager).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, checkGrad, sum, tanh, tensor, cast, type Tensor } from '../src/index.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { egocentricPolicy, egocentricView } from '../src/rl/egocentric-policy.ts';
import { collectEpisodes } from '../src/rl/rollout.ts';
import { metaTrain } from '../src/rl/mamlrl.ts';
import { softmaxRows } from '../src/rl/policy.ts';
import { throwsRl } from './rl-helpers.ts';

const H = 7, W = 7, P = H * W;

/** gridChannels planes: `walls` cells set, agent and goal at the given cells. */
function planes(walls: (r: number, c: number) => boolean, agent: [number, number], goal: [number, number]): number[] {
  const x = new Array<number>(4 * P).fill(0);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) if (walls(r, c)) x[r * W + c] = 1;
  x[P + agent[0] * W + agent[1]] = 1;
  x[2 * P + goal[0] * W + goal[1]] = 1;
  return x;
}

test('egocentricView: the window is centred on the agent, off-map cells read as wall (and nothing else)', () => {
  const view = egocentricView({ height: H, width: W, radius: 1 });
  assert.is(view.outputSize, 3 * 9);
  // Agent in the top-left corner, goal right of it, lava below it.
  const x = planes(() => false, [0, 0], [0, 1]);
  x[3 * P + 1 * W + 0] = 1;
  const f = Array.from(view.apply(x, 1));
  assert.equal(f.slice(0, 9), [1, 1, 1, 1, 0, 0, 1, 0, 0], 'walls: the row above and the column left are off the map');
  assert.equal(f.slice(9, 18), [0, 0, 0, 0, 0, 1, 0, 0, 0], 'goal: one to the right');
  assert.equal(f.slice(18, 27), [0, 0, 0, 0, 0, 0, 0, 1, 0], 'lava: one below');
  // Axis features are the window's row and column maxima, per plane.
  const both = egocentricView({ height: H, width: W, radius: 1, features: ['window', 'axes'] });
  const g = Array.from(both.apply(x, 1));
  assert.is(g.length, 3 * (9 + 6));
  assert.equal(g.slice(9, 15), [1, 1, 1, 1, 1, 1], 'every wall row and column has an off-map cell');
  assert.equal(g.slice(15 + 9, 30), [0, 1, 0, 0, 0, 1], 'goal: row 0 offset, column +1');
  // Inside the map: a wall up-right of the agent, two lava cells in the row below.
  const y = planes((r, c) => r === 2 && c === 4, [3, 3], [6, 6]);
  y[3 * P + 4 * W + 2] = 1; y[3 * P + 4 * W + 3] = 1;
  const h = Array.from(both.apply(y, 1));
  assert.equal(h.slice(9, 15), [1, 0, 0, 0, 0, 1], 'wall: row −1, column +1');
  assert.equal(h.slice(15, 30), new Array(15).fill(0), 'the goal is out of view');
  assert.equal(h.slice(30 + 9, 45), [0, 0, 1, 1, 1, 0], 'lava: row +1 only (a maximum, not a count), columns −1 and 0');
});

test('egocentricView rays: 1/d to the nearest cell of each plane up, right, down and left; 0 when none in the window', () => {
  // A wall row 2 with a doorway at column 3; the agent at (4, 3) under the doorway, goal at (0, 3).
  const walls = (r: number, c: number): boolean => r === 2 && c !== 3;
  const view = egocentricView({ height: H, width: W, radius: 6, features: ['rays'] });
  assert.is(view.outputSize, 3 * 4);
  const under = Array.from(view.apply(planes(walls, [4, 3], [0, 3]), 1));
  // Walls: up through the doorway to the map's edge (off-map reads as wall: 5 cells), right/left off the map at 4, down off the map at 3.
  assert.equal(under.slice(0, 4), [1 / 5, 1 / 4, 1 / 3, 1 / 4].map(Math.fround), 'walls from under the doorway');
  assert.equal(under.slice(4, 8), [Math.fround(1 / 4), 0, 0, 0], 'goal: 4 up, nothing in the other directions');
  assert.equal(under.slice(8, 12), [0, 0, 0, 0], 'lava: none');
  const beside = Array.from(view.apply(planes(walls, [3, 1], [0, 3]), 1));
  assert.equal(beside.slice(0, 4), [1, 1 / 6, 1 / 4, 1 / 2].map(Math.fround), 'walls one column off the doorway: the wall is right above');
  assert.equal(beside.slice(4, 8), [0, 0, 0, 0], 'the goal is not in line');
  // A radius-1 window sees only neighbours.
  const near = egocentricView({ height: H, width: W, radius: 1, features: ['axes', 'rays'] });
  assert.is(near.outputSize, 3 * (6 + 4));
  assert.equal(Array.from(near.apply(planes(walls, [4, 3], [0, 3]), 1)).slice(6, 10), [0, 0, 0, 0], 'no wall next to the agent under the doorway');
});

test('egocentricPolicy: shifting the grid and the agent together leaves the action probabilities unchanged', () => {
  const policy = egocentricPolicy({ height: H, width: W, numActions: 5, features: ['window', 'axes'], hidden: [8], outputScale: 1 });
  const params = policy.init(new Rng(0));
  // A 3×4 room with a wall inside, walled all round, shifted by (1, 2): every window (radius 6) sees the same.
  const room = (dr: number, dc: number) => (r: number, c: number) => !(r >= 1 + dr && r <= 3 + dr && c >= dc && c <= 3 + dc) || (r === 2 + dr && c === 1 + dc);
  const obs = tensor([
    ...planes(room(0, 0), [3, 0], [1, 3]),
    ...planes(room(1, 2), [4, 2], [2, 5]),
    ...planes(room(0, 0), [3, 0], [1, 2]), // a different relative goal
  ], [3, 4 * P]);
  const probs = softmaxRows(policy.logits(params, obs).data, 3, 5);
  for (let a = 0; a < 5; a++) assert.ok(Math.abs(probs[a]! - probs[5 + a]!) < 1e-6, `action ${a}: ${probs[a]} vs ${probs[5 + a]}`);
  assert.ok(Array.from({ length: 5 }, (_v, a) => Math.abs(probs[a]! - probs[10 + a]!)).some((d) => d > 1e-4), 'the relative goal position matters');
  // A small window in an open room: equal wherever it stays on the map.
  const local = egocentricPolicy({ height: H, width: W, numActions: 5, radius: 2, hidden: [6], outputScale: 1 });
  const lp = local.init(new Rng(1));
  const open = () => false;
  const l = local.logits(lp, tensor([...planes(open, [2, 2], [3, 4]), ...planes(open, [4, 3], [5, 5])], [2, 4 * P])).data;
  for (let a = 0; a < 5; a++) assert.ok(Math.abs(l[a]! - l[5 + a]!) < 1e-6);
});

test('egocentricPolicy: stateLogits equal the encoded states\' logits; the sampler is their softmax; rollouts run', () => {
  const env = new VecEnv({ map: openRoom(5), numEnvs: 4, maxSteps: 8, observation: { kind: 'gridChannels' } });
  env.setTasks(goalFamily({ size: 5, seed: 0 }).train[0]!);
  const policy = egocentricPolicy({ height: 5, width: 5, numActions: env.numActions, features: ['axes'], outputScale: 1 });
  const params = policy.init(new Rng(2));
  const model = env.modelOf(0);
  const all = policy.stateLogits(params, model, env.observation);
  assert.equal(all.shape, [model.numStates, env.numActions]);
  const s = model.startStates[0]!;
  const one = policy.logits(params, tensor(Array.from(env.observation.encode(model, s)), [1, env.obsSize]));
  for (let a = 0; a < env.numActions; a++) assert.ok(Math.abs(one.data[a]! - all.data[s * env.numActions + a]!) < 1e-6);
  const probs = new Float64Array(env.numActions);
  policy.sampler(params)(env.observation.encode(model, s), 1, probs);
  const expected = softmaxRows(one.data, 1, env.numActions);
  for (let a = 0; a < env.numActions; a++) assert.ok(Math.abs(probs[a]! - expected[a]!) < 1e-6);
  // The traceable form: the re-centring is the features' side (it reads values).
  const form = policy.traceable!;
  const obs = env.observation.encode(model, s);
  const viaForm = form.logits(params, tensor(form.features(obs, 1), [1, form.featureSize])).data;
  for (let a = 0; a < env.numActions; a++) assert.ok(Math.abs(viaForm[a]! - one.data[a]!) < 1e-6);
  const batch = collectEpisodes(env, policy, params, 1);
  assert.is(batch.actions.length, 4 * 8);
});

test('egocentricPolicy: first- and second-order gradients in every parameter (float64)', () => {
  const policy = egocentricPolicy({ height: 4, width: 3, numActions: 3, radius: 1, features: ['window', 'axes'], hidden: [3], outputScale: 1 });
  const p = policy.init(new Rng(3));
  const x = new Array<number>(2 * 4 * 12).fill(0);
  x[12 + 4] = 1; x[2 * 12 + 5] = 1; x[0] = 1; // row 0: agent (1, 1), goal (1, 2), a wall at (0, 0)
  x[48 + 12 + 11] = 1; x[48 + 3 * 12 + 7] = 1; // row 1: agent (3, 2), lava (2, 1)
  const obs = tensor(x, [2, 48]);
  const f = (w0: Tensor, b0: Tensor, w1: Tensor, b1: Tensor): Tensor =>
    sum(tanh(policy.logits({ layers: [{ weight: w0, bias: b0 }, { weight: w1, bias: b1 }] }, obs)));
  const inputs = p.layers.flatMap((l) => [l.weight, l.bias]).map((t) => cast(t, 'float64'));
  for (const order of [1, 2] as const) {
    const r = checkGrad(f, inputs, { order, atol: 1e-7, rtol: 1e-6 });
    assert.ok(r.ok, `order ${order}: ${r.message}`);
  }
});

test('egocentricPolicy: bad options and observations throw RlErrors naming them', () => {
  throwsRl(() => egocentricPolicy({ height: 0, width: 5, numActions: 4 }), /egocentricView: height must be an integer ≥ 1, got 0/);
  throwsRl(() => egocentricPolicy({ height: 5, width: 5, numActions: 4, radius: -1 }), /egocentricView: radius must be an integer ≥ 0, got -1/);
  throwsRl(() => egocentricPolicy({ height: 5, width: 5, numActions: 4, agentChannel: 4 }), /egocentricView: agentChannel 4 is not one of the 4 channels/);
  throwsRl(() => egocentricPolicy({ height: 5, width: 5, numActions: 4, wallChannel: 1 }), /egocentricView: wallChannel 1 must be one of the 4 channels other than agentChannel 1/);
  throwsRl(() => egocentricPolicy({ height: 5, width: 5, numActions: 4, features: ['window', 'window'] }), /egocentricView: features must be a non-empty list without repeats of 'window', 'axes', 'rays', got \["window","window"\]/);
  throwsRl(() => egocentricPolicy({ height: 5, width: 5, numActions: 4, features: ['rows' as 'axes'] }), /egocentricView: features must be/);
  throwsRl(() => egocentricPolicy({ height: 5, width: 5, numActions: 0 }), /egocentricPolicy: numActions must be an integer ≥ 1, got 0/);
  throwsRl(() => egocentricPolicy({ height: 5, width: 5, numActions: 4, hidden: [0] }), /egocentricPolicy: hidden\[0\] must be an integer ≥ 1, got 0/);
  const policy = egocentricPolicy({ height: 3, width: 3, numActions: 4, hidden: [2] });
  const params = policy.init(new Rng(0));
  throwsRl(() => policy.logits(params, tensor(new Array(36).fill(0), [1, 36])), /egocentricView: observation 0 has no 1 in its agent plane \(channel 1\); use the 'gridChannels' observation/);
  throwsRl(() => policy.logits(params, tensor([1, 2, 3], [1, 3])), /observations must be a \[N, 36\] tensor, got \[1, 3\]/);
});

test('egocentricPolicy: MAML-RL meta-trains it deterministically (DiCE, second order), jit as eager', () => {
  const env = new VecEnv({ map: openRoom(5), numEnvs: 6, maxSteps: 8, observation: { kind: 'gridChannels' } });
  const family = goalFamily({ size: 5, seed: 0 });
  const policy = egocentricPolicy({ height: 5, width: 5, numActions: env.numActions, features: ['window', 'axes'], hidden: [8] });
  const run = (iterations: number, jit = false) => metaTrain({
    policy, env, tasks: family.train, iterations, metaBatchSize: 2, outerLr: 0.05, seed: 3, innerLr: 1, estimator: 'dice', baseline: 'observation', jit,
  });
  const a = run(2), b = run(2), initial = run(0), compiled = run(2, true);
  const w = (r: typeof a, i: number) => Array.from(r.params.layers[i]!.weight.data);
  assert.equal(w(a, 0), w(b, 0));
  assert.ok(w(a, 0).some((v, i) => v !== w(initial, 0)[i]) && w(a, 1).some((v, i) => v !== w(initial, 1)[i]), 'the meta-gradient reaches both layers');
  const gap = Math.max(...w(a, 1).map((v, i) => Math.abs(v - w(compiled, 1)[i]!)));
  assert.ok(gap < 1e-4, `jit vs eager: ${gap}`);
  assert.ok(a.history.every((r) => Number.isFinite(r.preReturn) && Number.isFinite(r.postReturn)));
});

test.run();
