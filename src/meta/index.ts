/** Meta-learning: the MAML family, Reptile, task distributions and the shared training loop. */
export { adapt, type AdaptOptions } from './adapt.ts';
export { adaptedQueryLoss, adaptedQueryLossLooped, adaptationCurveOf, adaptationCurveTensor, innerLoopOf, type ApplyFn, type InnerLoopOptions, type InnerLoopSettings } from './inner.ts';
export { differentiableLearner, learnerFrom, withRecycling, type LearnerParts, type MetaLearner, type DifferentiableMetaLearner, type RecycleOptions } from './learner.ts';
export { maml, type MAMLOptions } from './maml.ts';
export { metaSgd, uniformStepSizes, type MetaSGDOptions, type MetaSGDParams, type StepSizeInit } from './metasgd.ts';
export { anil, type ANILOptions, type ANILParams } from './anil.ts';
export { reptile, type ReptileOptions } from './reptile.ts';
export { pretraining, type PretrainingOptions } from './pretrain.ts';
export {
  sinusoidTasks, sinusoidSampler, taskAt, sliceTasks, numTasks, taskTensors,
  type TaskSet, type TaskBatch, type TaskSampler, type SinusoidTaskOptions, type SinusoidTaskBatch,
} from './tasks.ts';
export { metaTrain, evaluateAdaptation, type MetaTrainOptions, type MetaTrainResult } from './train.ts';
export {
  metaTrainParallel, parallelMetaGradient, registerLearner, learnerFromSpec, META_JOBS,
  type LearnerSpec, type MetaTrainParallelOptions,
} from './parallel.ts';
