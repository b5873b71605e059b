import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, Tensor, randomNormal, sum, mul, sin, slice, tensor, zeros, reshape, concat } from '../src/index.ts';
import {
  initGru, gruCell, gruSequence, layerNorm, initLayerNorm, causalSelfAttention, initDense, initBlock, applyDense,
  transformerBlock, transformerBlockStep, positionalEncoding, type KvCache, type BlockParams,
} from '../src/explore/index.ts';
import { assertGrads } from './engine-helpers.ts';
import { allclose } from './helpers.ts';

const rng = new Rng(0);
const n = (shape: number[], std = 1) => randomNormal(rng, shape, 0, std, 'float64');

test('GRU cell: first- and second-order gradients (weights, biases, input, state)', () => {
  const p = initGru(rng, 3, 4, 'float64');
  const w = n([2, 4]);
  assertGrads('gruCell', (wx, wh, bx, bh, x, h) => sum(mul(gruCell({ wx, wh, bx, bh }, x, h), w)), [p.wx, p.wh, p.bx, p.bh, n([2, 3]), n([2, 4])]);
});

test('GRU unrolled over a trial with frozen (dead) ticks: gradients of order 1 and 2', () => {
  const p = initGru(rng, 3, 4, 'float64');
  const keep = new Tensor(Float64Array.from([1, 0, 1, 1, 1, 0]), [2, 3]);
  assertGrads('gruSequence (traced inputs)', (wx, wh, xs, h) => sum(sin(gruSequence({ wx, wh, bx: p.bx, bh: p.bh }, xs, h, keep))), [p.wx, p.wh, n([2, 3, 3]), n([2, 4])]);
  const xs = n([2, 3, 3]); // constant inputs take the split path
  assertGrads('gruSequence (constant inputs)', (wx, wh, bh) => sum(sin(gruSequence({ wx, wh, bx: p.bx, bh }, xs, zeros([2, 4], 'float64'), keep))), [p.wx, p.wh, p.bh]);
});

test('gruSequence equals stepping gruCell, and freezes where keep is 0', () => {
  const p = initGru(rng, 3, 5);
  const xs = randomNormal(rng, [2, 4, 3]);
  const keep = tensor([[1, 1, 0, 1], [1, 0, 0, 1]]);
  const seq = gruSequence(p, xs, zeros([2, 5]), keep);
  let h = zeros([2, 5]);
  for (let t = 0; t < 4; t++) {
    const next = gruCell(p, reshape(slice(xs, [0, t, 0], [2, 1, 3]), [2, 3]), h);
    const k = reshape(slice(keep, [0, t], [2, 1]), [2, 1]);
    h = h.add(next.sub(h).mul(k));
    allclose(reshape(slice(seq, [0, t, 0], [2, 1, 5]), [2, 5]), h, 1e-5, 1e-6, `t=${t}`);
  }
});

test('layer norm: normalises, and gradients of order 1 and 2', () => {
  const y = layerNorm(tensor([[1, 2, 3]]), initLayerNorm(3));
  allclose(y, [[-1.2247356, 0, 1.2247356]], 1e-4, 1e-5);
  const w = n([2, 4]);
  assertGrads('layerNorm', (x, gamma, beta) => sum(mul(layerNorm(x, { gamma, beta }), w)), [n([2, 4]), n([4], 0.3).add(1), n([4])]);
});

test('causal self-attention: gradients of order 1 and 2 for input and weights', () => {
  const qkv = initDense(rng, 4, 12, 1, 'float64'), out = initDense(rng, 4, 4, 1, 'float64');
  const w = n([2, 3, 4]);
  assertGrads('attention', (x, q, o, b) => sum(mul(causalSelfAttention({ qkv: { weight: q, bias: b }, out: { weight: o, bias: out.bias } }, x, 2), w)), [n([2, 3, 4]), qkv.weight, out.weight, n([12], 0.1)]);
});

test('attention is causal: changing a later position leaves earlier outputs unchanged', () => {
  const p = { qkv: initDense(rng, 8, 24), out: initDense(rng, 8, 8) };
  const x = randomNormal(rng, [1, 5, 8]);
  const x2 = concat([slice(x, [0, 0, 0], [1, 4, 8]), randomNormal(rng, [1, 1, 8])], 1);
  const a = causalSelfAttention(p, x, 2), b = causalSelfAttention(p, x2, 2);
  allclose(slice(a, [0, 0, 0], [1, 4, 8]), slice(b, [0, 0, 0], [1, 4, 8]), 1e-6, 1e-6);
});

test('transformer block: order-1 gradients (input, gain, output projection); the cached step equals the full pass', () => {
  const block = initBlock(rng, 4, 8, 'depthScaled', 2, 'float64');
  const w = n([1, 3, 4]);
  assertGrads('transformerBlock', (x, g1, wo) => sum(mul(transformerBlock({ ...block, ln1: { gamma: g1, beta: block.ln1.beta }, attn: { ...block.attn, out: { weight: wo, bias: block.attn.out.bias } } }, x, 2), w)),
    [n([1, 3, 4]), n([4], 0.3).add(1), block.attn.out.weight], [1]);
  const b32 = initBlock(rng, 16, 32, 'glorot');
  const x = randomNormal(rng, [2, 6, 16]).add(positionalEncoding(6, 16));
  const full = transformerBlock(b32, x, 4);
  let cache: KvCache | null = null;
  for (let t = 0; t < 6; t++) {
    const r = transformerBlockStep(b32, slice(x, [0, t, 0], [2, 1, 16]), cache, 4);
    cache = r.cache;
    allclose(r.y, slice(full, [0, t, 0], [2, 1, 16]), 1e-4, 1e-5, `t=${t}`);
  }
});

/** A block's thirteen tensors in a fixed order, and back. */
const blockLeaves = (p: BlockParams): Tensor[] => [p.ln1.gamma, p.ln1.beta, p.attn.qkv.weight, p.attn.qkv.bias, p.attn.out.weight, p.attn.out.bias, p.ln2.gamma, p.ln2.beta, p.mlp1.weight, p.mlp1.bias, p.mlp2.weight, p.mlp2.bias];
const blockFrom = ([g1, b1, qw, qb, ow, ob, g2, b2, w1, c1, w2, c2]: Tensor[]): BlockParams => ({
  ln1: { gamma: g1!, beta: b1! }, attn: { qkv: { weight: qw!, bias: qb! }, out: { weight: ow!, bias: ob! } }, ln2: { gamma: g2!, beta: b2! }, mlp1: { weight: w1!, bias: c1! }, mlp2: { weight: w2!, bias: c2! },
});

test('transformer block: second-order gradients w.r.t. the input and every parameter', () => {
  const r = new Rng(11);
  const g = (shape: readonly number[], std = 1) => randomNormal(r, shape, 0, std, 'float64');
  const base = initBlock(r, 4, 6, 'depthScaled', 2, 'float64');
  // Perturb gains, shifts and biases away from 1 / 0 so that every second-order term is non-trivial.
  const leaves = blockLeaves(base).map((t, i) => ([0, 6].includes(i) ? t.add(g(t.shape, 0.3)) : [1, 3, 5, 7, 9, 11].includes(i) ? t.add(g(t.shape, 0.2)) : t));
  const x = g([2, 3, 4]), w = g([2, 3, 4]);
  // ReLU kinks: central differences (step 1e-5) are only valid if no MLP pre-activation sits near 0.
  const p = blockFrom(leaves);
  const a = x.add(causalSelfAttention(p.attn, layerNorm(x, p.ln1), 2));
  const pre = applyDense(p.mlp1, layerNorm(a, p.ln2));
  const margin = Math.min(...Array.from(pre.data, Math.abs));
  assert.ok(margin > 1e-3, `an MLP pre-activation is ${margin} from the ReLU kink; pick another seed`);
  assertGrads('transformerBlock (all parameters)', (xx, ...ps) => sum(mul(transformerBlock(blockFrom(ps), xx, 2), w)), [x, ...leaves], [1, 2]);
});

test.run();
