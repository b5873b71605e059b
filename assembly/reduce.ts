// Sum over the middle axis of an f32 block viewed as [outer, size, inner]: the
// reduction that undoes broadcasting in every backward pass (bias gradients, the
// task-axis sum of meta-gradients). Accumulates in f32, four lanes at a time.

/** out[o, i] = Σ_j x[o, j, i]; out is `[outer, inner]`. */
export function sumMiddleF32(x: usize, out: usize, outer: i32, size: i32, inner: i32): void {
  if (inner == 1) {
    // Row sums: four partial sums across the row, combined at the end.
    const vecEnd = size & ~3;
    for (let o = 0; o < outer; o++) {
      const row = x + (<usize>(o * size) << 2);
      let acc = f32x4.splat(0);
      let j = 0;
      for (; j < vecEnd; j += 4) acc = f32x4.add(acc, v128.load(row + (<usize>j << 2)));
      let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      for (; j < size; j++) s += load<f32>(row + (<usize>j << 2));
      store<f32>(out + (<usize>o << 2), s);
    }
    return;
  }
  const vecEnd = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const base = x + (<usize>(o * size * inner) << 2);
    const dst = out + (<usize>(o * inner) << 2);
    let i = 0;
    // Column sums: each vector of four columns walks down the rows.
    for (; i < vecEnd; i += 4) {
      let acc = f32x4.splat(0);
      let p = base + (<usize>i << 2);
      const step = <usize>inner << 2;
      for (let j = 0; j < size; j++) { acc = f32x4.add(acc, v128.load(p)); p += step; }
      v128.store(dst + (<usize>i << 2), acc);
    }
    for (; i < inner; i++) {
      let s: f32 = 0;
      let p = base + (<usize>i << 2);
      const step = <usize>inner << 2;
      for (let j = 0; j < size; j++) { s += load<f32>(p); p += step; }
      store<f32>(dst + (<usize>i << 2), s);
    }
  }
}
