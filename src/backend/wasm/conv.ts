/**
 * The float32 convolution kernels of `assembly/conv.ts` over one kernel instance: arena
 * layout, the tap tables, chunking over images and the copies in and out.
 *
 * Each task (its own weight) runs alone; within a task, images go through in chunks
 * whose scratch fits {@link CHUNK_BYTES}. Operands already in linear memory (a compiled
 * program's buffers) are read and written in place; others are copied into the arena.
 */
import type { Conv2dSpec } from '../backend.ts';
import { align16, type Arena, copyInto } from './arena.ts';

/** Scratch budget of one chunk of images (at least one image is always taken). */
const CHUNK_BYTES = 16 * 1024 * 1024;

/** Sizes the kernels share, derived once per spec. */
interface Geometry {
  readonly cg: number; readonly og: number; readonly og4: number; readonly nob: number; readonly ncb: number;
  readonly k2: number; readonly nTaps: number; readonly pairs: number;
  /** Output row length rounded up to the 8-wide tile. */
  readonly xr: number;
  /** Padded, phase-split input: rows, floats per phase row, floats per channel. */
  readonly hp: number; readonly wq: number; readonly plane: number;
  /** Row length of the padded input gradient. */
  readonly wpx: number;
  /** Byte offset of each tap (channel, row, column) from an output row's base; `pairTaps` repeats the last to an even count. */
  readonly taps: Int32Array; readonly pairTaps: Int32Array;
  /**
   * At stride 1 the input gradient is the forward convolution of the output gradient,
   * padded by (k − 1)·d − p, with the weight flipped and transposed: its padded image
   * (rows, row length, floats per channel) and tap offsets.
   */
  readonly weightRuns: WeightRuns;
  /** Byte offset of each target (channel, tap) of the strided input gradient from a padded row's base. */
  readonly scatterOffsets: Int32Array;
  readonly transposed: { readonly hp: number; readonly wq: number; readonly plane: number; readonly top: number; readonly left: number; readonly taps: Int32Array } | null;
}

/**
 * How the weight gradient walks the output positions: `rows` runs of `vecs` vectors,
 * the output gradient's rows `pitch` floats apart in planes of `planeG`, and the lane
 * mask of the positions that are outputs (-1) or padding (0).
 */
interface WeightRuns { readonly rows: number; readonly vecs: number; readonly pitch: number; readonly planeG: number; readonly mask: Int32Array }

/** At row stride 1 the gradient takes the input's row pitch, and all positions are one long run. */
function weightRunsOf(ho: number, wo: number, sh: number, wq: number, xr: number): WeightRuns {
  if (sh === 1) {
    const vecs = Math.ceil((ho * wq) / 4), mask = new Int32Array(4 * vecs);
    for (let f = 0; f < ho * wq; f++) if (f % wq < wo) mask[f] = -1;
    return { rows: 1, vecs, pitch: wq, planeG: 4 * vecs, mask };
  }
  const vecs = Math.ceil(wo / 4), mask = new Int32Array(4 * vecs);
  mask.fill(-1, 0, wo);
  return { rows: ho, vecs, pitch: xr, planeG: ho * xr, mask };
}

const geometries = new WeakMap<Conv2dSpec, Geometry>();

function geometryOf(s: Conv2dSpec): Geometry {
  let g = geometries.get(s);
  if (g !== undefined) return g;
  const [sh, sw] = s.stride, [ph, pw] = s.padding, [dh, dw] = s.dilation;
  const cg = s.c / s.groups, og = s.o / s.groups, og4 = Math.ceil(og / 4) * 4, k2 = s.kh * s.kw, nTaps = cg * k2;
  const xr = Math.ceil(s.wo / 8) * 8;
  const hp = s.h + 2 * ph;
  // Wide enough for every padded column and for the tile's reads past the last output.
  const wq = Math.max(Math.ceil((s.w + 2 * pw) / sw), xr + Math.floor(((s.kw - 1) * dw) / sw));
  const plane = sw * hp * wq;
  const taps = new Int32Array(nTaps);
  for (let c = 0; c < cg; c++) {
    for (let ki = 0; ki < s.kh; ki++) {
      for (let kj = 0; kj < s.kw; kj++) {
        const col = kj * dw, phase = col % sw;
        taps[(c * s.kh + ki) * s.kw + kj] = 4 * (c * plane + phase * hp * wq + ki * dh * wq + (col - phase) / sw);
      }
    }
  }
  const pairs = Math.ceil(nTaps / 2);
  const pairTaps = new Int32Array(2 * pairs);
  pairTaps.set(taps);
  if (nTaps % 2 === 1) pairTaps[nTaps] = taps[nTaps - 1]!;
  let transposed: Geometry['transposed'] = null;
  if (sh === 1 && sw === 1) {
    const tHp = s.h + (s.kh - 1) * dh, tWq = Math.ceil(s.w / 8) * 8 + (s.kw - 1) * dw, tPlane = tHp * tWq;
    const tTaps = new Int32Array(og * k2);
    for (let o = 0; o < og; o++) {
      for (let ki = 0; ki < s.kh; ki++) for (let kj = 0; kj < s.kw; kj++) tTaps[(o * s.kh + ki) * s.kw + kj] = 4 * (o * tPlane + ki * dh * tWq + kj * dw);
    }
    transposed = { hp: tHp, wq: tWq, plane: tPlane, top: (s.kh - 1) * dh - ph, left: (s.kw - 1) * dw - pw, taps: tTaps };
  }
  const wpx = Math.max(s.w + 2 * pw, xr + (s.kw - 1) * dw);
  const scatterOffsets = new Int32Array(nTaps);
  for (let c = 0; c < cg; c++) {
    for (let ki = 0; ki < s.kh; ki++) for (let kj = 0; kj < s.kw; kj++) scatterOffsets[(c * s.kh + ki) * s.kw + kj] = 4 * ((c * hp + ki * dh) * wpx + kj * dw);
  }
  g = {
    scatterOffsets, cg, og, og4, nob: og4 / 4, ncb: Math.ceil(cg / 4), k2, nTaps, pairs, xr, hp, wq, plane,
    wpx, taps, pairTaps, transposed, weightRuns: weightRunsOf(s.ho, s.wo, sh, wq, xr),
  };
  geometries.set(s, g);
  return g;
}

/**
 * Winograd F(2×2, 3×3) (assembly/conv.ts) for the 3×3, stride-1, dilation-1, one-group
 * convolutions: 16 products per 2×2 outputs and channel pair instead of 36. Its sums are
 * not the direct kernel's (the transforms round differently), so the choice depends on
 * the spec only: eager and compiled calls of one spec run the same kernel.
 */
let winogradMode: WinogradMode = 'auto';

/** `'auto'`: where it applies and is faster (the default); `'never'`: the direct kernels only; `'always'`: wherever it applies (tests). */
export type WinogradMode = 'auto' | 'never' | 'always';

/** Sets when the Winograd path runs (the bench times the direct kernels on the same build; tests force it onto tiny shapes). */
export function setConvWinograd(mode: WinogradMode): void {
  winogradMode = mode;
}

/**
 * Whether the convolution of `s` (`'forward'`, or its stride-1 input gradient: a
 * convolution of o → c channels) runs on the Winograd kernels. With few channels the
 * transforms cost more than the products save (measured: 1→4, 3→3, 1→16 and 16→4 run
 * faster direct; 4→16, 8→8 and up faster on Winograd).
 */
export function usesWinograd(s: Conv2dSpec, pass: 'forward' | 'inputGrad'): boolean {
  const [cin, cout] = pass === 'forward' ? [s.c, s.o] : [s.o, s.c];
  if (winogradMode === 'never') return false;
  const applies = s.kh === 3 && s.kw === 3 && s.groups === 1 && s.stride[0] === 1 && s.stride[1] === 1 && s.dilation[0] === 1 && s.dilation[1] === 1;
  return applies && (winogradMode === 'always' || (cin >= 4 && cout >= 8));
}

/** Bytes of transformed inputs and products per block of tile rows: they stay in cache between the three passes. */
const WINOGRAD_BLOCK_BYTES = 128 * 1024;

/** Layout of one Winograd convolution of c → o channels onto ho×wo outputs. */
interface WinogradGeometry {
  /** Tile rows per image, tiles per row (a multiple of 4). */
  readonly th: number; readonly tw4: number;
  /** Padded input split into 2 column phases: rows, floats per phase row, floats per channel. */
  readonly hp: number; readonly wq: number; readonly plane: number;
  readonly nob: number;
  /** Tile rows per block and the block's tile count rounded up to the 8-wide product tile. */
  readonly rowsPerBlock: number; readonly tb: number;
  /** Floats between the 16 planes of the transformed inputs and of the products (a cache line of slack: see assembly/conv.ts). */
  readonly vXi: number; readonly mXi: number;
}

function winogradGeometry(c: number, o: number, ho: number, wo: number): WinogradGeometry {
  const th = Math.ceil(ho / 2), tw4 = Math.ceil(Math.ceil(wo / 2) / 4) * 4, hp = 2 * th + 2, wq = tw4 + 1, nob = Math.ceil(o / 4);
  const tiles = Math.max(8, Math.floor(WINOGRAD_BLOCK_BYTES / (64 * (c + 4 * nob))));
  const rowsPerBlock = Math.max(1, Math.floor(tiles / tw4));
  const tb = Math.ceil((rowsPerBlock * tw4) / 8) * 8;
  return { th, tw4, hp, wq, plane: 2 * hp * wq, nob, rowsPerBlock, tb, vXi: c * tb + 16, mXi: 4 * nob * tb + 16 };
}

/** Images per chunk when one image takes `perImage` bytes of scratch. */
function chunkOf(n: number, perImage: number): number {
  return Math.max(1, Math.min(n, Math.floor(CHUNK_BYTES / Math.max(1, perImage))));
}

/** A bump layout of scratch blocks from the arena's base. */
class Layout {
  bytes = 0;
  constructor(private readonly base: number) {}
  /** A 16-byte-aligned block of `bytes` (with 16 bytes of slack after it), or -1 for `skip`. */
  take(bytes: number, skip = false): number {
    if (skip) return -1;
    const at = this.base + this.bytes;
    this.bytes += align16(bytes) + 16;
    return at;
  }
}

/** An operand: its byte address when the kernels can read it in place, else -1 (copied in). */
function inPlace(arena: Arena, x: Float32Array): number {
  return arena.holds(x) ? x.byteOffset : -1;
}

/** The direct convolution kernels over one kernel instance. */
export class WasmConv {
  constructor(private readonly arena: Arena) {}

  forward(x: Float32Array, w: Float32Array, out: Float32Array, s: Conv2dSpec): void {
    // An output that is not finite (from an infinite input) is redone on the direct kernel: see `winograd`.
    if (usesWinograd(s, 'forward') && this.winograd(x, w, false, out, s.tasks, s.n, s.c, s.h, s.w, s.o, s.ho, s.wo, s.padding[0], s.padding[1], 'conv2d')) return;
    const G = geometryOf(s), k = this.arena.kernels;
    const { n, c, h, w: wd, o, ho, wo } = s;
    const xSize = c * h * wd, wSize = o * G.nTaps, oSize = o * ho * wo;
    const xAt = inPlace(this.arena, x), wAt = inPlace(this.arena, w), oAt = inPlace(this.arena, out);
    const chunk = chunkOf(n, 4 * (c * G.plane + (xAt < 0 ? xSize : 0) + (oAt < 0 ? oSize : 0)));
    const L = new Layout(this.arena.base);
    const tapsAt = L.take(4 * G.nTaps), panelsAt = L.take(16 * s.groups * G.nob * G.nTaps), wInAt = L.take(4 * wSize, wAt >= 0);
    const xInAt = L.take(4 * chunk * xSize, xAt >= 0), padAt = L.take(4 * chunk * c * G.plane), outAt = L.take(4 * chunk * oSize, oAt >= 0);
    const f32 = this.arena.reserve(L.bytes, 'conv2d');
    new Int32Array(f32.buffer, tapsAt, G.nTaps).set(G.taps);
    for (let t = 0; t < s.tasks; t++) {
      k.convPackForwardF32(this.operand(f32, w, wAt, wInAt, t * wSize, wSize), panelsAt, s.groups, G.og, G.nTaps);
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const count = Math.min(chunk, n - i0), first = t * n + i0;
        k.convPadF32(this.operand(f32, x, xAt, xInAt, first * xSize, count * xSize), padAt, count * c, h, wd, G.hp, G.wq, s.padding[0], s.padding[1], s.stride[1]);
        const dst = oAt >= 0 ? oAt + 4 * first * oSize : outAt;
        k.conv2dF32(padAt, G.plane, G.wq, s.stride[0], panelsAt, tapsAt, G.nTaps, dst, count, c, s.groups, G.og, ho, wo);
        if (oAt < 0) copyInto(out, first * oSize, f32, outAt >>> 2, count * oSize);
      }
    }
  }

  inputGrad(g: Float32Array, w: Float32Array, out: Float32Array, s: Conv2dSpec): void {
    const G = geometryOf(s), k = this.arena.kernels;
    if (G.transposed !== null) {
      this.transposedInputGrad(g, w, out, s, G, G.transposed);
      return;
    }
    const { n, c, h, w: wd, o, ho, wo } = s;
    const xSize = c * h * wd, wSize = o * G.nTaps, gSize = o * ho * wo;
    const gAt = inPlace(this.arena, g), wAt = inPlace(this.arena, w), oAt = inPlace(this.arena, out);
    const gpSize = s.groups * G.og4 * ho * G.xr, dxpSize = c * G.hp * G.wpx;
    const chunk = chunkOf(n, 4 * (gpSize + dxpSize + (gAt < 0 ? gSize : 0) + (oAt < 0 ? xSize : 0)));
    const L = new Layout(this.arena.base);
    const offsAt = L.take(4 * G.nTaps), panelsAt = L.take(16 * s.groups * Math.ceil(G.nTaps / 4) * G.og), wInAt = L.take(4 * wSize, wAt >= 0);
    const gInAt = L.take(4 * chunk * gSize, gAt >= 0), gpAt = L.take(4 * chunk * gpSize), dxpAt = L.take(4 * chunk * dxpSize);
    const outAt = L.take(4 * chunk * xSize, oAt >= 0);
    const f32 = this.arena.reserve(L.bytes, 'conv2dInputGrad');
    new Int32Array(f32.buffer, offsAt, G.nTaps).set(G.scatterOffsets);
    for (let t = 0; t < s.tasks; t++) {
      k.convPackInputF32(this.operand(f32, w, wAt, wInAt, t * wSize, wSize), panelsAt, s.groups, G.og, G.nTaps);
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const count = Math.min(chunk, n - i0), first = t * n + i0;
        k.convPadRowsF32(this.operand(f32, g, gAt, gInAt, first * gSize, count * gSize), gpAt, count, s.groups, G.og, G.og4, ho, wo, G.xr, ho * G.xr);
        k.conv2dInputGradF32(
          gpAt, G.og4, ho, G.xr, wo, panelsAt, offsAt, G.nTaps, dxpAt, G.hp, G.wpx,
          count, c, s.groups, G.og, s.stride[0], s.stride[1],
        );
        const dst = oAt >= 0 ? oAt + 4 * first * xSize : outAt;
        k.convCropF32(dxpAt, dst, count * c, G.hp, G.wpx, s.padding[0], s.padding[1], h, wd);
        if (oAt < 0) copyInto(out, first * xSize, f32, outAt >>> 2, count * xSize);
      }
    }
  }

  /** The stride-1 input gradient as the forward kernel over the padded output gradient. */
  private transposedInputGrad(g: Float32Array, w: Float32Array, out: Float32Array, s: Conv2dSpec, G: Geometry, T: NonNullable<Geometry['transposed']>): void {
    if (usesWinograd(s, 'inputGrad') && this.winograd(g, w, true, out, s.tasks, s.n, s.o, s.ho, s.wo, s.c, s.h, s.w, 2 - s.padding[0], 2 - s.padding[1], 'conv2dInputGrad')) return;
    const k = this.arena.kernels;
    const { n, c, h, w: wd, o, ho, wo } = s;
    const xSize = c * h * wd, wSize = o * G.nTaps, gSize = o * ho * wo, nTaps = G.og * G.k2;
    const gAt = inPlace(this.arena, g), wAt = inPlace(this.arena, w), oAt = inPlace(this.arena, out);
    const chunk = chunkOf(n, 4 * (o * T.plane + (gAt < 0 ? gSize : 0) + (oAt < 0 ? xSize : 0)));
    const L = new Layout(this.arena.base);
    const tapsAt = L.take(4 * nTaps), panelsAt = L.take(16 * s.groups * G.ncb * nTaps), wInAt = L.take(4 * wSize, wAt >= 0);
    const gInAt = L.take(4 * chunk * gSize, gAt >= 0), padAt = L.take(4 * chunk * o * T.plane), outAt = L.take(4 * chunk * xSize, oAt >= 0);
    const f32 = this.arena.reserve(L.bytes, 'conv2dInputGrad');
    new Int32Array(f32.buffer, tapsAt, nTaps).set(T.taps);
    for (let t = 0; t < s.tasks; t++) {
      k.convPackFlippedF32(this.operand(f32, w, wAt, wInAt, t * wSize, wSize), panelsAt, s.groups, G.og, G.cg, s.kh, s.kw);
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const count = Math.min(chunk, n - i0), first = t * n + i0;
        k.convPadF32(this.operand(f32, g, gAt, gInAt, first * gSize, count * gSize), padAt, count * o, ho, wo, T.hp, T.wq, T.top, T.left, 1);
        const dst = oAt >= 0 ? oAt + 4 * first * xSize : outAt;
        k.conv2dF32(padAt, T.plane, T.wq, 1, panelsAt, tapsAt, nTaps, dst, count, o, s.groups, G.cg, h, wd);
        if (oAt < 0) copyInto(out, first * xSize, f32, outAt >>> 2, count * xSize);
      }
    }
  }

  weightGrad(x: Float32Array, g: Float32Array, out: Float32Array, s: Conv2dSpec): void {
    const G = geometryOf(s), k = this.arena.kernels, R = G.weightRuns;
    const { n, c, h, w: wd, o, ho, wo } = s;
    const xSize = c * h * wd, gSize = o * ho * wo, wSize = o * G.nTaps;
    const xAt = inPlace(this.arena, x), gAt = inPlace(this.arena, g), oAt = inPlace(this.arena, out);
    const gpSize = s.groups * G.og4 * R.planeG;
    const chunk = chunkOf(n, 4 * (c * G.plane + gpSize + (xAt < 0 ? xSize : 0) + (gAt < 0 ? gSize : 0)));
    const L = new Layout(this.arena.base);
    const accBytes = 128 * s.groups * G.nob * G.pairs;
    const tapsAt = L.take(8 * G.pairs), maskAt = L.take(16 * R.vecs), accAt = L.take(accBytes), outAt = L.take(4 * wSize, oAt >= 0);
    // The last runs read up to a row's column shift and a vector past the padded image (masked out).
    const xInAt = L.take(4 * chunk * xSize, xAt >= 0), padAt = L.take(4 * (chunk * c * G.plane + G.wq + 4));
    const gInAt = L.take(4 * chunk * gSize, gAt >= 0), gpAt = L.take(4 * chunk * gpSize);
    const f32 = this.arena.reserve(L.bytes, 'conv2dWeightGrad');
    new Int32Array(f32.buffer, tapsAt, 2 * G.pairs).set(G.pairTaps);
    new Int32Array(f32.buffer, maskAt, 4 * R.vecs).set(R.mask);
    const dstOf = (t: number): number => (oAt >= 0 ? oAt + 4 * t * wSize : outAt);
    for (let t = 0; t < s.tasks; t++) {
      // Unmasked first: a sum that is not finite may come from 0·∞ in a padding lane, so
      // only then is the task redone with the input's padding lanes masked to zero.
      for (let masked = 0; masked < 2; masked++) {
        f32.fill(0, accAt >>> 2, (accAt + accBytes) >>> 2);
        for (let i0 = 0; i0 < n; i0 += chunk) {
          const count = Math.min(chunk, n - i0), first = t * n + i0;
          k.convPadF32(this.operand(f32, x, xAt, xInAt, first * xSize, count * xSize), padAt, count * c, h, wd, G.hp, G.wq, s.padding[0], s.padding[1], s.stride[1]);
          k.convPadRowsF32(this.operand(f32, g, gAt, gInAt, first * gSize, count * gSize), gpAt, count, s.groups, G.og, G.og4, ho, wo, R.pitch, R.planeG);
          k.conv2dWeightGradF32(
            padAt, G.plane, G.wq, s.stride[0], tapsAt, G.pairs, gpAt, G.og4, R.planeG, R.rows, R.pitch, R.vecs, maskAt, masked,
            accAt, count, c, s.groups,
          );
        }
        if (k.convWeightGradReduceF32(accAt, dstOf(t), s.groups, G.og, G.pairs, G.nTaps) === 0) break;
      }
      if (oAt < 0) copyInto(out, t * wSize, f32, outAt >>> 2, wSize);
    }
  }

  /**
   * A 3×3 stride-1 convolution of `tasks`·`n` images (c channels of h×w, padded by top and
   * left) into o channels of ho×wo on the Winograd kernels; the weight is `[o, c, 3, 3]`
   * per task, or with `flip` `[c, o, 3, 3]` turned by 180° (the input gradient's).
   * Returns false, at the first block with an output that may not be finite, if some
   * input is not: ∞ − ∞ in the transforms makes NaN where the direct sum makes ±∞, so the
   * caller redoes the whole call on the direct kernel (which overwrites every output).
   */
  private winograd(
    x: Float32Array, w: Float32Array, flip: boolean, out: Float32Array,
    tasks: number, n: number, c: number, h: number, wd: number, o: number, ho: number, wo: number, top: number, left: number, label: string,
  ): boolean {
    const k = this.arena.kernels, W = winogradGeometry(c, o, ho, wo);
    const xSize = c * h * wd, wSize = o * c * 9, oSize = o * ho * wo;
    const xAt = inPlace(this.arena, x), wAt = inPlace(this.arena, w), oAt = inPlace(this.arena, out);
    const chunk = chunkOf(n, 4 * (c * W.plane + (xAt < 0 ? xSize : 0) + (oAt < 0 ? oSize : 0)));
    const L = new Layout(this.arena.base);
    const uAt = L.take(16 * 16 * W.nob * c), wInAt = L.take(4 * wSize, wAt >= 0), xInAt = L.take(4 * chunk * xSize, xAt >= 0);
    const padAt = L.take(4 * chunk * c * W.plane), vAt = L.take(64 * W.vXi), mAt = L.take(64 * W.mXi), outAt = L.take(4 * chunk * oSize, oAt >= 0);
    const f32 = this.arena.reserve(L.bytes, label);
    for (let t = 0; t < tasks; t++) {
      k.winogradWeightF32(this.operand(f32, w, wAt, wInAt, t * wSize, wSize), uAt, o, c, flip ? 1 : 0);
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const count = Math.min(chunk, n - i0), first = t * n + i0;
        k.convPadF32(this.operand(f32, x, xAt, xInAt, first * xSize, count * xSize), padAt, count * c, h, wd, W.hp, W.wq, top, left, 2);
        const dst = oAt >= 0 ? oAt + 4 * first * oSize : outAt, rowsTotal = count * W.th;
        for (let r0 = 0; r0 < rowsTotal; r0 += W.rowsPerBlock) {
          const rows = Math.min(W.rowsPerBlock, rowsTotal - r0);
          k.winogradInputF32(padAt, W.plane, W.hp, W.wq, c, r0, rows, W.th, W.tw4, vAt, W.tb, W.vXi);
          k.winogradGemmF32(uAt, vAt, mAt, c, W.nob, W.tb, W.vXi, W.mXi, Math.ceil((rows * W.tw4) / 8) * 8);
          if (k.winogradOutputF32(mAt, W.tb, W.mXi, o, r0, rows, W.th, W.tw4, dst, ho, wo) !== 0) return false;
        }
        if (oAt < 0) copyInto(out, first * oSize, f32, outAt >>> 2, count * oSize);
      }
    }
    return true;
  }

  /** The address of `len` floats of `src` from `start`: in place, or copied to `scratchAt`. */
  private operand(f32: Float32Array, src: Float32Array, at: number, scratchAt: number, start: number, len: number): number {
    if (at >= 0) return at + 4 * start;
    copyInto(f32, scratchAt >>> 2, src, start, len);
    return scratchAt;
  }
}
