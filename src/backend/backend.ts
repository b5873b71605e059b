/**
 * The backend interface: the few kernels that every op is built from.
 *
 * Kernels see flat typed arrays, lengths and strides only. Shapes, dtype checks,
 * broadcasting rules and autodiff live in the ops layer (`src/tensor`), so a new
 * backend implements this interface and nothing else. The pure-TypeScript backend
 * (`./ts.ts`) is the reference definition of every kernel.
 *
 * Conventions shared by all kernels:
 * - `out` is allocated by the caller, contiguous row-major, of the same dtype as the
 *   inputs (float32 or float64; inputs of one call never mix dtypes).
 * - Comparisons write 1 or 0 in the input dtype.
 * - Kernels never keep a reference to an argument after returning.
 */

/** Element type of a tensor: float32 by default; float64 for gradient checks and exact references. */
export type DType = 'float32' | 'float64';
/** A tensor's flat, row-major values, one typed array per dtype. */
export type Storage = Float32Array | Float64Array;
/** Dimension sizes, outermost first (`[]` is a scalar). */
export type Shape = readonly number[];

/** Elementwise maps of one input. `step` is 1 where x > 0 else 0 (relu's derivative). */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sin' | 'cos' | 'tanh' | 'sqrt' | 'abs' | 'sign'
  | 'sigmoid' | 'relu' | 'step' | 'square' | 'reciprocal';

/** Elementwise maps of two inputs, NumPy-broadcast. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'gt' | 'ge' | 'lt' | 'le' | 'eq';

export type ReduceOp = 'sum' | 'max' | 'min';

/** Activations of the fused dense kernels. */
export type Activation = 'identity' | 'relu' | 'tanh' | 'sigmoid';

/**
 * A batched matrix product `out[t] = op(A[t]) · op(B[t])` for t < batch.
 * `A[t]` starts at `t * aBatchStride` and is stored `[m, k]` (or `[k, m]` when
 * `transA`); `B[t]` starts at `t * bBatchStride` and is stored `[k, n]` (or `[n, k]`
 * when `transB`). A stride of 0 shares one matrix across the batch (broadcasting).
 * `out` is contiguous `[batch, m, n]` and is overwritten.
 */
export interface MatmulSpec {
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly aBatchStride: number;
  readonly bBatchStride: number;
}

/**
 * A batch of 2-D convolutions (cross-correlations) over NCHW images, one weight per task:
 * x `[tasks, n, c, h, w]`, weight `[tasks, o, c/groups, kh, kw]`, output
 * `[tasks, n, o, ho, wo]` with `out[t, i, oc, y, x] = Σ_{ch in oc's group, ki, kj}
 * w[t, oc, ch, ki, kj] · x[t, i, ch, y·sh + ki·dh − ph, x·sw + kj·dw − pw]` (zero outside
 * the image). The caller has checked the shapes: `ho`, `wo` ≥ 1 and groups divide c and o.
 */
export interface Conv2dSpec {
  readonly tasks: number;
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly o: number;
  readonly groups: number;
  readonly kh: number;
  readonly kw: number;
  readonly ho: number;
  readonly wo: number;
  /** [rows, cols] pairs. */
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/**
 * The kernels a backend implements (see the module comment's conventions); `name` is what
 * {@link setBackend} selects it by. Implement this and {@link registerBackend} it to add one.
 */
export interface Backend {
  readonly name: string;

  /** out[i] = op(x[i]); `out.length === x.length`. */
  unary(op: UnaryOp, x: Storage, out: Storage): void;

  /** out = op(a, b) with NumPy broadcasting of `aShape` and `bShape` to `outShape`. */
  binary(op: BinaryOp, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Storage, outShape: Shape): void;

  /** out = cond != 0 ? a : b, all three broadcast to `outShape`. */
  where(
    cond: Storage, condShape: Shape, a: Storage, aShape: Shape, b: Storage, bShape: Shape,
    out: Storage, outShape: Shape,
  ): void;

  /** x viewed as `[outer, size, inner]`; out `[outer, inner]` = op over the middle axis. */
  reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, size: number, inner: number): void;

  /** See {@link MatmulSpec}. */
  matmul(a: Storage, b: Storage, out: Storage, spec: MatmulSpec): void;

  /**
   * A product with a scale-and-accumulate epilogue: `out = addend + alpha·P`, P the
   * {@link MatmulSpec} product, `addend` contiguous like `out` or one `[m, n]` matrix
   * added to every batch element (null: none, and never `out` itself). P is rounded to the dtype, then `alpha·P`, then the sum, as matmul,
   * mul and add kernels run one after another round them: the same bits, one pass fewer.
   */
  gemm(a: Storage, b: Storage, addend: Storage | null, out: Storage, spec: MatmulSpec, alpha: number): void;

  /**
   * Fused dense layer: `out[t] = act(alpha·op(A[t])·op(B[t]) + bias[t])`, where `bias[t]` is one
   * row of `n` values starting at `t * biasBatchStride` (0 shares one row), added to
   * every row of the product (`alpha·P` rounded before the sum, as in `gemm`). One pass
   * instead of three (matmul, add, activation).
   */
  linear(a: Storage, b: Storage, bias: Storage, out: Storage, spec: MatmulSpec, biasBatchStride: number, act: Activation, alpha?: number): void;

  /**
   * `out[i] = a[i mod a.length] + alpha·b[i]` (a gradient step θ − lr·g; `a` may be one θ
   * shared by a batch of gradients), with `alpha·b[i]` rounded to the dtype before the
   * sum, as separate mul and add kernels round it. `out.length === b.length`, and
   * `a.length` divides it.
   */
  axpy(a: Storage, b: Storage, alpha: number, out: Storage): void;

  /** The activation's backward from its output y: `out = g ⊙ act'(y)`, all of equal length. */
  activationGrad(act: Activation, g: Storage, y: Storage, out: Storage): void;

  /**
   * Strided copy over an index box of `shape`:
   * `dst[dstOffset + Σ i_d·dstStrides_d] = src[srcOffset + Σ i_d·srcStrides_d]`.
   * Covers transpose (permuted strides), broadcast (zero strides), slice and pad.
   */
  copyStrided(
    src: Storage, srcOffset: number, srcStrides: Shape,
    dst: Storage, dstOffset: number, dstStrides: Shape, shape: Shape,
  ): void;

  /** The convolution of {@link Conv2dSpec}: `out` `[tasks, n, o, ho, wo]` is overwritten. */
  conv2d(x: Storage, w: Storage, out: Storage, spec: Conv2dSpec): void;

  /** Its adjoint in x: g `[tasks, n, o, ho, wo]` → `out` `[tasks, n, c, h, w]` (overwritten), `out = Σ w·g` over the windows that read each pixel. */
  conv2dInputGrad(g: Storage, w: Storage, out: Storage, spec: Conv2dSpec): void;

  /** Its adjoint in the weight: `out` `[tasks, o, c/groups, kh, kw]` (overwritten) `= Σ_{i, y, x} g·x` over each task's images and positions. */
  conv2dWeightGrad(x: Storage, g: Storage, out: Storage, spec: Conv2dSpec): void;

  /** x viewed as `[outer, axisSize, inner]`; out `[outer, idx.length, inner]` with out[o,j,i] = x[o, idx[j], i]. */
  take(x: Storage, idx: Int32Array, out: Storage, outer: number, axisSize: number, inner: number): void;

  /** The adjoint of `take`: out `[outer, axisSize, inner]` (caller zero-fills) += g `[outer, idx.length, inner]` at idx. */
  scatterAdd(g: Storage, idx: Int32Array, out: Storage, outer: number, axisSize: number, inner: number): void;

  /**
   * Memory the kernels read and write in place, without copies (wasm linear memory):
   * where a compiled program keeps its buffers. Absent: programs use plain JS buffers.
   */
  readonly resident?: ResidentMemory;
}

/**
 * Blocks of a backend's own memory for long-lived buffers (a compiled program's
 * arena). Views over `buffer()` are detached when the memory grows: rebuild them
 * when `buffer()` changes.
 */
export interface ResidentMemory {
  /** A 16-byte-aligned block of at least `bytes`, as a byte address in `buffer()`. */
  alloc(bytes: number): number;
  /** Returns a block of `alloc` (same `bytes`). */
  free(address: number, bytes: number): void;
  /** The memory's current buffer. */
  buffer(): ArrayBuffer;
  /** Grows the kernels' scratch region to `bytes` now, so no kernel call grows memory below it. */
  ensureScratch(bytes: number): void;
  /** The largest scratch request since the last reset (what `ensureScratch` should cover). */
  scratchHighWater(reset?: boolean): number;
}
