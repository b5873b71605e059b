/**
 * Sequence layers built only from the engine's differentiable ops: a dense layer over
 * any leading axes, a GRU cell and its unroll over a sequence, sinusoidal positional
 * encodings, the causal mask and multi-head causal self-attention (whole sequences, or
 * one position at a time with a key/value cache) — as functions of
 * explicit parameters, and as {@link Module}s (`GRU`, `CausalSelfAttention`).
 *
 * Nothing here has a derivative rule of its own: every function is a composition of
 * primitives, so `grad`, `grad(grad(...))`, `hvp`, `vmap` and `jit` apply unchanged, and
 * backpropagation through a sequence is ordinary reverse mode over the unrolled graph.
 * Constants (masks, encodings) are created in the input's dtype so that float64
 * gradient checks run end to end in float64.
 */
import type { Tensor } from '../tensor/tensor.ts';
import type { DType } from '../backend/backend.ts';
import type { Rng } from '../random/rng.ts';
import { tensor, zeros, randomUniform } from '../tensor/create.ts';
import {
  add, sub, mul, sigmoid, tanh, dense, split, reshape, transpose, stack, unstack,
  matmul, matmulT, softmax, concat,
} from '../ops/index.ts';
import type { LinearParams, Module } from './module.ts';

/** A dense layer `x·weight + bias`: weight `[I, O]`, bias `[O]` — the parameters of `Linear` ({@link LinearParams}). */
export type DenseLayer = LinearParams;

/**
 * Glorot-uniform weights (times `scale`) and zero biases.
 * @example
 * ```ts
 * const head = initDense(new Rng(0), 16, 4, 0.1); // weight: [16, 4], small initial logits
 * ```
 */
export function initDense(rng: Rng, inputSize: number, outputSize: number, scale = 1, dtype: DType = 'float32'): DenseLayer {
  const limit = Math.sqrt(6 / (inputSize + outputSize)) * scale;
  return { weight: randomUniform(rng, [inputSize, outputSize], -limit, limit, dtype), bias: zeros([outputSize], dtype) };
}

/**
 * `x·w + b` over the last axis of `x` (any leading axes), with an optional fused activation.
 * @example
 * ```ts
 * applyDense(initDense(new Rng(0), 16, 4), zeros([2, 5, 16]), 'relu').shape; // [2, 5, 4]
 * ```
 */
export function applyDense(p: DenseLayer, x: Tensor, activation: 'identity' | 'relu' | 'tanh' = 'identity'): Tensor {
  if (x.rank === 2) return dense(x, p.weight, p.bias, activation);
  const lead = x.shape.slice(0, -1);
  const y = dense(reshape(x, [-1, x.shape[x.rank - 1]!]), p.weight, p.bias, activation);
  return reshape(y, [...lead, p.weight.shape[1]!]);
}

// --- GRU ------------------------------------------------------------------------

/**
 * Parameters of a GRU cell with gates in the order reset, update, candidate:
 * `wx [I, 3H]`, `wh [H, 3H]`, biases `bx`, `bh` `[3H]`.
 */
export interface GruParams {
  readonly wx: Tensor;
  readonly wh: Tensor;
  readonly bx: Tensor;
  readonly bh: Tensor;
}

/**
 * GRU parameters drawn U(−1/√H, 1/√H), the usual recurrent-network default.
 *
 * @example
 * ```ts
 * const p = initGru(new Rng(0), 8, 16); // p.wx: [8, 48], p.wh: [16, 48]
 * ```
 */
export function initGru(rng: Rng, inputSize: number, hiddenSize: number, dtype: DType = 'float32'): GruParams {
  const k = 1 / Math.sqrt(hiddenSize);
  const u = (shape: number[]): Tensor => randomUniform(rng, shape, -k, k, dtype);
  return { wx: u([inputSize, 3 * hiddenSize]), wh: u([hiddenSize, 3 * hiddenSize]), bx: u([3 * hiddenSize]), bh: u([3 * hiddenSize]) };
}

/** The GRU update from precomputed input projections `gx = x·wx + bx` `[B, 3H]`. */
function gruFromProjection(p: GruParams, gx: Tensor, h: Tensor): Tensor {
  const H = h.shape[1]!;
  const [gxRz, gxN] = split(gx, [2 * H, H], 1);
  const [ghRz, ghN] = split(dense(h, p.wh, p.bh), [2 * H, H], 1);
  // r and z share one sigmoid over the first 2H columns.
  const [r, z] = split(sigmoid(add(gxRz!, ghRz!)), 2, 1);
  const n = tanh(add(gxN!, mul(r!, ghN!)));
  // h' = (1 − z) n + z h = n + z (h − n)
  return add(n, mul(z!, sub(h, n)));
}

/**
 * One GRU step: `r = σ(x Wr + h Ur + b)`, `z = σ(x Wz + h Uz + b)`,
 * `n = tanh(x Wn + bxn + r ⊙ (h Un + bhn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
 *
 * @example
 * ```ts
 * const p = initGru(new Rng(0), 3, 4);
 * gruCell(p, zeros([2, 3]), zeros([2, 4])).shape; // [2, 4]
 * ```
 */
export function gruCell(p: GruParams, x: Tensor, h: Tensor): Tensor {
  return gruFromProjection(p, dense(x, p.wx, p.bx), h);
}

/**
 * Unrolls a GRU over `xs [B, L, I]` from `h0 [B, H]` and returns every hidden state
 * `[B, L, H]` (state t has read inputs 0..t). The input projections of all L steps are
 * one matrix product. `keep [B, L]` (optional, 0/1) freezes the state on ticks where
 * it is 0: `h_t = h_{t−1}` there (dead ticks of a sign-grid trial).
 *
 * Differentiable end to end: `grad` of a loss over the outputs is backpropagation
 * through the whole trial.
 *
 * @example
 * ```ts
 * const p = initGru(new Rng(0), 5, 8);
 * gruSequence(p, zeros([4, 10, 5]), zeros([4, 8])).shape; // [4, 10, 8]
 * ```
 */
export function gruSequence(p: GruParams, xs: Tensor, h0: Tensor, keep?: Tensor): Tensor {
  const [B, L, I] = xs.shape as [number, number, number];
  const H3 = p.wx.shape[1]!;
  // Constant inputs are split in plain JS and projected step by step; traced inputs
  // (gradient checks with respect to xs) project all steps at once and unstack them,
  // one op whose backward pass joins the steps' cotangents in a single concat.
  const constant = xs.primal === null && xs.node === null;
  const gxSteps = constant ? null : unstack(reshape(dense(reshape(xs, [B * L, I]), p.wx, p.bx), [B, L, H3]), 1);
  const keepSteps = keep ? splitSteps(keep, B, L, 1) : null;
  const xSteps = constant ? splitSteps(xs, B, L, I) : null;
  let h = h0;
  const hs: Tensor[] = [];
  for (let t = 0; t < L; t++) {
    const gx = xSteps ? dense(xSteps[t]!, p.wx, p.bx) : gxSteps![t]!;
    const next = gruFromProjection(p, gx, h);
    h = keepSteps ? add(h, mul(keepSteps[t]!, sub(next, h))) : next;
    hs.push(h);
  }
  return stack(hs, 1);
}

/** Splits a concrete `[B, L, F]` (or `[B, L]` when F = 1) tensor into L tensors `[B, F]` without ops. */
function splitSteps(x: Tensor, B: number, L: number, F: number): Tensor[] {
  if (x.primal !== null || x.node !== null) throw new RangeError('gruSequence: keep must be a constant (not traced) tensor');
  const out: Tensor[] = [];
  for (let t = 0; t < L; t++) {
    const data = x.dtype === 'float64' ? new Float64Array(B * F) : new Float32Array(B * F);
    for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) data[b * F + f] = x.data[(b * L + t) * F + f]!;
    out.push(tensor(data, [B, F], x.dtype));
  }
  return out;
}

/**
 * Sinusoidal positional encodings `[L, D]` (Vaswani et al. 2017):
 * `PE[t, 2i] = sin(t / 10000^{2i/D})`, `PE[t, 2i+1] = cos(·)`. A constant.
 *
 * @example
 * ```ts
 * positionalEncoding(42, 32).shape; // [42, 32]
 * ```
 */
export function positionalEncoding(length: number, size: number, dtype: DType = 'float32'): Tensor {
  const data = new Float64Array(length * size);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < size; i++) {
      const angle = t / 10000 ** ((2 * Math.floor(i / 2)) / size);
      data[t * size + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return tensor(data, [length, size], dtype);
}

/**
 * The additive causal mask `[L, L]`: 0 on and below the diagonal, −1e9 above. Added to
 * attention scores before the softmax, it hides future positions.
 * @example
 * ```ts
 * causalMask(2).toArray(); // [[0, -1e9], [0, 0]]
 * ```
 */
export function causalMask(length: number, dtype: DType = 'float32'): Tensor {
  const data = new Float64Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) data[i * length + j] = -1e9;
  return tensor(data, [length, length], dtype);
}

// --- attention and transformer blocks -------------------------------------------------

/** Parameters of multi-head self-attention: a fused `[D, 3D]` q/k/v projection and the output projection. */
export interface AttentionParams {
  readonly qkv: DenseLayer;
  readonly out: DenseLayer;
}

/** The q, k and v heads of `x [B, L, D]`: one fused projection, each `[B, h, L, d_h]`. */
function projectHeads(p: AttentionParams, x: Tensor, numHeads: number, op: string): [Tensor, Tensor, Tensor] {
  const [B, L, D] = x.shape as [number, number, number];
  if (D % numHeads !== 0) throw new RangeError(`${op}: width ${D} is not divisible by ${numHeads} heads`);
  // [B, L, 3, h, dh] → [3, B, h, L, dh]
  const qkv = transpose(reshape(applyDense(p.qkv, x), [B, L, 3, numHeads, D / numHeads]), [2, 0, 3, 1, 4]);
  return unstack(qkv, 0) as [Tensor, Tensor, Tensor];
}

/** `softmax(q kᵀ / √d_h + mask) v` per head (`mask` null: every key is visible), then the heads concatenated and projected. */
function attend(p: AttentionParams, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): Tensor {
  const [B, h, L, dh] = q.shape as [number, number, number, number];
  const scaled = mul(matmulT(q, k, false, true), 1 / Math.sqrt(dh));
  const heads = matmul(softmax(mask === null ? scaled : add(scaled, mask), -1), v); // [B, h, L, dh]
  return applyDense(p.out, reshape(transpose(heads, [0, 2, 1, 3]), [B, L, h * dh]));
}

/**
 * Multi-head causal self-attention over `x [B, L, D]`: position t attends to 0..t.
 * `softmax(q kᵀ / √d_h + mask) v` per head, heads concatenated and projected.
 * {@link causalSelfAttentionStep} is the same attention one position at a time.
 *
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const p = { qkv: initDense(rng, 16, 48), out: initDense(rng, 16, 16) };
 * causalSelfAttention(p, zeros([2, 5, 16]), 4).shape; // [2, 5, 16]
 * ```
 */
export function causalSelfAttention(p: AttentionParams, x: Tensor, numHeads: number): Tensor {
  const [q, k, v] = projectHeads(p, x, numHeads, 'causalSelfAttention');
  return attend(p, q, k, v, causalMask(x.shape[1]!, x.dtype));
}

/** Keys and values of the positions seen so far: `[B, h, t, d_h]` each. */
export interface KvCache {
  readonly k: Tensor;
  readonly v: Tensor;
}

/**
 * One position of {@link causalSelfAttention} for incremental decoding: `x [B, 1, D]` is
 * the new position; its key and value are appended to `cache` (null before the first
 * position) and its query attends to all of them. Over a sequence fed one position at a
 * time, output t equals row t of `causalSelfAttention` over the prefix 0..t, at O(t)
 * instead of O(t²) cost per position. Built from the same ops (differentiable too).
 *
 * @example
 * ```ts
 * const p = CausalSelfAttention({ size: 16, numHeads: 4 }).init(new Rng(0));
 * const first = causalSelfAttentionStep(p, zeros([2, 1, 16]), null, 4);
 * const second = causalSelfAttentionStep(p, ones([2, 1, 16]), first.cache, 4);
 * second.y.shape; // [2, 1, 16]
 * second.cache.k.shape; // [2, 4, 2, 4]: two positions of 4 heads of width 4
 * ```
 */
export function causalSelfAttentionStep(p: AttentionParams, x: Tensor, cache: KvCache | null, numHeads: number): { y: Tensor; cache: KvCache } {
  if (x.rank !== 3 || x.shape[1] !== 1) throw new RangeError(`causalSelfAttentionStep: input must be one position [B, 1, D], got [${x.shape.join(', ')}]`);
  const [q, kNew, vNew] = projectHeads(p, x, numHeads, 'causalSelfAttentionStep');
  if (cache !== null && (cache.k.rank !== 4 || [0, 1, 3].some((a) => cache.k.shape[a] !== kNew.shape[a]) || cache.v.shape.join() !== cache.k.shape.join())) {
    throw new RangeError(`causalSelfAttentionStep: cache must hold k and v [${kNew.shape[0]}, ${numHeads}, t, ${kNew.shape[3]}], got k [${cache.k.shape.join(', ')}] and v [${cache.v.shape.join(', ')}]`);
  }
  const k = cache ? concat([cache.k, kNew], 2) : kNew;
  const v = cache ? concat([cache.v, vNew], 2) : vNew;
  return { y: attend(p, q, k, v, null), cache: { k, v } };
}

// --- modules ----------------------------------------------------------------------------

/** Options of {@link GRU}. */
export interface GruOptions {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype?: DType;
}

/**
 * A GRU over sequences as a {@link Module}: `apply(params, xs [B, L, I])` unrolls from a
 * zero state and returns every hidden state `[B, L, H]` ({@link gruSequence}).
 *
 * @example
 * ```ts
 * const gru = GRU({ inputSize: 5, hiddenSize: 8 });
 * gru.apply(gru.init(new Rng(0)), zeros([4, 10, 5])).shape; // [4, 10, 8]
 * ```
 */
export function GRU(options: GruOptions): Module<GruParams> {
  const { inputSize, hiddenSize, dtype = 'float32' } = options;
  for (const [name, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`GRU: ${name} must be a positive integer, got ${v}`);
  }
  return {
    init: (rng) => initGru(rng, inputSize, hiddenSize, dtype),
    apply: (params, xs) => {
      if (xs.rank !== 3 || xs.shape[2] !== inputSize) throw new RangeError(`GRU: input must be [B, L, ${inputSize}], got [${xs.shape.join(', ')}]`);
      return gruSequence(params, xs, zeros([xs.shape[0]!, hiddenSize], xs.dtype));
    },
  };
}

/** Options of {@link CausalSelfAttention}. */
export interface AttentionOptions {
  /** Model width D (a multiple of `numHeads`). */
  readonly size: number;
  readonly numHeads: number;
  readonly dtype?: DType;
}

/**
 * Multi-head causal self-attention as a {@link Module}: `apply(params, x [B, L, D])`
 * ({@link causalSelfAttention}); Glorot-uniform projections, zero biases.
 *
 * @example
 * ```ts
 * const attention = CausalSelfAttention({ size: 16, numHeads: 4 });
 * attention.apply(attention.init(new Rng(0)), zeros([2, 5, 16])).shape; // [2, 5, 16]
 * ```
 */
export function CausalSelfAttention(options: AttentionOptions): Module<AttentionParams> {
  const { size, numHeads, dtype = 'float32' } = options;
  if (!Number.isInteger(size) || size <= 0 || !Number.isInteger(numHeads) || numHeads <= 0 || size % numHeads !== 0) {
    throw new RangeError(`CausalSelfAttention: size must be a positive multiple of numHeads, got size ${size} and ${numHeads} heads`);
  }
  return {
    init: (rng) => ({ qkv: initDense(rng, size, 3 * size, 1, dtype), out: initDense(rng, size, size, 1, dtype) }),
    apply: (params, x) => causalSelfAttention(params, x, numHeads),
  };
}
