// Fused epilogues of the dense layer: bias + activation over a product still in the
// arena, and the activation backward. They save whole passes over memory (and the
// host allocations between them) on the hot path of an MLP meta-gradient.

// Activation codes, shared with src/backend/wasm/backend.ts. Only exact-in-f32
// activations run here; tanh and sigmoid are applied by the host after the bias.
const IDENTITY = 0, RELU = 1;
// Activation-backward codes.
const GRAD_IDENTITY = 0, GRAD_RELU = 1, GRAD_TANH = 2, GRAD_SIGMOID = 3;

/**
 * c[t, i, :] = act(c[t, i, :] + bias[t·biasStride + :]) for a `[batch, m, n]` f32 block;
 * `biasStride` is in elements (0 shares one bias row).
 */
export function biasActF32(c: usize, bias: usize, batch: i32, m: i32, n: i32, biasStride: i32, act: i32): void {
  const zero = f32x4.splat(0);
  const vecEnd = n & ~3;
  for (let t = 0; t < batch; t++) {
    const b = bias + ((<usize>(t * biasStride)) << 2);
    for (let i = 0; i < m; i++) {
      const row = c + ((<usize>((t * m + i) * n)) << 2);
      let j = 0;
      for (; j < vecEnd; j += 4) {
        const p = row + (<usize>j << 2);
        let v = f32x4.add(v128.load(p), v128.load(b + (<usize>j << 2)));
        if (act == RELU) v = f32x4.max(v, zero);
        v128.store(p, v);
      }
      for (; j < n; j++) {
        const p = row + (<usize>j << 2);
        let v = load<f32>(p) + load<f32>(b + (<usize>j << 2));
        if (act == RELU) v = v > 0 || v != v ? v : 0;
        store<f32>(p, v);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function gradOp(act: i32, g: v128, y: v128): v128 {
  const one = f32x4.splat(1);
  if (act == GRAD_RELU) return f32x4.mul(g, v128.and(f32x4.gt(y, f32x4.splat(0)), one));
  if (act == GRAD_TANH) return f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y)));
  if (act == GRAD_SIGMOID) return f32x4.mul(g, f32x4.mul(y, f32x4.sub(one, y)));
  return g;
}

/** out = g ⊙ act'(y) over `vectors`·4 floats, act' taken from the activation's output y. */
export function actGradF32(act: i32, g: usize, y: usize, out: usize, vectors: i32): void {
  const end = <usize>vectors << 4;
  switch (act) {
    case GRAD_RELU: for (let o: usize = 0; o < end; o += 16) v128.store(out + o, gradOp(GRAD_RELU, v128.load(g + o), v128.load(y + o))); break;
    case GRAD_TANH: for (let o: usize = 0; o < end; o += 16) v128.store(out + o, gradOp(GRAD_TANH, v128.load(g + o), v128.load(y + o))); break;
    case GRAD_SIGMOID: for (let o: usize = 0; o < end; o += 16) v128.store(out + o, gradOp(GRAD_SIGMOID, v128.load(g + o), v128.load(y + o))); break;
    default: for (let o: usize = 0; o < end; o += 16) v128.store(out + o, gradOp(GRAD_IDENTITY, v128.load(g + o), v128.load(y + o)));
  }
}

/**
 * out = a + alpha·b over `vectors`·4 floats, where `a` repeats every `aVectors` vectors
 * (θ − lr·g for a whole batch of tasks from one shared θ). The product is rounded
 * before the sum, as the unfused mul-then-add rounds it, so results are the same bits.
 */
export function axpyF32(a: usize, aVectors: i32, b: usize, alpha: f32, out: usize, vectors: i32): void {
  const s = f32x4.splat(alpha);
  const aBytes = <usize>aVectors << 4;
  let ai: usize = 0;
  for (let i = 0; i < vectors; i++) {
    const off = <usize>i << 4;
    v128.store(out + off, f32x4.add(v128.load(a + ai), f32x4.mul(v128.load(b + off), s)));
    ai += 16;
    if (ai == aBytes) ai = 0;
  }
}
