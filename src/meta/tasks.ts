/**
 * Task distributions as data. A batch of T tasks is a support set (adapt on it) and a
 * query set (evaluate the adapted model on it), each a pair of tensors with a leading
 * task axis: inputs [T, K, I], targets [T, K, O].
 */
import type { DType } from '../backend/backend.ts';
import { Tensor } from '../tensor/tensor.ts';
import { DTypeError, ShapeError } from '../tensor/errors.ts';
import { reshape, slice } from '../ops/movement.ts';
import type { Rng } from '../random/rng.ts';

/** Examples of T tasks: inputs [T, K, I] and targets [T, K, O]. */
export interface TaskSet {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** T tasks' support (adaptation) and query (evaluation) examples. */
export interface TaskBatch {
  readonly support: TaskSet;
  readonly query: TaskSet;
}

/**
 * The batch's four tensors alone, without extra fields (e.g. a sinusoid batch's
 * amplitudes and phases): what a jitted learner is called with, so that the numbers
 * of one batch do not become static arguments of its compiled program.
 * @example taskTensors(sinusoidTasks(new Rng(0), { numTasks: 25 })) // { support: { x, y }, query: { x, y } }
 */
export function taskTensors(batch: TaskBatch): TaskBatch {
  return { support: { x: batch.support.x, y: batch.support.y }, query: { x: batch.query.x, y: batch.query.y } };
}

/** Draws `numTasks` fresh tasks. */
export type TaskSampler = (rng: Rng, numTasks: number) => TaskBatch;

/**
 * The number of tasks T in a batch (checking that all four tensors agree).
 * @example numTasks(sinusoidTasks(new Rng(0), { numTasks: 25 })) // 25
 */
export function numTasks(batch: TaskBatch): number {
  const t = batch.support.x.shape[0] ?? 0;
  for (const [name, x] of [['support.x', batch.support.x], ['support.y', batch.support.y], ['query.x', batch.query.x], ['query.y', batch.query.y]] as const) {
    if (x.rank !== 3 || x.shape[0] !== t) {
      throw new ShapeError(`task batch: ${name} has shape [${x.shape.join(', ')}], expected [${t}, K, features]`);
    }
  }
  return t;
}

function taskSlice(x: Tensor, t: number): Tensor {
  return reshape(slice(x, [t, 0, 0], [1, x.shape[1]!, x.shape[2]!]), x.shape.slice(1));
}

/**
 * Task `t` of a batch, unbatched: support and query tensors of shape [K, features].
 * @example taskAt(sinusoidTasks(new Rng(0), { numTasks: 4 }), 2).support.x.shape // [10, 1]
 */
export function taskAt(batch: TaskBatch, t: number): TaskBatch {
  const n = numTasks(batch);
  if (!Number.isInteger(t) || t < 0 || t >= n) throw new RangeError(`taskAt: task ${t} out of range for a batch of ${n}`);
  return {
    support: { x: taskSlice(batch.support.x, t), y: taskSlice(batch.support.y, t) },
    query: { x: taskSlice(batch.query.x, t), y: taskSlice(batch.query.y, t) },
  };
}

/**
 * Tasks `begin .. begin+count` of a batch, still batched (for evaluating in chunks).
 * @example
 * ```ts
 * const batch = sinusoidTasks(new Rng(0), { numTasks: 300, K: 5 });
 * sliceTasks(batch, 100, 100).support.x.shape; // [100, 5, 1]: tasks 100..199
 * ```
 */
export function sliceTasks(batch: TaskBatch, begin: number, count: number): TaskBatch {
  const cut = (x: Tensor): Tensor => slice(x, [begin, 0, 0], [count, x.shape[1]!, x.shape[2]!]);
  return { support: { x: cut(batch.support.x), y: cut(batch.support.y) }, query: { x: cut(batch.query.x), y: cut(batch.query.y) } };
}

/** The sinusoid family of MAML's regression benchmark: batch size, shots and parameter ranges. */
export interface SinusoidTaskOptions {
  /** Tasks T (default 25). */
  readonly numTasks?: number;
  /** Support examples per task (default 10). */
  readonly K?: number;
  /** Query examples per task (default K). */
  readonly queryK?: number;
  /** Amplitude range (default [0.1, 5.0]). */
  readonly amplitude?: readonly [number, number];
  /** Phase range (default [0, π]). */
  readonly phase?: readonly [number, number];
  /** Input range (default [−5, 5]). */
  readonly xRange?: readonly [number, number];
  readonly dtype?: DType;
}

/** A sinusoid batch with each task's parameters. */
export interface SinusoidTaskBatch extends TaskBatch {
  readonly amplitude: readonly number[];
  readonly phase: readonly number[];
}

/**
 * The sinusoid regression benchmark of MAML (Finn, Abbeel & Levine, 2017, §5.1):
 * each task is y = A·sin(x − φ) with A ~ U[0.1, 5], φ ~ U[0, π] and inputs x ~ U[−5, 5];
 * support and query points are drawn independently from the same task.
 *
 * @example
 * ```ts
 * const tasks = sinusoidTasks(new Rng(0), { numTasks: 25, K: 10, queryK: 10 });
 * tasks.support.x.shape; // [25, 10, 1]
 * tasks.query.y.shape;   // [25, 10, 1]
 * ```
 */
export function sinusoidTasks(rng: Rng, options: SinusoidTaskOptions = {}): SinusoidTaskBatch {
  const { numTasks: T = 25, K = 10, queryK = K, amplitude = [0.1, 5.0], phase = [0, Math.PI], xRange = [-5, 5], dtype = 'float32' } = options;
  for (const [name, v] of [['numTasks', T], ['K', K], ['queryK', queryK]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`sinusoidTasks: ${name} must be a positive integer, got ${v}`);
  }
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`sinusoidTasks: unsupported dtype '${String(dtype)}' (use 'float32' or 'float64')`);
  const amplitudes: number[] = [], phases: number[] = [];
  // Typed arrays of the tensors' dtype: the values round exactly as tensor() would round
  // them, without its walk over nested arrays (a training loop draws a batch per step).
  const values = (n: number): Float32Array | Float64Array => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const sx = values(T * K), sy = values(T * K);
  const qx = values(T * queryK), qy = values(T * queryK);
  for (let t = 0; t < T; t++) {
    const a = rng.uniformIn(amplitude[0], amplitude[1]);
    const p = rng.uniformIn(phase[0], phase[1]);
    amplitudes.push(a);
    phases.push(p);
    drawSinusoid(rng, a, p, xRange, sx, sy, t * K, K);
    drawSinusoid(rng, a, p, xRange, qx, qy, t * queryK, queryK);
  }
  return {
    // The arrays are fresh and of the dtype: the tensors own them (no copy).
    support: { x: new Tensor(sx, [T, K, 1]), y: new Tensor(sy, [T, K, 1]) },
    query: { x: new Tensor(qx, [T, queryK, 1]), y: new Tensor(qy, [T, queryK, 1]) },
    amplitude: amplitudes,
    phase: phases,
  };
}

// Module-level rather than a closure per task: a training loop draws a batch per step.
function drawSinusoid(rng: Rng, a: number, p: number, xRange: readonly [number, number], xs: Float32Array | Float64Array, ys: Float32Array | Float64Array, at: number, n: number): void {
  const low = xRange[0], high = xRange[1];
  for (let k = 0; k < n; k++) {
    const x = rng.uniformIn(low, high);
    xs[at + k] = x;
    ys[at + k] = a * Math.sin(x - p);
  }
}

/**
 * A {@link TaskSampler} of sinusoid tasks with fixed options (for training loops).
 * @example const sample = sinusoidSampler({ K: 5 }); sample(new Rng(0), 25).support.x.shape // [25, 5, 1]
 */
export function sinusoidSampler(options: Omit<SinusoidTaskOptions, 'numTasks'> = {}): TaskSampler {
  return (rng, numTasks) => sinusoidTasks(rng, { ...options, numTasks });
}
