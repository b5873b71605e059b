/**
 * Reinforcement learning on grid worlds: the environments (`./env`), an exact
 * dynamic-programming oracle, policies, batched rollouts, returns and baselines,
 * policy-gradient estimators (DiCE, LVC, REINFORCE), single-task training
 * (REINFORCE, A2C), MAML-RL and its evaluation.
 *
 * `mamlrl.ts`'s `metaTrain` is exported here as `metaTrainPolicy` so that it does not
 * clash with the supervised `metaTrain` of `meta/` at the package root.
 *
 * @example
 * ```ts
 * import { goalFamily, openRoom, VecEnv, tabularPolicy, metaTrainPolicy } from 'metagrad';
 * const family = goalFamily({ size: 5 });
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 20, maxSteps: 14 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const { params } = metaTrainPolicy({ policy, env, tasks: family.train, iterations: 100, innerLr: 50, baseline: 'state' });
 * ```
 */
export * from './env/index.ts';
export { RlError } from './errors.ts';
export {
  expectedReturn, exactAdapt, exactMetaObjective, expectedSurrogate, optimalReturn, optimalValues, uniformReturn, EXACT_INNER_ESTIMATORS,
  type HorizonOptions, type ExpectedReturnOptions, type ExactMetaOptions, type ExpectedSurrogateOptions, type ExactInnerEstimator,
} from './oracle.ts';
export {
  tabularPolicy, mlpPolicy, spatialPolicy, oneHotCoordinates, positionFeatures, POSITION_FEATURES, actionLogProbs, meanEntropy, softmaxRows,
  type CategoricalPolicy, type ActionSampler, type TabularParams, type TabularPolicyOptions,
  type MlpParams, type MlpPolicyOptions, type DenseParams, type InputTransform, type PositionFeature, type SpatialPolicyOptions, type TraceableForm,
} from './policy.ts';
export { convPolicy, type ConvPolicyOptions, type ConvPolicyParams, type ConvLayerParams } from './conv-policy.ts';
export {
  egocentricPolicy, egocentricView, EGOCENTRIC_FEATURES, type EgocentricFeature, type EgocentricPolicyOptions, type EgocentricViewOptions,
} from './egocentric-policy.ts';
export { rotatedEgocentricPolicy, type RotatedEgocentricPolicyOptions, type RotatedPolicyParams } from './rotated-policy.ts';
export {
  collectEpisodes, episodeLogProbs, episodeReturns, maskTensor, observationTensor, sliceEpisodes, sliceSteps, type EpisodeBatch,
} from './rollout.ts';
export {
  rewardToGo, discountByTime, generalizedAdvantages, LinearFeatureBaseline, crossFittedBaseline, type LinearBaselineOptions,
} from './returns.ts';
export {
  magicBox, cumulativeSum, diceObjective, lvcObjective, reinforceSurrogate, surrogateObjective, surrogateWeights, surrogateFromWeights, SURROGATE_NAMES,
  type SurrogateName, type SurrogateOptions, type SurrogateWeights,
} from './estimators.ts';
export { reinforce, a2c, type PolicyGradientOptions, type ReinforceOptions, type A2cOptions, type TrainingRecord } from './pg.ts';
export {
  adaptPolicy, adaptationPath, fitBaseline, metaTrain as metaTrainPolicy, metaTrainInit, metaTrainStep, taskMetaObjective, META_ESTIMATORS,
  type MetaEstimator, type BaselineKind, type PolicyAdaptOptions, type MetaObjectiveOptions, type MetaTimings,
  type TaskMetaResult, type MamlRlOptions, type MamlRlResult, type MetaIterationRecord, type MetaStepOptions, type MetaTrainState, type MetaStepResult,
} from './mamlrl.ts';
export {
  metaTrainPolicyParallel, metaTrainStepParallel, parallelPolicyMetaGradient, registerPolicySetup, policySetupFromSpec, RL_JOBS,
  type PolicySetupSpec, type PolicySetup, type ParallelStepOptions, type ParallelMamlRlOptions,
} from './mamlrl-parallel.ts';
export {
  runExperiment, runExperimentSeed, combineExperimentSeeds, checkExperimentConfig, exactPolicyReturn, curveOf, formatResultTable, renderAdaptationSvg, subsampleTasks,
  type ExperimentConfig, type ExperimentResult, type ExperimentSeedRun, type AdaptationCurve, type Split, type Method,
} from './evaluate.ts';
export { runExperimentParallel, EXPERIMENT_JOBS, type ParallelExperimentOptions } from './experiment-parallel.ts';
