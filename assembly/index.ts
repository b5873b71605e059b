// The module's exports. Kernels see byte addresses, lengths and strides only;
// shapes, dtypes and autodiff stay in TypeScript (src/backend/wasm).
export { arenaBase, arenaReserve } from './memory';
export { MATMUL_BLOCKS, matmulF32 } from './matmul';
export { binaryF32, unaryF32 } from './elementwise';
export { actGradF32, axpyF32, biasActF32 } from './fused';
export { sumMiddleF32 } from './reduce';
export { COPY_DESC, COPY_MAX_RANK, copyStridedF32 } from './copy';
export {
  conv2dF32, conv2dInputGradF32, conv2dWeightGradF32, convCropF32, convPackFlippedF32, convPackForwardF32, convPackInputF32, convPadF32,
  convPadRowsF32, convWeightGradReduceF32, winogradGemmF32, winogradInputF32, winogradOutputF32, winogradWeightF32,
} from './conv';
