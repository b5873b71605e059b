/**
 * Reptile: move the initialisation towards the parameters each task adapts to.
 */
import { add, div, sub } from '../ops/elementwise.ts';
import { mean, sum } from '../ops/reduce.ts';
import { stopGradient } from '../autodiff/stop.ts';
import { treeMap, treeZip } from '../autodiff/tree.ts';
import { batchOverTasks, type Module } from '../nn/module.ts';
import { perTaskMse, type TaskLoss } from '../nn/losses.ts';
import { adapt } from './adapt.ts';
import { learnerFrom, type MetaLearner, type RecycleOptions } from './learner.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { reshape } from '../ops/movement.ts';
import { numTasks, taskAt, type TaskBatch } from './tasks.ts';
import { adaptationCurveTensor } from './inner.ts';

/** {@link reptile}'s options: the model and its inner SGD loop; ε is the outer optimizer's step size. */
export interface ReptileOptions<P> extends RecycleOptions {
  readonly model: Module<P>;
  /** Inner SGD step size. */
  readonly innerLr: number;
  /** Inner SGD steps per task (default 5). */
  readonly innerSteps?: number;
  /** Clip each task's inner gradient to this global norm. */
  readonly clipNorm?: number;
  readonly loss?: TaskLoss;
  /** One batched computation over tasks (default true) or a JS loop. */
  readonly batched?: boolean;
}

/** One Reptile step's output. */
interface ReptileResult<P> {
  /** θ − mean over tasks of θ̃ₜ: an outer SGD step of size ε on it is Reptile's update. */
  readonly grads: P;
  /** Mean query loss of the adapted parameters. */
  readonly loss: Tensor;
}

/**
 * Reptile (Nichol, Achiam & Schulman, "On First-Order Meta-Learning Algorithms", 2018,
 * arXiv:1803.02999): adapt θ to each task by `innerSteps` SGD steps on its support set,
 * giving θ̃ₜ, then update θ ← θ + ε·(1/T)Σₜ(θ̃ₜ − θ). `metaGradient` returns the
 * pseudo-gradient θ − (1/T)Σₜθ̃ₜ, so `sgd({ lr: ε })` applies exactly that update (another outer optimizer, such as
 * Adam, applies a preconditioned version of it). No second derivatives are ever taken.
 *
 * @example
 * ```ts
 * const learner = reptile({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01, innerSteps: 5 });
 * const outer = sgd({ lr: 0.1 });          // the outer step size ε
 * let theta = learner.init(new Rng(0)), state = outer.init(theta);
 * const { grads } = learner.metaGradient(theta, sinusoidTasks(new Rng(1), { numTasks: 25 }));
 * ({ params: theta, state } = outer.update(grads, state, theta));
 * ```
 */
export function reptile<P>(options: ReptileOptions<P>): MetaLearner<P> {
  const { model, innerLr, innerSteps = 5, clipNorm, loss = perTaskMse, batched = true } = options;
  const inner = { lr: innerLr, steps: innerSteps, firstOrder: true, ...(clipNorm !== undefined && { clipNorm }) };
  const constant = (tree: P): P => treeMap(tree, stopGradient);

  const batchedStep = (theta: P, tasks: TaskBatch): ReptileResult<P> => {
    const T = numTasks(tasks);
    const { support, query } = tasks;
    const adapted = adapt(batchOverTasks(constant(theta), T), (p: P) => sum(loss(model.apply(p, support.x), support.y)), { ...inner, taskBatched: true });
    const meanAdapted = treeMap(adapted, (a) => mean(a, 0));
    const grads = treeZip(constant(theta), meanAdapted, (p, a) => sub(p, a), 'reptile');
    return { grads, loss: mean(loss(model.apply(adapted, query.x), query.y)) };
  };

  const loopedStep = (theta: P, tasks: TaskBatch): ReptileResult<P> => {
    const T = numTasks(tasks);
    let sumAdapted: P | null = null;
    let lossSum: Tensor | null = null;
    for (let t = 0; t < T; t++) {
      const { support, query } = taskAt(tasks, t);
      const adapted = adapt(constant(theta), (p: P) => loss(model.apply(p, support.x), support.y), inner);
      const taskLoss = reshape(loss(model.apply(adapted, query.x), query.y), []);
      lossSum = lossSum === null ? taskLoss : add(lossSum, taskLoss);
      sumAdapted = sumAdapted === null ? adapted : treeZip(sumAdapted, adapted, (a, b) => add(a, b));
    }
    const grads = treeZip(constant(theta), sumAdapted!, (p, s) => sub(p, div(s, T)));
    return { grads, loss: div(lossSum!, T) };
  };

  return learnerFrom<P>({
    name: 'reptile',
    init: (rng) => model.init(rng),
    metaGradient: batched ? batchedStep : loopedStep,
    adaptationCurve: (theta, tasks, steps) => adaptationCurveTensor(model.apply, theta, tasks, steps, { lr: innerLr, loss, ...(clipNorm !== undefined && { clipNorm }) }),
  }, options);
}

