/**
 * Elementwise primitives (forward and derivative rule side by side) and the
 * composites built from them. Binary ops broadcast like NumPy; rules return
 * cotangents in the broadcast shape and the autodiff core sums them back.
 */
import type { BinaryOp, DType, UnaryOp } from '../backend/backend.ts';
import { getBackend } from '../backend/registry.ts';
import { bind, type PrimitiveDef, type VjpRule } from '../autodiff/primitive.ts';
import { Tensor, type Operand } from '../tensor/tensor.ts';
import { broadcastShapes } from '../tensor/shape.ts';
import { alloc, asTensor, coerce, uninitialized } from './core.ts';

function unaryPrim(op: UnaryOp, vjp: VjpRule<null> | 'nondiff'): PrimitiveDef<null> {
  return {
    name: op,
    forward: ([x]) => {
      const out = uninitialized(x!.dtype, x!.shape);
      getBackend().unary(op, x!.data, out.data);
      return out;
    },
    vjp,
  };
}

function binaryPrim(op: BinaryOp, vjp: VjpRule<null> | 'nondiff'): PrimitiveDef<null> {
  return {
    name: op,
    forward: ([a, b]) => {
      const shape = broadcastShapes(op, a!.shape, b!.shape);
      const out = uninitialized(a!.dtype, shape);
      getBackend().binary(op, a!.data, a!.shape, b!.data, b!.shape, out.data, shape);
      return out;
    },
    vjp,
  };
}

// --- unary primitives -------------------------------------------------------

// d(-x) = -dx
export const negPrim = unaryPrim('neg', (g) => [neg(g)]);
// d(exp x) = exp(x) dx
export const expPrim = unaryPrim('exp', (g, _x, out) => [mul(g, out)]);
// d(log x) = dx / x
export const logPrim = unaryPrim('log', (g, [x]) => [div(g, x!)]);
// d(sin x) = cos(x) dx
export const sinPrim = unaryPrim('sin', (g, [x]) => [mul(g, cos(x!))]);
// d(cos x) = -sin(x) dx
export const cosPrim = unaryPrim('cos', (g, [x]) => [neg(mul(g, sin(x!)))]);
// d(tanh x) = (1 - tanh²x) dx
export const tanhPrim = unaryPrim('tanh', (g, _x, out) => [mul(g, sub(1, square(out)))]);
// d(sqrt x) = dx / (2 sqrt x)
export const sqrtPrim = unaryPrim('sqrt', (g, _x, out) => [div(g, mul(out, 2))]);
// d|x| = sign(x) dx
export const absPrim = unaryPrim('abs', (g, [x]) => [mul(g, sign(x!))]);
export const signPrim = unaryPrim('sign', 'nondiff');
// dσ(x) = σ(x)(1 - σ(x)) dx
export const sigmoidPrim = unaryPrim('sigmoid', (g, _x, out) => [mul(g, mul(out, sub(1, out)))]);
// d relu(x) = [x > 0] dx
export const reluPrim = unaryPrim('relu', (g, [x]) => [mul(g, step(x!))]);
export const stepPrim = unaryPrim('step', 'nondiff');
// d(x²) = 2x dx
export const squarePrim = unaryPrim('square', (g, [x]) => [mul(g, mul(x!, 2))]);
// d(1/x) = -dx / x²
export const reciprocalPrim = unaryPrim('reciprocal', (g, _x, out) => [neg(mul(g, square(out)))]);

// --- binary primitives ------------------------------------------------------

// d(a + b) = da + db
export const addPrim = binaryPrim('add', (g) => [g, g]);
// d(a - b) = da - db
export const subPrim = binaryPrim('sub', (g, _in, _out, _p, needs) => [g, needs[1] ? neg(g) : null]);
// d(a b) = b da + a db
export const mulPrim = binaryPrim('mul', (g, [a, b], _out, _p, needs) => [
  needs[0] ? mul(g, b!) : null,
  needs[1] ? mul(g, a!) : null,
]);
// d(a / b) = da / b - (a / b²) db
export const divPrim = binaryPrim('div', (g, [, b], out, _p, needs) => {
  const gb = div(g, b!);
  return [gb, needs[1] ? neg(mul(gb, out)) : null];
});
// d(a^b) = b a^(b-1) da + log(a) a^b db   (log term taken as 0 where a <= 0)
// NOTE: the log takes a base of 1 where a <= 0: log(a) there is NaN, and at the next
// order the zero cotangent sent into the masked branch times NaN would be NaN.
export const powPrim = binaryPrim('pow', (g, [a, b], out, _p, needs) => [
  needs[0] ? mul(g, mul(b!, pow(a!, sub(b!, 1)))) : null,
  needs[1] ? where(gt(a!, 0), mul(g, mul(out, log(where(gt(a!, 0), a!, 1)))), 0) : null,
]);
// d max(a, b) = [a > b] da + [a < b] db, ties split evenly
export const maximumPrim = binaryPrim('maximum', (g, [a, b], _out, _p, needs) => tieSplit(g, a!, b!, needs));
// d min(a, b) = [a < b] da + [a > b] db, ties split evenly
export const minimumPrim = binaryPrim('minimum', (g, [a, b], _out, _p, needs) => tieSplit(g, b!, a!, needs));

/**
 * Cotangents of a max-like selection, in input order. For maximum call it with
 * (a, b); for minimum with (b, a): input 0 then gets [b > a] — i.e. [a < b].
 */
function tieSplit(g: Tensor, p: Tensor, q: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const half = mul(eq(p, q), 0.5);
  return [needs[0] ? mul(g, add(gt(p, q), half)) : null, needs[1] ? mul(g, add(lt(p, q), half)) : null];
}

export const gtPrim = binaryPrim('gt', 'nondiff');
export const gePrim = binaryPrim('ge', 'nondiff');
export const ltPrim = binaryPrim('lt', 'nondiff');
export const lePrim = binaryPrim('le', 'nondiff');
export const eqPrim = binaryPrim('eq', 'nondiff');

// where(c, a, b): d = [c] da + [!c] db; the condition gets no cotangent.
export const wherePrim: PrimitiveDef<null> = {
  name: 'where',
  forward: ([c, a, b]) => {
    const shape = broadcastShapes('where', c!.shape, a!.shape, b!.shape);
    const out = uninitialized(a!.dtype, shape);
    getBackend().where(c!.data, c!.shape, a!.data, a!.shape, b!.data, b!.shape, out.data, shape);
    return out;
  },
  vjp: (g, [c], _out, _p, needs) => [
    null,
    needs[1] ? where(c!, g, 0) : null,
    needs[2] ? where(c!, 0, g) : null,
  ],
};

// cast: the cotangent is cast back to the input dtype.
export const castPrim: PrimitiveDef<DType> = {
  name: 'cast',
  forward: ([x], dtype) => {
    const data = alloc(dtype, x!.size);
    data.set(x!.data);
    return new Tensor(data, x!.shape);
  },
  vjp: (g, [x]) => [cast(g, x!.dtype)],
};

// --- public functions -------------------------------------------------------

/** Elementwise `-x`. */
export const neg = (x: Operand): Tensor => bind(negPrim, [asTensor(x, 'neg')], null);
/** Elementwise `e^x`. */
export const exp = (x: Operand): Tensor => bind(expPrim, [asTensor(x, 'exp')], null);
/** Elementwise natural logarithm. */
export const log = (x: Operand): Tensor => bind(logPrim, [asTensor(x, 'log')], null);
export const sin = (x: Operand): Tensor => bind(sinPrim, [asTensor(x, 'sin')], null);
export const cos = (x: Operand): Tensor => bind(cosPrim, [asTensor(x, 'cos')], null);
export const tanh = (x: Operand): Tensor => bind(tanhPrim, [asTensor(x, 'tanh')], null);
export const sqrt = (x: Operand): Tensor => bind(sqrtPrim, [asTensor(x, 'sqrt')], null);
export const abs = (x: Operand): Tensor => bind(absPrim, [asTensor(x, 'abs')], null);
/** -1, 0 or 1 by sign (no gradient). */
export const sign = (x: Operand): Tensor => bind(signPrim, [asTensor(x, 'sign')], null);
/** The logistic function, computed without overflow for large |x|. */
export const sigmoid = (x: Operand): Tensor => bind(sigmoidPrim, [asTensor(x, 'sigmoid')], null);
/** max(x, 0); its derivative at 0 is taken as 0. */
export const relu = (x: Operand): Tensor => bind(reluPrim, [asTensor(x, 'relu')], null);
/** 1 where x > 0 else 0 (no gradient). */
export const step = (x: Operand): Tensor => bind(stepPrim, [asTensor(x, 'step')], null);
export const square = (x: Operand): Tensor => bind(squarePrim, [asTensor(x, 'square')], null);
export const reciprocal = (x: Operand): Tensor => bind(reciprocalPrim, [asTensor(x, 'reciprocal')], null);

/** `a + b`, NumPy-broadcast; either operand may be a number. */
export const add = (a: Operand, b: Operand): Tensor => bind(addPrim, coerce('add', a, b), null);
export const sub = (a: Operand, b: Operand): Tensor => bind(subPrim, coerce('sub', a, b), null);
export const mul = (a: Operand, b: Operand): Tensor => bind(mulPrim, coerce('mul', a, b), null);
export const div = (a: Operand, b: Operand): Tensor => bind(divPrim, coerce('div', a, b), null);
/** `a ** b` elementwise. */
export const pow = (a: Operand, b: Operand): Tensor => bind(powPrim, coerce('pow', a, b), null);
/** Elementwise maximum; NaN propagates. */
export const maximum = (a: Operand, b: Operand): Tensor => bind(maximumPrim, coerce('maximum', a, b), null);
export const minimum = (a: Operand, b: Operand): Tensor => bind(minimumPrim, coerce('minimum', a, b), null);

/** Mask (1/0, no gradient) of `a > b`. */
export const gt = (a: Operand, b: Operand): Tensor => bind(gtPrim, coerce('gt', a, b), null);
export const ge = (a: Operand, b: Operand): Tensor => bind(gePrim, coerce('ge', a, b), null);
export const lt = (a: Operand, b: Operand): Tensor => bind(ltPrim, coerce('lt', a, b), null);
export const le = (a: Operand, b: Operand): Tensor => bind(lePrim, coerce('le', a, b), null);
export const eq = (a: Operand, b: Operand): Tensor => bind(eqPrim, coerce('eq', a, b), null);

/** `cond ? a : b` elementwise with broadcasting; `cond` is a mask (non-zero = true). */
export function where(cond: Operand, a: Operand, b: Operand): Tensor {
  const [x, y] = coerce('where', a, b);
  const c = asTensor(cond, 'where', x.dtype);
  return bind(wherePrim, [c.dtype === x.dtype ? c : cast(c, x.dtype), x, y], null);
}

/** Converts to another dtype (differentiable). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`cast: unsupported dtype '${String(dtype)}' (use 'float32' or 'float64')`);
  return x.dtype === dtype ? x : bind(castPrim, [x], dtype);
}
