/** Helpers every op file shares: allocation, operand coercion, dtype checks. */
import type { DType, Shape, Storage } from '../backend/backend.ts';
import { Tensor, type Operand } from '../tensor/tensor.ts';
import { DTypeError } from '../tensor/errors.ts';
import { fmt, sizeOf } from '../tensor/shape.ts';
import { newStorage } from '../autodiff/recycle.ts';

/** Zero-filled storage (recycled inside a {@link recycling} scope). */
export function alloc(dtype: DType, size: number): Storage {
  return newStorage(dtype, size, true);
}

/** A new concrete tensor of zeros. */
export function empty(dtype: DType, shape: Shape): Tensor {
  return new Tensor(alloc(dtype, sizeOf(shape)), shape);
}

/**
 * A new concrete tensor for an op that writes every element (a kernel's output):
 * inside a {@link recycling} scope its storage may hold old values until then.
 */
export function uninitialized(dtype: DType, shape: Shape): Tensor {
  return new Tensor(newStorage(dtype, sizeOf(shape), false), shape);
}

export function scalarOf(value: number, dtype: DType): Tensor {
  const d = alloc(dtype, 1);
  d[0] = value;
  return new Tensor(d, []);
}

function checkTensor(x: unknown, op: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`${op}: expected a Tensor or number, got ${x === null ? 'null' : typeof x}`);
  }
}

/** Turns numbers into scalars of the other operand's dtype and checks dtypes agree. */
export function coerce(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number') {
    if (typeof b === 'number') return [scalarOf(a, 'float32'), scalarOf(b, 'float32')];
    checkTensor(b, op);
    return [scalarOf(a, b.dtype), b];
  }
  checkTensor(a, op);
  if (typeof b === 'number') return [a, scalarOf(b, a.dtype)];
  checkTensor(b, op);
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`${op}: mixed dtypes ${a.dtype} ${fmt(a.shape)} and ${b.dtype} ${fmt(b.shape)}; cast one with astype()`);
  }
  return [a, b];
}

export function asTensor(x: Operand, op: string, dtype: DType = 'float32'): Tensor {
  if (typeof x === 'number') return scalarOf(x, dtype);
  checkTensor(x, op);
  return x;
}
