/**
 * Activations and layers' ops built only from existing primitives (where, exp, log,
 * mul, take, …), so they differentiate to any order, `jit` traces them, and batching
 * transforms need no rules of their own: `leakyRelu`, `gelu` (exact erf form, or the
 * tanh approximation), `softplus` (stable for any magnitude), `dropout` (explicit
 * `Rng`, inverted scaling) and `embedding` (row lookup; the gradient scatter-adds into
 * the table).
 */
import { Tensor, type Operand } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { Rng } from '../random/rng.ts';
import { activeStager } from '../autodiff/primitive.ts';
import { insideVmap } from '../autodiff/vmap-state.ts';
import { VmapError } from '../autodiff/batching.ts';
import { JitError } from '../jit/errors.ts';
import { add, div, exp, ge, gt, log, mul, neg, sub, square, tanh, where } from './elementwise.ts';
import { take, type Indices } from './movement.ts';
import { asTensor } from './core.ts';

/**
 * `x` where x > 0, else `negativeSlope·x` (PyTorch's `leaky_relu`; the derivative at 0
 * is the slope, as there).
 * @example leakyRelu(tensor([-2, 0, 3]), 0.1).toArray() // [-0.2, 0, 3]
 */
export function leakyRelu(x: Operand, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
    throw new RangeError(`leakyRelu: negativeSlope must be a finite number, got ${String(negativeSlope)}`);
  }
  const t = asTensor(x, 'leakyRelu');
  return where(gt(t, 0), t, mul(t, negativeSlope));
}

/*
 * erfc(z) for z ≥ 0 as t·exp(P(s) − z²), t = 2/(2 + z), s = 2t − 1 ∈ (−1, 1], with P a
 * Chebyshev series in s (the form of Numerical Recipes' `erfccheb`; our coefficients).
 * P is smooth on the whole half-line, so one formula serves every z with no branch,
 * and erfc keeps its relative precision in the far tail. The coefficients are the
 * discrete Chebyshev transform of P at 128 nodes, with erfc(z)·e^{z²} from its
 * power series (z < 0.5) and its continued fraction (z ≥ 0.5) in float64; 25 terms
 * give erfc to ~1e-15 relative (test/ops-activations.test.ts checks gelu against an
 * independent erfc), 13 suffice for float32.
 */
const ERFC_CHEBYSHEV = [
  -1.3026537197817092, 0.6419697923564901, 0.019476473204185985, -0.009561514786808722, -0.0009465953444820659,
  0.0003668394978526279, 0.000042523324806989504, -0.000020278578112643136, -0.0000016242900045711217,
  0.0000013036558355120076, 1.5626441810662195e-8, -8.523809630692214e-8, 6.529054536602574e-9, 5.059343676644401e-9,
  -9.913642060044303e-10, -2.2736547367063764e-10, 9.646776086280617e-11, 2.3942584026492852e-12,
  -6.885762793285011e-12, 8.942013796087167e-13, 3.131071790729578e-13, -1.127015147872612e-13, 7.563394355258879e-16,
  6.810524366684945e-15, -1.6306400674181987e-15,
];
const ERFC_TERMS = { float32: 13, float64: 25 } as const;

/** erfc of a tensor of values ≥ 0 (Clenshaw's recurrence over the series above). */
function erfcNonNegative(z: Tensor): Tensor {
  const c = ERFC_CHEBYSHEV.slice(0, ERFC_TERMS[z.dtype]);
  const t = div(2, add(z, 2));
  const s = sub(mul(t, 2), 1);
  const s2 = mul(s, 2);
  // b_k = 2s·b_{k+1} − b_{k+2} + c_k, from the top; the first two need no b_{k+2}.
  let b2: Tensor | null = null;
  let b1: Tensor = add(mul(s2, c[c.length - 1]!), c[c.length - 2]!);
  let b0: Tensor = b1;
  for (let k = c.length - 3; k >= 1; k--) {
    b0 = add(sub(mul(s2, b1), b2 ?? c[c.length - 1]!), c[k]!);
    b2 = b1;
    b1 = b0;
  }
  const p = add(sub(mul(s, b1), b2 ?? c[c.length - 1]!), c[0]! / 2);
  return mul(t, exp(sub(p, square(z))));
}

/** {@link gelu}'s form: `'none'` the exact erf form (default), `'tanh'` the approximation. */
export interface GeluOptions {
  readonly approximate?: 'none' | 'tanh';
}

/**
 * GELU (Hendrycks & Gimpel, 2016), `x·Φ(x)` with Φ the standard normal CDF, as PyTorch's
 * `gelu`. `approximate: 'none'` (default) is the exact erf form: Φ(x) = ½·erfc(−x/√2),
 * with erfc composed from existing ops (a 25-term Chebyshev series in float64, 13 in
 * float32; values to a few ulps, the second derivative to ~1e-13; ~80 elementwise ops
 * in float64, ~45 in float32, which `jit` fuses).
 * `approximate: 'tanh'` is `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (8 ops; off by up to
 * ~5e-4 from the exact form).
 *
 * @example
 * ```ts
 * gelu(tensor([-1, 0, 1])).toArray();                            // ≈ [-0.1587, 0, 0.8413]
 * gelu(tensor([-1, 0, 1]), { approximate: 'tanh' }).toArray();   // ≈ [-0.1588, 0, 0.8412]
 * ```
 */
export function gelu(x: Operand, options: GeluOptions = {}): Tensor {
  const { approximate = 'none' } = options;
  const t = asTensor(x, 'gelu');
  if (approximate === 'tanh') {
    const inner = mul(add(t, mul(mul(square(t), t), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(t, 0.5), add(tanh(inner), 1));
  }
  if (approximate !== 'none') throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  // |x| as where(x ≥ 0, x, −x), not abs: its derivative at 0 is 1 (abs' = sign(0) = 0
  // would lose Φ's slope there at the second order).
  const nonNegative = ge(t, 0);
  const tail = mul(erfcNonNegative(mul(where(nonNegative, t, neg(t)), Math.SQRT1_2)), 0.5); // ½·erfc(|x|/√2) = Φ(−|x|)
  return mul(t, where(nonNegative, sub(1, tail), tail));
}

/**
 * log(1 + e) for 0 ≤ e ≤ 1, to full precision: log(w) corrected by the rounding error
 * c = (w − 1) − e of w = 1 + e (exact, by Fast2Sum). Its derivatives stay O(1) at tiny
 * e, unlike the `e·log(w)/(w − 1)` trick's.
 */
function log1pUnit(e: Tensor): Tensor {
  const w = add(e, 1);
  const c = sub(sub(w, 1), e);
  return sub(log(w), div(c, w));
}

/**
 * `log(1 + exp(x))`, computed as max(x, 0) + log1p(exp(−|x|)) so it neither overflows
 * for large x nor loses the small value e^x for very negative x; the derivative is
 * σ(x), exact at 0 to every order (the branch split uses `where`, not `abs`/`maximum`).
 * @example softplus(tensor([-800, 0, 800])).toArray() // [0, 0.6931…, 800]
 */
export function softplus(x: Operand): Tensor {
  const t = asTensor(x, 'softplus');
  const nonNegative = ge(t, 0);
  const negAbs = where(nonNegative, neg(t), t); // −|x|, slope −1 at 0
  return add(where(nonNegative, t, 0), log1pUnit(exp(negAbs)));
}

/**
 * The inverted-dropout mask: each entry `1/(1 − rate)` with probability 1 − rate, else
 * 0 (all zeros at rate 1), drawn from `rng` in row-major order. What {@link dropout}
 * multiplies by; draw it outside `jit` and pass it in.
 * @example dropoutMask(new Rng(0), [2, 3], 0.5) // entries 0 or 2
 */
export function dropoutMask(rng: Rng, shape: readonly number[], rate: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  checkRate('dropoutMask', rate);
  if (!(rng instanceof Rng)) throw new TypeError(`dropoutMask: rng must be an Rng (randomness is explicit), got ${rng === null ? 'null' : typeof rng}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ShapeError(`dropoutMask: bad shape ${JSON.stringify(shape)}`);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
  const scale = rate === 1 ? 0 : 1 / (1 - rate);
  for (let i = 0; i < size; i++) data[i] = rng.uniform() >= rate ? scale : 0;
  return new Tensor(data, [...shape]);
}

function checkRate(op: string, rate: number): void {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new RangeError(`${op}: rate must be a number in [0, 1], got ${String(rate)}`);
}

/**
 * Inverted dropout (Srivastava et al., 2014): zeroes each entry with probability
 * `rate` and scales the kept ones by 1/(1 − rate), so the expectation is `x`. Rate 0
 * returns `x` itself and draws nothing; rate 1 gives zeros. The gradient is the same
 * mask. Randomness is explicit: the mask comes from `rng` ({@link dropoutMask}). Inside
 * `jit` it throws, since a mask drawn at trace time would be reused by every call, and
 * inside `vmap` too, since one per-example mask would be shared by the whole batch:
 * draw the mask outside and pass it in (`mul(x, mask)`, the mask vmapped with x).
 *
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const h = dropout(ones([2, 4]), 0.5, rng); // entries 0 or 2
 * dropout(h, 0, rng) === h;                  // true: identity at rate 0
 * ```
 */
export function dropout(x: Tensor, rate: number, rng: Rng): Tensor {
  checkRate('dropout', rate);
  if (!(x instanceof Tensor)) throw new TypeError(`dropout: x must be a Tensor, got ${typeof x}`);
  if (!(rng instanceof Rng)) throw new TypeError(`dropout: rng must be an Rng (randomness is explicit), got ${rng === null ? 'null' : typeof rng}`);
  if (rate === 0) return x;
  if (activeStager() !== null) {
    throw new JitError('dropout: inside jit the random mask would be drawn once, at trace time, and reused by every call; draw dropoutMask(rng, shape, rate) outside and pass it in as an argument (then mul(x, mask))');
  }
  if (insideVmap()) {
    throw new VmapError(`dropout: inside vmap one mask of the per-example shape [${x.shape.join(', ')}] would be shared by every example; draw dropoutMask(rng, [batch, ...shape], rate) outside and pass it in as a vmapped argument (then mul(x, mask))`);
  }
  return mul(x, dropoutMask(rng, x.shape, rate, x.dtype));
}

/**
 * Embedding lookup: rows `ids` of a `[V, D]` table, shape `[...ids.shape, D]` (PyTorch's
 * `embedding`), through `take`: the gradient scatter-adds into the table's rows (a
 * repeated id accumulates). Ids must be integers in [0, V) (no wrap-around).
 * @example embedding(tensor([[0, 0], [1, 1], [2, 2]]), [2, 0, 2]).toArray() // [[2, 2], [0, 0], [2, 2]]
 */
export function embedding(table: Tensor, ids: Indices): Tensor {
  if (!(table instanceof Tensor) || table.rank !== 2) {
    throw new ShapeError(`embedding: table must be a [V, D] tensor, got ${table instanceof Tensor ? `shape [${table.shape.join(', ')}]` : typeof table}`);
  }
  const rows = table.shape[0]!;
  const values = ids instanceof Tensor ? ids.toTypedArray() : ids;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= rows) {
      throw new ShapeError(`embedding: id ${v} at position ${i} is not an integer in [0, ${rows}) (table [${table.shape.join(', ')}])`);
    }
  }
  return take(table, ids, 0);
}
