/**
 * Normalisation layers as functional modules: layer norm over the trailing axes and
 * group norm over channel groups of NCHW (or any [N, C, ...]) inputs, each with a gain γ
 * and a shift β. Written in differentiable ops, so they nest to any order and `jit`
 * traces them.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import type { DType } from '../backend/backend.ts';
import { fmt } from '../tensor/shape.ts';
import { ones, zeros } from '../tensor/create.ts';
import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.ts';
import { mean } from '../ops/reduce.ts';
import { reshape } from '../ops/movement.ts';
import type { Module } from './module.ts';

/** Gain and shift of a normalisation layer (one entry per normalised feature or channel). */
export interface NormParams {
  readonly gamma: Tensor;
  readonly beta: Tensor;
}

/**
 * The identity normalisation parameters: γ = 1, β = 0, of `size` entries.
 * @example initNorm(32) // { gamma: ones [32], beta: zeros [32] }
 */
export function initNorm(size: number, dtype: DType = 'float32'): NormParams {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`initNorm: size must be a positive integer, got ${size}`);
  return { gamma: ones([size], dtype), beta: zeros([size], dtype) };
}

/** (x − μ) / √(σ² + ε) over `axes` (biased σ², as PyTorch). */
function standardise(x: Tensor, axes: number | readonly number[], eps: number): Tensor {
  const centred = sub(x, mean(x, axes, true));
  return div(centred, sqrt(add(mean(square(centred), axes, true), eps)));
}

/**
 * Layer normalisation over the last axis: `γ ⊙ (x − μ) / √(σ² + ε) + β`.
 * @example layerNorm(tensor([[1, 2, 3]]), initNorm(3)) // ≈ [[-1.22, 0, 1.22]]
 */
export function layerNorm(x: Tensor, p: NormParams, eps = 1e-5): Tensor {
  const d = x.shape[x.rank - 1];
  if (x.rank < 1 || p.gamma.shape[p.gamma.rank - 1] !== d) {
    throw new ShapeError(`layerNorm: input ${fmt(x.shape)} and gain ${fmt(p.gamma.shape)} disagree on the normalised size`);
  }
  return add(mul(standardise(x, -1, eps), p.gamma), p.beta);
}

/**
 * Group normalisation (Wu & He, 2018) of `x` `[N, C, ...]`: channels split into `groups`,
 * each group standardised over its channels and all spatial positions, then γ and β per
 * channel. `groups = 1` is layer norm over (C, H, W); `groups = C` is instance norm.
 * @example groupNorm(randomNormal(new Rng(0), [2, 8, 5, 5]), 4, initNorm(8)).shape // [2, 8, 5, 5]
 */
export function groupNorm(x: Tensor, groups: number, p: NormParams, eps = 1e-5): Tensor {
  const [n, c] = x.shape as [number, number];
  if (x.rank < 2 || !Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new ShapeError(`groupNorm: groups=${groups} must be a positive integer dividing the channels of an [N, C, ...] input, got shape ${fmt(x.shape)}`);
  }
  if (p.gamma.size !== c || p.beta.size !== c) {
    throw new ShapeError(`groupNorm: gain ${fmt(p.gamma.shape)} and shift ${fmt(p.beta.shape)} must have one entry per channel (${c})`);
  }
  const z = reshape(standardise(reshape(x, [n, groups, -1]), -1, eps), x.shape);
  const perChannel = [c, ...new Array<number>(x.rank - 2).fill(1)];
  return add(mul(z, reshape(p.gamma, perChannel)), reshape(p.beta, perChannel));
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Size of the last axis. */
  readonly size: number;
  readonly eps?: number;
  readonly dtype?: DType;
}

/**
 * A layer-norm module over the last axis.
 * @example
 * ```ts
 * const ln = LayerNorm({ size: 3 });
 * ln.apply(ln.init(new Rng(0)), tensor([[1, 2, 3]])); // ≈ [[-1.22, 0, 1.22]]
 * ```
 */
export function LayerNorm(options: LayerNormOptions): Module<NormParams> {
  const { size, eps = 1e-5, dtype } = options;
  initNorm(size, dtype); // validates size
  return { init: () => initNorm(size, dtype), apply: (p, x) => layerNorm(x, p, eps) };
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  readonly groups: number;
  readonly channels: number;
  readonly eps?: number;
  readonly dtype?: DType;
}

/**
 * A group-norm module for `[N, C, ...]` inputs.
 * @example
 * ```ts
 * const gn = GroupNorm({ groups: 2, channels: 8 });
 * gn.apply(gn.init(new Rng(0)), zeros([1, 8, 4, 4])).shape; // [1, 8, 4, 4]
 * ```
 */
export function GroupNorm(options: GroupNormOptions): Module<NormParams> {
  const { groups, channels, eps = 1e-5, dtype } = options;
  if (!Number.isInteger(groups) || groups < 1 || !Number.isInteger(channels) || channels % groups !== 0) {
    throw new RangeError(`GroupNorm: groups (${groups}) must be a positive integer dividing channels (${channels})`);
  }
  return { init: () => initNorm(channels, dtype), apply: (p, x) => groupNorm(x, groups, p, eps) };
}
