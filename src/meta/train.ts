/**
 * The outer loop every algorithm shares, and chunked evaluation.
 */
import type { Rng } from '../random/rng.ts';
import type { Optimizer, OptimizerState } from '../optim/state.ts';
import type { MetaLearner } from './learner.ts';
import { numTasks, sliceTasks, type TaskBatch, type TaskSampler } from './tasks.ts';

/** {@link metaTrain}'s outer loop: learner, optimizer, task sampler, iterations, seed and resume state. */
export interface MetaTrainOptions<M, S extends OptimizerState> {
  readonly learner: MetaLearner<M>;
  /** Outer optimizer over the meta-parameters. */
  readonly optimizer: Optimizer<S>;
  /** Draws each iteration's tasks. */
  readonly sampleTasks: TaskSampler;
  /** Tasks per meta-batch (default 25). */
  readonly metaBatchSize?: number;
  readonly iterations: number;
  /** Source of the initial parameters (unless `meta` is given) and of every task batch. */
  readonly rng: Rng;
  /** Resume from these meta-parameters (default `learner.init(rng)`). */
  readonly meta?: M;
  /** Resume from this optimizer state (default `optimizer.init(meta)`). */
  readonly optimizerState?: S;
  /** Called every `logEvery` iterations (default 1000) with the mean meta-loss since the last call. */
  readonly onLog?: (iteration: number, meanLoss: number) => void;
  readonly logEvery?: number;
}

/** The trained meta-parameters and optimizer state (enough to resume) and the logged loss curve. */
export interface MetaTrainResult<M, S> {
  readonly meta: M;
  readonly optimizerState: S;
  /** Mean meta-loss of each logging window. */
  readonly history: { readonly iteration: number; readonly loss: number }[];
}

/**
 * Meta-trains `learner`: each iteration samples a batch of tasks, takes the learner's
 * meta-gradient and applies one outer-optimizer step. Deterministic for a given `rng` seed.
 *
 * @example
 * ```ts
 * const { meta } = metaTrain({
 *   learner: maml({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 }),
 *   optimizer: adam({ lr: 0.001 }),
 *   sampleTasks: sinusoidSampler({ K: 10 }),
 *   iterations: 20, // a real run takes thousands
 *   rng: new Rng(0),
 * });
 * ```
 */
export function metaTrain<M, S extends OptimizerState>(options: MetaTrainOptions<M, S>): MetaTrainResult<M, S> {
  const { learner, optimizer, sampleTasks, metaBatchSize = 25, iterations, rng, onLog, logEvery = 1000 } = options;
  let meta = options.meta ?? learner.init(rng);
  let state = options.optimizerState ?? optimizer.init(meta);
  const log = lossLog(iterations, logEvery, onLog);
  for (let i = 1; i <= iterations; i++) {
    const { loss, grads } = learner.metaGradient(meta, sampleTasks(rng, metaBatchSize));
    ({ params: meta, state } = optimizer.update(grads, state, meta));
    log.record(i, loss);
  }
  return { meta, optimizerState: state, history: log.history };
}

/**
 * The outer loops' loss curve: the mean meta-loss of each window of `logEvery`
 * iterations (and of the last, shorter one), reported to `onLog` as it closes. @internal
 */
export function lossLog(iterations: number, logEvery: number, onLog?: (iteration: number, meanLoss: number) => void) {
  const history: { iteration: number; loss: number }[] = [];
  let windowLoss = 0, windowCount = 0;
  return {
    history,
    record(iteration: number, loss: number): void {
      windowLoss += loss;
      windowCount++;
      if (iteration % logEvery === 0 || iteration === iterations) {
        const mean = windowLoss / windowCount;
        history.push({ iteration, loss: mean });
        onLog?.(iteration, mean);
        windowLoss = 0;
        windowCount = 0;
      }
    },
  };
}

/**
 * The learner's adaptation curve over many tasks, computed `chunkSize` tasks at a time
 * (bounding memory) and averaged with equal weight per task.
 *
 * @example
 * ```ts
 * const learner = maml({ model: MLP({ sizes: [1, 8, 1] }), innerLr: 0.01 });
 * const meta = learner.init(new Rng(0));
 * // the loss after 0..10 inner steps, 25 tasks at a time
 * evaluateAdaptation(learner, meta, sinusoidTasks(new Rng(1), { numTasks: 60, K: 10, queryK: 20 }), 10, 25).length; // 11
 * ```
 */
export function evaluateAdaptation<M>(learner: MetaLearner<M>, meta: M, tasks: TaskBatch, steps: number, chunkSize = 100): number[] {
  const T = numTasks(tasks);
  const total = new Array<number>(steps + 1).fill(0);
  for (let begin = 0; begin < T; begin += chunkSize) {
    const count = Math.min(chunkSize, T - begin);
    const curve = learner.adaptationCurve(meta, sliceTasks(tasks, begin, count), steps);
    curve.forEach((v, s) => { total[s] = total[s]! + v * count; });
  }
  return total.map((v) => v / T);
}
