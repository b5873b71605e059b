/**
 * The tensor type. Immutable, contiguous row-major float32 (or float64) storage.
 *
 * A tensor produced inside a transform such as `grad` is a *traced* tensor: it
 * carries the trace level it belongs to, the value one level down (`primal`) and
 * the op that made it. Users never see the difference; every op accepts both.
 */
import type { DType, Shape, Storage } from '../backend/backend.ts';
import type { MultiPrimitiveDef, PrimitiveDef } from '../autodiff/primitive.ts';
import * as ops from '../ops/index.ts';
import { checkRead } from './read-guard.ts';

/** Nested JS arrays in a tensor's shape (a number for a scalar). */
export type NestedArray = number | NestedArray[];

/**
 * How a traced tensor was computed: the primitive, its inputs and parameters. A
 * multi-output primitive's node belongs to a data-less vertex tensor of which each
 * output is a projection. @internal
 */
export interface Node {
  readonly prim: PrimitiveDef<any> | MultiPrimitiveDef<any>;
  readonly inputs: readonly Tensor[];
  readonly params: unknown;
}

/** Either operand of a binary op: a tensor or a plain number. */
export type Operand = Tensor | number;

/**
 * An immutable n-dimensional array (see the module comment). Create one with
 * `tensor`, `zeros`, `randomNormal`, …; its methods mirror the free functions of the
 * same names, so `x.mul(2).sum()` is `sum(mul(x, 2))`.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape;                      // [2, 2]
 * x.matmul(x).sum(0).toArray(); // [22, 32]
 * x.mean().item();              // 2.5
 * ```
 */
export class Tensor {
  /** Flat storage. Shared with other tensors: never write into it (use {@link Tensor.toTypedArray} for a copy). */
  readonly data: Storage;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** @internal Trace level (0 for concrete values). */
  readonly level: number;
  /** @internal For traced tensors, the same value one trace level down. */
  readonly primal: Tensor | null;
  /** @internal For traced op outputs, how the value was computed. */
  readonly node: Node | null;

  /** @internal Use `tensor(...)` and the other creation functions. */
  constructor(data: Storage, shape: Shape, level = 0, primal: Tensor | null = null, node: Node | null = null) {
    this.data = data;
    this.shape = shape;
    this.dtype = data instanceof Float64Array ? 'float64' : 'float32';
    this.size = data.length;
    this.level = level;
    this.primal = primal;
    this.node = node;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The values as nested JS arrays in this tensor's shape (a number for a scalar). */
  toArray(): NestedArray {
    checkRead(this, 'toArray');
    const { data, shape } = this;
    if (shape.length === 0) return data[0]!;
    const build = (dim: number, offset: number, stride: number): NestedArray[] => {
      const n = shape[dim]!;
      const inner = stride / n;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dim === shape.length - 1 ? data[offset + i]! : build(dim + 1, offset + i * inner, inner);
      }
      return out;
    };
    return build(0, 0, this.size);
  }

  /** A flat copy of the values. */
  toTypedArray(): Storage {
    checkRead(this, 'toTypedArray');
    return this.data.slice();
  }

  /** The single element of a one-element tensor. */
  item(): number {
    checkRead(this, 'item');
    if (this.size !== 1) throw new RangeError(`item: tensor of shape [${this.shape.join(', ')}] has ${this.size} elements, expected 1`);
    return this.data[0]!;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}]) ${JSON.stringify(this.toArray())}`;
  }

  // Methods mirror the free functions of the same names.
  add(other: Operand): Tensor { return ops.add(this, other); }
  sub(other: Operand): Tensor { return ops.sub(this, other); }
  mul(other: Operand): Tensor { return ops.mul(this, other); }
  div(other: Operand): Tensor { return ops.div(this, other); }
  pow(other: Operand): Tensor { return ops.pow(this, other); }
  maximum(other: Operand): Tensor { return ops.maximum(this, other); }
  minimum(other: Operand): Tensor { return ops.minimum(this, other); }
  gt(other: Operand): Tensor { return ops.gt(this, other); }
  ge(other: Operand): Tensor { return ops.ge(this, other); }
  lt(other: Operand): Tensor { return ops.lt(this, other); }
  le(other: Operand): Tensor { return ops.le(this, other); }
  eq(other: Operand): Tensor { return ops.eq(this, other); }
  neg(): Tensor { return ops.neg(this); }
  square(): Tensor { return ops.square(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  abs(): Tensor { return ops.abs(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  sum(axes?: number | readonly number[], keepDims = false): Tensor { return ops.sum(this, axes, keepDims); }
  mean(axes?: number | readonly number[], keepDims = false): Tensor { return ops.mean(this, axes, keepDims); }
  max(axes?: number | readonly number[], keepDims = false): Tensor { return ops.max(this, axes, keepDims); }
  min(axes?: number | readonly number[], keepDims = false): Tensor { return ops.min(this, axes, keepDims); }
  logSumExp(axes?: number | readonly number[], keepDims = false): Tensor { return ops.logSumExp(this, axes, keepDims); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  transpose(perm?: readonly number[]): Tensor { return ops.transpose(this, perm); }
  expandDims(axis: number): Tensor { return ops.expandDims(this, axis); }
  squeeze(axes?: number | readonly number[]): Tensor { return ops.squeeze(this, axes); }
  broadcastTo(shape: readonly number[]): Tensor { return ops.broadcastTo(this, shape); }
  slice(begin: readonly number[], size?: readonly number[]): Tensor { return ops.slice(this, begin, size); }
  take(indices: ops.Indices, axis = 0): Tensor { return ops.take(this, indices, axis); }
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  astype(dtype: DType): Tensor { return ops.cast(this, dtype); }
}
