/**
 * The tensor type. Immutable, contiguous row-major float32 (or float64) storage.
 *
 * A tensor produced inside a transform such as `grad` is a *traced* tensor: it
 * carries the trace level it belongs to, the value one level down (`primal`) and
 * the op that made it. Users never see the difference; every op accepts both.
 */
import type { DType, Shape, Storage } from '../backend/backend.ts';
import type { MultiPrimitiveDef, PrimitiveDef } from '../autodiff/primitive.ts';
import type { Indices } from '../ops/movement.ts';
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
}

/**
 * The methods of {@link Tensor}: each is the free function of the same name applied to
 * the tensor (`x.mul(2).sum()` is `sum(mul(x, 2))`). They are attached by
 * src/ops/methods.ts, so this module does not import the ops (which import it).
 */
export interface Tensor {
  add(other: Operand): Tensor;
  sub(other: Operand): Tensor;
  mul(other: Operand): Tensor;
  div(other: Operand): Tensor;
  pow(other: Operand): Tensor;
  maximum(other: Operand): Tensor;
  minimum(other: Operand): Tensor;
  gt(other: Operand): Tensor;
  ge(other: Operand): Tensor;
  lt(other: Operand): Tensor;
  le(other: Operand): Tensor;
  eq(other: Operand): Tensor;
  neg(): Tensor;
  square(): Tensor;
  sqrt(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  abs(): Tensor;
  sin(): Tensor;
  cos(): Tensor;
  tanh(): Tensor;
  sigmoid(): Tensor;
  relu(): Tensor;
  sum(axes?: number | readonly number[], keepDims?: boolean): Tensor;
  mean(axes?: number | readonly number[], keepDims?: boolean): Tensor;
  max(axes?: number | readonly number[], keepDims?: boolean): Tensor;
  min(axes?: number | readonly number[], keepDims?: boolean): Tensor;
  logSumExp(axes?: number | readonly number[], keepDims?: boolean): Tensor;
  softmax(axis?: number): Tensor;
  logSoftmax(axis?: number): Tensor;
  reshape(shape: readonly number[]): Tensor;
  transpose(perm?: readonly number[]): Tensor;
  expandDims(axis: number): Tensor;
  squeeze(axes?: number | readonly number[]): Tensor;
  broadcastTo(shape: readonly number[]): Tensor;
  slice(begin: readonly number[], size?: readonly number[]): Tensor;
  take(indices: Indices, axis?: number): Tensor;
  matmul(other: Tensor): Tensor;
  astype(dtype: DType): Tensor;
}
