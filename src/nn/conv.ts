/**
 * A 2-D convolution layer as a functional module (NCHW; PyTorch's weight layout and
 * default initialisation), optionally batched over tasks (MAML's adapted weights).
 */
import type { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random/rng.ts';
import type { DType } from '../backend/backend.ts';
import { conv2d, type WindowOptions } from '../ops/conv.ts';
import { fanInUniform, type Initializer } from './init.ts';
import type { Module } from './module.ts';

/** Parameters of a {@link Conv2d} layer: weight `[O, C/groups, kh, kw]`, bias `[O]` (each with a leading `[T]` per task). */
export interface Conv2dParams {
  readonly weight: Tensor;
  readonly bias: Tensor;
}

/** Channels, kernel, window and initialisers of a {@link Conv2d} layer. */
export interface Conv2dLayerOptions extends WindowOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number | readonly [number, number];
  readonly groups?: number;
  /** Default {@link fanInUniform} with fanIn = C/groups·kh·kw (PyTorch's `nn.Conv2d`). */
  readonly weightInit?: Initializer;
  readonly biasInit?: Initializer;
  readonly dtype?: DType;
}

/**
 * A convolution layer: `conv2d(x, weight, {stride, padding, dilation, groups, bias})`.
 * With parameters carrying a leading task axis T (e.g. from `batchOverTasks`), `x` is
 * `[T, N, C, H, W]` and every task convolves with its own weights in one pass.
 *
 * @example
 * ```ts
 * const conv = Conv2d({ inChannels: 3, outChannels: 16, kernel: 3, padding: 1 });
 * const p = conv.init(new Rng(0));                     // weight [16, 3, 3, 3], bias [16]
 * conv.apply(p, zeros([2, 3, 8, 8])).shape;            // [2, 16, 8, 8]
 * ```
 */
export function Conv2d(options: Conv2dLayerOptions): Module<Conv2dParams> {
  const { inChannels, outChannels, groups = 1, weightInit = fanInUniform, biasInit = fanInUniform, dtype } = options;
  const [kh, kw] = typeof options.kernel === 'number' ? [options.kernel, options.kernel] : options.kernel;
  for (const [name, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['kernel', kh], ['kernel', kw], ['groups', groups]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Conv2d: ${name} must be a positive integer, got ${v}`);
  }
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(`Conv2d: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
  }
  const fans = { fanIn: (inChannels / groups) * kh! * kw!, fanOut: (outChannels / groups) * kh! * kw! };
  const window = { stride: options.stride, padding: options.padding, dilation: options.dilation, groups };
  return {
    init: (rng: Rng) => ({
      weight: weightInit(rng, [outChannels, inChannels / groups, kh!, kw!], fans, dtype),
      bias: biasInit(rng, [outChannels], fans, dtype),
    }),
    apply: (p, x) => conv2d(x, p.weight, { ...window, bias: p.bias }),
  };
}
