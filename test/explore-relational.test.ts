/**
 * DREAM's relational exploitation head: the observation layout it reads, the believed
 * goal's offset (a softmax-weighted mean of the goal offsets), first- and second-order
 * gradients (float64), independence from the agent's absolute cell, its goal readout
 * trained inside trainDream, and errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, cast, checkGrad, sum, tanh, tensor, type Tensor } from '../src/index.ts';
import { signGridFamily, SignGrid } from '../src/explore/env.ts';
import { trainDream, exploitView } from '../src/explore/dream.ts';
import { goalLogits, relationalInputs, relationalLayout, RELATIONAL_INPUT_SIZE } from '../src/explore/relational.ts';
import { initDense } from '../src/explore/seq.ts';

const family = signGridFamily();
const env = new SignGrid(family.config);
const layout = relationalLayout(env);

/** The observation of the first trial of `task` after `moves`. */
function observe(task = family.train[0]!, moves: number[] = []): Float32Array {
  env.reset([task]);
  for (const a of moves) env.step(Int32Array.of(a));
  const out = new Float32Array(env.obsSize);
  env.observe(out);
  return out;
}

test('relationalLayout: the goal offsets follow the one-hots and the sign offsets', () => {
  assert.equal(layout, { obsSize: env.obsSize, numGoals: 4, goalFrom: 5 + 5 + 2 });
  const obs = observe();
  const task = family.train[0]!;
  // From the centre (2, 2) of the 5×5 room, normalised by 4.
  task.goals.forEach(([r, c], k) => assert.equal([obs[layout.goalFrom + 2 * k], obs[layout.goalFrom + 2 * k + 1]], [(r - 2) / 4, (c - 2) / 4]));
  assert.is(exploitView(env, 'relational').relational!.goalFrom, layout.goalFrom);
});

test('relationalInputs: the believed goal\'s offset and the dead flag; a uniform belief gives the mean offset', () => {
  const obs = observe();
  const x = tensor([...obs, ...obs], [2, env.obsSize]);
  // Identity readout of a one-hot-like z: row 0 believes goal 2, row 1 is uniform.
  const goal = { weight: tensor(Array.from({ length: 16 }, (_v, i) => (i % 5 === 0 ? 30 : 0)), [4, 4]), bias: tensor([0, 0, 0, 0]) };
  const z = tensor([0, 0, 1, 0, 0, 0, 0, 0], [2, 4]);
  const out = relationalInputs(goal, x, z, layout).toArray() as number[][];
  assert.is(out[0]!.length, RELATIONAL_INPUT_SIZE);
  const g = (k: number): [number, number] => [obs[layout.goalFrom + 2 * k]!, obs[layout.goalFrom + 2 * k + 1]!];
  assert.ok(Math.abs(out[0]![0]! - g(2)[0]) < 1e-6 && Math.abs(out[0]![1]! - g(2)[1]) < 1e-6, `believed goal 2: ${out[0]}`);
  const mean = [0, 1].map((j) => [0, 1, 2, 3].reduce((a, k) => a + g(k)[j]!, 0) / 4);
  assert.ok(Math.abs(out[1]![0]! - mean[0]!) < 1e-6 && Math.abs(out[1]![1]! - mean[1]!) < 1e-6, `uniform: ${out[1]} vs ${mean}`);
  assert.equal([out[0]![2], out[1]![2]], [0, 0], 'alive');
  assert.equal(Array.from(goalLogits(goal, z).data.slice(0, 4)), [0, 0, 30, 0]);
});

test('relationalInputs: first- and second-order gradients in the readout and z (float64)', () => {
  const obs = [observe(family.train[1]!, [0]), observe(family.oodGoal[2]!, [1, 1])];
  const x = cast(tensor([...obs[0]!, ...obs[1]!], [2, env.obsSize]), 'float64');
  const init = initDense(new Rng(1), 3, 4, 1, 'float64');
  const f = (w: Tensor, b: Tensor, z: Tensor): Tensor => sum(tanh(relationalInputs({ weight: w, bias: b }, x, z, layout).mul(3)));
  const z = cast(tensor([0.3, -0.2, 0.5, 1.1, 0.4, -0.7], [2, 3]), 'float64');
  for (const order of [1, 2] as const) {
    const r = checkGrad(f, [init.weight, init.bias, z], { order, atol: 1e-7, rtol: 1e-6 });
    assert.ok(r.ok, `order ${order}: ${r.message}`);
  }
});

test('trainDream with the relational view: the policy ignores the absolute cell; the goal readout learns', () => {
  const dream = trainDream({ config: family.config, tasks: family.train, iterations: 30, seed: 2, exploitView: 'relational', batchSize: 16, hidden: 16 });
  const again = trainDream({ config: family.config, tasks: family.train, iterations: 30, seed: 2, exploitView: 'relational', batchSize: 16, hidden: 16 });
  const goal = dream.params.exploit.goal!;
  assert.equal(goal.weight.shape, [8, 4]);
  assert.equal(Array.from(goal.weight.data), Array.from(again.params.exploit.goal!.weight.data), 'deterministic');
  assert.equal(dream.params.exploit.l1.weight.shape, [RELATIONAL_INPUT_SIZE, 32]);
  // Two cells with the same goal offsets: move the whole task and the agent by one column.
  const a = observe();
  const b = new Float32Array(a);
  b.fill(0, 0, 10);
  b[2] = 1; b[5 + 3] = 1; // row 2, column 3 instead of column 2
  const z = dream.embedTasks([family.train[0]!, family.train[0]!]);
  const logits = dream.exploitLogits(dream.params.exploit, tensor([...a, ...b], [2, env.obsSize]), z).data;
  for (let k = 0; k < 4; k++) assert.is(logits[k], logits[4 + k], `action ${k}`);
  // The readout of the true embeddings names the correct goal more often than chance.
  const tasks = family.train;
  const predicted = goalLogits(goal, dream.embedTasks(tasks)).data;
  const right = tasks.filter((t, i) => {
    const row = Array.from(predicted.slice(4 * i, 4 * i + 4));
    return row.indexOf(Math.max(...row)) === t.correct;
  }).length;
  assert.ok(right / tasks.length > 0.5, `goal readout right on ${right} of ${tasks.length}`);
});

test('relationalInputs and exploitView: bad shapes and kinds throw naming them', () => {
  const goal = initDense(new Rng(0), 3, 4);
  assert.throws(() => relationalInputs(goal, tensor([1, 2], [1, 2]), tensor([0, 0, 0], [1, 3]), layout), /relationalInputs: observations \[1, 2\] and embeddings \[1, 3\] must be \[N, 25\] and \[N, d\]/);
  assert.throws(() => exploitView(env, 'egocentric' as 'full'), /exploitView must be one of full, relative, relational, got 'egocentric'/);
});

test.run();
