/**
 * Attaches the {@link Tensor} methods: each calls the free op of the same name. Living
 * here, with the ops, keeps tensor/ free of imports from ops/ (no import cycle).
 */
import { Tensor, type Operand } from '../tensor/tensor.ts';
import type { DType } from '../backend/backend.ts';
import * as elementwise from './elementwise.ts';
import * as reduce from './reduce.ts';
import * as movement from './movement.ts';
import * as softmax from './softmax.ts';
import { matmul } from './matmul.ts';
import type { Indices } from './movement.ts';

const methods: ThisType<Tensor> & Record<string, (...args: any[]) => Tensor> = {
  add(other: Operand) { return elementwise.add(this, other); },
  sub(other: Operand) { return elementwise.sub(this, other); },
  mul(other: Operand) { return elementwise.mul(this, other); },
  div(other: Operand) { return elementwise.div(this, other); },
  pow(other: Operand) { return elementwise.pow(this, other); },
  maximum(other: Operand) { return elementwise.maximum(this, other); },
  minimum(other: Operand) { return elementwise.minimum(this, other); },
  gt(other: Operand) { return elementwise.gt(this, other); },
  ge(other: Operand) { return elementwise.ge(this, other); },
  lt(other: Operand) { return elementwise.lt(this, other); },
  le(other: Operand) { return elementwise.le(this, other); },
  eq(other: Operand) { return elementwise.eq(this, other); },
  neg() { return elementwise.neg(this); },
  square() { return elementwise.square(this); },
  sqrt() { return elementwise.sqrt(this); },
  exp() { return elementwise.exp(this); },
  log() { return elementwise.log(this); },
  abs() { return elementwise.abs(this); },
  sin() { return elementwise.sin(this); },
  cos() { return elementwise.cos(this); },
  tanh() { return elementwise.tanh(this); },
  sigmoid() { return elementwise.sigmoid(this); },
  relu() { return elementwise.relu(this); },
  sum(axes?: number | readonly number[], keepDims = false) { return reduce.sum(this, axes, keepDims); },
  mean(axes?: number | readonly number[], keepDims = false) { return reduce.mean(this, axes, keepDims); },
  max(axes?: number | readonly number[], keepDims = false) { return reduce.max(this, axes, keepDims); },
  min(axes?: number | readonly number[], keepDims = false) { return reduce.min(this, axes, keepDims); },
  logSumExp(axes?: number | readonly number[], keepDims = false) { return softmax.logSumExp(this, axes, keepDims); },
  softmax(axis = -1) { return softmax.softmax(this, axis); },
  logSoftmax(axis = -1) { return softmax.logSoftmax(this, axis); },
  reshape(shape: readonly number[]) { return movement.reshape(this, shape); },
  transpose(perm?: readonly number[]) { return movement.transpose(this, perm); },
  expandDims(axis: number) { return movement.expandDims(this, axis); },
  squeeze(axes?: number | readonly number[]) { return movement.squeeze(this, axes); },
  broadcastTo(shape: readonly number[]) { return movement.broadcastTo(this, shape); },
  slice(begin: readonly number[], size?: readonly number[]) { return movement.slice(this, begin, size); },
  take(indices: Indices, axis = 0) { return movement.take(this, indices, axis); },
  matmul(other: Tensor) { return matmul(this, other); },
  astype(dtype: DType) { return elementwise.cast(this, dtype); },
};
for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
}
