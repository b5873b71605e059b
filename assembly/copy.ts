// Strided copy over an index box: transpose (permuted strides), broadcast (zero
// strides), slice and pad, all as one walk. The host collapses the box first (merging
// dims that are contiguous in every operand), so the innermost run is as long as it
// can be; that run is a memory.copy when both operands are contiguous in it, a splat
// store when the source repeats one value, else a scalar loop.

/** Most dims a collapsed box may have. */
export const COPY_MAX_RANK: i32 = 8;

/**
 * `[shape[0..rank), srcStrides[0..rank), dstStrides[0..rank)]` as i32 (strides in
 * elements), written by the host before each call.
 */
export const COPY_DESC = memory.data(4 * 3 * 8, 16);

// @ts-ignore: decorator
@inline function run(src: usize, ss: i32, dst: usize, ds: i32, n: i32): void {
  if (ss == 1 && ds == 1) {
    memory.copy(dst, src, <usize>n << 2);
  } else if (ss == 0 && ds == 1) {
    const v = load<f32>(src);
    const splat = f32x4.splat(v);
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), splat);
    for (; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
  } else {
    const sb = <isize>ss << 2, db = <isize>ds << 2;
    let s = <isize>src, d = <isize>dst;
    for (let i = 0; i < n; i++) { store<f32>(<usize>d, load<f32>(<usize>s)); s += sb; d += db; }
  }
}

/**
 * dst[Σ i_d·dstStrides_d] = src[Σ i_d·srcStrides_d] over the box of COPY_DESC (f32,
 * byte addresses `src`, `dst` of element 0). `rank` ≥ 1 and every dim > 0.
 */
export function copyStridedF32(src: usize, dst: usize, rank: i32): void {
  const desc = COPY_DESC;
  const inner = rank - 1;
  const n = load<i32>(desc + (<usize>inner << 2));
  const ss = load<i32>(desc + (<usize>(COPY_MAX_RANK + inner) << 2));
  const ds = load<i32>(desc + (<usize>(2 * COPY_MAX_RANK + inner) << 2));
  let outer = 1;
  for (let d = 0; d < inner; d++) outer *= load<i32>(desc + (<usize>d << 2));
  // Odometer over the outer dims, kept in a small stack array of counters.
  const idx = memory.data(4 * 8, 16);
  for (let d = 0; d < inner; d++) store<i32>(idx + (<usize>d << 2), 0);
  let so: isize = 0, dO: isize = 0;
  for (let r = 0; r < outer; r++) {
    run(src + <usize>(so << 2), ss, dst + <usize>(dO << 2), ds, n);
    for (let d = inner - 1; d >= 0; d--) {
      const at = idx + (<usize>d << 2);
      const sd = <isize>load<i32>(desc + (<usize>(COPY_MAX_RANK + d) << 2));
      const dd = <isize>load<i32>(desc + (<usize>(2 * COPY_MAX_RANK + d) << 2));
      const size = load<i32>(desc + (<usize>d << 2));
      const c = load<i32>(at) + 1;
      so += sd; dO += dd;
      if (c < size) { store<i32>(at, c); break; }
      store<i32>(at, 0);
      so -= sd * <isize>size; dO -= dd * <isize>size;
    }
  }
}
