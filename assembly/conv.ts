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
      for (let j = 0; j < w; j++) {
        const pc = j + left;
        if (pc < 0) continue;
        const q = pc / sw;
        if (q >= wq) break;
        store<f32>(dst + (<usize>(p * plane + ((pc - q * sw) * hp + dr) * wq + q) << 2), load<f32>(srcRow + (<usize>j << 2)));
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
