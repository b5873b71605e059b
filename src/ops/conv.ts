/**
 * 2-D convolution and pooling over NCHW images, built on one pair of primitives:
 * `unfold2d` (im2col: every kernel window of every channel laid out as
 * `[N, C, kh·kw, Ho, Wo]`) and its adjoint `fold2d` (col2im: the windows summed back
 * into their pixels). Each is the other's derivative rule, so anything written with
 * them and differentiable ops — `conv2d` is a matmul of the weight with the unfolded
 * input, pooling a max or mean over the window axis — differentiates to any order and
 * is traced by `jit` like every other op.
 *
 * Why NCHW: the weight layout `[O, C/groups, kh, kw]` is PyTorch's, so weights and
 * checkpoints carry over, and the unfolded input is channel-major, so a convolution is
 * one batched product `W[G, O/G, C/G·kh·kw] · cols[N, G, C/G·kh·kw, Ho·Wo]` with the
 * spatial axis contiguous (the matmul kernel's fast inner axis). Grid worlds are small
 * images with few channels, where this layout costs nothing.
 */
import { getBackend } from '../backend/registry.ts';
import type { Storage } from '../backend/backend.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { fmt } from '../tensor/shape.ts';
import { uninitialized } from './core.ts';
import { add } from './elementwise.ts';
import { max, mean } from './reduce.ts';
import { reshape } from './movement.ts';
import { matmul } from './matmul.ts';

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
  const s = p.stride[axis]!, offset = k * p.dilation[axis]! - p.padding[axis]!, size = p.input[axis]!;
  const lo = Math.max(0, Math.ceil(-offset / s));
  const hi = Math.min(outLen, Math.floor((size - 1 - offset) / s) + 1);
  return [lo, Math.max(lo, hi)];
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
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  const { p, ho, wo } = conv2dShapes(x, weight.shape, groups, options);
  const n = x.shape[0]!;
  const cols = reshape(unfold2dOf(x, p), [n, groups, cg * kh * kw, ho * wo]);
  const w = reshape(weight, [groups, o / groups, cg * kh * kw]);
  let out = reshape(matmul(w, cols), [n, o, ho, wo]);
  if (options.bias !== undefined) {
    const b = options.bias;
    if (b.rank !== 1 || b.shape[0] !== o) throw new ShapeError(`conv2d: bias must have shape [${o}], got ${fmt(b.shape)}`);
    out = add(out, reshape(b, [o, 1, 1]));
  }
  return out;
}

/**
 * One convolution per task (MAML's adapted weights): x `[T, N, C, H, W]`, weight
 * `[T, O, C/groups, kh, kw]`, bias `[T, O]` → `[T, N, O, Ho, Wo]`, as one unfold and one
 * batched product.
 */
function taskConv2d(x: Tensor, weight: Tensor, options: Conv2dOptions): Tensor {
  const [t, o, cg, kh, kw] = weight.shape as [number, number, number, number, number];
  if (x.rank !== 5 || x.shape[0] !== t) {
    throw new ShapeError(`conv2d: a per-task weight ${fmt(weight.shape)} needs an input [${t}, N, C, H, W], got shape ${fmt(x.shape)}`);
  }
  const [, n, c, h, w] = x.shape as [number, number, number, number, number];
  const groups = options.groups ?? 1;
  const images = reshape(x, [t * n, c, h, w]);
  const single = conv2dShapes(images, [o, cg, kh, kw], groups, options);
  const cols = reshape(unfold2dOf(images, single.p), [t, n, groups, cg * kh * kw, single.ho * single.wo]);
  const wt = reshape(weight, [t, 1, groups, o / groups, cg * kh * kw]);
  let out = reshape(matmul(wt, cols), [t, n, o, single.ho, single.wo]);
  if (options.bias !== undefined) {
    const b = options.bias;
    if (b.rank !== 2 || b.shape[0] !== t || b.shape[1] !== o) throw new ShapeError(`conv2d: a per-task bias must have shape [${t}, ${o}], got ${fmt(b.shape)}`);
    out = add(out, reshape(b, [t, 1, o, 1, 1]));
  }
  return out;
}

/** Checks a convolution's shapes (throwing a ShapeError naming them) and returns its window and output size. */
function conv2dShapes(x: Tensor, weightShape: readonly number[], groups: number, options: WindowOptions): { p: UnfoldParams; ho: number; wo: number } {
  const [o, cg, kh, kw] = weightShape as [number, number, number, number];
  const p = windowOf('conv2d', x, [kh, kw], options);
  const c = x.shape[1]!;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new ShapeError(`conv2d: groups=${groups} must be a positive integer dividing the input channels (${c}) and output channels (${o})`);
  }
  if (cg !== c / groups) {
    throw new ShapeError(`conv2d: weight [${weightShape.join(', ')}] expects ${cg} input channels per group, but input ${fmt(x.shape)} with groups=${groups} has ${c / groups}`);
  }
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
