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
  const into = ([x]: readonly Tensor[], out: Tensor): void => getBackend().unary(op, x!.data, out.data);
  return {
    name: op,
    forward: (inputs) => {
      const out = uninitialized(inputs[0]!.dtype, inputs[0]!.shape);
      into(inputs, out);
      return out;
    },
    into,
    prepare: ([x], out) => () => getBackend().unary(op, x!.data, out.data),
    vjp,
  };
}

function binaryPrim(op: BinaryOp, vjp: VjpRule<null> | 'nondiff'): PrimitiveDef<null> {
  const into = ([a, b]: readonly Tensor[], out: Tensor): void =>
    getBackend().binary(op, a!.data, a!.shape, b!.data, b!.shape, out.data, out.shape);
  return {
    name: op,
    forward: (inputs) => {
      const out = uninitialized(inputs[0]!.dtype, broadcastShapes(op, inputs[0]!.shape, inputs[1]!.shape));
      into(inputs, out);
      return out;
    },
    into,
    prepare: ([a, b], out) => () => getBackend().binary(op, a!.data, a!.shape, b!.data, b!.shape, out.data, out.shape),
    vjp,
  };
}

// --- unary primitives -------------------------------------------------------

/** `neg`'s primitive (forward kernel and derivative rule): d(-x) = -dx. */
export const negPrim = unaryPrim('neg', (g) => [neg(g)]);
/** `exp`'s primitive (forward kernel and derivative rule): d(exp x) = exp(x) dx. */
export const expPrim = unaryPrim('exp', (g, _x, out) => [mul(g, out)]);
/** `log`'s primitive (forward kernel and derivative rule): d(log x) = dx / x. */
export const logPrim = unaryPrim('log', (g, [x]) => [div(g, x!)]);
/** `sin`'s primitive (forward kernel and derivative rule): d(sin x) = cos(x) dx. */
export const sinPrim = unaryPrim('sin', (g, [x]) => [mul(g, cos(x!))]);
/** `cos`'s primitive (forward kernel and derivative rule): d(cos x) = -sin(x) dx. */
export const cosPrim = unaryPrim('cos', (g, [x]) => [neg(mul(g, sin(x!)))]);
/** `tanh`'s primitive (forward kernel and derivative rule): d(tanh x) = (1 - tanh²x) dx. */
export const tanhPrim = unaryPrim('tanh', (g, _x, out) => [mul(g, sub(1, square(out)))]);
/** `sqrt`'s primitive (forward kernel and derivative rule): d(sqrt x) = dx / (2 sqrt x). */
export const sqrtPrim = unaryPrim('sqrt', (g, _x, out) => [div(g, mul(out, 2))]);
/** `abs`'s primitive (forward kernel and derivative rule): d|x| = sign(x) dx. */
export const absPrim = unaryPrim('abs', (g, [x]) => [mul(g, sign(x!))]);
/** `sign`'s primitive: no derivative rule (zero almost everywhere). */
export const signPrim = unaryPrim('sign', 'nondiff');
/** `sigmoid`'s primitive (forward kernel and derivative rule): dσ(x) = σ(x)(1 - σ(x)) dx. */
export const sigmoidPrim = unaryPrim('sigmoid', (g, _x, out) => [mul(g, mul(out, sub(1, out)))]);
/** `relu`'s primitive (forward kernel and derivative rule): d relu(x) = [x > 0] dx. */
export const reluPrim = unaryPrim('relu', (g, [x]) => [mul(g, step(x!))]);
/** `step`'s primitive: no derivative rule (zero almost everywhere). */
export const stepPrim = unaryPrim('step', 'nondiff');
/** `square`'s primitive (forward kernel and derivative rule): d(x²) = 2x dx. */
export const squarePrim = unaryPrim('square', (g, [x]) => [mul(g, mul(x!, 2))]);
/** `reciprocal`'s primitive (forward kernel and derivative rule): d(1/x) = -dx / x². */
export const reciprocalPrim = unaryPrim('reciprocal', (g, _x, out) => [neg(mul(g, square(out)))]);

// --- binary primitives ------------------------------------------------------

/** `add`'s primitive (forward kernel and derivative rule): d(a + b) = da + db. */
export const addPrim = binaryPrim('add', (g) => [g, g]);
/** `sub`'s primitive (forward kernel and derivative rule): d(a - b) = da - db. */
export const subPrim = binaryPrim('sub', (g, _in, _out, _p, needs) => [g, needs[1] ? neg(g) : null]);
/** `mul`'s primitive (forward kernel and derivative rule): d(a b) = b da + a db. */
export const mulPrim = binaryPrim('mul', (g, [a, b], _out, _p, needs) => [
  needs[0] ? mul(g, b!) : null,
  needs[1] ? mul(g, a!) : null,
]);
/** `div`'s primitive (forward kernel and derivative rule): d(a / b) = da / b - (a / b²) db. */
export const divPrim = binaryPrim('div', (g, [, b], out, _p, needs) => {
  const gb = div(g, b!);
  return [gb, needs[1] ? neg(mul(gb, out)) : null];
});
/**
 * `pow`'s primitive (forward kernel and derivative rule):
 * d(a^b) = b a^(b-1) da + log(a) a^b db   (log term taken as 0 where a <= 0)
 */
// NOTE: the log takes a base of 1 where a <= 0: log(a) there is NaN, and at the next
// order the zero cotangent sent into the masked branch times NaN would be NaN.
export const powPrim = binaryPrim('pow', (g, [a, b], out, _p, needs) => [
  needs[0] ? mul(g, mul(b!, pow(a!, sub(b!, 1)))) : null,
  needs[1] ? where(gt(a!, 0), mul(g, mul(out, log(where(gt(a!, 0), a!, 1)))), 0) : null,
]);
/** `maximum`'s primitive: d max(a, b) = [a > b] da + [a < b] db, ties split evenly. */
export const maximumPrim = binaryPrim('maximum', (g, [a, b], _out, _p, needs) => tieSplit(g, a!, b!, needs));
/** `minimum`'s primitive: d min(a, b) = [a < b] da + [a > b] db, ties split evenly. */
export const minimumPrim = binaryPrim('minimum', (g, [a, b], _out, _p, needs) => tieSplit(g, b!, a!, needs));

/**
 * Cotangents of a max-like selection, in input order. For maximum call it with
 * (a, b); for minimum with (b, a): input 0 then gets [b > a] — i.e. [a < b].
 */
function tieSplit(g: Tensor, p: Tensor, q: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const half = mul(eq(p, q), 0.5);
  return [needs[0] ? mul(g, add(gt(p, q), half)) : null, needs[1] ? mul(g, add(lt(p, q), half)) : null];
}

/** `gt`'s primitive: a comparison, with no derivative rule. */
export const gtPrim = binaryPrim('gt', 'nondiff');
/** `ge`'s primitive: a comparison, with no derivative rule. */
export const gePrim = binaryPrim('ge', 'nondiff');
/** `lt`'s primitive: a comparison, with no derivative rule. */
export const ltPrim = binaryPrim('lt', 'nondiff');
/** `le`'s primitive: a comparison, with no derivative rule. */
export const lePrim = binaryPrim('le', 'nondiff');
/** `eq`'s primitive: a comparison, with no derivative rule. */
export const eqPrim = binaryPrim('eq', 'nondiff');

/** `where`'s primitive: d where(c, a, b) = [c] da + [!c] db; the condition gets no cotangent. */
export const wherePrim: PrimitiveDef<null> = {
  name: 'where',
  forward: (inputs) => {
    const [c, a, b] = inputs;
    const out = uninitialized(a!.dtype, broadcastShapes('where', c!.shape, a!.shape, b!.shape));
    wherePrim.into!(inputs, out, null);
    return out;
  },
  into: ([c, a, b], out) => getBackend().where(c!.data, c!.shape, a!.data, a!.shape, b!.data, b!.shape, out.data, out.shape),
  vjp: (g, [c], _out, _p, needs) => [
    null,
    needs[1] ? where(c!, g, 0) : null,
    needs[2] ? where(c!, 0, g) : null,
  ],
};

/** `cast`'s primitive: the cotangent is cast back to the input dtype. */
export const castPrim: PrimitiveDef<DType> = {
  name: 'cast',
  forward: ([x], dtype) => {
    const data = alloc(dtype, x!.size);
    data.set(x!.data);
    return new Tensor(data, x!.shape);
  },
  into: ([x], out) => out.data.set(x!.data),
  vjp: (g, [x]) => [cast(g, x!.dtype)],
};

// --- public functions -------------------------------------------------------

/**
 * Elementwise `-x`.
 * @example
 * ```ts
 * neg(tensor([1, -2])).toArray(); // [-1, 2]
 * ```
 */
export const neg = (x: Operand): Tensor => bind(negPrim, [asTensor(x, 'neg')], null);
/**
 * Elementwise `e^x`.
 * @example
 * ```ts
 * exp(tensor([0, 1])).toArray(); // [1, 2.7182817…]
 * ```
 */
export const exp = (x: Operand): Tensor => bind(expPrim, [asTensor(x, 'exp')], null);
/**
 * Elementwise natural logarithm (`-Infinity` at 0, NaN below).
 * @example
 * ```ts
 * log(tensor([1, Math.E])).toArray(); // [0, 0.99999994] (float32)
 * ```
 */
export const log = (x: Operand): Tensor => bind(logPrim, [asTensor(x, 'log')], null);
/**
 * Elementwise sine (radians).
 * @example
 * ```ts
 * grad((x: Tensor) => sum(sin(x)))(tensor([0, Math.PI])).toArray(); // cos x: [1, -1]
 * ```
 */
export const sin = (x: Operand): Tensor => bind(sinPrim, [asTensor(x, 'sin')], null);
/**
 * Elementwise cosine (radians).
 * @example
 * ```ts
 * cos(tensor([0, Math.PI])).toArray(); // [1, -1]
 * ```
 */
export const cos = (x: Operand): Tensor => bind(cosPrim, [asTensor(x, 'cos')], null);
/**
 * Elementwise hyperbolic tangent, the usual squashing activation (range (-1, 1)).
 * @example
 * ```ts
 * tanh(tensor([0, 100])).toArray(); // [0, 1]
 * ```
 */
export const tanh = (x: Operand): Tensor => bind(tanhPrim, [asTensor(x, 'tanh')], null);
/**
 * Elementwise square root (NaN for negative inputs; the derivative is infinite at 0).
 * @example
 * ```ts
 * sqrt(tensor([4, 9])).toArray(); // [2, 3]
 * ```
 */
export const sqrt = (x: Operand): Tensor => bind(sqrtPrim, [asTensor(x, 'sqrt')], null);
/**
 * Elementwise `|x|`; its derivative is `sign(x)`, so 0 at 0.
 * @example
 * ```ts
 * abs(tensor([-3, 2])).toArray(); // [3, 2]
 * ```
 */
export const abs = (x: Operand): Tensor => bind(absPrim, [asTensor(x, 'abs')], null);
/**
 * -1, 0 or 1 by sign (no gradient).
 * @example
 * ```ts
 * sign(tensor([-2, 0, 5])).toArray(); // [-1, 0, 1]
 * ```
 */
export const sign = (x: Operand): Tensor => bind(signPrim, [asTensor(x, 'sign')], null);
/**
 * The logistic function, computed without overflow for large |x|.
 * @example
 * ```ts
 * sigmoid(tensor([0, -1000])).toArray(); // [0.5, 0]
 * ```
 */
export const sigmoid = (x: Operand): Tensor => bind(sigmoidPrim, [asTensor(x, 'sigmoid')], null);
/**
 * max(x, 0); its derivative at 0 is taken as 0.
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])).toArray(); // [0, 0, 2]
 * ```
 */
export const relu = (x: Operand): Tensor => bind(reluPrim, [asTensor(x, 'relu')], null);
/**
 * 1 where x > 0 else 0 (no gradient).
 * @example
 * ```ts
 * step(tensor([-1, 0, 2])).toArray(); // [0, 0, 1]
 * ```
 */
export const step = (x: Operand): Tensor => bind(stepPrim, [asTensor(x, 'step')], null);
/**
 * Elementwise `x²` (one primitive, cheaper than `pow(x, 2)` and its log term).
 * @example
 * ```ts
 * square(tensor([-3, 2])).toArray(); // [9, 4]
 * ```
 */
export const square = (x: Operand): Tensor => bind(squarePrim, [asTensor(x, 'square')], null);
/**
 * Elementwise `1 / x` (`Infinity` at 0).
 * @example
 * ```ts
 * reciprocal(tensor([2, -4])).toArray(); // [0.5, -0.25]
 * ```
 */
export const reciprocal = (x: Operand): Tensor => bind(reciprocalPrim, [asTensor(x, 'reciprocal')], null);

/**
 * `a + b`, NumPy-broadcast; either operand may be a number.
 * @example
 * ```ts
 * add(tensor([[1], [2]]), tensor([10, 20])).toArray(); // [[11, 21], [12, 22]]
 * ```
 */
export const add = (a: Operand, b: Operand): Tensor => bind(addPrim, coerce('add', a, b), null);
/**
 * `a - b`, NumPy-broadcast; either operand may be a number.
 * @example
 * ```ts
 * sub(1, tensor([0.25, 2])).toArray(); // [0.75, -1]
 * ```
 */
export const sub = (a: Operand, b: Operand): Tensor => bind(subPrim, coerce('sub', a, b), null);
/**
 * `a * b` elementwise (not a matrix product: see `matmul`), NumPy-broadcast;
 * either operand may be a number.
 * @example
 * ```ts
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 * ```
 */
export const mul = (a: Operand, b: Operand): Tensor => bind(mulPrim, coerce('mul', a, b), null);
/**
 * `a / b` elementwise, NumPy-broadcast; either operand may be a number.
 * @example
 * ```ts
 * div(tensor([1, 2]), tensor([4, 8])).toArray(); // [0.25, 0.25]
 * ```
 */
export const div = (a: Operand, b: Operand): Tensor => bind(divPrim, coerce('div', a, b), null);
/**
 * `a ** b` elementwise. The derivative in `b` treats `log(a)` as 0 where a ≤ 0.
 * @example
 * ```ts
 * pow(tensor([1, 2, 3]), 2).toArray(); // [1, 4, 9]
 * ```
 */
export const pow = (a: Operand, b: Operand): Tensor => bind(powPrim, coerce('pow', a, b), null);
/**
 * Elementwise maximum; NaN propagates. At ties the gradient is split evenly.
 * @example
 * ```ts
 * maximum(tensor([1, 5]), 3).toArray(); // [3, 5]
 * ```
 */
export const maximum = (a: Operand, b: Operand): Tensor => bind(maximumPrim, coerce('maximum', a, b), null);
/**
 * Elementwise minimum; NaN propagates. At ties the gradient is split evenly.
 * @example
 * ```ts
 * minimum(tensor([1, 5]), 3).toArray(); // [1, 3]
 * ```
 */
export const minimum = (a: Operand, b: Operand): Tensor => bind(minimumPrim, coerce('minimum', a, b), null);

/**
 * Mask (1/0, no gradient) of `a > b`.
 * @example
 * ```ts
 * gt(tensor([1, 2, 3]), 2).toArray(); // [0, 0, 1]
 * ```
 */
export const gt = (a: Operand, b: Operand): Tensor => bind(gtPrim, coerce('gt', a, b), null);
/**
 * Mask (1/0, no gradient) of `a >= b`.
 * @example
 * ```ts
 * ge(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 1]
 * ```
 */
export const ge = (a: Operand, b: Operand): Tensor => bind(gePrim, coerce('ge', a, b), null);
/**
 * Mask (1/0, no gradient) of `a < b`.
 * @example
 * ```ts
 * lt(tensor([1, 2, 3]), 2).toArray(); // [1, 0, 0]
 * ```
 */
export const lt = (a: Operand, b: Operand): Tensor => bind(ltPrim, coerce('lt', a, b), null);
/**
 * Mask (1/0, no gradient) of `a <= b`.
 * @example
 * ```ts
 * le(tensor([1, 2, 3]), 2).toArray(); // [1, 1, 0]
 * ```
 */
export const le = (a: Operand, b: Operand): Tensor => bind(lePrim, coerce('le', a, b), null);
/**
 * Mask (1/0, no gradient) of `a == b` (exact float comparison).
 * @example
 * ```ts
 * eq(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 0]
 * ```
 */
export const eq = (a: Operand, b: Operand): Tensor => bind(eqPrim, coerce('eq', a, b), null);

/**
 * `cond ? a : b` elementwise with broadcasting; `cond` is a mask (non-zero = true).
 * The gradient flows to the branch that was taken; `cond` gets none.
 * @example
 * ```ts
 * const x = tensor([-2, 3]);
 * where(gt(x, 0), x, 0).toArray(); // [0, 3]
 * ```
 */
export function where(cond: Operand, a: Operand, b: Operand): Tensor {
  const [x, y] = coerce('where', a, b);
  const c = asTensor(cond, 'where', x.dtype);
  return bind(wherePrim, [c.dtype === x.dtype ? c : cast(c, x.dtype), x, y], null);
}

/**
 * Converts to another dtype (differentiable: the cotangent is cast back). Returns `x`
 * itself when it already has that dtype.
 * @example
 * ```ts
 * cast(tensor([0.1]), 'float64').dtype; // 'float64'
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`cast: unsupported dtype '${String(dtype)}' (use 'float32' or 'float64')`);
  return x.dtype === dtype ? x : bind(castPrim, [x], dtype);
}
