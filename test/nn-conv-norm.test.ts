/**
 * Conv2d, LayerNorm and GroupNorm modules: shapes and initialisation, values against
 * direct formulas, per-task parameters, first- and second-order gradients.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Conv2d, LayerNorm, GroupNorm, groupNorm, layerNorm, initNorm, batchOverTasks, conv2d, checkGrad, randomNormal,
  tanh, sum, zeros, slice, reshape, type Tensor,
} from '../src/index.ts';
import { allclose } from './helpers.ts';

test('Conv2d: PyTorch layout and fan-in initialisation; apply is conv2d with the bias', () => {
  const layer = Conv2d({ inChannels: 4, outChannels: 6, kernel: [3, 2], padding: 1, groups: 2 });
  const p = layer.init(new Rng(0));
  assert.equal(p.weight.shape, [6, 2, 3, 2]);
  assert.equal(p.bias.shape, [6]);
  const bound = 1 / Math.sqrt(2 * 3 * 2);
  for (const v of [...p.weight.data, ...p.bias.data]) assert.ok(Math.abs(v) <= bound, `|${v}| ≤ ${bound}`);
  const x = randomNormal(new Rng(1), [2, 4, 5, 5]);
  allclose(layer.apply(p, x), conv2d(x, p.weight, { padding: 1, groups: 2, bias: p.bias }), 0, 0, 'apply');
  assert.throws(() => Conv2d({ inChannels: 3, outChannels: 4, kernel: 3, groups: 2 }), /Conv2d: groups \(2\) must divide inChannels \(3\)/);
});

test('Conv2d: parameters batched over tasks convolve each task with its own weights', () => {
  const layer = Conv2d({ inChannels: 2, outChannels: 3, kernel: 3, padding: 1 });
  const rng = new Rng(2);
  const p = layer.init(rng);
  const per = batchOverTasks(p, 4);
  const x = randomNormal(rng, [4, 2, 2, 5, 5]);
  const out = layer.apply(per, x);
  assert.equal(out.shape, [4, 2, 3, 5, 5]);
  const single = layer.apply(p, reshape(slice(x, [2], [1]), [2, 2, 5, 5]));
  allclose(Array.from(out.data.subarray(2 * 150, 3 * 150)), Array.from(single.data), 1e-6, 1e-6, 'task 2');
});

test('LayerNorm and GroupNorm: values against the formulas, and against each other', () => {
  const x = randomNormal(new Rng(3), [2, 6, 3, 4], 0, 2, 'float64');
  const p = { gamma: randomNormal(new Rng(4), [6], 0, 1, 'float64'), beta: randomNormal(new Rng(5), [6], 0, 1, 'float64') };
  const y = groupNorm(x, 3, p, 1e-5);
  // Group 1 of image 0 is channels 2–3: 24 values.
  const vals = Array.from(x.data.subarray(2 * 12, 4 * 12));
  const mu = vals.reduce((s, v) => s + v, 0) / 24, v2 = vals.reduce((s, v) => s + (v - mu) ** 2, 0) / 24;
  for (let i = 0; i < 24; i++) {
    const c = 2 + Math.floor(i / 12);
    const want = p.gamma.data[c]! * (vals[i]! - mu) / Math.sqrt(v2 + 1e-5) + p.beta.data[c]!;
    assert.ok(Math.abs(y.data[24 + i]! - want) < 1e-12, `groupNorm at ${i}: ${y.data[24 + i]} vs ${want}`);
  }
  const ln = LayerNorm({ size: 4, dtype: 'float64' });
  const lp = ln.init(new Rng(0));
  const z = ln.apply(lp, x);
  const row = Array.from(x.data.subarray(0, 4)), m = row.reduce((s, v) => s + v, 0) / 4;
  const sd = Math.sqrt(row.reduce((s, v) => s + (v - m) ** 2, 0) / 4 + 1e-5);
  allclose(Array.from(z.data.subarray(0, 4)), row.map((v) => (v - m) / sd), 1e-12, 1e-12, 'layerNorm row');
  const gn = GroupNorm({ groups: 2, channels: 8 });
  assert.equal(gn.apply(gn.init(new Rng(0)), zeros([1, 8, 4, 4])).shape, [1, 8, 4, 4]);
  assert.throws(() => groupNorm(x, 4, p), /groupNorm: groups=4 must be a positive integer dividing the channels/);
  assert.throws(() => groupNorm(x, 3, initNorm(5)), /groupNorm: gain \[5\] and shift \[5\] must have one entry per channel \(6\)/);
  assert.throws(() => layerNorm(x, initNorm(3)), /layerNorm: input \[2, 6, 3, 4\] and gain \[3\] disagree/);
});

test('LayerNorm and GroupNorm: first- and second-order gradients in x, γ and β', () => {
  const rng = new Rng(6);
  const x = randomNormal(rng, [2, 4, 3, 3]), g = randomNormal(rng, [4]), b = randomNormal(rng, [4]);
  const fg = (x: Tensor, g: Tensor, b: Tensor) => sum(tanh(groupNorm(x, 2, { gamma: g, beta: b })));
  const g3 = randomNormal(rng, [3]), b3 = randomNormal(rng, [3]);
  const fl = (x: Tensor, g: Tensor, b: Tensor) => sum(tanh(layerNorm(x, { gamma: g, beta: b })));
  for (const order of [1, 2] as const) {
    const r1 = checkGrad(fg, [x, g, b], { order, atol: 1e-6, rtol: 1e-5 });
    assert.ok(r1.ok, `groupNorm order ${order}: ${r1.message}`);
    const r2 = checkGrad(fl, [x, g3, b3], { order, atol: 1e-6, rtol: 1e-5 });
    assert.ok(r2.ok, `layerNorm order ${order}: ${r2.message}`);
  }
});

test.run();
