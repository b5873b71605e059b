/** Creating tensors: from values, constants, ranges and seeded random draws. */
import type { DType, Storage } from '../backend/backend.ts';
import { Tensor, type NestedArray } from './tensor.ts';
import { DTypeError, ShapeError } from './errors.ts';
import { checkShape, fmt, sizeOf } from './shape.ts';
import type { Rng } from '../random/rng.ts';

type Values = number | NestedArray | readonly number[] | ArrayLike<number>;

function alloc(dtype: DType, n: number): Storage {
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`unsupported dtype '${String(dtype)}' (use 'float32' or 'float64')`);
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Shape and flat values of nested arrays; throws on ragged input. */
function flatten(values: NestedArray): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as NestedArray;
    if (probe === undefined) break;
  }
  const flat: number[] = [];
  const walk = (v: NestedArray, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ShapeError(`tensor: ragged nested array at ${path} (expected a number, got ${Array.isArray(v) ? 'an array' : typeof v})`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`tensor: ragged nested array at ${path} (expected length ${shape[depth]}, got ${Array.isArray(v) ? v.length : typeof v})`);
    }
    v.forEach((x, i) => walk(x, depth + 1, `${path}[${i}]`));
  };
  walk(values, 0, 'values');
  return { shape, flat };
}

/**
 * A tensor from a number, nested arrays, a flat array or a typed array.
 * With `shape`, flat values are laid out row-major in that shape.
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]);                 // float32 [2, 2]
 * tensor([1, 2, 3, 4, 5, 6], [2, 3]);       // reshaped flat values
 * tensor(new Float64Array([1, 2]), [2], 'float64');
 * ```
 */
export function tensor(values: Values, shape?: readonly number[], dtype?: DType): Tensor {
  const dt: DType = dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') { flat = [values]; inferred = []; }
  else if (Array.isArray(values)) ({ flat, shape: inferred } = flatten(values as NestedArray));
  else { flat = values as ArrayLike<number>; inferred = [flat.length]; }
  const finalShape = shape ? [...checkShape(shape, 'tensor')] : inferred;
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${fmt(finalShape)} (${sizeOf(finalShape)} elements)`);
  }
  const data = alloc(dt, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new TypeError(`tensor: value at flat index ${i} is ${typeof v}, expected a number`);
    data[i] = v;
  }
  return new Tensor(data, finalShape);
}

/**
 * A scalar (rank-0) tensor.
 * @example
 * ```ts
 * scalar(0.5).shape;              // []
 * scalar(2, 'float64').item();    // 2
 * ```
 */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return tensor(value, [], dtype);
}

/**
 * A tensor of `shape` filled with `value`.
 * @example
 * ```ts
 * full([2, 2], 0.5).toArray(); // [[0.5, 0.5], [0.5, 0.5]]
 * ```
 */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'full');
  const data = alloc(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new Tensor(data, [...shape]);
}

/**
 * A tensor of zeros (float32 unless `dtype` says otherwise).
 * @example
 * ```ts
 * zeros([2, 3]).shape;             // [2, 3]
 * zeros([4], 'float64').dtype;     // 'float64'
 * ```
 */
export const zeros = (shape: readonly number[], dtype: DType = 'float32'): Tensor => full(shape, 0, dtype);
/**
 * A tensor of ones (float32 unless `dtype` says otherwise).
 * @example
 * ```ts
 * ones([3]).toArray(); // [1, 1, 1]
 * ```
 */
export const ones = (shape: readonly number[], dtype: DType = 'float32'): Tensor => full(shape, 1, dtype);
/**
 * Zeros with the shape and dtype of `x` (e.g. an initial accumulator per parameter).
 * @example
 * ```ts
 * const params = { w: ones([2, 3]), b: ones([3]) };
 * const velocity = treeMap(params, zerosLike);
 * velocity.b.toArray(); // [0, 0, 0]
 * ```
 */
export const zerosLike = (x: Tensor): Tensor => full(x.shape, 0, x.dtype);
/**
 * Ones with the shape and dtype of `x` (e.g. the tangent of `jvp` along every input).
 * @example
 * ```ts
 * onesLike(tensor([[1, 2]], undefined, 'float64')).toArray(); // [[1, 1]], float64
 * ```
 */
export const onesLike = (x: Tensor): Tensor => full(x.shape, 1, x.dtype);

/**
 * `start, start+step, …` below `stop` (NumPy `arange`); `arange(n)` is 0..n-1.
 * @example
 * ```ts
 * arange(4).toArray();        // [0, 1, 2, 3]
 * arange(1, 2, 0.25).toArray(); // [1, 1.25, 1.5, 1.75]
 * ```
 */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = alloc(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive (the last value is `stop`
 * exactly).
 * @example
 * ```ts
 * linspace(-5, 5, 5).toArray(); // [-5, -2.5, 0, 2.5, 5]
 * ```
 */
export function linspace(start: number, stop: number, num: number, dtype: DType = 'float32'): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`linspace: num must be a non-negative integer, got ${num}`);
  const data = alloc(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return new Tensor(data, [num]);
}

/**
 * The n×n identity (or n×m with ones on the diagonal).
 * @example
 * ```ts
 * eye(2).toArray();    // [[1, 0], [0, 1]]
 * eye(2, 3).toArray(); // [[1, 0, 0], [0, 1, 0]]
 * ```
 */
export function eye(n: number, m = n, dtype: DType = 'float32'): Tensor {
  checkShape([n, m], 'eye');
  const data = alloc(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m]);
}

/**
 * Uniform draws in [low, high) from an explicit generator.
 * @example randomUniform(new Rng(0), [2, 3], -1, 1)
 */
export function randomUniform(rng: Rng, shape: readonly number[], low = 0, high = 1, dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'randomUniform');
  const data = alloc(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniformIn(low, high);
  return new Tensor(data, [...shape]);
}

/**
 * Normal draws with the given mean and standard deviation from an explicit generator.
 * @example randomNormal(new Rng(0), [40, 40], 0, 0.1)
 */
export function randomNormal(rng: Rng, shape: readonly number[], mean = 0, std = 1, dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'randomNormal');
  const data = alloc(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
  return new Tensor(data, [...shape]);
}
