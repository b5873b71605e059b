// Direct 2-D convolution over NCHW images, with no unfolded (im2col) image in memory.
//
// The host first lays each input plane out zero-padded and split by column phase
// (`convPadF32`): with column stride s, phase φ holds padded columns φ, φ+s, φ+2s, …, so
// the columns one kernel tap reads for 4 neighbouring outputs are 4 adjacent floats,
// whatever the stride, dilation or padding. A tap is then one byte offset from the
// output row's base (the host's table), and every kernel is a small register-tiled
// product over those offsets:
//   forward:      a tile of 4 output channels × 8 output columns, summed over the taps;
//   weight grad:  a tile of 4 output channels × 2 taps, summed over images and positions;
//   input grad:   a tile of 4 input channels × 8 positions per tap, summed over output
//                 channels, then added into a padded gradient image (col2im in registers).
// Tiles are padded (zero weights past the last channel, a zero row past the last column)
// and only the valid part of a tile is stored.

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Staging for the partial stores of edge tiles. */
const STAGE: usize = memory.data(32, 16);

/** Stores the first `count` (≤ 8) floats of the 8-wide row `lo, hi` at `dst`. */
// @ts-ignore: decorator
@inline function storeRow(dst: usize, lo: v128, hi: v128, count: i32): void {
  if (count >= 8) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
    return;
  }
  v128.store(STAGE, lo);
  v128.store(STAGE, hi, 16);
  for (let j = 0; j < count; j++) store<f32>(dst + (<usize>j << 2), load<f32>(STAGE + (<usize>j << 2)));
}

/** Copies `n` floats (rows are short: a loop beats `memory.copy`'s call into the engine). */
// @ts-ignore: decorator
@inline function copyRow(dst: usize, src: usize, n: i32): void {
  if (n > 64) { memory.copy(dst, src, <usize>n << 2); return; }
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
}

/**
 * Zero-padded, column-phase-split copy of `planes` images of h×w:
 * `dst[p][φ][r][q] = src[p][r − top][q·sw + φ − left]` (0 outside the image), each plane
 * `sw·hp·wq` floats. Columns past `wq` and rows past `hp` are dropped.
 */
export function convPadF32(src: usize, dst: usize, planes: i32, h: i32, w: i32, hp: i32, wq: i32, top: i32, left: i32, sw: i32): void {
  const plane = sw * hp * wq;
  memory.fill(dst, 0, <usize>(planes * plane) << 2);
  for (let p = 0; p < planes; p++) {
    for (let r = 0; r < h; r++) {
      const dr = r + top;
      if (dr < 0 || dr >= hp) continue;
      const srcRow = src + (<usize>((p * h + r) * w) << 2);
      if (sw == 1) {
        const j0 = max(0, -left), j1 = min(w, wq - left);
        if (j1 > j0) copyRow(dst + (<usize>(p * plane + dr * wq + j0 + left) << 2), srcRow + (<usize>j0 << 2), j1 - j0);
        continue;
      }
      // Phase φ takes columns j = q·sw + φ − left for q in [q0, q1): no division per element.
      for (let phase = 0; phase < sw; phase++) {
        let q0 = 0;
        while (q0 * sw + phase - left < 0) q0++;
        const jEnd = w - phase + left;
        const q1 = min(wq, jEnd <= 0 ? 0 : (jEnd + sw - 1) / sw);
        const dRow = dst + (<usize>(p * plane + (phase * hp + dr) * wq) << 2);
        for (let q = q0, j = q0 * sw + phase - left; q < q1; q++, j += sw) store<f32>(dRow + (<usize>q << 2), load<f32>(srcRow + (<usize>j << 2)));
      }
    }
  }
}

/**
 * Forward weight panels: `dst[g][ob][t][l] = w[(g·og + 4·ob + l)·taps + t]` (0 past og),
 * so one tap's 4 output channels are one vector.
 */
export function convPackForwardF32(w: usize, dst: usize, groups: i32, og: i32, taps: i32): void {
  const nob = (og + 3) >> 2;
  for (let g = 0; g < groups; g++) {
    for (let ob = 0; ob < nob; ob++) {
      const panel = dst + (<usize>((g * nob + ob) * taps) << 4);
      for (let t = 0; t < taps; t++) {
        for (let l = 0; l < 4; l++) {
          const o = ob * 4 + l;
          store<f32>(panel + (<usize>(t * 4 + l) << 2), o < og ? load<f32>(w + (<usize>((g * og + o) * taps + t) << 2)) : 0);
        }
      }
    }
  }
}

/**
 * The panels of `convPackForwardF32` for the transposed convolution (the input
 * gradient at stride 1): output channel `g·cg + ch` over taps `t = (o·kh + i)·kw + j`
 * holds `w[g·og + o][ch][kh − 1 − i][kw − 1 − j]` (0 past cg).
 */
export function convPackFlippedF32(w: usize, dst: usize, groups: i32, og: i32, cg: i32, kh: i32, kw: i32): void {
  const ncb = (cg + 3) >> 2, k2 = kh * kw, taps = og * k2;
  for (let g = 0; g < groups; g++) {
    for (let cb = 0; cb < ncb; cb++) {
      const panel = dst + (<usize>((g * ncb + cb) * taps) << 4);
      for (let o = 0; o < og; o++) {
        for (let k = 0; k < k2; k++) {
          const t = o * k2 + k, src = k2 - 1 - k;
          for (let l = 0; l < 4; l++) {
            const ch = cb * 4 + l;
            store<f32>(panel + (<usize>(t * 4 + l) << 2), ch < cg ? load<f32>(w + (<usize>(((g * og + o) * cg + ch) * k2 + src) << 2)) : 0);
          }
        }
      }
    }
  }
}

/**
 * The convolution of `n` images: `out[i][g·og + o][y][x]` (NCHW, `groups·og` channels of
 * ho×wo) from padded images `xp` (`c` planes of `plane` floats each, rows `wq` floats)
 * and the panels of `convPackForwardF32`. `taps` holds `nTaps` byte offsets from an
 * output row's base (input channel, tap row, phase and column shift folded in).
 */
export function conv2dF32(
  xp: usize, plane: i32, wq: i32, sh: i32, panels: usize, taps: usize, nTaps: i32,
  out: usize, n: i32, c: i32, groups: i32, og: i32, ho: i32, wo: i32,
): void {
  const cg = c / groups, o = og * groups, nob = (og + 3) >> 2;
  const chStep = <usize>(ho * wo) << 2;
  const zero = f32x4.splat(0);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      const img = xp + (<usize>((i * c + g * cg) * plane) << 2);
      for (let ob = 0; ob < nob; ob++) {
        const panel = panels + (<usize>((g * nob + ob) * nTaps) << 4);
        const lanes = min(4, og - ob * 4);
        const outCh = out + (<usize>((i * o + g * og + ob * 4) * ho * wo) << 2);
        for (let y = 0; y < ho; y++) {
          const rowBase = img + (<usize>(y * sh * wq) << 2);
          for (let x0 = 0; x0 < wo; x0 += 8) {
            let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
            const base = rowBase + (<usize>x0 << 2);
            let tp = taps, wp = panel;
            const tEnd = taps + (<usize>nTaps << 2);
            for (; tp < tEnd; tp += 4, wp += 16) {
              const p = base + <usize>load<i32>(tp);
              const a0 = v128.load(p), a1 = v128.load(p, 16);
              let wv = v128.load32_splat(wp);
              c00 = madd(wv, a0, c00); c01 = madd(wv, a1, c01);
              wv = v128.load32_splat(wp, 4);
              c10 = madd(wv, a0, c10); c11 = madd(wv, a1, c11);
              wv = v128.load32_splat(wp, 8);
              c20 = madd(wv, a0, c20); c21 = madd(wv, a1, c21);
              wv = v128.load32_splat(wp, 12);
              c30 = madd(wv, a0, c30); c31 = madd(wv, a1, c31);
            }
            const count = min(8, wo - x0);
            const dst = outCh + (<usize>(y * wo + x0) << 2);
            storeRow(dst, c00, c01, count);
            if (lanes > 1) storeRow(dst + chStep, c10, c11, count);
            if (lanes > 2) storeRow(dst + 2 * chStep, c20, c21, count);
            if (lanes > 3) storeRow(dst + 3 * chStep, c30, c31, count);
          }
        }
      }
    }
  }
}

/**
 * The output gradient with each group's channels padded to `og4`, its rows `pitch`
 * floats apart in planes of `planeG` floats, zeros in the padding:
 * `dst[i][g][o][y·pitch + x] = src[i][g·og + o][y][x]`.
 */
export function convPadRowsF32(src: usize, dst: usize, n: i32, groups: i32, og: i32, og4: i32, ho: i32, wo: i32, pitch: i32, planeG: i32): void {
  memory.fill(dst, 0, <usize>(n * groups * og4 * planeG) << 2);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      for (let o = 0; o < og; o++) {
        const s = src + (<usize>(((i * groups + g) * og + o) * ho * wo) << 2);
        const d = dst + (<usize>(((i * groups + g) * og4 + o) * planeG) << 2);
        for (let y = 0; y < ho; y++) copyRow(d + (<usize>(y * pitch) << 2), s + (<usize>(y * wo) << 2), wo);
      }
    }
  }
}

/** Images per block of the weight gradient: their padded input and gradient stay in cache while every tile reads them. */
const WG_BLOCK: i32 = 4;

/**
 * Accumulates the weight gradient of `n` images into `acc`: for each group, block of 4
 * output channels and pair of taps, 8 vectors (channel l, tap k at vector 2l + k) of
 * partial sums over positions. Positions are `rows` runs of `vecs` vectors: run y starts
 * at `y·sh` rows of the padded input `xp` (as for `conv2dF32`) and at `y·gPitch` floats of
 * the output gradient `gp` (planes of `planeG` floats, from `convPadRowsF32`). At stride 1
 * the host makes the gradient's row pitch the input's, so all positions are one run.
 * Lanes that are not output positions read zero gradient, so with a finite input they add
 * exact zeros; `masked` != 0 also zeroes their input (`mask`, `vecs` vectors), which
 * costs a third more and matters only when the input holds infinities or NaN (0·∞).
 * `taps` holds an even count `2·pairs` of byte offsets.
 */
export function conv2dWeightGradF32(
  xp: usize, plane: i32, wq: i32, sh: i32, taps: usize, pairs: i32,
  gp: usize, og4: i32, planeG: i32, rows: i32, gPitch: i32, vecs: i32, mask: usize, masked: i32,
  acc: usize, n: i32, c: i32, groups: i32,
): void {
  const cg = c / groups, nob = og4 >> 2;
  const gStep = <usize>planeG << 2;
  for (let i0 = 0; i0 < n; i0 += WG_BLOCK) {
    const i1 = min(n, i0 + WG_BLOCK);
    for (let g = 0; g < groups; g++) {
      for (let ob = 0; ob < nob; ob++) {
        for (let tp = 0; tp < pairs; tp++) {
          const a = acc + (<usize>((g * nob + ob) * pairs + tp) << 7);
          const off0 = <usize>load<i32>(taps + (<usize>tp << 3)), off1 = <usize>load<i32>(taps + (<usize>tp << 3) + 4);
          const first = xp + (<usize>(g * cg * plane) << 2), gFirst = gp + (<usize>(g * og4 + ob * 4) * gStep);
          const rowStep = <usize>(sh * wq) << 2, gRowStep = <usize>gPitch << 2;
          // Two copies of the loop, so the common one carries no mask.
          if (masked != 0) weightTile(a, first, off0, off1, gFirst, gStep, rowStep, gRowStep, <usize>(c * plane) << 2, <usize>(groups * og4) * gStep, i0, i1, rows, vecs, mask, true);
          else weightTile(a, first, off0, off1, gFirst, gStep, rowStep, gRowStep, <usize>(c * plane) << 2, <usize>(groups * og4) * gStep, i0, i1, rows, vecs, mask, false);
        }
      }
    }
  }
}

/** One accumulator tile of `conv2dWeightGradF32` over images `[i0, i1)` (`imageStep`, `gImageStep` bytes apart). */
// @ts-ignore: decorator
@inline function weightTile(
  a: usize, first: usize, off0: usize, off1: usize, gFirst: usize, gStep: usize, rowStep: usize, gRowStep: usize,
  imageStep: usize, gImageStep: usize, i0: i32, i1: i32, rows: i32, vecs: i32, mask: usize, masked: bool,
): void {
  let c00 = v128.load(a), c01 = v128.load(a, 16), c10 = v128.load(a, 32), c11 = v128.load(a, 48);
  let c20 = v128.load(a, 64), c21 = v128.load(a, 80), c30 = v128.load(a, 96), c31 = v128.load(a, 112);
  const runBytes = <usize>vecs << 4;
  for (let i = i0; i < i1; i++) {
    const img = first + <usize>i * imageStep, gb = gFirst + <usize>i * gImageStep;
    for (let y = 0; y < rows; y++) {
      const xrow = img + <usize>y * rowStep;
      const x0 = xrow + off0, x1 = xrow + off1;
      const grow = gb + <usize>y * gRowStep;
      for (let v: usize = 0; v < runBytes; v += 16) {
        let p0 = v128.load(x0 + v), p1 = v128.load(x1 + v);
        if (masked) {
          const m = v128.load(mask + v);
          p0 = v128.and(p0, m); p1 = v128.and(p1, m);
        }
        const gv = grow + v;
        let gl = v128.load(gv);
        c00 = madd(gl, p0, c00); c01 = madd(gl, p1, c01);
        gl = v128.load(gv + gStep);
        c10 = madd(gl, p0, c10); c11 = madd(gl, p1, c11);
        gl = v128.load(gv + 2 * gStep);
        c20 = madd(gl, p0, c20); c21 = madd(gl, p1, c21);
        gl = v128.load(gv + 3 * gStep);
        c30 = madd(gl, p0, c30); c31 = madd(gl, p1, c31);
      }
    }
  }
  v128.store(a, c00); v128.store(a, c01, 16); v128.store(a, c10, 32); v128.store(a, c11, 48);
  v128.store(a, c20, 64); v128.store(a, c21, 80); v128.store(a, c30, 96); v128.store(a, c31, 112);
}

/** Sums each accumulator of `conv2dWeightGradF32` into `out[g·og + o][t]` (`[O, C/G·kh·kw]`); 1 if a sum is not finite, else 0. */
export function convWeightGradReduceF32(acc: usize, out: usize, groups: i32, og: i32, pairs: i32, nTaps: i32): i32 {
  const nob = (og + 3) >> 2;
  let finite = true;
  for (let g = 0; g < groups; g++) {
    for (let ob = 0; ob < nob; ob++) {
      for (let tp = 0; tp < pairs; tp++) {
        const a = acc + (<usize>((g * nob + ob) * pairs + tp) << 7);
        for (let l = 0; l < 4; l++) {
          const o = ob * 4 + l;
          if (o >= og) break;
          for (let k = 0; k < 2; k++) {
            const t = tp * 2 + k;
            if (t >= nTaps) break;
            const v = v128.load(a + (<usize>(l * 2 + k) << 4));
            const s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
            finite = finite && s - s == 0;
            store<f32>(out + (<usize>((g * og + o) * nTaps + t) << 2), s);
          }
        }
      }
    }
  }
  return finite ? 0 : 1;
}

/**
 * Input-gradient panels over targets `t` (a tap of an input channel, `t = ch·kh·kw + k`,
 * as the weight stores them): `dst[g][tb][o][l] = w[g·og + o][4·tb + l]` (0 past the last
 * target), so one output channel's weights for 4 targets are one vector.
 */
export function convPackInputF32(w: usize, dst: usize, groups: i32, og: i32, nTaps: i32): void {
  const ntb = (nTaps + 3) >> 2;
  for (let g = 0; g < groups; g++) {
    for (let tb = 0; tb < ntb; tb++) {
      const panel = dst + (<usize>((g * ntb + tb) * og) << 4);
      for (let o = 0; o < og; o++) {
        for (let l = 0; l < 4; l++) {
          const t = tb * 4 + l;
          store<f32>(panel + (<usize>(o * 4 + l) << 2), t < nTaps ? load<f32>(w + (<usize>((g * og + o) * nTaps + t) << 2)) : 0);
        }
      }
    }
  }
}

/**
 * The input gradient of `n` images at any stride, in padded coordinates: `dxp[i][ch]`
 * (planes of hp×wpx, zeroed here) gets, at row `y·sh + ki·dh` and column `x·sw + kj·dw`,
 * the sum over output channels of weight × output gradient (`gp` from `convPadRowsF32`,
 * rows of `xr`). A tile is 4 targets (channel, tap) × 8 positions, summed over output
 * channels in registers, then added at each target's byte offset `dOff[t]` from the row's
 * base. The host crops the padding off (`convCropF32`).
 */
export function conv2dInputGradF32(
  gp: usize, og4: i32, ho: i32, xr: i32, wo: i32, panels: usize, dOff: usize, nTaps: i32, dxp: usize, hp: i32, wpx: i32,
  n: i32, c: i32, groups: i32, og: i32, sh: i32, sw: i32,
): void {
  const cg = c / groups, ntb = (nTaps + 3) >> 2;
  const gStep = <usize>(ho * xr) << 2, dStep = <usize>(hp * wpx) << 2;
  const zero = f32x4.splat(0);
  memory.fill(dxp, 0, <usize>(n * c * hp * wpx) << 2);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      const gImg = gp + (<usize>((i * groups + g) * og4 * ho * xr) << 2);
      const dImg = dxp + <usize>(i * c + g * cg) * dStep;
      for (let tb = 0; tb < ntb; tb++) {
        const lanes = min(4, nTaps - tb * 4);
        const panel = panels + (<usize>((g * ntb + tb) * og) << 4);
        const offs = dOff + (<usize>(tb * 4) << 2);
        for (let y = 0; y < ho; y++) {
          const grow = gImg + (<usize>(y * xr) << 2);
          const drow = dImg + (<usize>(y * sh * wpx) << 2);
          for (let x0 = 0; x0 < wo; x0 += 8) {
            let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
            const gx = grow + (<usize>x0 << 2);
            for (let o = 0; o < og; o++) {
              const p = gx + <usize>o * gStep;
              const a0 = v128.load(p), a1 = v128.load(p, 16);
              const wp = panel + (<usize>o << 4);
              let wv = v128.load32_splat(wp);
              c00 = madd(wv, a0, c00); c01 = madd(wv, a1, c01);
              wv = v128.load32_splat(wp, 4);
              c10 = madd(wv, a0, c10); c11 = madd(wv, a1, c11);
              wv = v128.load32_splat(wp, 8);
              c20 = madd(wv, a0, c20); c21 = madd(wv, a1, c21);
              wv = v128.load32_splat(wp, 12);
              c30 = madd(wv, a0, c30); c31 = madd(wv, a1, c31);
            }
            const count = min(8, wo - x0);
            const d = drow + (<usize>(x0 * sw) << 2);
            addRow(d + <usize>load<i32>(offs), c00, c01, count, sw);
            if (lanes > 1) addRow(d + <usize>load<i32>(offs, 4), c10, c11, count, sw);
            if (lanes > 2) addRow(d + <usize>load<i32>(offs, 8), c20, c21, count, sw);
            if (lanes > 3) addRow(d + <usize>load<i32>(offs, 12), c30, c31, count, sw);
          }
        }
      }
    }
  }
}

/** Adds the first `count` floats of `lo, hi` at `dst`, `dst + 4·sw`, … (a row of one tap's windows). */
// @ts-ignore: decorator
@inline function addRow(dst: usize, lo: v128, hi: v128, count: i32, sw: i32): void {
  if (sw == 1 && count >= 8) {
    v128.store(dst, f32x4.add(v128.load(dst), lo));
    v128.store(dst, f32x4.add(v128.load(dst, 16), hi), 16);
    return;
  }
  v128.store(STAGE, lo);
  v128.store(STAGE, hi, 16);
  const step = <usize>sw << 2;
  for (let j = 0; j < count; j++) {
    const at = dst + <usize>j * step;
    store<f32>(at, load<f32>(at) + load<f32>(STAGE + (<usize>j << 2)));
  }
}

/** `dst[p][r][q] = src[p][r + top][q + left]` for `planes` planes of h×w cut from planes of hp×wpx. */
export function convCropF32(src: usize, dst: usize, planes: i32, hp: i32, wpx: i32, top: i32, left: i32, h: i32, w: i32): void {
  for (let p = 0; p < planes; p++) {
    for (let r = 0; r < h; r++) {
      copyRow(dst + (<usize>((p * h + r) * w) << 2), src + (<usize>((p * hp + r + top) * wpx + left) << 2), w);
    }
  }
}

// Winograd F(2×2, 3×3) for 3×3 kernels at stride 1, dilation 1, one group: each 2×2
// block of outputs ("tile") is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its 4×4 input window d, so
// the products are 16 per (tile, input channel, output channel) instead of 36. The host
// pads the images with `convPadF32` at column stride 2: tile column tx then reads phase
// columns tx and tx + 1 of both phases, so 4 neighbouring tiles' values are one vector.
// Tiles are numbered per block of tile rows (`tw4` tiles per row, a multiple of 4; tiles
// past the last are computed from padding and never stored). Per block: transformed
// inputs V[ξ][c][t], 16 products U[ξ] · V[ξ] into M[ξ][o][t], then the output transform.
// The host spaces V's and M's 16 planes a cache line more than their size apart: planes
// 4 KB apart would put all 16 loads of a tile's transform in one L1 set.

/** G g (4×3) of one kernel in `winogradWeightF32`. */
const WINO_STAGE: usize = memory.data(48, 16);

/**
 * Transformed weights `dst[ξ][ob][ch][l] = (G g Gᵀ)[ξ]` for output channel `4·ob + l`
 * (0 past `o`) and input channel `ch`, of the 3×3 kernel g = `w[o][ch]` (`[o, c, 3, 3]`);
 * with `flip` != 0, of `w[ch][o]` turned by 180° (`w` is `[c, o, 3, 3]`: the kernel of the
 * stride-1 input gradient).
 */
export function winogradWeightF32(w: usize, dst: usize, o: i32, c: i32, flip: i32): void {
  const t = WINO_STAGE, nob = (o + 3) >> 2;
  memory.fill(dst, 0, <usize>(16 * nob * c) << 4);
  for (let oc = 0; oc < o; oc++) {
    for (let ch = 0; ch < c; ch++) {
      const g = w + (<usize>((flip != 0 ? ch * o + oc : oc * c + ch) * 9) << 2);
      // t = G g (4×3), rows 0 and 3 are g's first and last rows.
      for (let j = 0; j < 3; j++) {
        const k0 = flip != 0 ? 8 - j : j, k1 = flip != 0 ? 5 - j : 3 + j, k2 = flip != 0 ? 2 - j : 6 + j;
        const g0 = load<f32>(g + (<usize>k0 << 2)), g1 = load<f32>(g + (<usize>k1 << 2)), g2 = load<f32>(g + (<usize>k2 << 2));
        store<f32>(t + (<usize>j << 2), g0);
        store<f32>(t + (<usize>(3 + j) << 2), <f32>0.5 * (g0 + g1 + g2));
        store<f32>(t + (<usize>(6 + j) << 2), <f32>0.5 * (g0 - g1 + g2));
        store<f32>(t + (<usize>(9 + j) << 2), g2);
      }
      for (let r = 0; r < 4; r++) {
        const t0 = load<f32>(t + (<usize>(3 * r) << 2)), t1 = load<f32>(t + (<usize>(3 * r + 1) << 2)), t2 = load<f32>(t + (<usize>(3 * r + 2) << 2));
        const u0 = t0, u1 = <f32>0.5 * (t0 + t1 + t2), u2 = <f32>0.5 * (t0 - t1 + t2), u3 = t2;
        const at = dst + (<usize>(((4 * r) * nob + (oc >> 2)) * c + ch) << 4) + (<usize>(oc & 3) << 2);
        const xiStep = <usize>(nob * c) << 4;
        store<f32>(at, u0);
        store<f32>(at + xiStep, u1);
        store<f32>(at + 2 * xiStep, u2);
        store<f32>(at + 3 * xiStep, u3);
      }
    }
  }
}

/**
 * Input transform of tile rows `[r0, r0 + rows)` (row r: image `r / th`, tile row `r % th`)
 * of padded images `xp` (`c` planes of `plane` floats, 2 phases of `hp` rows of `wq`):
 * `v[ξ][ch][(r − r0)·tw4 + tx] = (Bᵀ d B)[ξ]`, rows of `v` `tb` floats apart, planes ξ `vXi`.
 */
export function winogradInputF32(xp: usize, plane: i32, hp: i32, wq: i32, c: i32, r0: i32, rows: i32, th: i32, tw4: i32, v: usize, tb: i32, vXi: i32): void {
  const rowBytes = <usize>wq << 2, phase = <usize>(hp * wq) << 2;
  const xiStep = <usize>vXi << 2;
  for (let rr = 0; rr < rows; rr++) {
    const r = r0 + rr, i = r / th, ty = r - i * th;
    for (let ch = 0; ch < c; ch++) {
      const top = xp + (<usize>((i * c + ch) * plane + 2 * ty * wq) << 2);
      const vRow = v + (<usize>(ch * tb + rr * tw4) << 2);
      for (let tx = 0; tx < tw4; tx += 4) {
        const p = top + (<usize>tx << 2);
        // Columns j = 0..3 of the window: phase 0 and 1 at tx, then at tx + 1.
        const c0 = p, c1 = p + phase, c2 = p + 4, c3 = p + phase + 4;
        // Bᵀ d down each column: (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
        let a = v128.load(c0), b = v128.load(c0 + rowBytes), e = v128.load(c0 + 2 * rowBytes), f = v128.load(c0 + 3 * rowBytes);
        const t00 = f32x4.sub(a, e), t10 = f32x4.add(b, e), t20 = f32x4.sub(e, b), t30 = f32x4.sub(b, f);
        a = v128.load(c1); b = v128.load(c1 + rowBytes); e = v128.load(c1 + 2 * rowBytes); f = v128.load(c1 + 3 * rowBytes);
        const t01 = f32x4.sub(a, e), t11 = f32x4.add(b, e), t21 = f32x4.sub(e, b), t31 = f32x4.sub(b, f);
        a = v128.load(c2); b = v128.load(c2 + rowBytes); e = v128.load(c2 + 2 * rowBytes); f = v128.load(c2 + 3 * rowBytes);
        const t02 = f32x4.sub(a, e), t12 = f32x4.add(b, e), t22 = f32x4.sub(e, b), t32 = f32x4.sub(b, f);
        a = v128.load(c3); b = v128.load(c3 + rowBytes); e = v128.load(c3 + 2 * rowBytes); f = v128.load(c3 + 3 * rowBytes);
        const t03 = f32x4.sub(a, e), t13 = f32x4.add(b, e), t23 = f32x4.sub(e, b), t33 = f32x4.sub(b, f);
        // Then B along each row.
        const o = vRow + (<usize>tx << 2);
        inputRow(o, xiStep, t00, t01, t02, t03);
        inputRow(o + 4 * xiStep, xiStep, t10, t11, t12, t13);
        inputRow(o + 8 * xiStep, xiStep, t20, t21, t22, t23);
        inputRow(o + 12 * xiStep, xiStep, t30, t31, t32, t33);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function inputRow(o: usize, step: usize, t0: v128, t1: v128, t2: v128, t3: v128): void {
  v128.store(o, f32x4.sub(t0, t2));
  v128.store(o + step, f32x4.add(t1, t2));
  v128.store(o + 2 * step, f32x4.sub(t2, t1));
  v128.store(o + 3 * step, f32x4.sub(t1, t3));
}

/**
 * The 16 products `m[ξ][4·ob + l][t] = Σ_ch u[ξ][ob][ch][l] · v[ξ][ch][t]` over `cols`
 * tiles (a multiple of 8), a tile of 4 output channels × 8 tiles at a time; rows `tb`
 * floats apart, planes ξ `vXi` (v) and `mXi` (m).
 */
export function winogradGemmF32(u: usize, v: usize, m: usize, c: i32, nob: i32, tb: i32, vXi: i32, mXi: i32, cols: i32): void {
  const zero = f32x4.splat(0);
  const vRowBytes = <usize>tb << 2;
  for (let xi = 0; xi < 16; xi++) {
    const vx = v + (<usize>(xi * vXi) << 2);
    for (let ob = 0; ob < nob; ob++) {
      const panel = u + (<usize>((xi * nob + ob) * c) << 4);
      const mo = m + (<usize>(xi * mXi) << 2) + <usize>(ob * 4) * vRowBytes;
      for (let t0 = 0; t0 < cols; t0 += 8) {
        let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        let p = vx + (<usize>t0 << 2), wp = panel;
        const wEnd = panel + (<usize>c << 4);
        for (; wp < wEnd; wp += 16, p += vRowBytes) {
          const a0 = v128.load(p), a1 = v128.load(p, 16);
          let wv = v128.load32_splat(wp);
          c00 = madd(wv, a0, c00); c01 = madd(wv, a1, c01);
          wv = v128.load32_splat(wp, 4);
          c10 = madd(wv, a0, c10); c11 = madd(wv, a1, c11);
          wv = v128.load32_splat(wp, 8);
          c20 = madd(wv, a0, c20); c21 = madd(wv, a1, c21);
          wv = v128.load32_splat(wp, 12);
          c30 = madd(wv, a0, c30); c31 = madd(wv, a1, c31);
        }
        const d = mo + (<usize>t0 << 2);
        v128.store(d, c00); v128.store(d, c01, 16);
        v128.store(d + vRowBytes, c10); v128.store(d + vRowBytes, c11, 16);
        v128.store(d + 2 * vRowBytes, c20); v128.store(d + 2 * vRowBytes, c21, 16);
        v128.store(d + 3 * vRowBytes, c30); v128.store(d + 3 * vRowBytes, c31, 16);
      }
    }
  }
}

/**
 * Output transform of the tile rows of `winogradInputF32`: `out[i][oc]` (NCHW, `o`
 * channels of ho×wo, images counted from the chunk's first) gets `(Aᵀ M A)` of each tile
 * at rows 2·ty, 2·ty + 1 and columns 2·tx, 2·tx + 1, cut at the image's edge. Returns 1
 * if an output may not be finite (lanes of the edge tiles included), else 0: with an
 * infinite input, ∞ − ∞ in the transforms gives NaN where the direct sum gives ±∞, so the
 * host then redoes the call on the direct kernel.
 */
export function winogradOutputF32(m: usize, tb: i32, mXi: i32, o: i32, r0: i32, rows: i32, th: i32, tw4: i32, out: usize, ho: i32, wo: i32): i32 {
  const xiStep = <usize>mXi << 2;
  // y − y is 0 for a finite y and NaN otherwise, and NaN stays in the sum.
  let bad = f32x4.splat(0);
  for (let rr = 0; rr < rows; rr++) {
    const r = r0 + rr, i = r / th, ty = r - i * th;
    const y0 = 2 * ty, second = y0 + 1 < ho;
    for (let oc = 0; oc < o; oc++) {
      const mRow = m + (<usize>(oc * tb + rr * tw4) << 2);
      const dst = out + (<usize>(((i * o + oc) * ho + y0) * wo) << 2);
      for (let tx = 0; tx < tw4; tx += 4) {
        const count = min(8, wo - 2 * tx);
        if (count <= 0) break;
        const p = mRow + (<usize>tx << 2);
        // Aᵀ M down each column: (m0 + m1 + m2, m1 − m2 − m3).
        let s00 = zero4(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        {
          const m0 = v128.load(p), m1 = v128.load(p + 4 * xiStep), m2 = v128.load(p + 8 * xiStep), m3 = v128.load(p + 12 * xiStep);
          s00 = f32x4.add(f32x4.add(m0, m1), m2); s10 = f32x4.sub(f32x4.sub(m1, m2), m3);
        }
        {
          const q = p + xiStep;
          const m0 = v128.load(q), m1 = v128.load(q + 4 * xiStep), m2 = v128.load(q + 8 * xiStep), m3 = v128.load(q + 12 * xiStep);
          s01 = f32x4.add(f32x4.add(m0, m1), m2); s11 = f32x4.sub(f32x4.sub(m1, m2), m3);
        }
        {
          const q = p + 2 * xiStep;
          const m0 = v128.load(q), m1 = v128.load(q + 4 * xiStep), m2 = v128.load(q + 8 * xiStep), m3 = v128.load(q + 12 * xiStep);
          s02 = f32x4.add(f32x4.add(m0, m1), m2); s12 = f32x4.sub(f32x4.sub(m1, m2), m3);
        }
        {
          const q = p + 3 * xiStep;
          const m0 = v128.load(q), m1 = v128.load(q + 4 * xiStep), m2 = v128.load(q + 8 * xiStep), m3 = v128.load(q + 12 * xiStep);
          s03 = f32x4.add(f32x4.add(m0, m1), m2); s13 = f32x4.sub(f32x4.sub(m1, m2), m3);
        }
        // Then A along each row, and the two columns of 4 tiles interleaved into 8 outputs.
        const d = dst + (<usize>(2 * tx) << 2);
        bad = f32x4.add(bad, outputRow(d, s00, s01, s02, s03, count));
        if (second) bad = f32x4.add(bad, outputRow(d + (<usize>wo << 2), s10, s11, s12, s13, count));
      }
    }
  }
  return v128.any_true(f32x4.ne(bad, f32x4.splat(0))) ? 1 : 0;
}

// @ts-ignore: decorator
@inline function zero4(): v128 {
  return f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function outputRow(d: usize, s0: v128, s1: v128, s2: v128, s3: v128, count: i32): v128 {
  const y0 = f32x4.add(f32x4.add(s0, s1), s2), y1 = f32x4.sub(f32x4.sub(s1, s2), s3);
  const lo = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), hi = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
  storeRow(d, lo, hi, count);
  return f32x4.add(f32x4.sub(y0, y0), f32x4.sub(y1, y1));
}
