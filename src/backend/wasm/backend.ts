/**
 * The `Backend` over the WebAssembly kernels.
 *
 * In wasm: float32 matmul and convolution (./conv.ts), and float32 unary/binary maps that are exact in f32
 * (so they equal the reference bit for bit) on arrays of at least
 * `ELEMENTWISE_MIN` elements, with binary operands of equal length or one scalar.
 * Everything else delegates to the TypeScript reference backend: float64 (kernels are
 * f32-only), transcendental maps, general broadcasting, reductions and indexing.
 * Measured reasons are in BENCHMARKS.md.
 */
import type { Activation, Backend, BinaryOp, MatmulSpec, ReduceOp, Shape, Storage, UnaryOp } from '../backend.ts';
import { gemmEpilogue, tsBackend } from '../ts.ts';
import { align16, type Arena, copyInto } from './arena.ts';
import { collapseDims } from '../../tensor/shape.ts';
import { WasmConv } from './conv.ts';

/** Which binary a wasm backend runs: baseline SIMD, or relaxed SIMD (fused multiply-add). */
export type WasmVariant = 'simd' | 'relaxed-simd';

/** A wasm backend, which also reports the binary it runs. */
export interface WasmBackend extends Backend {
  readonly name: 'wasm';
  readonly variant: WasmVariant;
}

/**
 * Scratch budget of one kernel call. A larger batch is split into chunks that fit, so
 * memory is bounded by this (or by a single batch element, if bigger) rather than by
 * the largest batch ever seen.
 */
const CHUNK_BYTES = 32 * 1024 * 1024;

/** Elements read from `count` matrices of `size` elements placed `stride` apart. */
function spanOf(count: number, stride: number, size: number): number {
  return count === 0 || size === 0 ? 0 : (count - 1) * stride + size;
}

function checkDim(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`wasm matmul: spec.${name} must be a non-negative integer, got ${v}`);
}

function checkMatmul(a: Float32Array, b: Float32Array, out: Float32Array, spec: MatmulSpec): void {
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = spec;
  checkDim('batch', batch); checkDim('m', m); checkDim('k', k); checkDim('n', n);
  checkDim('aBatchStride', aBatchStride); checkDim('bBatchStride', bBatchStride);
  const aNeed = spanOf(batch, aBatchStride, m * k);
  if (a.length < aNeed) {
    throw new RangeError(
      `wasm matmul: a has ${a.length} elements but batch=${batch}, m=${m}, k=${k}, transA=${transA}, ` +
      `aBatchStride=${aBatchStride} reads ${aNeed}`,
    );
  }
  const bNeed = spanOf(batch, bBatchStride, k * n);
  if (b.length < bNeed) {
    throw new RangeError(
      `wasm matmul: b has ${b.length} elements but batch=${batch}, k=${k}, n=${n}, transB=${transB}, ` +
      `bBatchStride=${bBatchStride} reads ${bNeed}`,
    );
  }
  if (out.length < batch * m * n) {
    throw new RangeError(`wasm matmul: out has ${out.length} elements but batch=${batch}, m=${m}, n=${n} writes ${batch * m * n}`);
  }
}

/** Epilogue flags of `assembly/matmul.ts`. */
const EPI_SCALE = 1, EPI_ADD = 2, EPI_SHARED = 4;

/** The float32 matmul over one kernel instance: arena layout, chunking and copies. */
class WasmMatmul {
  private readonly arena: Arena;
  private readonly mr: number;
  private readonly nr: number;
  private readonly kc: number;
  private readonly mc: number;
  private readonly nc: number;

  constructor(arena: Arena) {
    this.arena = arena;
    const blocks = arena.readInt32(arena.kernels.MATMUL_BLOCKS.value as number, 5);
    [this.mr, this.nr, this.kc, this.mc, this.nc] = blocks as [number, number, number, number, number];
  }

  /** Bytes of arena one chunk of `count` batch elements takes, packing scratch included. */
  private footprint(spec: MatmulSpec, count: number): number {
    const { m, k, n, aBatchStride, bBatchStride } = spec;
    const depth = Math.min(k, this.kc);
    const packA = 4 * Math.ceil(Math.min(m, this.mc) / this.mr) * this.mr * depth;
    const packB = 4 * Math.ceil(Math.min(n, this.nc) / this.nr) * this.nr * depth;
    return align16(4 * spanOf(count, aBatchStride, m * k)) + align16(4 * spanOf(count, bBatchStride, k * n)) +
      align16(4 * count * m * n) + align16(packA) + packB;
  }

  /**
   * `epilogue(f32, cPtr, t0, count, extraPtr)` runs on each chunk's product while it is
   * still in the arena (after the matmul, before the copy out). It may use `extraBytes`
   * set aside at `extraPtr` and must not reserve arena memory (views would detach).
   * `alpha` ≠ 1 scales the product as its tiles are stored, before the epilogue.
   */
  run(
    a: Float32Array, b: Float32Array, out: Float32Array, spec: MatmulSpec,
    epilogue?: (f32: Float32Array, cPtr: number, t0: number, count: number, extraPtr: number) => void, extraBytes = 0, alpha = 1,
  ): void {
    checkMatmul(a, b, out, spec);
    const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = spec;
    const outSize = m * n;
    if (batch === 0 || outSize === 0) return;
    if (this.arena.holds(a) && this.arena.holds(b) && this.arena.holds(out)) {
      this.runInPlace(a, b, out, spec, epilogue, 0, alpha, alpha !== 1 ? EPI_SCALE : 0);
      return;
    }

    let chunk = batch;
    if (this.footprint(spec, batch) > CHUNK_BYTES) {
      const perItem = 4 * (aBatchStride + bBatchStride + outSize);
      chunk = Math.max(1, Math.min(batch, 1 + Math.floor((CHUNK_BYTES - this.footprint(spec, 1)) / perItem)));
    }
    const arena = this.arena;
    const footprint = this.footprint(spec, chunk);
    const f32 = arena.reserve(footprint + align16(extraBytes), 'matmul');
    const extraPtr = arena.base + footprint;
    const aPtr = arena.base;
    const bPtr = aPtr + align16(4 * spanOf(chunk, aBatchStride, m * k));
    const cPtr = bPtr + align16(4 * spanOf(chunk, bBatchStride, k * n));
    const packAPtr = cPtr + align16(4 * chunk * outSize);
    const depth = Math.min(k, this.kc);
    const packBPtr = packAPtr + align16(4 * Math.ceil(Math.min(m, this.mc) / this.mr) * this.mr * depth);

    for (let t0 = 0; t0 < batch; t0 += chunk) {
      const count = Math.min(chunk, batch - t0);
      copyInto(f32, aPtr >>> 2, a, t0 * aBatchStride, spanOf(count, aBatchStride, m * k));
      copyInto(f32, bPtr >>> 2, b, t0 * bBatchStride, spanOf(count, bBatchStride, k * n));
      arena.kernels.matmulF32(
        aPtr, bPtr, cPtr, count, m, k, n, transA ? 1 : 0, transB ? 1 : 0,
        aBatchStride, bBatchStride, packAPtr, packBPtr, 0, alpha, alpha !== 1 ? EPI_SCALE : 0,
      );
      if (epilogue) epilogue(f32, cPtr, t0, count, extraPtr);
      copyInto(out, t0 * outSize, f32, cPtr >>> 2, count * outSize);
    }
  }

  /** A dense layer on operands outside linear memory: bias and activation on each chunk's product in the arena. */
  runCopiedLinear(
    a: Float32Array, b: Float32Array, bias: Float32Array, out: Float32Array, spec: MatmulSpec, biasBatchStride: number, actCode: number, alpha: number,
  ): void {
    const { batch, m, n } = spec;
    this.run(a, b, out, spec, (f32, cPtr, t0, count, extraPtr) => {
      copyInto(f32, extraPtr >>> 2, bias, t0 * biasBatchStride, spanOf(count, biasBatchStride, n));
      this.arena.kernels.biasActF32(cPtr, extraPtr, count, m, n, biasBatchStride, actCode);
    }, 4 * spanOf(batch, biasBatchStride, n), alpha);
  }

  /**
   * `out = addend + alpha·P` with the epilogue applied as the product's tiles are stored,
   * when every operand is in linear memory; false (nothing done) otherwise. `shared`: the
   * addend is one m×n matrix added to every batch element.
   */
  runScaledAccumulate(
    a: Float32Array, b: Float32Array, addend: Float32Array | null, out: Float32Array, spec: MatmulSpec, alpha: number, shared: boolean,
  ): boolean {
    checkMatmul(a, b, out, spec);
    const arena = this.arena;
    if (!(arena.holds(a) && arena.holds(b) && arena.holds(out) && (addend === null || arena.holds(addend)))) return false;
    if (spec.batch === 0 || spec.m * spec.n === 0) return true;
    const flags = (alpha !== 1 ? EPI_SCALE : 0) | (addend !== null ? EPI_ADD : 0) | (shared ? EPI_SHARED : 0);
    this.runInPlace(a, b, out, spec, undefined, addend === null ? 0 : addend.byteOffset, alpha, flags);
    return true;
  }

  /** Operands already in linear memory (a compiled program's buffers): only packing scratch, no copies. */
  runInPlace(
    a: Float32Array, b: Float32Array, out: Float32Array, spec: MatmulSpec,
    epilogue?: (f32: Float32Array, cPtr: number, t0: number, count: number, extraPtr: number) => void,
    c0 = 0, alpha = 1, flags = 0,
  ): void {
    const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = spec;
    const aPtr = a.byteOffset, bPtr = b.byteOffset, cPtr = out.byteOffset;
    const depth = Math.min(k, this.kc);
    const packABytes = align16(4 * Math.ceil(Math.min(m, this.mc) / this.mr) * this.mr * depth);
    const packBBytes = 4 * Math.ceil(Math.min(n, this.nc) / this.nr) * this.nr * depth;
    const f32 = this.arena.reserve(packABytes + packBBytes, 'matmul');
    const packAPtr = this.arena.base, packBPtr = packAPtr + packABytes;
    this.arena.kernels.matmulF32(
      aPtr, bPtr, cPtr, batch, m, k, n, transA ? 1 : 0, transB ? 1 : 0, aBatchStride, bBatchStride, packAPtr, packBPtr,
      c0, alpha, flags,
    );
    if (epilogue) epilogue(f32, cPtr, 0, batch, -1);
  }
}

/** Activation codes of `assembly/fused.ts`. */
const BIAS_ACT_CODES: Record<Activation, number> = { identity: 0, relu: 1, tanh: 0, sigmoid: 0 };
const ACT_GRAD_CODES: Record<Activation, number> = { identity: 0, relu: 1, tanh: 2, sigmoid: 3 };

/** Op codes of `assembly/elementwise.ts`. */
const UNARY_CODES: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, relu: 2, step: 3, square: 4, sqrt: 5, reciprocal: 6, sign: 7,
};
const BINARY_CODES: Partial<Record<BinaryOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, gt: 6, ge: 7, lt: 8, le: 9, eq: 10,
};

/**
 * Below this many elements the JS loop wins: the wasm call and copies cost ~0.1 µs
 * whatever the size (see BENCHMARKS.md).
 */
const ELEMENTWISE_MIN = 64;

/** Elementwise maps over one kernel instance. */
class WasmElementwise {
  private readonly arena: Arena;

  constructor(arena: Arena) {
    this.arena = arena;
  }

  /** Bytes of n floats rounded up to whole v128 vectors. */
  private static vecBytes(n: number): number {
    return align16(4 * n);
  }

  unary(code: number, x: Float32Array, out: Float32Array): void {
    const n = x.length;
    if (out.length < n) throw new RangeError(`wasm unary: out has ${out.length} elements, x has ${n}`);
    const bytes = WasmElementwise.vecBytes(n);
    // Resident buffers are padded to whole vectors, so the kernel may read and write them in place.
    if (this.arena.holds(x) && this.arena.holds(out)) {
      this.arena.kernels.unaryF32(code, x.byteOffset, out.byteOffset, bytes >>> 4);
      return;
    }
    const f32 = this.arena.reserve(2 * bytes, 'unary');
    const xPtr = this.arena.base, outPtr = xPtr + bytes;
    copyInto(f32, xPtr >>> 2, x, 0, n);
    this.arena.kernels.unaryF32(code, xPtr, outPtr, bytes >>> 4);
    copyInto(out, 0, f32, outPtr >>> 2, n);
  }

  /** Sum over the middle axis of x viewed as [outer, size, inner]. */
  sumMiddle(x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void {
    const n = outer * size * inner, m = outer * inner;
    if (x.length < n || out.length < m) {
      throw new RangeError(`wasm reduce: x has ${x.length} elements (needs ${n}), out ${out.length} (needs ${m}) for [${outer}, ${size}, ${inner}]`);
    }
    if (this.arena.holds(x) && this.arena.holds(out)) {
      this.arena.kernels.sumMiddleF32(x.byteOffset, out.byteOffset, outer, size, inner);
      return;
    }
    const xBytes = align16(4 * n);
    const f32 = this.arena.reserve(xBytes + align16(4 * m), 'reduce');
    const xPtr = this.arena.base, outPtr = xPtr + xBytes;
    copyInto(f32, xPtr >>> 2, x, 0, n);
    this.arena.kernels.sumMiddleF32(xPtr, outPtr, outer, size, inner);
    copyInto(out, 0, f32, outPtr >>> 2, m);
  }

  /** out = g ⊙ act'(y); all three of one length. */
  activationGrad(code: number, g: Float32Array, y: Float32Array, out: Float32Array): void {
    const n = out.length;
    if (g.length !== n || y.length !== n) throw new RangeError(`wasm activationGrad: lengths differ (g ${g.length}, y ${y.length}, out ${n})`);
    const bytes = WasmElementwise.vecBytes(n);
    if (this.arena.holds(g) && this.arena.holds(y) && this.arena.holds(out)) {
      this.arena.kernels.actGradF32(code, g.byteOffset, y.byteOffset, out.byteOffset, bytes >>> 4);
      return;
    }
    const f32 = this.arena.reserve(3 * bytes, 'activationGrad');
    const gPtr = this.arena.base, yPtr = gPtr + bytes, outPtr = yPtr + bytes;
    copyInto(f32, gPtr >>> 2, g, 0, n);
    copyInto(f32, yPtr >>> 2, y, 0, n);
    this.arena.kernels.actGradF32(code, gPtr, yPtr, outPtr, bytes >>> 4);
    copyInto(out, 0, f32, outPtr >>> 2, n);
  }

  /** out = a + alpha·b, `a` repeating; false when the kernel cannot take it (the caller falls back). */
  axpy(a: Float32Array, b: Float32Array, alpha: number, out: Float32Array): boolean {
    const n = out.length, period = a.length;
    if (b.length !== n || period === 0 || n % period !== 0) throw new RangeError(`wasm axpy: a has ${period} elements, b ${b.length}, out ${n} (b and out must match, a divide them)`);
    // A repeating a must repeat in whole vectors; an a as long as out may end in padding.
    if (period !== n && period % 4 !== 0) return false;
    const bytes = WasmElementwise.vecBytes(n), aVectors = WasmElementwise.vecBytes(period) >>> 4;
    const arena = this.arena;
    if (arena.holds(a) && arena.holds(b) && arena.holds(out)) {
      arena.kernels.axpyF32(a.byteOffset, aVectors, b.byteOffset, alpha, out.byteOffset, bytes >>> 4);
      return true;
    }
    const aBytes = aVectors << 4;
    const f32 = arena.reserve(aBytes + 2 * bytes, 'axpy');
    const aPtr = arena.base, bPtr = aPtr + aBytes, outPtr = bPtr + bytes;
    copyInto(f32, aPtr >>> 2, a, 0, period);
    copyInto(f32, bPtr >>> 2, b, 0, n);
    arena.kernels.axpyF32(aPtr, aVectors, bPtr, alpha, outPtr, bytes >>> 4);
    copyInto(out, 0, f32, outPtr >>> 2, n);
    return true;
  }

  /** `a` and `b` each have out.length elements or exactly one (a broadcast scalar). */
  binary(code: number, a: Float32Array, b: Float32Array, out: Float32Array): void {
    const n = out.length;
    const bytes = WasmElementwise.vecBytes(n);
    const arena = this.arena;
    if (arena.holds(out) && (a.length === 1 || arena.holds(a)) && (b.length === 1 || arena.holds(b))) {
      // In place; a scalar is splatted into one scratch vector (offsets read before reserve may grow memory).
      const aRes = a.length !== 1 ? a.byteOffset : -1, bRes = b.length !== 1 ? b.byteOffset : -1, outPtr = out.byteOffset;
      const f32 = arena.reserve(32, 'binary');
      const aPtr = aRes >= 0 ? aRes : arena.base, bPtr = bRes >= 0 ? bRes : arena.base + 16;
      if (aRes < 0) f32.fill(a[0]!, aPtr >>> 2, (aPtr >>> 2) + 4);
      if (bRes < 0) f32.fill(b[0]!, bPtr >>> 2, (bPtr >>> 2) + 4);
      arena.kernels.binaryF32(code, aPtr, aRes >= 0 ? 16 : 0, bPtr, bRes >= 0 ? 16 : 0, outPtr, bytes >>> 4);
      return;
    }
    const aBytes = a.length === 1 ? 16 : bytes, bBytes = b.length === 1 ? 16 : bytes;
    const f32 = this.arena.reserve(aBytes + bBytes + bytes, 'binary');
    const aPtr = this.arena.base, bPtr = aPtr + aBytes, outPtr = bPtr + bBytes;
    // A scalar fills one whole vector, which the kernel re-reads with step 0.
    if (a.length === 1) f32.fill(a[0]!, aPtr >>> 2, (aPtr >>> 2) + 4); else copyInto(f32, aPtr >>> 2, a, 0, n);
    if (b.length === 1) f32.fill(b[0]!, bPtr >>> 2, (bPtr >>> 2) + 4); else copyInto(f32, bPtr >>> 2, b, 0, n);
    this.arena.kernels.binaryF32(code, aPtr, a.length === 1 ? 0 : 16, bPtr, b.length === 1 ? 0 : 16, outPtr, bytes >>> 4);
    copyInto(out, 0, f32, outPtr >>> 2, n);
  }
}

/**
 * Strided copies between buffers already in linear memory (a compiled program's
 * broadcasts, transposes, slices and pads): one kernel call walks the collapsed box.
 */
class WasmCopy {
  private readonly arena: Arena;
  private readonly descAt: number;
  private readonly maxRank: number;
  private desc: Int32Array;

  constructor(arena: Arena) {
    this.arena = arena;
    this.descAt = arena.kernels.COPY_DESC.value as number;
    this.maxRank = arena.kernels.COPY_MAX_RANK.value as number;
    this.desc = new Int32Array(arena.kernels.memory.buffer, this.descAt, 3 * this.maxRank);
  }

  private readonly collapses = new WeakMap<Shape, { src: Shape; dst: Shape; c: ReturnType<typeof collapseDims> }>();

  /** The collapsed box, remembered for the arrays a compiled program passes on every run. */
  private collapsed(shape: Shape, srcStrides: Shape, dstStrides: Shape): ReturnType<typeof collapseDims> {
    const hit = this.collapses.get(shape);
    if (hit !== undefined && hit.src === srcStrides && hit.dst === dstStrides) return hit.c;
    const c = collapseDims(shape, [srcStrides, dstStrides]);
    this.collapses.set(shape, { src: srcStrides, dst: dstStrides, c });
    return c;
  }

  /** False when the box does not fit the kernel (the caller falls back to the reference). */
  run(src: Float32Array, srcOffset: number, srcStrides: Shape, dst: Float32Array, dstOffset: number, dstStrides: Shape, shape: Shape): boolean {
    const c = this.collapsed(shape, srcStrides, dstStrides);
    const rank = c.shape.length, max = this.maxRank;
    if (rank > max) return false;
    if (shape.some((d) => d === 0)) return true;
    if (rank === 0) { dst[dstOffset] = src[srcOffset]!; return true; }
    if (this.desc.buffer !== this.arena.kernels.memory.buffer) this.desc = new Int32Array(this.arena.kernels.memory.buffer, this.descAt, 3 * max);
    const desc = this.desc, ss = c.strides[0]!, ds = c.strides[1]!;
    for (let d = 0; d < rank; d++) { desc[d] = c.shape[d]!; desc[max + d] = ss[d]!; desc[2 * max + d] = ds[d]!; }
    this.arena.kernels.copyStridedF32(src.byteOffset + 4 * srcOffset, dst.byteOffset + 4 * dstOffset, rank);
    return true;
  }
}

/**
 * A batch of products sharing one B (stride 0) over contiguous, untransposed A blocks is
 * one product with the batch folded into A's rows: B is packed once, not per batch
 * element. Each output element sums over k in the same order either way, so the
 * results are the same bits.
 */
function foldSharedB(spec: MatmulSpec): MatmulSpec {
  const { batch, m, k, transA, aBatchStride, bBatchStride } = spec;
  if (batch <= 1 || bBatchStride !== 0 || transA || aBatchStride !== m * k) return spec;
  // A compiled program passes the same spec on every run: fold it once.
  let folded = foldedSpecs.get(spec);
  if (folded === undefined) foldedSpecs.set(spec, (folded = { ...spec, batch: 1, m: batch * m, aBatchStride: 0 }));
  return folded;
}
const foldedSpecs = new WeakMap<MatmulSpec, MatmulSpec>();

/** Whether two typed arrays share any bytes. */
function overlaps(x: Storage, y: Storage): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

function isF32(x: Storage): x is Float32Array {
  return x instanceof Float32Array;
}

/** Builds the backend over one instantiated kernel module. */
export function createWasmBackend(arena: Arena, variant: WasmVariant): WasmBackend {
  const mm = new WasmMatmul(arena);
  const ew = new WasmElementwise(arena);
  const cp = new WasmCopy(arena);
  const conv = new WasmConv(arena);
  return {
    name: 'wasm',
    variant,
    unary(op: UnaryOp, x: Storage, out: Storage): void {
      const code = UNARY_CODES[op];
      if (code !== undefined && x.length >= ELEMENTWISE_MIN && isF32(x) && isF32(out)) ew.unary(code, x, out);
      else tsBackend.unary(op, x, out);
    },
    binary(op: BinaryOp, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Storage, outShape: Shape): void {
      const code = BINARY_CODES[op];
      const n = out.length;
      // The same length tests as the reference's fast paths: lengths equal to the
      // output's (or 1) mean the broadcast is the identity (or a scalar).
      if (
        code !== undefined && n >= ELEMENTWISE_MIN && isF32(a) && isF32(b) && isF32(out) &&
        (a.length === n || a.length === 1) && (b.length === n || b.length === 1)
      ) {
        ew.binary(code, a, b, out);
      } else {
        tsBackend.binary(op, a, aShape, b, bShape, out, outShape);
      }
    },
    where: tsBackend.where,
    reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, size: number, inner: number): void {
      if (op === 'sum' && x.length >= ELEMENTWISE_MIN && isF32(x) && isF32(out)) ew.sumMiddle(x, out, outer, size, inner);
      else tsBackend.reduce(op, x, out, outer, size, inner);
    },
    matmul(a: Storage, b: Storage, out: Storage, spec: MatmulSpec): void {
      if (isF32(a) && isF32(b) && isF32(out)) mm.run(a, b, out, foldSharedB(spec));
      else tsBackend.matmul(a, b, out, spec);
    },
    gemm(a: Storage, b: Storage, addend: Storage | null, out: Storage, spec: MatmulSpec, alpha: number): void {
      if (addend !== null && overlaps(addend, out)) throw new RangeError('wasm gemm: addend and out overlap (the product would overwrite the addend)');
      if (!(isF32(a) && isF32(b) && isF32(out) && (addend === null || isF32(addend)))) {
        tsBackend.gemm(a, b, addend, out, spec, alpha);
        return;
      }
      // An addend of one m×n matrix (out holding more) is shared by the batch (C batch stride 0).
      const mn = spec.m * spec.n;
      const shared = addend !== null && addend.length !== out.length && addend.length === mn;
      if (addend !== null && addend.length !== out.length && !shared) {
        throw new RangeError(`wasm gemm: addend has ${addend.length} elements, but out ${out.length} (or one m×n = ${mn} matrix shared by the batch)`);
      }
      // Folding the batch into A's rows would make a shared addend the first rows' only.
      if (!shared) spec = foldSharedB(spec);
      if (mm.runScaledAccumulate(a, b, addend, out, spec, alpha, shared)) return;
      mm.run(a, b, out, spec);
      gemmEpilogue(shared ? out.subarray(0, spec.batch * mn) : out, addend, alpha);
    },
    linear(a: Storage, b: Storage, bias: Storage, out: Storage, spec: MatmulSpec, biasBatchStride: number, act: Activation, alpha = 1): void {
      if (!(isF32(a) && isF32(b) && isF32(bias) && isF32(out))) {
        tsBackend.linear(a, b, bias, out, spec, biasBatchStride, act, alpha);
        return;
      }
      if (biasBatchStride === 0) spec = foldSharedB(spec);
      const { batch, m, n } = spec;
      if (bias.length < spanOf(batch, biasBatchStride, n)) {
        throw new RangeError(`wasm linear: bias has ${bias.length} elements but batch=${batch}, n=${n}, biasBatchStride=${biasBatchStride} reads ${spanOf(batch, biasBatchStride, n)}`);
      }
      // Bias and activation run on the product while it is still in the arena.
      const inPlace = arena.holds(a) && arena.holds(b) && arena.holds(out);
      if (inPlace && !arena.holds(bias)) {
        tsBackend.linear(a, b, bias, out, spec, biasBatchStride, act, alpha);
        return;
      }
      if (inPlace) {
        // A compiled program's buffers: no copies, and no closure per call.
        checkMatmul(a, b, out, spec);
        if (batch === 0 || m * n === 0) return;
        mm.runInPlace(a, b, out, spec, undefined, 0, alpha, alpha !== 1 ? EPI_SCALE : 0);
        arena.kernels.biasActF32(out.byteOffset, bias.byteOffset, batch, m, n, biasBatchStride, BIAS_ACT_CODES[act]);
      } else {
        mm.runCopiedLinear(a, b, bias, out, spec, biasBatchStride, BIAS_ACT_CODES[act], alpha);
      }
      // tanh and sigmoid are transcendental: the host computes them, as for unary maps.
      if (act === 'tanh' || act === 'sigmoid') tsBackend.unary(act, out, out);
    },
    axpy(a: Storage, b: Storage, alpha: number, out: Storage): void {
      if (out.length >= ELEMENTWISE_MIN && isF32(a) && isF32(b) && isF32(out) && ew.axpy(a, b, alpha, out)) return;
      tsBackend.axpy(a, b, alpha, out);
    },
    activationGrad(act: Activation, g: Storage, y: Storage, out: Storage): void {
      if (out.length >= ELEMENTWISE_MIN && isF32(g) && isF32(y) && isF32(out)) ew.activationGrad(ACT_GRAD_CODES[act], g, y, out);
      else tsBackend.activationGrad(act, g, y, out);
    },
    copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape): void {
      // In place only: for JS arrays the copies in and out would cost more than the walk.
      if (isF32(src) && isF32(dst) && arena.holds(src) && arena.holds(dst) &&
        cp.run(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape)) return;
      tsBackend.copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape);
    },
    take: tsBackend.take,
    scatterAdd: tsBackend.scatterAdd,
    conv2d(x, w, out, spec): void {
      if (isF32(x) && isF32(w) && isF32(out)) conv.forward(x, w, out, spec);
      else tsBackend.conv2d(x, w, out, spec);
    },
    conv2dInputGrad(g, w, out, spec): void {
      if (isF32(g) && isF32(w) && isF32(out)) conv.inputGrad(g, w, out, spec);
      else tsBackend.conv2dInputGrad(g, w, out, spec);
    },
    conv2dWeightGrad(x, g, out, spec): void {
      if (isF32(x) && isF32(g) && isF32(out)) conv.weightGrad(x, g, out, spec);
      else tsBackend.conv2dWeightGrad(x, g, out, spec);
    },
    resident: {
      alloc: (bytes) => arena.allocResident(bytes),
      free: (address, bytes) => arena.freeResident(address, bytes),
      buffer: () => arena.kernels.memory.buffer,
      ensureScratch: (bytes) => { arena.reserve(bytes, 'jit'); },
      scratchHighWater: (reset = false) => {
        const h = arena.highWater;
        if (reset) arena.highWater = 0;
        return h;
      },
    },
  };
}
