/**
 * The pure-TypeScript backend: the reference definition of every kernel.
 *
 * Works for float32 and float64 storage alike. Broadcast and strided loops are
 * reduced to runs along the innermost (collapsed) dimension, so each op's loop
 * body is a small monomorphic function and the per-run dispatch happens once per
 * row, not once per element.
 */
import type { Activation, Backend, BinaryOp, Conv2dSpec, MatmulSpec, ReduceOp, Shape, Storage, UnaryOp } from './backend.ts';
import { broadcastStrides, collapseDims, stridesOf } from '../tensor/shape.ts';

/** A run of `n` elements; `as`/`bs` are 0 (broadcast) or the element stride. */
type Run = (a: Storage, ai: number, as: number, b: Storage, bi: number, bs: number, o: Storage, oi: number, n: number) => void;

const binaryRuns: Record<BinaryOp, Run> = {
  add: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! + b[bi]!; },
  sub: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! - b[bi]!; },
  mul: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! * b[bi]!; },
  div: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! / b[bi]!; },
  pow: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = Math.pow(a[ai]!, b[bi]!); },
  maximum: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let k = 0; k < n; k++, ai += as, bi += bs) { const x = a[ai]!, y = b[bi]!; o[oi + k] = x > y || x !== x ? x : y; }
  },
  minimum: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let k = 0; k < n; k++, ai += as, bi += bs) { const x = a[ai]!, y = b[bi]!; o[oi + k] = x < y || x !== x ? x : y; }
  },
  gt: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! > b[bi]! ? 1 : 0; },
  ge: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! >= b[bi]! ? 1 : 0; },
  lt: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! < b[bi]! ? 1 : 0; },
  le: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! <= b[bi]! ? 1 : 0; },
  eq: (a, ai, as, b, bi, bs, o, oi, n) => { for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai]! === b[bi]! ? 1 : 0; },
};

type Map1 = (x: Storage, o: Storage, n: number) => void;

const unaryMaps: Record<UnaryOp, Map1> = {
  neg: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = -x[i]!; },
  exp: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]!); },
  log: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.log(x[i]!); },
  sin: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]!); },
  cos: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]!); },
  tanh: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]!); },
  sqrt: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]!); },
  abs: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]!); },
  sign: (x, o, n) => { for (let i = 0; i < n; i++) { const v = x[i]!; o[i] = v > 0 ? 1 : v < 0 ? -1 : v; } },
  // Written so large |x| never overflows exp.
  sigmoid: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      if (v >= 0) o[i] = 1 / (1 + Math.exp(-v));
      else { const e = Math.exp(v); o[i] = e / (1 + e); }
    }
  },
  relu: (x, o, n) => { for (let i = 0; i < n; i++) { const v = x[i]!; o[i] = v > 0 ? v : v !== v ? v : 0; } },
  step: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = x[i]! > 0 ? 1 : 0; },
  square: (x, o, n) => { for (let i = 0; i < n; i++) { const v = x[i]!; o[i] = v * v; } },
  reciprocal: (x, o, n) => { for (let i = 0; i < n; i++) o[i] = 1 / x[i]!; },
};

/**
 * Calls `visit(offsets, n)` once per innermost run of a strided walk over `shape`,
 * with one start offset per operand. `strides` are per operand, already collapsed.
 */
function forEachRun(shape: number[], strides: number[][], visit: (offsets: number[], n: number) => void): void {
  const rank = shape.length;
  const nOps = strides.length;
  const offsets = new Array<number>(nOps).fill(0);
  if (rank === 0) { visit(offsets, 1); return; }
  const inner = shape[rank - 1]!;
  const outerRank = rank - 1;
  let outer = 1;
  for (let d = 0; d < outerRank; d++) outer *= shape[d]!;
  const idx = new Array<number>(outerRank).fill(0);
  for (let r = 0; r < outer; r++) {
    visit(offsets, inner);
    // Odometer increment of the outer index, updating offsets incrementally.
    for (let d = outerRank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < nOps; k++) offsets[k]! += strides[k]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let k = 0; k < nOps; k++) offsets[k]! -= strides[k]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

function innerStride(strides: number[]): number {
  return strides.length === 0 ? 0 : strides[strides.length - 1]!;
}

function binary(op: BinaryOp, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Storage, outShape: Shape): void {
  const run = binaryRuns[op];
  const n = out.length;
  if (a.length === n && b.length === n) { run(a, 0, 1, b, 0, 1, out, 0, n); return; }
  if (b.length === 1 && a.length === n) { run(a, 0, 1, b, 0, 0, out, 0, n); return; }
  if (a.length === 1 && b.length === n) { run(a, 0, 0, b, 0, 1, out, 0, n); return; }
  broadcastBinary(run, a, aShape, b, bShape, out, outShape);
}

// Apart from `binary`: a function whose closure captures its locals allocates their
// context on every call, even when it returns before the closure is made.
function broadcastBinary(run: Run, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Storage, outShape: Shape): void {
  const c = collapseDims(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape), stridesOf(outShape)]);
  const [sa, sb] = [innerStride(c.strides[0]!), innerStride(c.strides[1]!)];
  forEachRun(c.shape, c.strides, (o, len) => run(a, o[0]!, sa, b, o[1]!, sb, out, o[2]!, len));
}

function where(
  cond: Storage, condShape: Shape, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Storage, outShape: Shape,
): void {
  const c = collapseDims(outShape, [
    broadcastStrides(condShape, outShape), broadcastStrides(aShape, outShape),
    broadcastStrides(bShape, outShape), stridesOf(outShape),
  ]);
  const [sc, sa, sb] = [innerStride(c.strides[0]!), innerStride(c.strides[1]!), innerStride(c.strides[2]!)];
  forEachRun(c.shape, c.strides, (o, len) => {
    let ci = o[0]!, ai = o[1]!, bi = o[2]!;
    const oi = o[3]!;
    for (let k = 0; k < len; k++, ci += sc, ai += sa, bi += sb) out[oi + k] = cond[ci]! !== 0 ? a[ai]! : b[bi]!;
  });
}

function reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, size: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    const ob = o * inner;
    if (op === 'sum') {
      if (inner === 1) {
        let s = 0;
        for (let j = 0; j < size; j++) s += x[base + j]!;
        out[ob] = s;
      } else {
        for (let i = 0; i < inner; i++) out[ob + i] = 0;
        for (let j = 0; j < size; j++) {
          const row = base + j * inner;
          for (let i = 0; i < inner; i++) out[ob + i] = out[ob + i]! + x[row + i]!;
        }
      }
    } else {
      const isMax = op === 'max';
      for (let i = 0; i < inner; i++) {
        let m = isMax ? -Infinity : Infinity;
        for (let j = 0; j < size; j++) {
          const v = x[base + j * inner + i]!;
          if (v !== v) { m = v; break; } // NaN propagates
          if (isMax ? v > m : v < m) m = v;
        }
        out[ob + i] = m;
      }
    }
  }
}

function matmul(a: Storage, b: Storage, out: Storage, spec: MatmulSpec): void {
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = spec;
  // Element (i, p) of op(A) is a[ao + i*ars + p*acs]; (p, j) of op(B) is b[bo + p*brs + j*bcs].
  const ars = transA ? 1 : k, acs = transA ? m : 1;
  const brs = transB ? 1 : n, bcs = transB ? k : 1;
  for (let t = 0; t < batch; t++) {
    const ao = t * aBatchStride, bo = t * bBatchStride, oo = t * m * n;
    if (transB) {
      // Dot-product order: both operands walk p with their own stride.
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          let ai = ao + i * ars, bi = bo + j * bcs;
          for (let p = 0; p < k; p++, ai += acs, bi += brs) s += a[ai]! * b[bi]!;
          out[oo + i * n + j] = s;
        }
      }
    } else {
      // i-p-j order: the inner loop streams one row of B and one row of out.
      for (let i = 0; i < m; i++) {
        const orow = oo + i * n;
        for (let j = 0; j < n; j++) out[orow + j] = 0;
        for (let p = 0; p < k; p++) {
          // NOTE: no skip of av === 0: 0 · Inf and 0 · NaN must give NaN.
          const av = a[ao + i * ars + p * acs]!;
          const brow = bo + p * brs;
          for (let j = 0; j < n; j++) out[orow + j] = out[orow + j]! + av * b[brow + j]!;
        }
      }
    }
  }
}

/**
 * @internal `out = addend + alpha·out` over a finished product, each step rounded to the
 * dtype (a Float32Array store rounds; f32 operands make the f64 product and sum exact
 * before that one rounding). `addend` has `out`'s length, or repeats over it (one matrix
 * shared by the batch: its length divides `out`'s).
 */
export function gemmEpilogue(out: Storage, addend: Storage | null, alpha: number): void {
  const n = out.length;
  if (alpha !== 1) {
    const s = out instanceof Float32Array ? Math.fround(alpha) : alpha;
    for (let i = 0; i < n; i++) out[i] = out[i]! * s;
  }
  if (addend === null) return;
  const period = addend.length;
  if (period === 0 ? n !== 0 : n % period !== 0) throw new RangeError(`gemm: addend has ${period} elements, which do not repeat over the product's ${n}`);
  for (let i = 0, j = 0; i < n; i++) { out[i] = addend[j]! + out[i]!; if (++j === period) j = 0; }
}

function gemm(a: Storage, b: Storage, addend: Storage | null, out: Storage, spec: MatmulSpec, alpha: number): void {
  matmul(a, b, out, spec);
  gemmEpilogue(out, addend, alpha);
}

function linear(
  a: Storage, b: Storage, bias: Storage, out: Storage, spec: MatmulSpec, biasBatchStride: number, act: Activation, alpha = 1,
): void {
  matmul(a, b, out, spec);
  if (alpha !== 1) gemmEpilogue(out, null, alpha);
  const { batch, m, n } = spec;
  for (let t = 0; t < batch; t++) {
    const bo = t * biasBatchStride;
    for (let i = 0; i < m; i++) {
      const row = (t * m + i) * n;
      for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + bias[bo + j]!;
    }
  }
  if (act !== 'identity') unaryMaps[act](out, out, out.length);
}

function axpy(a: Storage, b: Storage, alpha: number, out: Storage): void {
  const n = out.length, period = a.length;
  if (out instanceof Float32Array) {
    // The f64 product of two f32 values is exact; fround gives the f32 product.
    const s = Math.fround(alpha);
    for (let i = 0, j = 0; i < n; i++) { out[i] = a[j]! + Math.fround(s * b[i]!); if (++j === period) j = 0; }
  } else {
    for (let i = 0, j = 0; i < n; i++) { out[i] = a[j]! + alpha * b[i]!; if (++j === period) j = 0; }
  }
}

function activationGrad(act: Activation, g: Storage, y: Storage, out: Storage): void {
  const n = out.length;
  switch (act) {
    case 'identity': for (let i = 0; i < n; i++) out[i] = g[i]!; break;
    case 'relu': for (let i = 0; i < n; i++) out[i] = g[i]! * (y[i]! > 0 ? 1 : 0); break;
    case 'tanh': for (let i = 0; i < n; i++) { const v = y[i]!; out[i] = g[i]! * (1 - v * v); } break;
    case 'sigmoid': for (let i = 0; i < n; i++) { const v = y[i]!; out[i] = g[i]! * (v * (1 - v)); } break;
  }
}

function copyStrided(
  src: Storage, srcOffset: number, srcStrides: Shape, dst: Storage, dstOffset: number, dstStrides: Shape, shape: Shape,
): void {
  const c = collapseDims(shape, [srcStrides as number[], dstStrides as number[]]);
  if (c.shape.length === 0) {
    if (shape.every((d) => d > 0)) dst[dstOffset] = src[srcOffset]!;
    return;
  }
  if (c.shape.some((d) => d === 0)) return;
  const ss = innerStride(c.strides[0]!), ds = innerStride(c.strides[1]!);
  const sameType = (src instanceof Float32Array) === (dst instanceof Float32Array);
  const rank = c.shape.length;
  if (rank >= 2 && c.shape[rank - 1]! < 64) {
    // Short rows (windows of small images, broadcast rows): one visit per 2-D block, so
    // the per-visit cost is paid once per block instead of once per row.
    const rows = c.shape[rank - 2]!, n = c.shape[rank - 1]!;
    const srs = c.strides[0]![rank - 2]!, drs = c.strides[1]![rank - 2]!;
    const outer = c.shape.slice(0, rank - 1);
    outer[rank - 2] = 1;
    forEachRun(outer, [c.strides[0]!.slice(0, rank - 1), c.strides[1]!.slice(0, rank - 1)], (o) => {
      for (let r = 0; r < rows; r++) {
        let si = srcOffset + o[0]! + r * srs, di = dstOffset + o[1]! + r * drs;
        for (let k = 0; k < n; k++, si += ss, di += ds) dst[di] = src[si]!;
      }
    });
    return;
  }
  forEachRun(c.shape, c.strides, (o, len) => {
    let si = srcOffset + o[0]!, di = dstOffset + o[1]!;
    // Contiguous runs are a memcpy; typed-array set beats an element loop by far.
    // Short runs (broadcast rows) loop: a subarray per run would allocate.
    if (ss === 1 && ds === 1 && sameType && len >= 64) dst.set(src.subarray(si, si + len), di);
    else if (ss === 0 && ds === 1) dst.fill(src[si]!, di, di + len);
    else for (let k = 0; k < len; k++, si += ss, di += ds) dst[di] = src[si]!;
  });
}

function take(x: Storage, idx: Int32Array, out: Storage, outer: number, axisSize: number, inner: number): void {
  const nIdx = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const src = (o * axisSize + idx[j]!) * inner;
      const dst = (o * nIdx + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = x[src + i]!;
    }
  }
}

function scatterAdd(g: Storage, idx: Int32Array, out: Storage, outer: number, axisSize: number, inner: number): void {
  const nIdx = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const dst = (o * axisSize + idx[j]!) * inner;
      const src = (o * nIdx + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = out[dst + i]! + g[src + i]!;
    }
  }
}

/** Output positions `[lo, hi)` along one axis at which tap `k` reads inside an input of `size`. */
export function tapRange(k: number, stride: number, dilation: number, padding: number, size: number, outLen: number): [number, number] {
  const offset = k * dilation - padding;
  const lo = Math.max(0, Math.ceil(-offset / stride));
  const hi = Math.min(outLen, Math.floor((size - 1 - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Calls `visit` once per (task, image, output channel, input channel of its group, tap)
 * of a convolution, with the start of that input plane, the weight's index, the start
 * of that output plane, the tap's (row, column) offset into the input and the box of
 * output positions at which it reads inside the image. Taps in a fixed order
 * (channel, row, column), so the three kernels below sum alike.
 */
function forEachConvTap(
  s: Conv2dSpec,
  visit: (xPlane: number, wi: number, outPlane: number, rowOff: number, colOff: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  const { tasks, n, c, h, w, o, groups, kh, kw, ho, wo } = s;
  const cg = c / groups, og = o / groups;
  const rows = Array.from({ length: kh }, (_, k) => tapRange(k, s.stride[0], s.dilation[0], s.padding[0], h, ho));
  const cols = Array.from({ length: kw }, (_, k) => tapRange(k, s.stride[1], s.dilation[1], s.padding[1], w, wo));
  for (let t = 0; t < tasks; t++) {
    for (let i = 0; i < n; i++) {
      const image = t * n + i;
      for (let oc = 0; oc < o; oc++) {
        const outPlane = (image * o + oc) * ho * wo, firstCh = Math.floor(oc / og) * cg;
        for (let ch = 0; ch < cg; ch++) {
          const xPlane = (image * c + firstCh + ch) * h * w;
          for (let ki = 0; ki < kh; ki++) {
            const [y0, y1] = rows[ki]!;
            if (y1 <= y0) continue;
            for (let kj = 0; kj < kw; kj++) {
              const [x0, x1] = cols[kj]!;
              if (x1 <= x0) continue;
              const wi = (((t * o + oc) * cg + ch) * kh + ki) * kw + kj;
              visit(xPlane, wi, outPlane, ki * s.dilation[0] - s.padding[0], kj * s.dilation[1] - s.padding[1], y0, y1, x0, x1);
            }
          }
        }
      }
    }
  }
}

function conv2d(x: Storage, wt: Storage, out: Storage, s: Conv2dSpec): void {
  const { w, wo } = s, [sh, sw] = s.stride;
  out.fill(0);
  forEachConvTap(s, (xPlane, wi, outPlane, rowOff, colOff, y0, y1, x0, x1) => {
    const v = wt[wi]!;
    for (let y = y0; y < y1; y++) {
      const o = outPlane + y * wo, xr = xPlane + (y * sh + rowOff) * w + colOff;
      for (let q = x0; q < x1; q++) out[o + q] = out[o + q]! + v * x[xr + q * sw]!;
    }
  });
}

function conv2dInputGrad(g: Storage, wt: Storage, out: Storage, s: Conv2dSpec): void {
  const { w, wo } = s, [sh, sw] = s.stride;
  out.fill(0);
  forEachConvTap(s, (xPlane, wi, outPlane, rowOff, colOff, y0, y1, x0, x1) => {
    const v = wt[wi]!;
    for (let y = y0; y < y1; y++) {
      const gr = outPlane + y * wo, xr = xPlane + (y * sh + rowOff) * w + colOff;
      for (let q = x0; q < x1; q++) out[xr + q * sw] = out[xr + q * sw]! + v * g[gr + q]!;
    }
  });
}

function conv2dWeightGrad(x: Storage, g: Storage, out: Storage, s: Conv2dSpec): void {
  const { w, wo } = s, [sh, sw] = s.stride;
  out.fill(0);
  forEachConvTap(s, (xPlane, wi, outPlane, rowOff, colOff, y0, y1, x0, x1) => {
    let acc = 0;
    for (let y = y0; y < y1; y++) {
      const gr = outPlane + y * wo, xr = xPlane + (y * sh + rowOff) * w + colOff;
      for (let q = x0; q < x1; q++) acc += g[gr + q]! * x[xr + q * sw]!;
    }
    out[wi] = out[wi]! + acc;
  });
}

/** The reference backend. */
export const tsBackend: Backend = {
  name: 'ts',
  unary: (op, x, out) => unaryMaps[op](x, out, x.length),
  binary,
  where,
  reduce,
  matmul,
  gemm,
  linear,
  axpy,
  activationGrad,
  copyStrided,
  take,
  scatterAdd,
  conv2d,
  conv2dInputGrad,
  conv2dWeightGrad,
};
