/**
 * Every op, as free functions. `Tensor` methods delegate here. The lists are explicit:
 * the modules also export their primitive definitions (`addPrim`, …) and helpers for
 * one another, which are not public API.
 */
import './methods.ts'; // the Tensor methods, attached once the ops exist
export {
  neg, exp, log, sin, cos, tanh, sqrt, abs, sign, sigmoid, relu, step, square, reciprocal,
  add, sub, mul, div, pow, maximum, minimum, gt, ge, lt, le, eq, where, cast,
} from './elementwise.ts';
export { sum, max, min, mean } from './reduce.ts';
export {
  reshape, expandDims, squeeze, broadcastTo, sumTo, transpose, slice, pad, concat, stack, split, unstack,
  take, takeAlongAxis, oneHot, type Indices,
} from './movement.ts';
export { gather } from './gather.ts';
export { matmul, matmulT } from './matmul.ts';
export { logSumExp, softmax, logSoftmax } from './softmax.ts';
export { mse, crossEntropy } from './losses.ts';
export { stopGradient } from '../autodiff/stop.ts';
export { dense, activationGrad } from './dense.ts';
export { addScaled } from './axpy.ts';
export {
  conv2d, unfold2d, maxPool2d, avgPool2d, globalAvgPool, globalMaxPool,
  type Conv2dOptions, type Pool2dOptions, type WindowOptions,
} from './conv.ts';
export { leakyRelu, gelu, softplus, dropout, dropoutMask, embedding, type GeluOptions } from './activations.ts';
