// Batched f32 matrix product over packed panels (the GotoBLAS/BLIS scheme).
//
// C (m×n) = op(A) (m×k) · op(B) (k×n). Operands are read through a (row, column)
// stride pair, so a transposed operand is just a swapped pair and is never
// materialised; the packing routines absorb the layout. Packed panels are padded
// with zeros to the register tile, so the microkernel always runs a full 4×8 tile
// and only the final store of an edge tile is trimmed.

/** Register tile: 4 rows of A × 8 columns of B = 8 v128 accumulators (16 would spill on V8/x64). */
const MR: i32 = 4;
const NR: i32 = 8;
/** Cache blocks: a KC×NR panel of B (8 KiB) stays in L1, an MC×KC block of A (128 KiB) in L2. */
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 1024;
/** Up to this many rows of A, a row-major B is read in place instead of packed (see matmulF32). */
const DIRECT_B_MAX_M: i32 = 32;

/** Staging area for edge tiles, so they leave the fast path only at the final store. */
const EDGE_TILE: usize = memory.data(MR * NR * 4, 16);

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * Block sizes `[MR, NR, KC, MC, NC]`, for the host to size the packing scratch:
 * packed A takes roundUp(min(m, MC), MR)·min(k, KC) floats, packed B
 * roundUp(min(n, NC), NR)·min(k, KC). Exported as data so the host reads it once
 * instead of calling into wasm on every matmul.
 */
export const MATMUL_BLOCKS: usize = memory.data<i32>([MR, NR, KC, MC, NC], 16);

// Transposes the 4×4 block whose rows are r0..r3 and stores its rows at dst, dst+step, ...
// @ts-ignore: decorator
@inline function storeTransposed(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(t0, t2, 0, 2));
  v128.store(dst + step, i64x2.shuffle(t0, t2, 1, 3));
  v128.store(dst + 2 * step, i64x2.shuffle(t1, t3, 0, 2));
  v128.store(dst + 3 * step, i64x2.shuffle(t1, t3, 1, 3));
}

/**
 * Scalar packing of `lines` lines of a panel `width` floats wide: element (l, p) at
 * `src + 4*(l*ls + p*ps)` goes to `dst + 4*(p*width + l)`.
 */
function copyStrided(src: usize, ls: i32, ps: i32, lines: i32, kc: i32, dst: usize, width: i32): void {
  const pStep = <usize>ps << 2;
  const dStep = <usize>width << 2;
  for (let l = 0; l < lines; l++) {
    let s = src + (<usize>(l * ls) << 2);
    let d = dst + (<usize>l << 2);
    for (let p = 0; p < kc; p++) {
      store<f32>(d, load<f32>(s));
      s += pStep;
      d += dStep;
    }
  }
}

/**
 * Packs the mc×kc block of A whose element (i, p) is at `a + 4*(i*rs + p*cs)` into
 * panels of MR rows: panel r holds, for each p, the MR values A(r*MR.., p) side by side.
 */
function packA(a: usize, rs: i32, cs: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    const src = a + (<usize>(ir * rs) << 2);
    if (mr == MR && rs == 1) {
      // Aᵀ stored: the MR values of one p are already adjacent.
      const step = <usize>cs << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(panel + (<usize>p << 4), v128.load(src + <usize>p * step));
      }
    } else if (mr == MR && cs == 1) {
      // A stored row-major: transpose 4×4 blocks in registers rather than gather lanes.
      const rowStep = <usize>rs << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2);
        storeTransposed(
          v128.load(s), v128.load(s + rowStep), v128.load(s + 2 * rowStep), v128.load(s + 3 * rowStep),
          panel + (<usize>p << 4), 16,
        );
      }
      for (; p < kc; p++) {
        const s = src + (<usize>p << 2);
        const d = panel + (<usize>p << 4);
        for (let i = 0; i < MR; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + <usize>i * rowStep));
      }
    } else {
      // Edge panel: zero the padding rows in bulk, then copy the mr real rows.
      if (mr < MR) memory.fill(panel, 0, <usize>kc << 4);
      copyStrided(src, rs, cs, mr, kc, panel, MR);
    }
  }
}

/**
 * Packs the kc×nc block of B whose element (p, j) is at `b + 4*(p*rs + j*cs)` into
 * panels of NR columns: panel q holds, for each p, the NR values B(p, q*NR..) side by side.
 */
function packB(b: usize, rs: i32, cs: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    const src = b + (<usize>(jr * cs) << 2);
    if (nr == NR && cs == 1) {
      const step = <usize>rs << 2;
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>p * step;
        const d = panel + (<usize>p << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (nr == NR && rs == 1) {
      // Bᵀ stored: each column is contiguous in p; two 4×4 transposes per 4 values of p.
      const colStep = <usize>cs << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2);
        const d = panel + (<usize>p << 5);
        storeTransposed(
          v128.load(s), v128.load(s + colStep), v128.load(s + 2 * colStep), v128.load(s + 3 * colStep),
          d, 32,
        );
        const s4 = s + 4 * colStep;
        storeTransposed(
          v128.load(s4), v128.load(s4 + colStep), v128.load(s4 + 2 * colStep), v128.load(s4 + 3 * colStep),
          d + 16, 32,
        );
      }
      for (; p < kc; p++) {
        const s = src + (<usize>p << 2);
        const d = panel + (<usize>p << 5);
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + <usize>j * colStep));
      }
    } else {
      if (nr < NR) memory.fill(panel, 0, <usize>kc << 5);
      copyStrided(src, cs, rs, nr, kc, panel, NR);
    }
  }
}

// Epilogue flags of `matmulF32`: scale the finished product by alpha, then add C0;
// EPI_SHARED: C0 is one m×n matrix added to every batch element (C0 batch stride 0).
const EPI_SCALE: i32 = 1;
const EPI_ADD: i32 = 2;
const EPI_SHARED: i32 = 4;

/**
 * Stores one 8-wide row of a tile: adds the partial sum already in C when this is not the
 * first depth block, then (on the last block only) applies the epilogue, rounding after
 * each step exactly as separate mul and add kernels round.
 */
// @ts-ignore: decorator
@inline function storeRow(dst: usize, lo: v128, hi: v128, accumulate: bool, epi: i32, alpha: v128, c0Delta: usize): void {
  if (accumulate) {
    lo = f32x4.add(v128.load(dst), lo);
    hi = f32x4.add(v128.load(dst, 16), hi);
  }
  if (epi & EPI_SCALE) {
    lo = f32x4.mul(lo, alpha);
    hi = f32x4.mul(hi, alpha);
  }
  if (epi & EPI_ADD) {
    lo = f32x4.add(v128.load(dst + c0Delta), lo);
    hi = f32x4.add(v128.load(dst + c0Delta, 16), hi);
  }
  v128.store(dst, lo);
  v128.store(dst, hi, 16);
}

// @ts-ignore: decorator
@inline function epilogueScalar(v: f32, epi: i32, alpha: f32, c0: usize): f32 {
  if (epi & EPI_SCALE) v = v * alpha;
  if (epi & EPI_ADD) v = load<f32>(c0) + v;
  return v;
}

/** The epilogue as its own pass over `count` products already in C (thin and empty products). */
function epiloguePass(c: usize, count: i32, epi: i32, alpha: f32, c0Delta: usize): void {
  if (epi == 0) return;
  // Four lanes at a time (each lane rounds as the scalar code does), then the tail.
  const alphaV = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const d = c + (<usize>i << 2);
    storeVec(d, v128.load(d), epi, alphaV, c0Delta);
  }
  for (; i < count; i++) {
    const d = c + (<usize>i << 2);
    store<f32>(d, epilogueScalar(load<f32>(d), epi, alpha, d + c0Delta));
  }
}

/** `epiloguePass` over a batch of `count`-element products at c: C0 shared by all of them, or contiguous like C. */
function sharedEpiloguePass(c: usize, c0: usize, c0Delta: usize, shared: bool, batch: i32, count: i32, epi: i32, alpha: f32): void {
  if (!shared) {
    epiloguePass(c, batch * count, epi, alpha, c0Delta);
    return;
  }
  for (let t = 0; t < batch; t++) {
    const ct = c + (<usize>t * <usize>count << 2);
    epiloguePass(ct, count, epi, alpha, c0 - ct);
  }
}

/**
 * The microkernel: a 4×8 tile of C (row pitch `ldc` bytes) from one packed A panel and
 * one packed B panel of depth kc. Only the top-left mr×nr of the tile is stored.
 */
// @ts-ignore: decorator
@inline function tile(
  pa: usize, pb: usize, bStep: usize, kc: i32, c: usize, ldc: usize, mr: i32, nr: i32, accumulate: bool,
  epi: i32, alpha: v128, c0Delta: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16;
    pb += bStep;
  }
  if (nr == NR) {
    // Whole rows (the bottom edge of an m not divisible by MR too): vector stores only.
    storeRow(c, c00, c01, accumulate, epi, alpha, c0Delta);
    if (mr > 1) storeRow(c + ldc, c10, c11, accumulate, epi, alpha, c0Delta);
    if (mr > 2) storeRow(c + 2 * ldc, c20, c21, accumulate, epi, alpha, c0Delta);
    if (mr > 3) storeRow(c + 3 * ldc, c30, c31, accumulate, epi, alpha, c0Delta);
    return;
  }
  v128.store(EDGE_TILE, c00); v128.store(EDGE_TILE, c01, 16);
  v128.store(EDGE_TILE, c10, 32); v128.store(EDGE_TILE, c11, 48);
  v128.store(EDGE_TILE, c20, 64); v128.store(EDGE_TILE, c21, 80);
  v128.store(EDGE_TILE, c30, 96); v128.store(EDGE_TILE, c31, 112);
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ldc;
    const t = EDGE_TILE + (<usize>(i * NR) << 2);
    for (let j = 0; j < nr; j++) {
      const d = row + (<usize>j << 2);
      const v = load<f32>(t + (<usize>j << 2));
      store<f32>(d, epilogueScalar(accumulate ? load<f32>(d) + v : v, epi, f32x4.extract_lane(alpha, 0), d + c0Delta));
    }
  }
}

// Thin products (k, n or m equal to 1) skip packing: a 4×8 tile would waste up to 7/8
// of its lanes on them, and in meta-learning they are common (a 1-unit input or output
// layer and its gradients). With one dimension 1 the vector operand is contiguous
// whatever the transpose flags, and so is each line of the matrix in one of two ways.

/** out[r] = Σ_p rows[r·rowStride + p]·v[p] for r < count: dot products of contiguous lines. */
function dots(rows: usize, rowStride: i32, v: usize, len: i32, count: i32, out: usize): void {
  const rowStep = <usize>rowStride << 2;
  for (let r = 0; r < count; r++) {
    const row = rows + <usize>r * rowStep;
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    let p = 0;
    for (; p + 8 <= len; p += 8) {
      const off = <usize>p << 2;
      acc0 = madd(v128.load(row + off), v128.load(v + off), acc0);
      acc1 = madd(v128.load(row + off, 16), v128.load(v + off, 16), acc1);
    }
    for (; p + 4 <= len; p += 4) {
      const off = <usize>p << 2;
      acc0 = madd(v128.load(row + off), v128.load(v + off), acc0);
    }
    const acc = f32x4.add(acc0, acc1);
    let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; p < len; p++) sum += load<f32>(row + (<usize>p << 2)) * load<f32>(v + (<usize>p << 2));
    store<f32>(out + (<usize>r << 2), sum);
  }
}

/** out[x] = Σ_p s[p]·mat[p·matStride + x] for x < count: scaled sums of contiguous lines. */
function axpys(mat: usize, matStride: i32, s: usize, len: i32, count: i32, out: usize): void {
  const pStep = <usize>matStride << 2;
  let x = 0;
  for (; x + 16 <= count; x += 16) {
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
    let src = mat + (<usize>x << 2);
    for (let p = 0; p < len; p++) {
      const sp = v128.load32_splat(s + (<usize>p << 2));
      acc0 = madd(sp, v128.load(src), acc0);
      acc1 = madd(sp, v128.load(src, 16), acc1);
      acc2 = madd(sp, v128.load(src, 32), acc2);
      acc3 = madd(sp, v128.load(src, 48), acc3);
      src += pStep;
    }
    const d = out + (<usize>x << 2);
    v128.store(d, acc0); v128.store(d, acc1, 16); v128.store(d, acc2, 32); v128.store(d, acc3, 48);
  }
  for (; x + 4 <= count; x += 4) {
    let acc = f32x4.splat(0);
    let src = mat + (<usize>x << 2);
    for (let p = 0; p < len; p++) {
      acc = madd(v128.load32_splat(s + (<usize>p << 2)), v128.load(src), acc);
      src += pStep;
    }
    v128.store(out + (<usize>x << 2), acc);
  }
  for (; x < count; x++) {
    let sum: f32 = 0;
    let src = mat + (<usize>x << 2);
    for (let p = 0; p < len; p++) {
      sum += load<f32>(s + (<usize>p << 2)) * load<f32>(src);
      src += pStep;
    }
    store<f32>(out + (<usize>x << 2), sum);
  }
}

/** out (m×n) = a ⊗ b for contiguous vectors a (m) and b (n): the k = 1 product. */
function outer(a: usize, b: usize, m: i32, n: i32, out: usize): void {
  const rowStep = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    const ai: f32 = load<f32>(a + (<usize>i << 2));
    const av = f32x4.splat(ai);
    const row = out + <usize>i * rowStep;
    let j = 0;
    for (; j + 4 <= n; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(av, v128.load(b + (<usize>j << 2))));
    for (; j < n; j++) store<f32>(row + (<usize>j << 2), ai * load<f32>(b + (<usize>j << 2)));
  }
}

/**
 * One thin product (k, n or m is 1) of `matmulF32`'s batch. `ars`.. are the element
 * strides of op(A) and op(B) as in `matmulF32`.
 */
// @ts-ignore: decorator
@inline function thin(
  a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, ars: i32, acs: i32, brs: i32, bcs: i32,
): void {
  if (k == 1) {
    outer(a, b, m, n, c); // A(i,0) at i·ars, ars = 1 either way; likewise B(0,j).
  } else if (n == 1) {
    // B(p,0) is contiguous in p; A's rows are contiguous (dots) or A's columns are (axpys).
    if (acs == 1) dots(a, ars, b, k, m, c);
    else axpys(a, acs, b, k, m, c);
  } else {
    // m == 1: A(0,p) is contiguous in p; B's rows are contiguous (axpys) or its columns are (dots).
    if (bcs == 1) axpys(b, brs, a, k, n, c);
    else dots(b, bcs, a, k, n, c);
  }
}

// Small products read both operands in place (no packing, no padding): B row-major with
// row pitch n (a Bᵀ operand is transposed into scratch first), A through its two strides
// with one splat load per row and step of p. Each tile is exactly R rows × 4V columns of
// C with R·V ≤ 8 accumulators (more make V8 spill on x64's 15 allocatable xmm registers),
// so an m or n that is not a multiple of the 4×8 tile wastes no lanes. Every output still
// sums over p in order from +0, as the packed tile does: the bits are the same.

/** Largest k·n (floats of B) read in place: B stays in L1 while every row strip of C walks it. */
const DIRECT_KN_MAX: i32 = 4096;

// @ts-ignore: decorator
@inline function storeVec(dst: usize, v: v128, epi: i32, alpha: v128, c0Delta: usize): void {
  if (epi & EPI_SCALE) v = f32x4.mul(v, alpha);
  if (epi & EPI_ADD) v = f32x4.add(v128.load(dst + c0Delta), v);
  v128.store(dst, v);
}

/**
 * C[r, 4v..4v+3] for r < R, v < V (R, V constants after inlining) = Σ_p A(r, p)·B(p, ..):
 * A(r, p) at `a + r·aR + p·aP` bytes, B(p, j) at `b + p·bP + 4j`, C row pitch `ldc` bytes.
 */
// @ts-ignore: decorator
@inline function directTile(
  R: i32, V: i32, a: usize, aR: usize, aP: usize, b: usize, bP: usize, kc: i32,
  c: usize, ldc: usize, epi: i32, alpha: v128, c0Delta: usize,
): void {
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x02 = f32x4.splat(0), x03 = f32x4.splat(0);
  let x10 = f32x4.splat(0), x11 = f32x4.splat(0), x12 = f32x4.splat(0), x13 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
  let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  let a0 = a, a1 = a + aR, a2 = a + 2 * aR, a3 = a + 3 * aR;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    let b1 = b0, b2 = b0, b3 = b0;
    if (V > 1) b1 = v128.load(b, 16);
    if (V > 2) b2 = v128.load(b, 32);
    if (V > 3) b3 = v128.load(b, 48);
    let s = v128.load32_splat(a0);
    x00 = madd(s, b0, x00);
    if (V > 1) x01 = madd(s, b1, x01);
    if (V > 2) x02 = madd(s, b2, x02);
    if (V > 3) x03 = madd(s, b3, x03);
    if (R > 1) {
      s = v128.load32_splat(a1);
      x10 = madd(s, b0, x10);
      if (V > 1) x11 = madd(s, b1, x11);
      if (V > 2) x12 = madd(s, b2, x12);
      if (V > 3) x13 = madd(s, b3, x13);
    }
    if (R > 2) {
      s = v128.load32_splat(a2);
      x20 = madd(s, b0, x20);
      if (V > 1) x21 = madd(s, b1, x21);
    }
    if (R > 3) {
      s = v128.load32_splat(a3);
      x30 = madd(s, b0, x30);
      if (V > 1) x31 = madd(s, b1, x31);
    }
    a0 += aP;
    if (R > 1) a1 += aP;
    if (R > 2) a2 += aP;
    if (R > 3) a3 += aP;
    b += bP;
  }
  storeVec(c, x00, epi, alpha, c0Delta);
  if (V > 1) storeVec(c + 16, x01, epi, alpha, c0Delta);
  if (V > 2) storeVec(c + 32, x02, epi, alpha, c0Delta);
  if (V > 3) storeVec(c + 48, x03, epi, alpha, c0Delta);
  if (R > 1) {
    const c1 = c + ldc;
    storeVec(c1, x10, epi, alpha, c0Delta);
    if (V > 1) storeVec(c1 + 16, x11, epi, alpha, c0Delta);
    if (V > 2) storeVec(c1 + 32, x12, epi, alpha, c0Delta);
    if (V > 3) storeVec(c1 + 48, x13, epi, alpha, c0Delta);
  }
  if (R > 2) {
    const c2 = c + 2 * ldc;
    storeVec(c2, x20, epi, alpha, c0Delta);
    if (V > 1) storeVec(c2 + 16, x21, epi, alpha, c0Delta);
  }
  if (R > 3) {
    const c3 = c + 3 * ldc;
    storeVec(c3, x30, epi, alpha, c0Delta);
    if (V > 1) storeVec(c3 + 16, x31, epi, alpha, c0Delta);
  }
}

// One row strip of C (R = 4, 3, 2 or 1 rows) across all n columns (n a multiple of 4):
// the widest tile with ≤ 8 accumulators, then one narrower tile for the remaining columns.

// @ts-ignore: decorator
@inline function directStrip4(a: usize, aR: usize, aP: usize, b: usize, bP: usize, kc: i32, n: i32, c: usize, ldc: usize, epi: i32, alpha: v128, c0Delta: usize): void {
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const off = <usize>j << 2;
    directTile(4, 2, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  }
  if (j < n) directTile(4, 1, a, aR, aP, b + (<usize>j << 2), bP, kc, c + (<usize>j << 2), ldc, epi, alpha, c0Delta);
}

// @ts-ignore: decorator
@inline function directStrip3(a: usize, aR: usize, aP: usize, b: usize, bP: usize, kc: i32, n: i32, c: usize, ldc: usize, epi: i32, alpha: v128, c0Delta: usize): void {
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const off = <usize>j << 2;
    directTile(3, 2, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  }
  if (j < n) directTile(3, 1, a, aR, aP, b + (<usize>j << 2), bP, kc, c + (<usize>j << 2), ldc, epi, alpha, c0Delta);
}

// @ts-ignore: decorator
@inline function directStrip2(a: usize, aR: usize, aP: usize, b: usize, bP: usize, kc: i32, n: i32, c: usize, ldc: usize, epi: i32, alpha: v128, c0Delta: usize): void {
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const off = <usize>j << 2;
    directTile(2, 4, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  }
  const off = <usize>j << 2;
  const rest = n - j;
  if (rest == 12) directTile(2, 3, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  else if (rest == 8) directTile(2, 2, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  else if (rest == 4) directTile(2, 1, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
}

// @ts-ignore: decorator
@inline function directStrip1(a: usize, aR: usize, aP: usize, b: usize, bP: usize, kc: i32, n: i32, c: usize, ldc: usize, epi: i32, alpha: v128, c0Delta: usize): void {
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const off = <usize>j << 2;
    directTile(1, 4, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  }
  const off = <usize>j << 2;
  const rest = n - j;
  if (rest == 12) directTile(1, 3, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  else if (rest == 8) directTile(1, 2, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
  else if (rest == 4) directTile(1, 1, a, aR, aP, b + off, bP, kc, c + off, ldc, epi, alpha, c0Delta);
}

/**
 * C[t] (m×n, n a multiple of 4) = op(A[t])·B[t] for t < batch, with B[t] row-major (pitch n)
 * at `b + 4t·bStride` and op(A[t])(i, p) at `a + 4(t·aStride + i·ars + p·acs)`; C0 at
 * `c0` shared by the batch or contiguous like C. The batch, row-strip, column-tile and
 * depth loops are one nest in one function: V8 unrolls an inner loop more the deeper it
 * is nested (TurboFan's loop unrolling, Node 20: up to 5× at depth ≥ 4, 2× at depth 1),
 * and the 4×8 tile's depth loop runs ≈ 15% faster unrolled.
 */
function directProduct(
  a: usize, aStride: i32, ars: i32, acs: i32, b: usize, bStride: i32, batch: i32, m: i32, k: i32, n: i32,
  c: usize, c0: usize, shared: bool, epi: i32, alpha: v128,
): void {
  const aR = <usize>ars << 2, aP = <usize>acs << 2;
  const ldc = <usize>n << 2;
  const mn = <usize>m * <usize>n;
  for (let t = 0; t < batch; t++) {
    const at = a + (<usize>t * <usize>aStride << 2), bt = b + (<usize>t * <usize>bStride << 2);
    const ct = c + (<usize>t * mn << 2);
    const c0Delta: usize = shared ? c0 - ct : c0 - c;
    let i = 0;
    for (; i + 4 <= m; i += 4) directStrip4(at + <usize>i * aR, aR, aP, bt, ldc, k, n, ct + <usize>i * ldc, ldc, epi, alpha, c0Delta);
    const rest = m - i;
    const ai = at + <usize>i * aR, ci = ct + <usize>i * ldc;
    if (rest == 3) directStrip3(ai, aR, aP, bt, ldc, k, n, ci, ldc, epi, alpha, c0Delta);
    else if (rest == 2) directStrip2(ai, aR, aP, bt, ldc, k, n, ci, ldc, epi, alpha, c0Delta);
    else if (rest == 1) directStrip1(ai, aR, aP, bt, ldc, k, n, ci, ldc, epi, alpha, c0Delta);
  }
}

/** dst (k×n row-major, n a multiple of 4) = the transpose of src (n×k row-major). */
function transposeInto(src: usize, k: i32, n: i32, dst: usize): void {
  const srcRow = <usize>k << 2, dstRow = <usize>n << 2;
  for (let j = 0; j < n; j += 4) {
    const s = src + <usize>j * srcRow;
    const d = dst + (<usize>j << 2);
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const sp = s + (<usize>p << 2);
      storeTransposed(
        v128.load(sp), v128.load(sp + srcRow), v128.load(sp + 2 * srcRow), v128.load(sp + 3 * srcRow),
        d + <usize>p * dstRow, dstRow,
      );
    }
    for (; p < k; p++) {
      const sp = s + (<usize>p << 2);
      const dp = d + <usize>p * dstRow;
      for (let q = 0; q < 4; q++) store<f32>(dp + (<usize>q << 2), load<f32>(sp + <usize>q * srcRow));
    }
  }
}

/**
 * Batched product `C[t] = op(A[t]) · op(B[t])` for t < batch, all in one call.
 * Pointers are byte addresses; strides and sizes count f32 elements. `A[t]` starts at
 * `a + 4*t*aBatchStride` and is stored m×k (k×m when transA); `B[t]` starts at
 * `b + 4*t*bBatchStride` and is stored k×n (n×k when transB); a batch stride of 0
 * broadcasts. C is contiguous batch×m×n and overwritten. `packedA`/`packedB` point at
 * scratch of the sizes given by `MATMUL_BLOCKS`. `epi` (flags `EPI_SCALE | EPI_ADD`)
 * turns the product P into `C0 + alpha·P` with C0 contiguous like C at `c0` (never C
 * itself), or with `EPI_SHARED` one m×n matrix at `c0` added to every batch element:
 * each step rounded as separate kernels round it, so the bits are those of matmul, mul
 * and add run one after the other.
 */
export function matmulF32(
  a: usize, b: usize, c: usize,
  batch: i32, m: i32, k: i32, n: i32,
  transA: i32, transB: i32, aBatchStride: i32, bBatchStride: i32,
  packedA: usize, packedB: usize, c0: usize, alpha: f32, epi: i32,
): void {
  const c0Delta: usize = c0 - c; // wraps: c + c0Delta is c0 wherever C is written
  const shared = (epi & EPI_SHARED) != 0;
  const alphaV = f32x4.splat(alpha);
  const mn = <usize>m * <usize>n;
  if (k == 0) {
    memory.fill(c, 0, <usize>batch * mn * 4);
    sharedEpiloguePass(c, c0, c0Delta, shared, batch, m * n, epi, alpha);
    return;
  }
  const ars = transA ? 1 : k;
  const acs = transA ? m : 1;
  const brs = transB ? 1 : n;
  const bcs = transB ? k : 1;
  const ldc = <usize>n << 2;
  if (k == 1 || n == 1 || m == 1) {
    for (let t = 0; t < batch; t++) {
      thin(
        a + (<usize>t * <usize>aBatchStride << 2), b + (<usize>t * <usize>bBatchStride << 2),
        c + (<usize>t * mn << 2), m, k, n, ars, acs, brs, bcs,
      );
    }
    sharedEpiloguePass(c, c0, c0Delta, shared, batch, m * n, epi, alpha);
    return;
  }
  if (k <= KC && (n & 3) == 0 && k * n <= DIRECT_KN_MAX) {
    if (!transB) {
      directProduct(a, aBatchStride, ars, acs, b, bBatchStride, batch, m, k, n, c, c0, shared, epi, alphaV);
    } else if (bBatchStride == 0) {
      // Bᵀ stored and shared by the batch: transposed into scratch once.
      transposeInto(b, k, n, packedB);
      directProduct(a, aBatchStride, ars, acs, packedB, 0, batch, m, k, n, c, c0, shared, epi, alphaV);
    } else {
      // One Bᵀ per batch element: each transposed into scratch before its product.
      for (let t = 0; t < batch; t++) {
        transposeInto(b + (<usize>t * <usize>bBatchStride << 2), k, n, packedB);
        const ct = c + (<usize>t * mn << 2);
        directProduct(a + (<usize>t * <usize>aBatchStride << 2), 0, ars, acs, packedB, 0, 1, m, k, n, ct, shared ? c0 : c0 + (ct - c), shared, epi, alphaV);
      }
    }
    return;
  }
  // A block is identified by its first element plus its extent. Broadcast operands
  // (stride 0) and blocks reused across the jc loop are thus packed once per call.
  let haveA: usize = 0, haveAm = -1, haveAk = -1;
  let haveB: usize = 0, haveBk = -1, haveBn = -1;
  for (let t = 0; t < batch; t++) {
    const at = a + (<usize>t * <usize>aBatchStride << 2);
    const bt = b + (<usize>t * <usize>bBatchStride << 2);
    const ct = c + (<usize>t * mn << 2);
    const ctDelta = shared ? c0 - ct : c0Delta;
    for (let jc = 0; jc < n; jc += NC) {
      const nc = min(NC, n - jc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = min(KC, k - pc);
        const accumulate = pc > 0;
        const last = pc + kc >= k ? epi : 0;
        const bSrc = bt + (<usize>(pc * brs + jc * bcs) << 2);
        // A few rows of A against a row-major B whose rows hold whole 8-wide panels: the
        // tile reads B in place (row pitch n) rather than packing it for so little reuse.
        // Each output still sums over p in the same order, so the bits are the same.
        const direct = m <= DIRECT_B_MAX_M && !transB && nc % NR == 0;
        if (!direct && (bSrc != haveB || kc != haveBk || nc != haveBn)) {
          packB(bSrc, brs, bcs, kc, nc, packedB);
          haveB = bSrc; haveBk = kc; haveBn = nc;
        }
        const bStep: usize = direct ? ldc : 32;
        for (let ic = 0; ic < m; ic += MC) {
          const mc = min(MC, m - ic);
          const aSrc = at + (<usize>(ic * ars + pc * acs) << 2);
          if (aSrc != haveA || mc != haveAm || kc != haveAk) {
            packA(aSrc, ars, acs, mc, kc, packedA);
            haveA = aSrc; haveAm = mc; haveAk = kc;
          }
          const cBlock = ct + <usize>ic * ldc + (<usize>jc << 2);
          for (let jr = 0; jr < nc; jr += NR) {
            const nr = min(NR, nc - jr);
            const pb = direct ? bSrc + (<usize>jr << 2) : packedB + (<usize>(jr * kc) << 2);
            const cCol = cBlock + (<usize>jr << 2);
            for (let ir = 0; ir < mc; ir += MR) {
              tile(
                packedA + (<usize>(ir * kc) << 2), pb, bStep, kc,
                cCol + <usize>ir * ldc, ldc, min(MR, mc - ir), nr, accumulate, last, alphaV, ctDelta,
              );
            }
          }
        }
      }
    }
  }
}
