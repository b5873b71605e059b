/**
 * nn's sequence modules: GRU and CausalSelfAttention are the explore agents' layers
 * (the same functions, so the same bits), with shape checks, causality, and float64
 * gradient checks to second order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CausalSelfAttention, GRU, Rng, checkGrad, gruSequence, causalSelfAttention, randomNormal, sum, tensor, zeros, explore, type Tensor } from '../src/index.ts';

test('GRU: the unroll from a zero state, shape-checked', () => {
  const gru = GRU({ inputSize: 3, hiddenSize: 4 });
  const p = gru.init(new Rng(0));
  const xs = randomNormal(new Rng(1), [2, 5, 3]);
  const hs = gru.apply(p, xs);
  assert.equal(hs.shape, [2, 5, 4]);
  assert.equal(Array.from(hs.data), Array.from(gruSequence(p, xs, zeros([2, 4])).data));
  assert.ok(explore.gruSequence === gruSequence, 'explore uses the nn layer');
  assert.throws(() => gru.apply(p, zeros([2, 5, 2])), /GRU: input must be \[B, L, 3\], got \[2, 5, 2\]/);
  assert.throws(() => GRU({ inputSize: 0, hiddenSize: 4 }), /GRU: inputSize must be a positive integer, got 0/);
});

test('CausalSelfAttention: position t sees only 0..t', () => {
  const attention = CausalSelfAttention({ size: 8, numHeads: 2 });
  const p = attention.init(new Rng(0));
  const x = randomNormal(new Rng(2), [1, 4, 8]);
  const y = attention.apply(p, x);
  assert.equal(y.shape, [1, 4, 8]);
  // Changing the last position leaves the first three outputs unchanged.
  const x2 = x.data.slice(); for (let i = 24; i < 32; i++) x2[i] = x2[i]! + 1;
  const y2 = causalSelfAttention(p, tensor(x2, [1, 4, 8]), 2);
  assert.equal(Array.from(y2.data.slice(0, 24)), Array.from(y.data.slice(0, 24)));
  assert.not.equal(Array.from(y2.data.slice(24)), Array.from(y.data.slice(24)));
  assert.throws(() => CausalSelfAttention({ size: 6, numHeads: 4 }), /size must be a positive multiple of numHeads, got size 6 and 4 heads/);
});

test('GRU and attention: float64 gradients match finite differences to second order', () => {
  const gru = GRU({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
  const pg = gru.init(new Rng(3));
  const xs = randomNormal(new Rng(4), [2, 3, 2], 0, 1, 'float64');
  const attention = CausalSelfAttention({ size: 4, numHeads: 2, dtype: 'float64' });
  const pa = attention.init(new Rng(5));
  const xa = randomNormal(new Rng(6), [1, 3, 4], 0, 1, 'float64');
  for (const [name, f, arg] of [
    ['GRU', (x: Tensor) => sum(gru.apply(pg, x).square()), xs],
    ['attention', (x: Tensor) => sum(attention.apply(pa, x).tanh()), xa],
  ] as const) {
    for (const order of [1, 2] as const) {
      const report = checkGrad(f, [arg], { order });
      assert.ok(report.ok, `${name}, order ${order}: ${report.message}`);
    }
  }
});

test.run();
