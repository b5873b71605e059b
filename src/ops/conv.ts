/**
 * 2-D convolution and pooling over NCHW images.
 *
 * `conv2d` is three primitives that close under differentiation: the convolution
 * `conv2d(x, w)`, its adjoint in x `conv2dInputGrad(g, w)` and its adjoint in the weight
 * `conv2dWeightGrad(x, g)`. The product is bilinear, so each one's rule is written with
 * the other two (see `convPrim`), and derivatives of every order come from three
 * backend kernels that never materialise the unfolded image.
 *
 * Pooling is built on another pair: `unfold2d` (im2col: every kernel window of every
 * channel laid out as `[N, C, kh·kw, Ho, Wo]`) and its adjoint `fold2d` (col2im: the
 * windows summed back into their pixels), each the other's derivative rule; a pool is a
 * max or mean over the window axis.
 *
 * Why NCHW: the weight layout `[O, C/groups, kh, kw]` is PyTorch's, so weights and
 * checkpoints carry over, and the spatial axis is contiguous, which is the axis the
 * wasm kernels vectorise. Grid worlds are small images with few channels, where this
 * layout costs nothing.
 */
import { getBackend } from '../backend/registry.ts';
import type { Conv2dSpec, Storage } from '../backend/backend.ts';
import { tapRange } from '../backend/ts.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { fmt } from '../tensor/shape.ts';
import { uninitialized } from './core.ts';
import { add } from './elementwise.ts';
import { max, mean } from './reduce.ts';
import { reshape } from './movement.ts';

/** Geometry of a sliding window over the last two axes: [rows, cols] pairs. */
export interface Window2d {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/** A window and the input it slides over (what the two primitives need). */
interface UnfoldParams extends Window2d {
  /** Input height and width (fold's output size). */
  readonly input: readonly [number, number];
  /** Value of padded pixels as `unfold` reads them (0; −∞ for max pooling). */
  readonly padValue: number;
}

/** Output height and width of a window over `input`. */
function outputSize(p: Window2d, input: readonly [number, number]): [number, number] {
  const out = [0, 1].map((a) => Math.floor((input[a]! + 2 * p.padding[a]! - p.dilation[a]! * (p.kernel[a]! - 1) - 1) / p.stride[a]!) + 1);
  return out as [number, number];
}

/**
 * Output positions `[lo, hi)` along one axis at which kernel tap `k` reads inside the
 * input (the rest read padding).
 */
function validRange(k: number, axis: 0 | 1, p: UnfoldParams, outLen: number): [number, number] {
  return tapRange(k, p.stride[axis]!, p.dilation[axis]!, p.padding[axis]!, p.input[axis]!, outLen);
}

/** Calls `visit` for each kernel tap (ki, kj) with its index and valid output box. */
function forEachTap(p: UnfoldParams, ho: number, wo: number, visit: (k: number, ki: number, kj: number, rows: [number, number], cols: [number, number]) => void): void {
  const [kh, kw] = p.kernel;
  for (let ki = 0; ki < kh; ki++) {
    const rows = validRange(ki, 0, p, ho);
    for (let kj = 0; kj < kw; kj++) visit(ki * kw + kj, ki, kj, rows, validRange(kj, 1, p, wo));
  }
}

/** `unfold2d`'s primitive: x `[N, C, H, W]` → windows `[N, C, kh·kw, Ho, Wo]`; its rule is `fold2d`. */
export const unfoldPrim: PrimitiveDef<UnfoldParams> = {
  name: 'unfold2d',
  forward: ([x], p) => {
    const [n, c] = x!.shape as [number, number];
    const [ho, wo] = outputSize(p, p.input);
    const out = uninitialized(x!.dtype, [n, c, p.kernel[0] * p.kernel[1], ho, wo]);
    unfoldPrim.into!([x!], out, p);
    return out;
  },
  into: ([x], out, p) => {
    const [n, c, k2, ho, wo] = out.shape as [number, number, number, number, number];
    const [h, w] = p.input;
    const backend = getBackend();
    if (p.padding[0] > 0 || p.padding[1] > 0) (out.data as Storage).fill(p.padValue);
    // Each tap's valid box is one strided copy: [N, C, rows, cols] of the input, read
    // with the stride and dilation offsets, into its slot of the window axis.
    const srcStrides = [c * h * w, h * w, p.stride[0] * w, p.stride[1]];
    const dstStrides = [c * k2 * ho * wo, k2 * ho * wo, wo, 1];
    forEachTap(p, ho, wo, (k, ki, kj, [r0, r1], [c0, c1]) => {
      if (r1 <= r0 || c1 <= c0) return;
      const row = r0 * p.stride[0] + ki * p.dilation[0] - p.padding[0];
      const col = c0 * p.stride[1] + kj * p.dilation[1] - p.padding[1];
      backend.copyStrided(x!.data, row * w + col, srcStrides, out.data, k * ho * wo + r0 * wo + c0, dstStrides, [n, c, r1 - r0, c1 - c0]);
    });
  },
  vjp: (g, _in, _out, p) => [fold2dOf(g, { ...p, padValue: 0 })],
};

/** `fold2d`'s primitive: windows `[N, C, kh·kw, Ho, Wo]` summed into `[N, C, H, W]`; its rule is `unfold2d`. */
export const foldPrim: PrimitiveDef<UnfoldParams> = {
  name: 'fold2d',
  forward: ([cols], p) => {
    const [n, c] = cols!.shape as [number, number];
    const out = uninitialized(cols!.dtype, [n, c, p.input[0], p.input[1]]);
    foldPrim.into!([cols!], out, p);
    return out;
  },
  into: ([cols], out, p) => {
    const [n, c, k2, ho, wo] = cols!.shape as [number, number, number, number, number];
    const [h, w] = p.input;
    const src = cols!.data, dst = out.data as Storage;
    dst.fill(0);
    const [sh, sw] = p.stride;
    // Taps in a fixed order, so every backend and jit sum a pixel's windows alike.
    forEachTap(p, ho, wo, (k, ki, kj, [r0, r1], [c0, c1]) => {
      const rowOff = ki * p.dilation[0] - p.padding[0], colOff = kj * p.dilation[1] - p.padding[1];
      for (let img = 0; img < n * c; img++) {
        const sBase = (img * k2 + k) * ho * wo, dBase = img * h * w;
        for (let r = r0; r < r1; r++) {
          const sRow = sBase + r * wo, dRow = dBase + (r * sh + rowOff) * w + colOff;
          for (let q = c0; q < c1; q++) dst[dRow + q * sw] = dst[dRow + q * sw]! + src[sRow + q]!;
        }
      }
    });
  },
  vjp: (g, _in, _out, p) => [unfold2dOf(g, { ...p, padValue: 0 })],
};

function unfold2dOf(x: Tensor, p: UnfoldParams): Tensor {
  return bind(unfoldPrim, [x], p);
}

function fold2dOf(cols: Tensor, p: UnfoldParams): Tensor {
  return bind(foldPrim, [cols], p);
}

/** Window options of the public ops: a number means the same for rows and columns. */
export interface WindowOptions {
  readonly stride?: number | readonly [number, number];
  readonly padding?: number | readonly [number, number];
  readonly dilation?: number | readonly [number, number];
}

function pair(op: string, name: string, v: number | readonly [number, number] | undefined, fallback: number, min: number): [number, number] {
  const p = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

function windowOf(op: string, x: Tensor, kernel: number | readonly [number, number], o: WindowOptions, defaultStride?: [number, number]): UnfoldParams {
  if (x.rank !== 4) throw new ShapeError(`${op}: expected an NCHW input [N, C, H, W], got shape ${fmt(x.shape)}`);
  const k = pair(op, 'kernel', kernel, 1, 1);
  const stride = o.stride === undefined && defaultStride ? defaultStride : pair(op, 'stride', o.stride, 1, 1);
  const padding = pair(op, 'padding', o.padding, 0, 0), dilation = pair(op, 'dilation', o.dilation, 1, 1);
  const input: [number, number] = [x.shape[2]!, x.shape[3]!];
  const p: UnfoldParams = { kernel: k, stride, padding, dilation, input, padValue: 0 };
  const [ho, wo] = outputSize(p, input);
  if (ho < 1 || wo < 1) {
    throw new ShapeError(`${op}: a ${k[0]}×${k[1]} window (dilation ${dilation.join('×')}, padding ${padding.join('×')}) does not fit input ${input.join('×')} of shape ${fmt(x.shape)}`);
  }
  return p;
}

/**
 * Every `kernel`-sized window of an NCHW image, as `[N, C, kh·kw, Ho, Wo]` (im2col):
 * `out[n, c, i·kw + j, y, x] = input[n, c, y·sh + i·dh − ph, x·sw + j·dw − pw]`, zero
 * outside the image. Its derivative is the adjoint "fold" (windows summed back).
 *
 * @example
 * ```ts
 * unfold2d(ones([1, 2, 5, 5]), 3, { padding: 1 }).shape; // [1, 2, 9, 5, 5]
 * ```
 */
export function unfold2d(x: Tensor, kernel: number | readonly [number, number], options: WindowOptions = {}): Tensor {
  return unfold2dOf(x, windowOf('unfold2d', x, kernel, options));
}

/** Options of {@link conv2d}: the window's stride, padding and dilation, and channel groups. */
export interface Conv2dOptions extends WindowOptions {
  /** Channel groups: input and output channels split into `groups` independent convolutions (default 1). */
  readonly groups?: number;
  /** Added per output channel, shape `[O]`. */
  readonly bias?: Tensor;
}

/** A convolution's geometry: its window over an input of `input` size, and channel groups. */
interface ConvParams extends Window2d {
  readonly input: readonly [number, number];
  readonly groups: number;
}

/** The kernel spec of a convolution of `tasks` × `n` images, `c` input and `o` output channels. */
function specOf(p: ConvParams, tasks: number, n: number, c: number, o: number): Conv2dSpec {
  const [ho, wo] = outputSize(p, p.input);
  return {
    tasks, n, c, h: p.input[0], w: p.input[1], o, groups: p.groups, kh: p.kernel[0], kw: p.kernel[1], ho, wo,
    stride: p.stride, padding: p.padding, dilation: p.dilation,
  };
}

// The three primitives work per task: x [T, N, C, H, W], w [T, O, C/G, kh, kw],
// y [T, N, O, Ho, Wo]. y = conv(x, w) is bilinear, so with ⟨·,·⟩ summing products:
//   ⟨g, conv(x, w)⟩ = ⟨inputGrad(g, w), x⟩ = ⟨weightGrad(x, g), w⟩,
// and each primitive's rule is one of the others:
//   conv(x, w):       dx = inputGrad(g, w)    dw = weightGrad(x, g)
//   inputGrad(g, w):  dg = conv(h, w)         dw = weightGrad(h, g)
//   weightGrad(x, g): dx = inputGrad(g, H)    dg = conv(x, H)

/** `conv2d`'s primitive: x `[T, N, C, H, W]`, w `[T, O, C/G, kh, kw]` → `[T, N, O, Ho, Wo]`. */
export const convPrim: PrimitiveDef<ConvParams> = {
  name: 'conv2d',
  forward: ([x, w], p) => {
    const [ho, wo] = outputSize(p, p.input);
    const out = uninitialized(x!.dtype, [x!.shape[0]!, x!.shape[1]!, w!.shape[1]!, ho, wo]);
    convPrim.into!([x!, w!], out, p);
    return out;
  },
  into: ([x, w], out, p) => getBackend().conv2d(x!.data, w!.data, out.data, convSpec(x!, w!, p)),
  prepare: ([x, w], out, p) => {
    const spec = convSpec(x!, w!, p);
    return () => getBackend().conv2d(x!.data, w!.data, out.data, spec);
  },
  vjp: (g, [x, w], _out, p, needs) => [needs[0] ? inputGradOf(g, w!, p) : null, needs[1] ? weightGradOf(x!, g, p) : null],
};

/** The adjoint of `conv2d` in x: g `[T, N, O, Ho, Wo]`, w → `[T, N, C, H, W]`. */
export const convInputGradPrim: PrimitiveDef<ConvParams> = {
  name: 'conv2dInputGrad',
  forward: ([g, w], p) => {
    const out = uninitialized(g!.dtype, [g!.shape[0]!, g!.shape[1]!, w!.shape[2]! * p.groups, p.input[0], p.input[1]]);
    convInputGradPrim.into!([g!, w!], out, p);
    return out;
  },
  into: ([g, w], out, p) => getBackend().conv2dInputGrad(g!.data, w!.data, out.data, inputGradSpec(g!, w!, p)),
  prepare: ([g, w], out, p) => {
    const spec = inputGradSpec(g!, w!, p);
    return () => getBackend().conv2dInputGrad(g!.data, w!.data, out.data, spec);
  },
  vjp: (h, [g, w], _out, p, needs) => [needs[0] ? convOf(h, w!, p) : null, needs[1] ? weightGradOf(h, g!, p) : null],
};

/** The adjoint of `conv2d` in the weight: x `[T, N, C, H, W]`, g `[T, N, O, Ho, Wo]` → `[T, O, C/G, kh, kw]`. */
export const convWeightGradPrim: PrimitiveDef<ConvParams> = {
  name: 'conv2dWeightGrad',
  forward: ([x, g], p) => {
    const out = uninitialized(x!.dtype, [x!.shape[0]!, g!.shape[2]!, x!.shape[2]! / p.groups, p.kernel[0], p.kernel[1]]);
    convWeightGradPrim.into!([x!, g!], out, p);
    return out;
  },
  into: ([x, g], out, p) => getBackend().conv2dWeightGrad(x!.data, g!.data, out.data, weightGradSpec(x!, g!, p)),
  prepare: ([x, g], out, p) => {
    const spec = weightGradSpec(x!, g!, p);
    return () => getBackend().conv2dWeightGrad(x!.data, g!.data, out.data, spec);
  },
  vjp: (H, [x, g], _out, p, needs) => [needs[0] ? inputGradOf(g!, H, p) : null, needs[1] ? convOf(x!, H, p) : null],
};

function convSpec(x: Tensor, w: Tensor, p: ConvParams): Conv2dSpec {
  return specOf(p, x.shape[0]!, x.shape[1]!, x.shape[2]!, w.shape[1]!);
}

/** The spec of `inputGrad(g, w)`: g `[T, N, O, Ho, Wo]`, input channels from w. */
function inputGradSpec(g: Tensor, w: Tensor, p: ConvParams): Conv2dSpec {
  return specOf(p, g.shape[0]!, g.shape[1]!, w.shape[2]! * p.groups, g.shape[2]!);
}

/** The spec of `weightGrad(x, g)`. */
function weightGradSpec(x: Tensor, g: Tensor, p: ConvParams): Conv2dSpec {
  return specOf(p, x.shape[0]!, x.shape[1]!, x.shape[2]!, g.shape[2]!);
}

function convOf(x: Tensor, w: Tensor, p: ConvParams): Tensor {
  return bind(convPrim, [x, w], p);
}

function inputGradOf(g: Tensor, w: Tensor, p: ConvParams): Tensor {
  return bind(convInputGradPrim, [g, w], p);
}

function weightGradOf(x: Tensor, g: Tensor, p: ConvParams): Tensor {
  return bind(convWeightGradPrim, [x, g], p);
}

/**
 * 2-D cross-correlation (PyTorch's `conv2d`): input `[N, C, H, W]`, weight
 * `[O, C/groups, kh, kw]`, output `[N, O, Ho, Wo]` with
 * `Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1`. Derivatives of every order.
 *
 * @example
 * ```ts
 * const x = randomNormal(new Rng(0), [2, 3, 8, 8]);
 * const w = randomNormal(new Rng(1), [16, 3, 3, 3]);
 * conv2d(x, w, { padding: 1 }).shape;            // [2, 16, 8, 8]
 * conv2d(x, w, { stride: 2, padding: 1 }).shape; // [2, 16, 4, 4]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, options: Conv2dOptions = {}): Tensor {
  if (weight.rank === 5) return taskConv2d(x, weight, options);
  const groups = options.groups ?? 1;
  if (weight.rank !== 4) throw new ShapeError(`conv2d: expected a weight [O, C/groups, kh, kw] (or [T, O, C/groups, kh, kw] per task), got shape ${fmt(weight.shape)}`);
  const o = weight.shape[0]!;
  const { p, ho, wo } = conv2dShapes(x, weight.shape, groups, options);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  let out = reshape(convOf(reshape(x, [1, n, c, h, w]), reshape(weight, [1, ...weight.shape]), p), [n, o, ho, wo]);
  if (options.bias !== undefined) {
    const b = options.bias;
    if (b.rank !== 1 || b.shape[0] !== o) throw new ShapeError(`conv2d: bias must have shape [${o}], got ${fmt(b.shape)}`);
    out = add(out, reshape(b, [o, 1, 1]));
  }
  return out;
}

/** One convolution per task (MAML's adapted weights): x `[T, N, C, H, W]`, weight `[T, O, C/groups, kh, kw]`, bias `[T, O]` → `[T, N, O, Ho, Wo]`. */
function taskConv2d(x: Tensor, weight: Tensor, options: Conv2dOptions): Tensor {
  const [t, o, cg, kh, kw] = weight.shape as [number, number, number, number, number];
  if (x.rank !== 5 || x.shape[0] !== t) {
    throw new ShapeError(`conv2d: a per-task weight ${fmt(weight.shape)} needs an input [${t}, N, C, H, W], got shape ${fmt(x.shape)}`);
  }
  const [, n, c, h, w] = x.shape as [number, number, number, number, number];
  const { p } = conv2dShapes(reshape(x, [t * n, c, h, w]), [o, cg, kh, kw], options.groups ?? 1, options);
  let out = convOf(x, weight, p);
  if (options.bias !== undefined) {
    const b = options.bias;
    if (b.rank !== 2 || b.shape[0] !== t || b.shape[1] !== o) throw new ShapeError(`conv2d: a per-task bias must have shape [${t}, ${o}], got ${fmt(b.shape)}`);
    out = add(out, reshape(b, [t, 1, o, 1, 1]));
  }
  return out;
}

/** Checks a convolution's shapes (throwing a ShapeError naming them) and returns its geometry and output size. */
function conv2dShapes(x: Tensor, weightShape: readonly number[], groups: number, options: WindowOptions): { p: ConvParams; ho: number; wo: number } {
  const [o, cg, kh, kw] = weightShape as [number, number, number, number];
  const win = windowOf('conv2d', x, [kh, kw], options);
  const c = x.shape[1]!;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new ShapeError(`conv2d: groups=${groups} must be a positive integer dividing the input channels (${c}) and output channels (${o})`);
  }
  if (cg !== c / groups) {
    throw new ShapeError(`conv2d: weight [${weightShape.join(', ')}] expects ${cg} input channels per group, but input ${fmt(x.shape)} with groups=${groups} has ${c / groups}`);
  }
  const p: ConvParams = { kernel: win.kernel, stride: win.stride, padding: win.padding, dilation: win.dilation, input: win.input, groups };
  const [ho, wo] = outputSize(p, p.input);
  return { p, ho, wo };
}

/** Options of the pooling ops: stride (default: the kernel, as PyTorch), padding, dilation. */
export type Pool2dOptions = WindowOptions;

/**
 * Max over each `kernel` window of an NCHW image (padding never wins: it reads −∞).
 * The gradient flows to the window's maximum (split evenly among ties).
 *
 * @example
 * ```ts
 * maxPool2d(tensor([[[[1, 2], [3, 4]]]]), 2).toArray(); // [[[[4]]]]
 * ```
 */
export function maxPool2d(x: Tensor, kernel: number | readonly [number, number], options: Pool2dOptions = {}): Tensor {
  const k = pair('maxPool2d', 'kernel', kernel, 1, 1);
  const p = windowOf('maxPool2d', x, k, options, k);
  if (p.padding[0] * 2 > k[0] || p.padding[1] * 2 > k[1]) {
    throw new ShapeError(`maxPool2d: padding ${p.padding.join('×')} must be at most half the kernel ${k.join('×')} (a window must see the image)`);
  }
  return max(unfold2dOf(x, { ...p, padValue: -Infinity }), 2);
}

/**
 * Mean over each `kernel` window of an NCHW image; padded pixels count as zeros
 * (PyTorch's default `count_include_pad`).
 *
 * @example
 * ```ts
 * avgPool2d(tensor([[[[1, 2], [3, 4]]]]), 2).toArray(); // [[[[2.5]]]]
 * ```
 */
export function avgPool2d(x: Tensor, kernel: number | readonly [number, number], options: Pool2dOptions = {}): Tensor {
  const k = pair('avgPool2d', 'kernel', kernel, 1, 1);
  return mean(unfold2dOf(x, windowOf('avgPool2d', x, k, options, k)), 2);
}

/**
 * Mean over each channel's whole image: `[N, C, H, W]` → `[N, C]`.
 * @example globalAvgPool(ones([2, 3, 4, 4])).shape // [2, 3]
 */
export function globalAvgPool(x: Tensor): Tensor {
  if (x.rank !== 4) throw new ShapeError(`globalAvgPool: expected an NCHW input [N, C, H, W], got shape ${fmt(x.shape)}`);
  return mean(x, [2, 3]);
}

/**
 * Max over each channel's whole image: `[N, C, H, W]` → `[N, C]`.
 * @example globalMaxPool(ones([2, 3, 4, 4])).shape // [2, 3]
 */
export function globalMaxPool(x: Tensor): Tensor {
  if (x.rank !== 4) throw new ShapeError(`globalMaxPool: expected an NCHW input [N, C, H, W], got shape ${fmt(x.shape)}`);
  return max(x, [2, 3]);
}
