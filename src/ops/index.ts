/** Every op, as free functions. `Tensor` methods delegate here. */
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './movement.ts';
export * from './matmul.ts';
export * from './softmax.ts';
export * from './losses.ts';
export { stopGradient } from '../autodiff/stop.ts';
export { dense, activationGrad } from './dense.ts';
export { addScaled } from './axpy.ts';
