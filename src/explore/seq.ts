/**
 * The sequence models of the exploration agents: the pre-LN transformer block (with its
 * initialisation schemes and a key/value cache for step-by-step inference) on top of
 * nn's sequence layers (GRU, causal self-attention, positional encodings; re-exported
 * here) and layer norm.
 *
 * Nothing here has a derivative rule of its own: every function is a composition of
 * primitives, so `grad`, `grad(grad(...))` and `hvp` apply to them unchanged.
 */
import { initNorm, layerNorm, type NormParams } from '../nn/norm.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { DType } from '../backend/backend.ts';
import type { Rng } from '../random/rng.ts';
import { zeros, randomNormal } from '../tensor/create.ts';
import { add } from '../ops/index.ts';
import { applyDense, causalSelfAttention, causalSelfAttentionStep, initDense, type AttentionParams, type DenseLayer, type KvCache } from '../nn/sequence.ts';

// The sequence layers live in nn/ (public as nn modules too); the agents import them from here.
export {
  initDense, applyDense, initGru, gruCell, gruSequence, positionalEncoding, causalMask, causalSelfAttention,
  type DenseLayer, type GruParams, type AttentionParams, type KvCache,
} from '../nn/sequence.ts';

// --- normalisation and positions --------------------------------------------------

/** Gain and shift of a layer norm over the last axis (the `nn` one). */
export type LayerNormParams = NormParams;

/**
 * The identity layer norm: γ = 1, β = 0 (`nn`'s {@link initNorm}).
 * @example
 * ```ts
 * const ln = initLayerNorm(32); // ln.gamma: ones [32], ln.beta: zeros [32]
 * ```
 */
export const initLayerNorm: (size: number, dtype?: DType) => LayerNormParams = initNorm;

export { layerNorm };

/** Parameters of one pre-LN transformer block. */
export interface BlockParams {
  readonly ln1: LayerNormParams;
  readonly attn: AttentionParams;
  readonly ln2: LayerNormParams;
  readonly mlp1: DenseLayer;
  readonly mlp2: DenseLayer;
}

/**
 * How transformer weights are drawn (for the initialisation-sensitivity harness):
 * - `'glorot'`: Glorot-uniform everywhere;
 * - `'normal'`: N(0, 0.02²) everywhere (GPT-style, no depth scaling);
 * - `'depthScaled'`: Glorot-uniform, with the two projections that write into the
 *   residual stream (attention output, second MLP layer) scaled by 1/√(2N) for N blocks,
 *   so the residual stream's variance does not grow with depth (GPT-2, T-Fixup-like).
 */
export type InitScheme = 'glorot' | 'normal' | 'depthScaled';
/** Every {@link InitScheme}, in the order the sensitivity harness runs them. */
export const INIT_SCHEMES: readonly InitScheme[] = ['glorot', 'normal', 'depthScaled'];

/**
 * A dense layer under an init scheme; `residual` marks projections into the residual stream.
 * @example
 * ```ts
 * // The attention output of a 4-block transformer, scaled by 1/√8 under 'depthScaled':
 * const out = initDenseScheme(new Rng(0), 32, 32, 'depthScaled', 4, true);
 * ```
 */
export function initDenseScheme(rng: Rng, i: number, o: number, scheme: InitScheme, numBlocks: number, residual = false, dtype: DType = 'float32'): DenseLayer {
  if (scheme === 'normal') return { weight: randomNormal(rng, [i, o], 0, 0.02, dtype), bias: zeros([o], dtype) };
  return initDense(rng, i, o, scheme === 'depthScaled' && residual ? 1 / Math.sqrt(2 * numBlocks) : 1, dtype);
}

/**
 * A block of width `D` with an MLP of width `hidden`.
 *
 * @example
 * ```ts
 * const block = initBlock(new Rng(0), 32, 64, 'depthScaled', 2);
 * ```
 */
export function initBlock(rng: Rng, D: number, hidden: number, scheme: InitScheme = 'glorot', numBlocks = 1, dtype: DType = 'float32'): BlockParams {
  return {
    ln1: initLayerNorm(D, dtype),
    attn: { qkv: initDenseScheme(rng, D, 3 * D, scheme, numBlocks, false, dtype), out: initDenseScheme(rng, D, D, scheme, numBlocks, true, dtype) },
    ln2: initLayerNorm(D, dtype),
    mlp1: initDenseScheme(rng, D, hidden, scheme, numBlocks, false, dtype),
    mlp2: initDenseScheme(rng, hidden, D, scheme, numBlocks, true, dtype),
  };
}

/**
 * A pre-LN transformer block: `x + attn(ln(x))`, then `x + mlp(ln(x))` with a ReLU MLP.
 *
 * @example
 * ```ts
 * transformerBlock(initBlock(new Rng(0), 16, 32), zeros([2, 6, 16]), 2).shape; // [2, 6, 16]
 * ```
 */
export function transformerBlock(p: BlockParams, x: Tensor, numHeads: number): Tensor {
  const a = add(x, causalSelfAttention(p.attn, layerNorm(x, p.ln1), numHeads));
  const hidden = applyDense(p.mlp1, layerNorm(a, p.ln2), 'relu');
  return add(a, applyDense(p.mlp2, hidden));
}

/**
 * One tick of a transformer block for incremental decoding: `x [B, 1, D]` is the new
 * position; its keys and values are appended to the block's `cache` and it attends to
 * all of them (nn's {@link causalSelfAttentionStep}). Equal (up to rounding) to row t of {@link transformerBlock} over the full
 * prefix, at O(t) instead of O(t²) cost per tick. Meant for rollouts (no gradient
 * needed); still built from differentiable ops.
 *
 * @example
 * ```ts
 * const block = initBlock(new Rng(0), 16, 32);
 * let cache: KvCache | null = null, y: Tensor;
 * for (const x0 of [zeros([2, 1, 16]), ones([2, 1, 16])]) ({ y, cache } = transformerBlockStep(block, x0, cache, 2));
 * y!.shape; // [2, 1, 16]: the second position, which attended to both
 * ```
 */
export function transformerBlockStep(p: BlockParams, x: Tensor, cache: KvCache | null, numHeads: number): { y: Tensor; cache: KvCache } {
  const { y: attended, cache: next } = causalSelfAttentionStep(p.attn, layerNorm(x, p.ln1), cache, numHeads);
  const a = add(x, attended);
  const y = add(a, applyDense(p.mlp2, applyDense(p.mlp1, layerNorm(a, p.ln2), 'relu')));
  return { y, cache: next };
}
