/**
 * Replaying a stream against a learner and measuring it: the online record, the
 * performance matrix R (evaluated at the end of every segment on fixed held-out tasks
 * of every type), and the metrics of `metrics.ts`; then summaries over seeds.
 */
import type { TaskStream } from './streams.ts';
import type { TypedTask } from './problem.ts';
import type { ContinualLearner, StepReport } from './learners/learner.ts';
import {
  averagePerformance, backwardTransfer, clusterPurity, forgetting, forwardTransfer,
  retentionAfterSwitch, timeToRecover, type Recovery, type Retention,
} from './metrics.ts';
import { confidenceInterval, type Interval } from '../stats/interval.ts';

/** What {@link runStream} replays: the stream, how to draw each task, and how R is measured. */
export interface RunOptions<T extends TypedTask> {
  readonly stream: TaskStream;
  /** The task of `type` drawn from `seed` (deterministic). */
  readonly sampleTask: (type: number, seed: number) => T;
  /** Number of types (columns of R): every type id in the stream must be below it. */
  readonly numTypes: number;
  /** Held-out tasks per type for R. Default 8. */
  readonly evalTasks?: number;
  /** Seeds the held-out tasks (the same for every learner). Default 12345. */
  readonly evalSeed?: number;
  /** Inner steps before measuring R. Default 1. */
  readonly evalSteps?: number;
  /** Tell the learner when the type switches. Default false: switches are unannounced. */
  readonly announce?: boolean;
  /** Steps at the end of a visit averaged into the recovery reference. Default 10. */
  readonly recoveryWindow?: number;
  /** Called after every step (progress). */
  readonly onStep?: (t: number, report: StepReport) => void;
}

/** One step of the online record. */
export interface StepRecord extends StepReport {
  readonly t: number;
  readonly type: number;
}

/** One learner's run over one stream: the online record, the R matrices and their metrics. */
export interface RunResult {
  readonly learner: string;
  readonly record: readonly StepRecord[];
  /** R[i][j]: mean score on type j's held-out tasks after stage (segment) i, after `evalSteps` inner steps. */
  readonly R: number[][];
  /** The same before adaptation (0 inner steps). */
  readonly R0: number[][];
  /** The untrained learner's score on each type (FWT's reference). */
  readonly baseline: number[];
  /** Type trained in each stage. */
  readonly stageTypes: number[];
  readonly metrics: RunMetrics;
  readonly seconds: number;
}

/** The continual-learning metrics of one run (ACC, BWT, FWT, forgetting, retention, recovery, purity). */
export interface RunMetrics {
  readonly averagePerformance: number;
  readonly backwardTransfer: number;
  readonly forwardTransfer: number;
  readonly forgetting: number;
  /** Forgetting over the stream's in-distribution types only (its OOD types left out). */
  readonly forgettingInDistribution: number;
  readonly retention: readonly Retention[];
  readonly recoveries: readonly Recovery[];
  /** Purity of the step-to-cluster assignment against the true types, over all steps. */
  readonly purity: number;
  readonly clusters: number;
  /** Mean online score after the last curve step, over the whole stream. */
  readonly onlineScore: number;
}

/**
 * Replays `stream` against `learner`: each step draws its task, the learner adapts,
 * reports and learns; at the end of each segment every type is evaluated on the same
 * held-out tasks. Deterministic given the learner's seed and the stream.
 *
 * @example
 * ```ts
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const learner = sequentialLearner({ problem, optimizer: adam({ lr: 0.01 }) });
 * const stream = taskStream({ length: 8, types: [0, 1], switching: { kind: 'periodic', period: 4 }, seed: 1 });
 * const sampleTask = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const result = runStream(learner, { stream, sampleTask, numTypes: 2, evalTasks: 2 });
 * result.R.length; // 2: every type's score after each of the 2 segments
 * result.metrics.backwardTransfer;
 * ```
 */
export function runStream<T extends TypedTask>(learner: ContinualLearner<T>, options: RunOptions<T>): RunResult {
  const { stream, sampleTask, numTypes, evalTasks = 8, evalSeed = 12345, evalSteps = 1, announce = false } = options;
  for (const type of stream.types) if (type >= numTypes) throw new RangeError(`runStream: stream type ${type} ≥ numTypes ${numTypes}`);
  const start = performance.now();
  const held = Array.from({ length: numTypes }, (_, j) => Array.from({ length: evalTasks }, (_, k) => sampleTask(j, evalSeed + 1000 * j + k)));
  const evaluateAll = (): { adapted: number[]; zeroShot: number[] } => {
    const adapted: number[] = [], zeroShot: number[] = [];
    for (const tasks of held) {
      let a = 0, z = 0;
      for (const task of tasks) {
        const curve = learner.evaluate(task, evalSteps);
        a += curve[evalSteps]!;
        z += curve[0]!;
      }
      adapted.push(a / tasks.length);
      zeroShot.push(z / tasks.length);
    }
    return { adapted, zeroShot };
  };
  const baseline = evaluateAll().adapted;
  const record: StepRecord[] = [];
  const R: number[][] = [], R0: number[][] = [], stageTypes: number[] = [];
  for (const step of stream.steps) {
    const task = sampleTask(step.type, step.seed);
    const report = learner.observe(task, announce ? { switched: step.switched } : {});
    record.push({ t: step.t, type: step.type, ...report });
    options.onStep?.(step.t, report);
    const next = stream.steps[step.t + 1];
    if (!next || next.segment !== step.segment) {
      const { adapted, zeroShot } = evaluateAll();
      R.push(adapted);
      R0.push(zeroShot);
      stageTypes.push(step.type);
    }
  }
  const clusters = record.map((r) => r.cluster ?? 0);
  const metrics: RunMetrics = {
    averagePerformance: averagePerformance(R, stageTypes),
    backwardTransfer: backwardTransfer(R, stageTypes),
    forwardTransfer: forwardTransfer(R, baseline, stageTypes),
    forgetting: forgetting(R, stageTypes),
    forgettingInDistribution: forgetting(R, stageTypes, Array.from({ length: numTypes }, (_, j) => j).filter((j) => !stream.options.ood?.types.includes(j))),
    retention: retentionAfterSwitch(R, stageTypes),
    recoveries: timeToRecover(record, { window: options.recoveryWindow ?? 10 }),
    purity: clusterPurity(clusters, record.map((r) => r.type)),
    clusters: learner.clusterCount(),
    onlineScore: record.reduce((a, r) => a + r.curve[r.curve.length - 1]!, 0) / record.length,
  };
  return { learner: learner.name, record, R, R0, baseline, stageTypes, metrics, seconds: (performance.now() - start) / 1000 };
}

/**
 * Purity of the cluster assignment restricted to steps of the given types (e.g. A and B).
 * @example
 * ```ts
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const learner = clusteredLearner({ problem, optimizer: adam({ lr: 0.003 }) });
 * const stream = taskStream({ length: 8, types: [0, 1], switching: { kind: 'periodic', period: 2 }, seed: 1 });
 * const sampleTask = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const result = runStream(learner, { stream, sampleTask, numTypes: 2, evalTasks: 2 });
 * purityOver(result, [0, 1]); // between 0.5 and 1 (1 if each cluster holds only one of the two types)
 * ```
 */
export function purityOver(result: RunResult, types: readonly number[]): number {
  const steps = result.record.filter((r) => types.includes(r.type));
  return clusterPurity(steps.map((r) => r.cluster ?? 0), steps.map((r) => r.type));
}

/**
 * Mean retention ratio of `type` over the switches away from it, skipping the first
 * `skip` switches (while the model is still learning the type).
 * @example
 * ```ts
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const learner = clusteredLearner({ problem, optimizer: adam({ lr: 0.003 }) });
 * const stream = taskStream({ length: 8, types: [0, 1], switching: { kind: 'periodic', period: 2 }, seed: 1 });
 * const sampleTask = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const result = runStream(learner, { stream, sampleTask, numTypes: 2, evalTasks: 2 });
 * retentionOf(result, 0); // R[after B][A] / R[after A][A], averaged
 * ```
 */
export function retentionOf(result: RunResult, type: number, skip = 0): number {
  const ratios = result.metrics.retention.filter((r) => r.type === type).slice(skip).map((r) => r.ratio).filter(Number.isFinite);
  return ratios.length ? ratios.reduce((a, b) => a + b, 0) / ratios.length : NaN;
}

/**
 * Recoveries of `type` (or of every type), skipping the first `skip` returns.
 * `fractionWithin(k)` is the share that recovered within k inner steps;
 * `medianInnerSteps` is the lower median for an even count (NaN when there are none).
 *
 * @example
 * ```ts
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const learner = clusteredLearner({ problem, optimizer: adam({ lr: 0.003 }) });
 * const stream = taskStream({ length: 8, types: [0, 1], switching: { kind: 'periodic', period: 2 }, seed: 1 });
 * const sampleTask = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const result = runStream(learner, { stream, sampleTask, numTypes: 2, evalTasks: 2 });
 * const { count, medianInnerSteps, fractionWithin } = recoveryStats(result, { type: 0, skip: 1 });
 * fractionWithin(5); // share of returns to type 0 that recovered within 5 inner steps
 * ```
 */
export function recoveryStats(result: RunResult, options: { type?: number; skip?: number } = {}): { count: number; medianInnerSteps: number; fractionWithin: (k: number) => number } {
  const rs = result.metrics.recoveries.filter((r) => options.type === undefined || r.type === options.type).slice(options.skip ?? 0);
  const sorted = rs.map((r) => r.innerSteps).sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : NaN;
  return { count: rs.length, medianInnerSteps: median, fractionWithin: (k) => (rs.length ? rs.filter((r) => r.innerSteps <= k).length / rs.length : NaN) };
}

/**
 * Mean and 95% CI (Student t) over seeds of named scalar summaries of each run.
 * @example
 * ```ts
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const stream = taskStream({ length: 8, types: [0, 1], switching: { kind: 'periodic', period: 4 }, seed: 1 });
 * const sampleTask = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const runs = [0, 1].map((seed) => runStream(sequentialLearner({ problem, optimizer: adam({ lr: 0.01 }), seed }), { stream, sampleTask, numTypes: 2, evalTasks: 2 }));
 * summarize(runs, { bwt: (r) => r.metrics.backwardTransfer }).bwt!.n; // 2 seeds
 * ```
 */
export function summarize(runs: readonly RunResult[], fields: Record<string, (run: RunResult) => number>): Record<string, Interval> {
  return Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, confidenceInterval(runs.map(f))]));
}
