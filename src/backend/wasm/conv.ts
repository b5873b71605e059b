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
  g = {
    cg, og, og4, nob: og4 / 4, ncb: Math.ceil(cg / 4), k2, nTaps, pairs, xr, hp, wq, plane,
    wpx: Math.max(s.w + 2 * pw, xr + (s.kw - 1) * dw), taps, pairTaps,
  };
  geometries.set(s, g);
  return g;
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
    const { n, c, h, w: wd, o, ho, wo } = s;
    const xSize = c * h * wd, wSize = o * G.nTaps, gSize = o * ho * wo;
    const gAt = inPlace(this.arena, g), wAt = inPlace(this.arena, w), oAt = inPlace(this.arena, out);
    const gpSize = s.groups * G.og4 * ho * G.xr, dxpSize = c * G.hp * G.wpx;
    const chunk = chunkOf(n, 4 * (gpSize + dxpSize + (gAt < 0 ? gSize : 0) + (oAt < 0 ? xSize : 0)));
    const L = new Layout(this.arena.base);
    const panelsAt = L.take(16 * s.groups * G.ncb * G.k2 * G.og), wInAt = L.take(4 * wSize, wAt >= 0);
    const gInAt = L.take(4 * chunk * gSize, gAt >= 0), gpAt = L.take(4 * chunk * gpSize), dxpAt = L.take(4 * chunk * dxpSize);
    const outAt = L.take(4 * chunk * xSize, oAt >= 0);
    const f32 = this.arena.reserve(L.bytes, 'conv2dInputGrad');
    for (let t = 0; t < s.tasks; t++) {
      k.convPackInputF32(this.operand(f32, w, wAt, wInAt, t * wSize, wSize), panelsAt, s.groups, G.og, G.cg, G.k2);
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const count = Math.min(chunk, n - i0), first = t * n + i0;
        k.convPadRowsF32(this.operand(f32, g, gAt, gInAt, first * gSize, count * gSize), gpAt, count, s.groups, G.og, G.og4, ho, wo, G.xr);
        k.conv2dInputGradF32(
          gpAt, G.og4, ho, G.xr, wo, panelsAt, dxpAt, G.hp, G.wpx,
          count, c, s.groups, G.og, s.kh, s.kw, s.stride[0], s.stride[1], s.dilation[0], s.dilation[1],
        );
        const dst = oAt >= 0 ? oAt + 4 * first * xSize : outAt;
        k.convCropF32(dxpAt, dst, count * c, G.hp, G.wpx, s.padding[0], s.padding[1], h, wd);
        if (oAt < 0) copyInto(out, first * xSize, f32, outAt >>> 2, count * xSize);
      }
    }
  }

  weightGrad(x: Float32Array, g: Float32Array, out: Float32Array, s: Conv2dSpec): void {
    const G = geometryOf(s), k = this.arena.kernels;
    const { n, c, h, w: wd, o, ho, wo } = s;
    const xSize = c * h * wd, gSize = o * ho * wo, wSize = o * G.nTaps;
    const xAt = inPlace(this.arena, x), gAt = inPlace(this.arena, g), oAt = inPlace(this.arena, out);
    const gpSize = s.groups * G.og4 * ho * G.xr;
    const chunk = chunkOf(n, 4 * (c * G.plane + gpSize + (xAt < 0 ? xSize : 0) + (gAt < 0 ? gSize : 0)));
    const L = new Layout(this.arena.base);
    const accBytes = 128 * s.groups * G.nob * G.pairs;
    const tapsAt = L.take(8 * G.pairs), accAt = L.take(accBytes), outAt = L.take(4 * wSize, oAt >= 0);
    const xInAt = L.take(4 * chunk * xSize, xAt >= 0), padAt = L.take(4 * chunk * c * G.plane);
    const gInAt = L.take(4 * chunk * gSize, gAt >= 0), gpAt = L.take(4 * chunk * gpSize);
    const f32 = this.arena.reserve(L.bytes, 'conv2dWeightGrad');
    new Int32Array(f32.buffer, tapsAt, 2 * G.pairs).set(G.pairTaps);
    for (let t = 0; t < s.tasks; t++) {
      f32.fill(0, accAt >>> 2, (accAt + accBytes) >>> 2);
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const count = Math.min(chunk, n - i0), first = t * n + i0;
        k.convPadF32(this.operand(f32, x, xAt, xInAt, first * xSize, count * xSize), padAt, count * c, h, wd, G.hp, G.wq, s.padding[0], s.padding[1], s.stride[1]);
        k.convPadRowsF32(this.operand(f32, g, gAt, gInAt, first * gSize, count * gSize), gpAt, count, s.groups, G.og, G.og4, ho, wo, G.xr);
        k.conv2dWeightGradF32(padAt, G.plane, G.wq, s.stride[0], tapsAt, G.pairs, gpAt, G.og4, ho, G.xr, wo, accAt, count, c, s.groups);
      }
      const dst = oAt >= 0 ? oAt + 4 * t * wSize : outAt;
      k.convWeightGradReduceF32(accAt, dst, s.groups, G.og, G.pairs, G.nTaps);
      if (oAt < 0) copyInto(out, t * wSize, f32, outAt >>> 2, wSize);
    }
  }

  /** The address of `len` floats of `src` from `start`: in place, or copied to `scratchAt`. */
  private operand(f32: Float32Array, src: Float32Array, at: number, scratchAt: number, start: number, len: number): number {
    if (at >= 0) return at + 4 * start;
    copyInto(f32, scratchAt >>> 2, src, start, len);
    return scratchAt;
  }
}
