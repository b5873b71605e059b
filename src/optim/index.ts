/** Optimizers (pure, with plain-data state) and gradient clipping. */
export { sgd, adam, adamw, type SGDOptions, type SGDState, type AdamOptions, type AdamState, type LearningRate } from './optimizers.ts';
export type { Optimizer, OptimizerState } from './state.ts';
export { globalNorm, clipByGlobalNorm, clipByGlobalNormEager, clipByGlobalNormPerTask, withGradientClipping } from './clip.ts';
export { stepAlong, descentStep, ascentStep } from './step.ts';
export { fusedAdam, type FusedAdam, type FusedAdamOptions, type FusedAdamState } from './fused.ts';
export {
  cosineDecay, linearWarmup, warmupCosine, type Schedule, type CosineDecayOptions, type LinearWarmupOptions, type WarmupCosineOptions,
} from './schedules.ts';
