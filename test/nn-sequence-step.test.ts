/**
 * #20: the cached single-position attention (`causalSelfAttentionStep`) is the same
 * attention as `causalSelfAttention` (one implementation; the transformer agents' rollouts
 * use it through explore's `transformerBlockStep`): fed a sequence one position at a time,
 * output t equals row t of the full causal attention over the prefix. The ops are the same
 * in the same order (the last row's mask adds 0), so on the TypeScript backend (float32 and
 * float64) and for float64 on wasm the two agree bit for bit.
 *
 * Float32 on wasm is the exception, by the matmul kernel's design: a product with one row
 * (the step's `q·kᵀ`, and its output projection when B = 1) takes the kernel's thin path,
 * which sums the d_h (resp. D) products in another order than the blocked path the full
 * attention's L rows take. A reassociated float32 sum of n terms differs by at most about
 * n·2⁻²⁴ times the sum of their magnitudes, so there the check allows 2·D·2⁻²⁴·(1 + |y|)
 * (D ≥ d_h is the longest such sum; the observed worst over 100 random cases was 7·2⁻²⁴·(1 + |y|)).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, CausalSelfAttention, causalSelfAttention, causalSelfAttentionStep, randomNormal, slice, zeros, explore, type KvCache, type DType } from '../src/index.ts';
import { getBackend, listBackends, setBackend } from '../src/core.ts';
import { allclose } from './helpers.ts';

const bits = (t: { data: ArrayLike<number> }): number[] => Array.from(t.data);

for (const backend of listBackends()) {
  for (const dtype of ['float32', 'float64'] as DType[]) {
    test(`causalSelfAttentionStep equals causalSelfAttention's row t over the prefix 0..t (${backend}, ${dtype})`, () => {
      const before = getBackend().name;
      setBackend(backend);
      const exact = !(backend === 'wasm' && dtype === 'float32');
      try {
        for (const [B, L, D, h, seed] of [[2, 7, 16, 4, 0], [3, 5, 12, 3, 1], [1, 9, 8, 1, 2]] as const) {
          const rng = new Rng(seed);
          const s = 1 / Math.sqrt(D);
          const p = {
            qkv: { weight: randomNormal(rng, [D, 3 * D], 0, s, dtype), bias: randomNormal(rng, [3 * D], 0, 0.1, dtype) },
            out: { weight: randomNormal(rng, [D, D], 0, s, dtype), bias: randomNormal(rng, [D], 0, 0.1, dtype) },
          };
          const x = randomNormal(rng, [B, L, D], 0, 1, dtype);
          let cache: KvCache | null = null;
          for (let t = 0; t < L; t++) {
            const r = causalSelfAttentionStep(p, slice(x, [0, t, 0], [B, 1, D]), cache, h);
            cache = r.cache;
            assert.equal(cache.k.shape, [B, h, t + 1, D / h]);
            // the last position of the full attention over the prefix, and row t over the whole sequence
            const prefix = causalSelfAttention(p, slice(x, [0, 0, 0], [B, t + 1, D]), h);
            const last = slice(prefix, [0, t, 0], [B, 1, D]), row = slice(causalSelfAttention(p, x, h), [0, t, 0], [B, 1, D]);
            const what = `B ${B}, L ${L}, D ${D}, ${h} heads, position ${t}`;
            if (exact) {
              assert.equal(bits(r.y), bits(last), `${what} vs the prefix's last`);
              assert.equal(bits(r.y), bits(row), `${what} vs the full sequence's row`);
            } else {
              allclose(r.y, last, 2 * D * 2 ** -24, 2 * D * 2 ** -24, `${what} vs the prefix's last`);
              allclose(r.y, row, 2 * D * 2 ** -24, 2 * D * 2 ** -24, `${what} vs the full sequence's row`);
            }
          }
        }
      } finally { setBackend(before); }
    });
  }
}

test('causalSelfAttentionStep: bad input names the op and the shapes', () => {
  const p = CausalSelfAttention({ size: 8, numHeads: 2 }).init(new Rng(0));
  assert.throws(() => causalSelfAttentionStep(p, zeros([2, 3, 8]), null, 2), /causalSelfAttentionStep: input must be one position \[B, 1, D\], got \[2, 3, 8\]/);
  assert.throws(() => causalSelfAttentionStep(p, zeros([2, 1, 8]), null, 3), /causalSelfAttentionStep: width 8 is not divisible by 3 heads/);
  const { cache } = causalSelfAttentionStep(p, zeros([2, 1, 8]), null, 2);
  assert.throws(() => causalSelfAttentionStep(p, zeros([3, 1, 8]), cache, 2), /causalSelfAttentionStep: cache must hold k and v \[3, 2, t, 4\], got k \[2, 2, 1, 4\] and v \[2, 2, 1, 4\]/);
  assert.ok(explore.causalSelfAttention === causalSelfAttention, 'explore uses the nn layer');
});

test.run();
