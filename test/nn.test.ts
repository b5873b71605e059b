import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, tensor, stack, mse, grad, sum, tanh, type Tensor } from '../src/index.ts';
import {
  Linear, MLP, batchOverTasks, glorotUniform, glorotNormal, heUniform, heNormal, fanInUniform, zerosInit,
  constantInit, truncatedNormalInit, perTaskMse, perTaskCrossEntropy, type LinearParams,
} from '../src/nn/index.ts';
import { allclose } from './helpers.ts';

const modules = suite('nn modules');

modules('Linear computes x·W + b with a broadcast bias', () => {
  const layer = Linear({ inputSize: 2, outputSize: 3 });
  const params = { weight: tensor([[1, 2, 3], [4, 5, 6]]), bias: tensor([0.5, -1, 2]) };
  // [1, 1]·W = [5, 7, 9]; [2, -1]·W = [-2, -1, 0]
  allclose(layer.apply(params, tensor([[1, 1], [2, -1]])), [[5.5, 6, 11], [-1.5, -2, 2]]);
});

modules('Linear.init draws weight [I, O] and bias [O] in PyTorch\'s default range', () => {
  const params = Linear({ inputSize: 16, outputSize: 4 }).init(new Rng(3));
  assert.equal(params.weight.shape, [16, 4]);
  assert.equal(params.bias.shape, [4]);
  for (const v of [...params.weight.data, ...params.bias.data]) assert.ok(Math.abs(v) <= 0.25, `${v} outside ±1/√16`);
});

modules('MLP applies the activation between layers but not after the last', () => {
  const net = MLP({ sizes: [1, 2, 1], activation: 'relu' });
  const params: LinearParams[] = [
    { weight: tensor([[1, -1]]), bias: tensor([0, 0]) },
    { weight: tensor([[2], [3]]), bias: tensor([-10]) },
  ];
  // x = 2: hidden relu([2, -2]) = [2, 0]; out = 4 − 10 = −6 (no relu on the output)
  allclose(net.apply(params, tensor([[2]])), [[-6]]);
  // x = −1: hidden [0, 1]; out = 3 − 10 = −7
  allclose(net.apply(params, tensor([[-1]])), [[-7]]);
  const body = MLP({ sizes: [1, 2, 1], activation: 'relu', activateOutput: true });
  allclose(body.apply(params, tensor([[2]])), [[0]]);
});

modules('a function activation computes the same as the fused named one', () => {
  const rng = new Rng(4);
  const x = tensor(Array.from({ length: 8 }, () => rng.normal()), [4, 2]);
  const named = MLP({ sizes: [2, 5, 3], activation: 'tanh' });
  const custom = MLP({ sizes: [2, 5, 3], activation: (h) => tanh(h) });
  const params = named.init(new Rng(1));
  allclose(custom.apply(params, x), named.apply(params, x), 1e-6, 1e-7);
  assert.throws(() => MLP({ sizes: [1, 1], activation: 'gelu' as never }), /unknown activation 'gelu'/);
});

modules('task-batched parameters compute every task with its own parameters', () => {
  const net = MLP({ sizes: [3, 5, 2], activation: 'tanh' });
  const rng = new Rng(7);
  const perTask = [net.init(rng), net.init(rng), net.init(rng)];
  const xs = [0, 1, 2].map(() => tensor(Array.from({ length: 12 }, () => rng.normal()), [4, 3]));
  // Stack the three parameter trees along a new task axis: weight [3, I, O], bias [3, O].
  const stacked = perTask[0]!.map((_, layer) => ({
    weight: stack(perTask.map((p) => p[layer]!.weight)),
    bias: stack(perTask.map((p) => p[layer]!.bias)),
  }));
  const batched = net.apply(stacked, stack(xs));
  assert.equal(batched.shape, [3, 4, 2]);
  const looped = stack(perTask.map((p, t) => net.apply(p, xs[t]!)));
  allclose(batched, looped, 1e-6, 1e-7);
});

modules('batchOverTasks copies parameters along a task axis and sums gradients back', () => {
  const net = MLP({ sizes: [1, 4, 1] });
  const params = net.init(new Rng(0));
  const batched = batchOverTasks(params, 5);
  assert.equal(batched[0]!.weight.shape, [5, 1, 4]);
  assert.equal(batched[1]!.bias.shape, [5, 1]);
  const x = tensor([[0.5], [-1]]);
  // The same input for every task: the gradient through the copies is 5× the unbatched one.
  const g1 = grad((p: LinearParams[]) => sum(net.apply(p, x)))(params) as LinearParams[];
  const g5 = grad((p: LinearParams[]) => sum(net.apply(batchOverTasks(p, 5), stack([x, x, x, x, x]))))(params) as LinearParams[];
  allclose(g5[0]!.weight, g1[0]!.weight.mul(5), 1e-6, 1e-6);
  allclose(g5[1]!.bias, g1[1]!.bias.mul(5), 1e-6, 1e-6);
});

modules('MLP rejects parameters with the wrong number of layers', () => {
  const net = MLP({ sizes: [1, 4, 1] });
  const params = net.init(new Rng(0));
  assert.throws(() => net.apply([params[0]!], tensor([[1]])), /expected 2 layers/);
  assert.throws(() => MLP({ sizes: [3] }), /at least an input and an output/);
  assert.throws(() => Linear({ inputSize: 0, outputSize: 2 }), /inputSize must be a positive integer/);
});

modules.run();

const inits = suite('nn initialisers');

function moments(t: Tensor): { mean: number; std: number; maxAbs: number } {
  const d = Array.from(t.data);
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
  return { mean, std, maxAbs: Math.max(...d.map(Math.abs)) };
}

inits('uniform initialisers stay within their bounds and fill them', () => {
  const fans = { fanIn: 100, fanOut: 300 };
  const cases: [typeof glorotUniform, number][] = [[glorotUniform, Math.sqrt(6 / 400)], [heUniform, Math.sqrt(6 / 100)], [fanInUniform, 0.1]];
  for (const [init, limit] of cases) {
    const { maxAbs, std } = moments(init(new Rng(1), [100, 300], fans));
    assert.ok(maxAbs <= limit, `max |w| ${maxAbs} above ${limit}`);
    assert.ok(maxAbs > 0.99 * limit, `max |w| ${maxAbs} far below ${limit}`);
    // U(−a, a) has std a/√3; with 30 000 draws the sample std is within ~0.5 %.
    assert.ok(Math.abs(std - limit / Math.sqrt(3)) < 0.02 * limit / Math.sqrt(3), `std ${std}`);
  }
});

inits('normal initialisers have the right standard deviation', () => {
  const fans = { fanIn: 100, fanOut: 300 };
  for (const [init, sigma] of [[glorotNormal, Math.sqrt(2 / 400)], [heNormal, Math.sqrt(2 / 100)]] as const) {
    const { mean, std } = moments(init(new Rng(2), [100, 300], fans));
    assert.ok(Math.abs(mean) < 0.02 * sigma, `mean ${mean}`);
    assert.ok(Math.abs(std - sigma) < 0.02 * sigma, `std ${std} vs ${sigma}`);
  }
});

inits('initialisers are deterministic under a seed and honour the dtype', () => {
  const fans = { fanIn: 4, fanOut: 4 };
  assert.equal(Array.from(heNormal(new Rng(5), [4, 4], fans).data), Array.from(heNormal(new Rng(5), [4, 4], fans).data));
  assert.is(glorotUniform(new Rng(5), [2], fans, 'float64').dtype, 'float64');
  assert.equal(Array.from(zerosInit(new Rng(0), [3], fans).data), [0, 0, 0]);
  allclose(constantInit(0.25)(new Rng(0), [2], fans), [0.25, 0.25]);
  const a = MLP({ sizes: [2, 3, 1] }).init(new Rng(9)), b = MLP({ sizes: [2, 3, 1] }).init(new Rng(9));
  assert.equal(Array.from(a[1]!.weight.data), Array.from(b[1]!.weight.data));
});

inits('truncatedNormalInit redraws beyond ±2σ, has the truncated std and is seeded', () => {
  const fans = { fanIn: 100, fanOut: 300 };
  const w = truncatedNormalInit(0.01)(new Rng(3), [100, 300], fans);
  const { mean, std, maxAbs } = moments(w);
  assert.ok(maxAbs <= 0.02 * (1 + 1e-6), `max |w| ${maxAbs} beyond 2σ`);
  assert.ok(maxAbs > 0.0199, `max |w| ${maxAbs}: the tails up to 2σ are missing`);
  // N(0, 1) truncated to [−2, 2] has std √(1 − 4φ(2)/(2Φ(2) − 1)) ≈ 0.8796.
  assert.ok(Math.abs(std - 0.008796) < 0.02 * 0.008796, `std ${std}`);
  assert.ok(Math.abs(mean) < 0.0002, `mean ${mean}`);
  const again = truncatedNormalInit(0.01)(new Rng(3), [100, 300], fans);
  assert.equal(Array.from(again.data), Array.from(w.data));
  assert.is(truncatedNormalInit(1)(new Rng(0), [2], fans, 'float64').dtype, 'float64');
  for (const bad of [0, -0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => truncatedNormalInit(bad), (e: Error) => e instanceof RangeError && e.message.includes('std') && e.message.includes(String(bad)));
  }
});

inits('MLP takes weight and bias initialisers (the cbfinn/maml choice: truncated normal, zero bias)', () => {
  const params = MLP({ sizes: [1, 40, 40, 1], weightInit: truncatedNormalInit(0.01), biasInit: zerosInit }).init(new Rng(4));
  for (const layer of params) {
    assert.ok(layer.bias.data.every((v) => v === 0));
    assert.ok(layer.weight.data.every((v) => Math.abs(v) <= 0.02 * (1 + 1e-6)));
  }
});

inits.run();

const losses = suite('nn losses');

losses('perTaskMse gives one mean squared error per task', () => {
  const pred = tensor([[[1], [2]], [[0], [0]]]);
  const target = tensor([[[0], [0]], [[3], [1]]]);
  allclose(perTaskMse(pred, target), [2.5, 5]);
  // One task (rank 2) is the ordinary mse.
  allclose(perTaskMse(tensor([[1], [2]]), tensor([[0], [0]])), mse(tensor([[1], [2]]), tensor([[0], [0]])));
  assert.throws(() => perTaskMse(tensor([[1, 2]]), tensor([[1], [2]])), /shapes differ/);
});

losses('perTaskCrossEntropy averages −log p(label) within each task', () => {
  const logits = tensor([[[0, 0], [Math.log(3), 0]], [[0, 0], [0, 0]]]);
  const onehot = tensor([[[1, 0], [1, 0]], [[0, 1], [1, 0]]]);
  // task 0: (log 2 + log(4/3)) / 2; task 1: log 2
  allclose(perTaskCrossEntropy(logits, onehot), [(Math.log(2) + Math.log(4 / 3)) / 2, Math.log(2)], 1e-6, 1e-6);
});

losses.run();
