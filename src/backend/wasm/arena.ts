/**
 * The instantiated kernel module and its scratch arena.
 *
 * Tensors live in JS typed arrays. A kernel call lays out its operands from the
 * module's `arenaBase()` upward, copies inputs in, runs, copies the output out, and
 * the next call starts again at the base: the arena is reset by forgetting. Linear
 * memory grows only when a call needs more than any earlier call (never shrinks), and
 * the float view is rebuilt after every growth because `memory.grow` detaches the old
 * `ArrayBuffer`.
 */

/** The exports of `assembly/index.ts` (byte addresses, lengths, strides). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  /** Address of `[MR, NR, KC, MC, NC]` (i32), the matmul block sizes. */
  readonly MATMUL_BLOCKS: WebAssembly.Global;
  arenaBase(): number;
  arenaReserve(end: number): number;
  matmulF32(
    a: number, b: number, c: number,
    batch: number, m: number, k: number, n: number,
    transA: number, transB: number, aBatchStride: number, bBatchStride: number,
    packedA: number, packedB: number, c0: number, alpha: number, epilogue: number,
  ): void;
  unaryF32(op: number, x: number, out: number, vectors: number): void;
  binaryF32(op: number, a: number, aStep: number, b: number, bStep: number, out: number, vectors: number): void;
  biasActF32(c: number, bias: number, batch: number, m: number, n: number, biasStride: number, act: number): void;
  actGradF32(act: number, g: number, y: number, out: number, vectors: number): void;
  axpyF32(a: number, aVectors: number, b: number, alpha: number, out: number, vectors: number): void;
  sumMiddleF32(x: number, out: number, outer: number, size: number, inner: number): void;
  /** Address of the strided copy's descriptor: shape, source and destination strides, `COPY_MAX_RANK` i32 each. */
  readonly COPY_DESC: WebAssembly.Global;
  readonly COPY_MAX_RANK: WebAssembly.Global;
  copyStridedF32(src: number, dst: number, rank: number): void;
  // The direct convolution kernels of assembly/conv.ts (see src/backend/wasm/conv.ts).
  convPadF32(src: number, dst: number, planes: number, h: number, w: number, hp: number, wq: number, top: number, left: number, sw: number): void;
  convPackForwardF32(w: number, dst: number, groups: number, og: number, taps: number): void;
  convPackFlippedF32(w: number, dst: number, groups: number, og: number, cg: number, kh: number, kw: number): void;
  conv2dF32(
    xp: number, plane: number, wq: number, sh: number, panels: number, taps: number, nTaps: number,
    out: number, n: number, c: number, groups: number, og: number, ho: number, wo: number,
  ): void;
  convPadRowsF32(src: number, dst: number, n: number, groups: number, og: number, og4: number, ho: number, wo: number, pitch: number, planeG: number): void;
  conv2dWeightGradF32(
    xp: number, plane: number, wq: number, sh: number, taps: number, pairs: number,
    gp: number, og4: number, planeG: number, rows: number, gPitch: number, vecs: number, mask: number, masked: number,
    acc: number, n: number, c: number, groups: number,
  ): void;
  convWeightGradReduceF32(acc: number, out: number, groups: number, og: number, pairs: number, nTaps: number): number;
  convPackInputF32(w: number, dst: number, groups: number, og: number, nTaps: number): void;
  conv2dInputGradF32(
    gp: number, og4: number, ho: number, xr: number, wo: number, panels: number, dOff: number, nTaps: number, dxp: number, hp: number, wpx: number,
    n: number, c: number, groups: number, og: number, sh: number, sw: number,
  ): void;
  convCropF32(src: number, dst: number, planes: number, hp: number, wpx: number, top: number, left: number, h: number, w: number): void;
  winogradWeightF32(w: number, dst: number, o: number, c: number, flip: number): void;
  winogradInputF32(xp: number, plane: number, hp: number, wq: number, c: number, r0: number, rows: number, th: number, tw4: number, v: number, tb: number, vXi: number): void;
  winogradGemmF32(u: number, v: number, m: number, c: number, nob: number, tb: number, vXi: number, mXi: number, cols: number): void;
  winogradOutputF32(m: number, tb: number, mXi: number, o: number, r0: number, rows: number, th: number, tw4: number, out: number, ho: number, wo: number): number;
}

const FUNCTIONS = ['arenaBase', 'arenaReserve', 'matmulF32', 'unaryF32', 'binaryF32', 'biasActF32', 'actGradF32', 'sumMiddleF32', 'copyStridedF32', 'axpyF32',
  'convPadF32', 'convPackForwardF32', 'convPackFlippedF32', 'conv2dF32', 'convPadRowsF32', 'conv2dWeightGradF32', 'convWeightGradReduceF32', 'convPackInputF32',
  'conv2dInputGradF32', 'convCropF32', 'winogradWeightF32', 'winogradInputF32', 'winogradGemmF32', 'winogradOutputF32'] as const;

/** Checks that an instance exports what the glue calls; throws naming what is missing. */
export function asKernelExports(exports: WebAssembly.Exports): KernelExports {
  const missing: string[] = FUNCTIONS.filter((f) => typeof exports[f] !== 'function');
  if (!(exports['memory'] instanceof WebAssembly.Memory)) missing.push('memory');
  for (const g of ['MATMUL_BLOCKS', 'COPY_DESC', 'COPY_MAX_RANK']) if (!(exports[g] instanceof WebAssembly.Global)) missing.push(g);
  if (missing.length > 0) throw new Error(`wasm backend: kernel module lacks exports ${missing.join(', ')}`);
  return exports as unknown as KernelExports;
}

/** Rounds a byte count up to the 16-byte alignment of v128 data. */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * Linear memory of one kernel instance: the module's static data, then resident
 * blocks (a compiled program's buffers, which kernels read in place, see
 * {@link Arena.allocResident}), then the bump-allocated scratch region.
 */
export class Arena {
  readonly kernels: KernelExports;
  /** First byte of the scratch region (after static data and resident blocks). */
  base: number;
  /** End of the resident region; free blocks inside it are reused first-fit. */
  private residentEnd: number;
  private readonly freeBlocks: { ptr: number; bytes: number }[] = [];
  /** Largest `reserve` since the last reset (how much scratch a compiled program needs). */
  highWater = 0;
  /** Bytes from `base` known to be backed by memory; tracked here so most calls skip wasm. */
  private capacity: number;
  private view: Float32Array;

  constructor(kernels: KernelExports) {
    this.kernels = kernels;
    this.base = kernels.arenaBase();
    this.residentEnd = this.base;
    this.view = new Float32Array(kernels.memory.buffer);
    this.capacity = this.view.byteLength - this.base;
  }

  /** Bytes of linear memory currently held by this instance. */
  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  /**
   * Guarantees `bytes` bytes of scratch from `base` for the coming call and returns a
   * float view over all of memory, valid until the next `reserve`.
   */
  reserve(bytes: number, kernel: string): Float32Array {
    if (bytes > this.highWater) this.highWater = bytes;
    if (bytes <= this.capacity) return this.view;
    const end = this.base + bytes;
    if (end > 0xffffffff || this.kernels.arenaReserve(end) === 0) {
      throw new RangeError(`wasm ${kernel}: needs ${bytes} bytes of scratch memory, more than the engine would grow to`);
    }
    // memory.grow detached the old buffer: every view must be rebuilt.
    this.view = new Float32Array(this.kernels.memory.buffer);
    this.capacity = this.view.byteLength - this.base;
    return this.view;
  }

  /** Whether `x` is a view of this instance's memory (kernels may then read it in place). */
  holds(x: ArrayBufferView): boolean {
    return x.buffer === this.kernels.memory.buffer;
  }

  /**
   * A 16-byte-aligned block of `bytes` (rounded up to 16) that scratch never overwrites,
   * until {@link Arena.freeResident}. May grow memory: views made before are detached.
   */
  allocResident(bytes: number): number {
    const size = align16(Math.max(16, bytes));
    const i = this.freeBlocks.findIndex((b) => b.bytes >= size);
    if (i >= 0) {
      const block = this.freeBlocks[i]!;
      const ptr = block.ptr;
      if (block.bytes === size) this.freeBlocks.splice(i, 1);
      else { block.ptr += size; block.bytes -= size; }
      return ptr;
    }
    const ptr = this.residentEnd;
    const end = ptr + size;
    if (end > 0xffffffff || this.kernels.arenaReserve(end) === 0) {
      throw new RangeError(`wasm: cannot reserve ${size} bytes of resident memory (a compiled program's buffers)`);
    }
    this.residentEnd = end;
    this.base = end;
    this.view = new Float32Array(this.kernels.memory.buffer);
    this.capacity = this.view.byteLength - this.base;
    return ptr;
  }

  /** Returns a block of {@link Arena.allocResident} (same `bytes`) for reuse. */
  freeResident(ptr: number, bytes: number): void {
    const size = align16(Math.max(16, bytes));
    this.freeBlocks.push({ ptr, bytes: size });
    this.freeBlocks.sort((a, b) => a.ptr - b.ptr);
    for (let i = this.freeBlocks.length - 1; i > 0; i--) {
      const prev = this.freeBlocks[i - 1]!, cur = this.freeBlocks[i]!;
      if (prev.ptr + prev.bytes === cur.ptr) { prev.bytes += cur.bytes; this.freeBlocks.splice(i, 1); }
    }
  }

  /** Reads `count` i32 values of the module's static data at byte address `ptr`. */
  readInt32(ptr: number, count: number): number[] {
    return Array.from(new Int32Array(this.kernels.memory.buffer, ptr, count));
  }
}

/** Below this many elements a plain loop beats `TypedArray.prototype.set` and its subarray. */
const SMALL_COPY = 8;

/** dst[dstStart ..] = src[srcStart .. srcStart+len). */
export function copyInto(dst: Float32Array, dstStart: number, src: Float32Array, srcStart: number, len: number): void {
  if (len <= SMALL_COPY) {
    for (let i = 0; i < len; i++) dst[dstStart + i] = src[srcStart + i]!;
  } else if (srcStart === 0 && len === src.length) {
    dst.set(src, dstStart);
  } else {
    dst.set(src.subarray(srcStart, srcStart + len), dstStart);
  }
}
