/** Functional neural-network modules, initialisers and losses. */
export { Linear, MLP, batchOverTasks, type Module, type LinearParams, type LinearOptions, type MLPOptions, type Activation } from './module.ts';
export {
  glorotUniform, glorotNormal, heUniform, heNormal, fanInUniform, zerosInit, constantInit, normalInit, truncatedNormalInit,
  type Initializer, type Fans,
} from './init.ts';
export { mse, crossEntropy, perTaskMse, perTaskCrossEntropy, type TaskLoss } from './losses.ts';
export { Conv2d, type Conv2dParams, type Conv2dLayerOptions } from './conv.ts';
export {
  LayerNorm, GroupNorm, layerNorm, groupNorm, initNorm, type NormParams, type LayerNormOptions, type GroupNormOptions,
} from './norm.ts';
export { Embedding, type EmbeddingParams, type EmbeddingOptions } from './embedding.ts';
export {
  GRU, CausalSelfAttention, initGru, gruCell, gruSequence, causalSelfAttention, causalSelfAttentionStep, positionalEncoding, causalMask,
  type GruParams, type GruOptions, type AttentionParams, type AttentionOptions, type KvCache,
} from './sequence.ts';
