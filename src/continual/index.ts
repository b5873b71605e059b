/**
 * Continual meta-learning: task streams with unannounced switches, learners that share
 * one interface (sequential fine-tuning, online MAML, task-clustered meta-learning with
 * optional change-point detection), the continual-learning metrics and plots.
 */
export {
  taskStream, streamStatistics, streamString,
  type TaskStream, type StreamStep, type Segment, type StreamOptions, type StreamStatistics, type Switching, type Arrival, type OodInjection,
} from './streams.ts';
export {
  averagePerformance, backwardTransfer, forwardTransfer, forgetting, retentionAfterSwitch, timeToRecover, clusterPurity,
  type Retention, type OnlineStep, type Recovery, type RecoveryOptions,
} from './metrics.ts';
export type { ContinualProblem, TypedTask } from './problem.ts';
export type { ContinualLearner, LearnerOptions, StepInfo, StepReport } from './learners/learner.ts';
export { sequentialLearner, type SequentialOptions } from './learners/sequential.ts';
export { onlineMamlLearner, type OnlineMamlOptions } from './learners/online-maml.ts';
export { clusteredLearner, type ClusteredOptions } from './learners/clustered.ts';
export {
  chooseCluster, acceptsScore, isFamiliar, updateClusterStats, updateFeatureStats, spreadOf, EMPTY_STATS,
  type ClusterStats, type ClusterChoice, type NoveltyRule,
} from './clustering.ts';
export { pageHinkley, detectChanges, scoreDetections, type ChangeDetector, type PageHinkleyOptions, type DetectionScore } from './changepoint.ts';
export {
  runStream, purityOver, retentionOf, recoveryStats, summarize,
  type RunOptions, type RunResult, type RunMetrics, type StepRecord,
} from './experiment.ts';
export {
  regressionProblem, regressionTasks, sineFamily, lineFamily, quadraticFamily,
  type FunctionFamily, type RegressionTask, type RegressionTaskOptions, type RegressionProblemOptions,
} from './problems/regression.ts';
export {
  gridProblem, gridTasks, cornerGoals, cornerStarts, shapeRewards,
  type GridTask, type GridTaskType, type GridProblemOptions,
} from './problems/gridworld.ts';
export { streamChart, clusterStrip, type StreamChartOptions, type ClusterStripOptions } from './plots.ts';
// The renderer of the study's rMatrixFigures (metagrad/studies).
export { heatmap, type HeatmapOptions } from '../report/heatmap.ts';
