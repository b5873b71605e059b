/**
 * convPolicy: translation equivariance (the property it exists for), its oracle logits
 * equal its observation logits, second-order gradients, errors, and a MAML-RL step.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, checkGrad, sum, tanh, tensor, cast, type Tensor } from '../src/index.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { convPolicy } from '../src/rl/conv-policy.ts';
import { collectEpisodes } from '../src/rl/rollout.ts';
import { metaTrain } from '../src/rl/mamlrl.ts';
import { throwsRl } from './rl-helpers.ts';

const H = 9, W = 9;

/** gridChannels planes with the agent and the goal at the given cells and no walls. */
function planes(agent: [number, number], goal: [number, number]): number[] {
  const x = new Array<number>(4 * H * W).fill(0);
  x[1 * H * W + agent[0] * W + agent[1]] = 1;
  x[2 * H * W + goal[0] * W + goal[1]] = 1;
  return x;
}

test('convPolicy: shifting agent and goal together leaves the logits unchanged (translation equivariance)', () => {
  const policy = convPolicy({ height: H, width: W, numActions: 4, hidden: [8, 8], outputScale: 1 });
  const params = policy.init(new Rng(0));
  // Receptive field radius 2: positions at least 2 cells from the border see no padding.
  const obs = tensor([...planes([3, 3], [4, 5]), ...planes([4, 4], [5, 6]), ...planes([2, 4], [3, 6]), ...planes([3, 3], [5, 4])], [4, 4 * H * W]);
  const logits = policy.logits(params, obs).toArray() as number[][];
  for (let a = 0; a < 4; a++) {
    assert.ok(Math.abs(logits[0]![a]! - logits[1]![a]!) < 1e-6, `shift (1, 1), action ${a}: ${logits[0]![a]} vs ${logits[1]![a]}`);
    assert.ok(Math.abs(logits[0]![a]! - logits[2]![a]!) < 1e-6, `shift (-1, 1), action ${a}`);
  }
  // A different relative goal position is seen as different.
  assert.ok(logits[0]!.some((v, a) => Math.abs(v - logits[3]![a]!) > 1e-4), 'the relative goal position matters');
});

test('convPolicy with dilations 1, 2, 4: the agent cell sees a goal 7 cells away, and still only its relative position', () => {
  const policy = convPolicy({ height: H, width: W, numActions: 4, hidden: [4, 4, 4], dilations: [1, 2, 4], outputScale: 1 });
  assert.match(policy.name, /dilations 1,2,4/);
  const params = policy.init(new Rng(3));
  const near = convPolicy({ height: H, width: W, numActions: 4, hidden: [4, 4, 4], outputScale: 1 }); // receptive field radius 3
  const nearParams = near.init(new Rng(3));
  // Agent at (1, 1), the goal 7 cells down-right or nowhere: only the wide field can tell.
  const obs = tensor([...planes([1, 1], [8, 8]), ...planes([1, 1], [1, 1]).map((v, i) => (i >= 2 * H * W && i < 3 * H * W ? 0 : v))], [2, 4 * H * W]);
  const wide = policy.logits(params, obs).toArray() as number[][];
  const narrow = near.logits(nearParams, obs).toArray() as number[][];
  assert.ok(wide[0]!.some((v, a) => Math.abs(v - wide[1]![a]!) > 1e-4), 'the far goal changes the wide policy');
  for (let a = 0; a < 4; a++) assert.ok(Math.abs(narrow[0]![a]! - narrow[1]![a]!) < 1e-7, 'the narrow policy cannot see it');
  // Translation equivariance where no padding is in reach of either position (wide field: radius 7, so a 17×17 map).
  const big = convPolicy({ height: 17, width: 17, numActions: 4, hidden: [4, 4, 4], dilations: [1, 2, 4], outputScale: 1 });
  const bigParams = big.init(new Rng(3));
  const at = (agent: [number, number], goal: [number, number]): number[] => {
    const x = new Array<number>(4 * 17 * 17).fill(0);
    x[1 * 289 + agent[0] * 17 + agent[1]] = 1;
    x[2 * 289 + goal[0] * 17 + goal[1]] = 1;
    return x;
  };
  const shifted = big.logits(bigParams, tensor([...at([7, 7], [9, 4]), ...at([9, 9], [11, 6])], [2, 4 * 289])).toArray() as number[][];
  for (let a = 0; a < 4; a++) assert.ok(Math.abs(shifted[0]![a]! - shifted[1]![a]!) < 1e-6, `shift (2, 2), action ${a}`);
  throwsRl(() => convPolicy({ height: 5, width: 5, numActions: 4, hidden: [4, 4], dilations: [1] }), /convPolicy: dilations needs one entry per hidden layer \(2\), got 1/);
  throwsRl(() => convPolicy({ height: 5, width: 5, numActions: 4, hidden: [4], dilations: [0] }), /convPolicy: dilations\[0\] must be an integer ≥ 1, got 0/);
});

test('convPolicy with dilations: first- and second-order gradients in every parameter (float64)', () => {
  const policy = convPolicy({ height: 5, width: 4, numActions: 3, hidden: [2, 2], dilations: [1, 2], activation: 'tanh', outputScale: 1 });
  const p = policy.init(new Rng(4));
  const obs = tensor(Array.from({ length: 2 * 4 * 20 }, (_, i) => ((i * 7) % 5) / 4), [2, 80]);
  const f = (w0: Tensor, b0: Tensor, w1: Tensor, b1: Tensor, wh: Tensor, bh: Tensor): Tensor =>
    sum(tanh(policy.logits({ layers: [{ weight: w0, bias: b0 }, { weight: w1, bias: b1 }], head: { weight: wh, bias: bh } }, obs)));
  const inputs = [p.layers[0]!.weight, p.layers[0]!.bias, p.layers[1]!.weight, p.layers[1]!.bias, p.head.weight, p.head.bias].map((t) => cast(t, 'float64'));
  for (const order of [1, 2] as const) {
    const r = checkGrad(f, inputs, { order, atol: 1e-7, rtol: 1e-6 });
    assert.ok(r.ok, `order ${order}: ${r.message}`);
  }
});

test('convPolicy: stateLogits equal the logits of the encoded states; sampler gives their softmax', () => {
  const env = new VecEnv({ map: openRoom(5), numEnvs: 3, maxSteps: 8, observation: { kind: 'gridChannels' } });
  const family = goalFamily({ size: 5, seed: 0 });
  env.setTasks(family.train[0]!);
  const policy = convPolicy({ height: 5, width: 5, numActions: env.numActions, hidden: [4], outputScale: 1 });
  const params = policy.init(new Rng(1));
  const model = env.modelOf(0);
  const all = policy.stateLogits(params, model, env.observation);
  assert.equal(all.shape, [model.numStates, 4]);
  const s = model.startStates[0]!;
  const one = policy.logits(params, tensor(Array.from(env.observation.encode(model, s)), [1, env.obsSize]));
  for (let a = 0; a < 4; a++) assert.ok(Math.abs(one.data[a]! - all.data[s * 4 + a]!) < 1e-6);
  const probs = new Float64Array(4);
  policy.sampler(params)(env.observation.encode(model, s), 1, probs);
  const z = Array.from(one.data).map(Math.exp), total = z.reduce((p, q) => p + q, 0);
  for (let a = 0; a < 4; a++) assert.ok(Math.abs(probs[a]! - z[a]! / total) < 1e-6);
  const batch = collectEpisodes(env, policy, params, 1);
  assert.ok(batch !== undefined);
});

test('convPolicy: first- and second-order gradients of the logits in every parameter (float64)', () => {
  const policy = convPolicy({ height: 5, width: 4, numActions: 3, hidden: [3], activation: 'tanh', outputScale: 1 });
  const p = policy.init(new Rng(2));
  const obs = tensor(Array.from({ length: 2 * 4 * 20 }, (_, i) => ((i * 7) % 5) / 4), [2, 80]);
  const f = (w0: Tensor, b0: Tensor, wh: Tensor, bh: Tensor): Tensor =>
    sum(tanh(policy.logits({ layers: [{ weight: w0, bias: b0 }], head: { weight: wh, bias: bh } }, obs)));
  const inputs = [p.layers[0]!.weight, p.layers[0]!.bias, p.head.weight, p.head.bias].map((t) => cast(t, 'float64'));
  for (const order of [1, 2] as const) {
    const r = checkGrad(f, inputs, { order, atol: 1e-7, rtol: 1e-6 });
    assert.ok(r.ok, `order ${order}: ${r.message}`);
  }
});

test('convPolicy: bad options and observations throw RlErrors naming them', () => {
  throwsRl(() => convPolicy({ height: 5, width: 5, numActions: 4, kernel: 2 }), /convPolicy: kernel must be odd/);
  throwsRl(() => convPolicy({ height: 5, width: 5, numActions: 4, agentChannel: 4 }), /convPolicy: agentChannel 4 is not one of the 4 channels/);
  throwsRl(() => convPolicy({ height: 0, width: 5, numActions: 4 }), /convPolicy: height must be an integer ≥ 1, got 0/);
  const policy = convPolicy({ height: 3, width: 3, numActions: 4, hidden: [2] });
  throwsRl(() => policy.logits(policy.init(new Rng(0)), tensor([1, 2, 3], [1, 3])), /convPolicy.logits: observations must be a \[N, 36\] tensor, got \[1, 3\]/);
});

test('convPolicy: MAML-RL meta-trains it (DiCE, second order) deterministically', () => {
  const env = new VecEnv({ map: openRoom(5), numEnvs: 6, maxSteps: 8, observation: { kind: 'gridChannels' } });
  const family = goalFamily({ size: 5, seed: 0 });
  const policy = convPolicy({ height: 5, width: 5, numActions: env.numActions, hidden: [4] });
  const run = (iterations: number) => metaTrain({ policy, env, tasks: family.train, iterations, metaBatchSize: 2, outerLr: 0.05, seed: 3, innerLr: 1, estimator: 'dice', baseline: 'state' });
  const a = run(2), b = run(2), initial = run(0);
  assert.equal(Array.from(a.params.head.weight.data), Array.from(b.params.head.weight.data));
  const moved = (x: Tensor, y: Tensor) => x.data.some((v, i) => v !== y.data[i]);
  assert.ok(moved(a.params.head.weight, initial.params.head.weight) && moved(a.params.layers[0]!.weight, initial.params.layers[0]!.weight), 'the meta-gradient reaches the head and the convolution');
  assert.ok(a.history.every((r) => Number.isFinite(r.preReturn) && Number.isFinite(r.postReturn)));
});

test.run();
