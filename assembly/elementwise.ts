// Elementwise maps over whole v128 vectors. The host rounds lengths up to a multiple
// of 4 floats in its arena and copies out only the real elements, so there are no
// scalar tails; garbage in padding lanes cannot trap (float ops never do).
// Only ops that are exact in f32 live here (they match the float64-computing
// reference bit for bit); transcendentals stay in the host.

// Op codes, shared with src/backend/wasm/backend.ts.
const NEG = 0, ABS = 1, RELU = 2, STEP = 3, SQUARE = 4, SQRT = 5, RECIPROCAL = 6, SIGN = 7;
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5, GT = 6, GE = 7, LT = 8, LE = 9, EQ = 10;

// @ts-ignore: decorator
@inline function unaryOp(op: i32, x: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  if (op == NEG) return f32x4.neg(x);
  if (op == ABS) return f32x4.abs(x);
  if (op == RELU) return f32x4.max(x, zero); // wasm max propagates NaN, as the reference does
  if (op == STEP) return v128.and(f32x4.gt(x, zero), one);
  if (op == SQUARE) return f32x4.mul(x, x);
  if (op == SQRT) return f32x4.sqrt(x);
  if (op == RECIPROCAL) return f32x4.div(one, x);
  // SIGN: ±1, with 0, -0 and NaN passed through.
  const pos = v128.bitselect(one, x, f32x4.gt(x, zero));
  return v128.bitselect(f32x4.splat(-1), pos, f32x4.lt(x, zero));
}

// @ts-ignore: decorator
@inline function binaryOp(op: i32, x: v128, y: v128): v128 {
  const one = f32x4.splat(1);
  if (op == ADD) return f32x4.add(x, y);
  if (op == SUB) return f32x4.sub(x, y);
  if (op == MUL) return f32x4.mul(x, y);
  if (op == DIV) return f32x4.div(x, y);
  if (op == MAXIMUM) return f32x4.max(x, y);
  if (op == MINIMUM) return f32x4.min(x, y);
  if (op == GT) return v128.and(f32x4.gt(x, y), one);
  if (op == GE) return v128.and(f32x4.ge(x, y), one);
  if (op == LT) return v128.and(f32x4.lt(x, y), one);
  if (op == LE) return v128.and(f32x4.le(x, y), one);
  return v128.and(f32x4.eq(x, y), one); // EQ
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, out: usize, vectors: i32): void {
  const end = x + (<usize>vectors << 4);
  const delta = out - x;
  for (let p = x; p < end; p += 16) v128.store(p + delta, unaryOp(op, v128.load(p)));
}

// @ts-ignore: decorator
@inline function binaryLoop(op: i32, a: usize, aStep: usize, b: usize, bStep: usize, out: usize, vectors: i32): void {
  for (let i = 0; i < vectors; i++) {
    v128.store(out, binaryOp(op, v128.load(a), v128.load(b)));
    a += aStep;
    b += bStep;
    out += 16;
  }
}

/** out[i] = op(x[i]) for `vectors`·4 floats; `op` is one of the unary codes above. */
export function unaryF32(op: i32, x: usize, out: usize, vectors: i32): void {
  // Each case inlines the loop with a constant op, so the op's branch folds away.
  switch (op) {
    case NEG: unaryLoop(NEG, x, out, vectors); break;
    case ABS: unaryLoop(ABS, x, out, vectors); break;
    case RELU: unaryLoop(RELU, x, out, vectors); break;
    case STEP: unaryLoop(STEP, x, out, vectors); break;
    case SQUARE: unaryLoop(SQUARE, x, out, vectors); break;
    case SQRT: unaryLoop(SQRT, x, out, vectors); break;
    case RECIPROCAL: unaryLoop(RECIPROCAL, x, out, vectors); break;
    case SIGN: unaryLoop(SIGN, x, out, vectors); break;
    default: unreachable();
  }
}

/**
 * out = op(a, b) over `vectors`·4 floats. A step of 16 bytes walks an operand; a step
 * of 0 re-reads one vector, which the host fills with a broadcast scalar.
 */
export function binaryF32(op: i32, a: usize, aStep: usize, b: usize, bStep: usize, out: usize, vectors: i32): void {
  switch (op) {
    case ADD: binaryLoop(ADD, a, aStep, b, bStep, out, vectors); break;
    case SUB: binaryLoop(SUB, a, aStep, b, bStep, out, vectors); break;
    case MUL: binaryLoop(MUL, a, aStep, b, bStep, out, vectors); break;
    case DIV: binaryLoop(DIV, a, aStep, b, bStep, out, vectors); break;
    case MAXIMUM: binaryLoop(MAXIMUM, a, aStep, b, bStep, out, vectors); break;
    case MINIMUM: binaryLoop(MINIMUM, a, aStep, b, bStep, out, vectors); break;
    case GT: binaryLoop(GT, a, aStep, b, bStep, out, vectors); break;
    case GE: binaryLoop(GE, a, aStep, b, bStep, out, vectors); break;
    case LT: binaryLoop(LT, a, aStep, b, bStep, out, vectors); break;
    case LE: binaryLoop(LE, a, aStep, b, bStep, out, vectors); break;
    case EQ: binaryLoop(EQ, a, aStep, b, bStep, out, vectors); break;
    default: unreachable();
  }
}
