/**
 * A task-parallel meta-gradient: the meta-batch is cut into a fixed number of chunks,
 * each chunk's meta-gradient is computed by a job on the worker pool, and the chunks'
 * gradients are averaged in chunk order. The result depends on `chunks`, never on the
 * number of workers, so a run on 8 workers gives the bits of the same run in one thread.
 *
 * Learners are closures and cannot cross threads, so a worker builds its own from a
 * {@link LearnerSpec}: a factory name registered with {@link registerLearner} (the
 * built-ins cover MAML, FOMAML, Meta-SGD, Reptile and pretraining on an MLP) and its
 * JSON options. This module is the job module every such pool imports (`META_JOBS`).
 */
import { Tensor } from '../tensor/tensor.ts';
import { treeLeaves, treeMap } from '../autodiff/tree.ts';
import { createPool } from '../parallel/pool.ts';
import { registerJob } from '../parallel/registry.ts';
import { specRegistry } from '../parallel/spec-registry.ts';
import type { Pool } from '../parallel/types.ts';
import type { Rng } from '../random/rng.ts';
import type { Optimizer, OptimizerState } from '../optim/state.ts';
import { MLP, type LinearParams } from '../nn/index.ts';
import type { MetaLearner } from './learner.ts';
import { maml } from './maml.ts';
import { metaSgd } from './metasgd.ts';
import { reptile } from './reptile.ts';
import { pretraining } from './pretrain.ts';
import { numTasks, sliceTasks, type TaskBatch, type TaskSampler } from './tasks.ts';
import { lossLog, type MetaTrainResult } from './train.ts';

/** This module's URL (`.ts` under tsx, `.js` in dist/): the job module of meta-gradient pools. */
export const META_JOBS: string = import.meta.url;

/**
 * A learner as plain data: the name of a factory registered with {@link registerLearner}
 * and its JSON options; `modules` are the job modules that register custom factories
 * (imported by every worker and by the calling thread).
 *
 * @example
 * ```ts
 * const spec: LearnerSpec = { name: 'maml', options: { sizes: [1, 40, 40, 1], innerLr: 0.01, jit: true } };
 * ```
 */
export interface LearnerSpec {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly modules?: readonly (string | URL)[];
}

type LearnerFactory = (options: Readonly<Record<string, unknown>>) => MetaLearner<unknown>;
// One learner per spec and thread: a jitted learner keeps its compiled programs.
const learners = specRegistry<MetaLearner<unknown>>(
  { register: 'registerLearner', build: 'learnerFromSpec', noun: 'learner', error: TypeError }, () => Object.keys(builtins),
);

/**
 * Registers a learner factory under `name`, so a {@link LearnerSpec} can name it in any
 * thread: call it at the top level of a module listed in the spec's `modules`.
 *
 * @example
 * ```ts
 * registerLearner('tanhMaml', (o) => maml({ model: MLP({ sizes: o.sizes as number[], activation: 'tanh' }), innerLr: o.innerLr as number }));
 * ```
 */
export function registerLearner(name: string, factory: LearnerFactory): void {
  learners.register(name, factory);
}

/** Options of the built-in factories: an MLP and the learner's own settings. */
interface MlpLearnerOptions {
  readonly sizes: number[];
  readonly activation?: 'relu' | 'tanh' | 'sigmoid' | 'identity';
  readonly innerLr: number;
  readonly innerSteps?: number;
  readonly jit?: boolean;
}

const mlpOf = (o: MlpLearnerOptions) => MLP({ sizes: o.sizes, activation: o.activation ?? 'relu' });
const settingsOf = (o: MlpLearnerOptions) => ({ innerLr: o.innerLr, ...(o.innerSteps !== undefined && { innerSteps: o.innerSteps }), jit: o.jit === true });
const builtins: Record<string, (o: MlpLearnerOptions) => MetaLearner<unknown>> = {
  maml: (o) => maml({ model: mlpOf(o), ...settingsOf(o) }) as MetaLearner<unknown>,
  fomaml: (o) => maml({ model: mlpOf(o), ...settingsOf(o), firstOrder: true }) as MetaLearner<unknown>,
  metasgd: (o) => metaSgd({ model: mlpOf(o), ...settingsOf(o) }) as MetaLearner<unknown>,
  reptile: (o) => reptile({ model: mlpOf(o), ...settingsOf(o) }) as MetaLearner<unknown>,
  pretraining: (o) => pretraining({ model: mlpOf(o), innerLr: o.innerLr, jit: o.jit === true }) as MetaLearner<unknown>,
};
for (const [name, make] of Object.entries(builtins)) {
  registerLearner(name, (options) => {
    const o = options as unknown as MlpLearnerOptions;
    if (!Array.isArray(o.sizes) || o.sizes.length < 2) throw new TypeError(`learner '${name}': options.sizes must list the MLP's widths, got ${JSON.stringify(o.sizes)}`);
    if (typeof o.innerLr !== 'number') throw new TypeError(`learner '${name}': options.innerLr must be a number, got ${JSON.stringify(o.innerLr)}`);
    return make(o);
  });
}

/**
 * The learner a spec names, built once per thread (after importing its `modules`).
 *
 * @example
 * ```ts
 * const learner = await learnerFromSpec({ name: 'fomaml', options: { sizes: [1, 8, 1], innerLr: 0.01 } });
 * ```
 */
export function learnerFromSpec(spec: LearnerSpec): Promise<MetaLearner<unknown>> {
  return learners.build(spec);
}

/** A tensor as clonable data: what crosses a thread boundary. */
interface PackedTensor { readonly $tensor: true; readonly shape: number[]; readonly data: Float32Array | Float64Array }

const isPacked = (x: unknown): x is PackedTensor => x !== null && typeof x === 'object' && (x as PackedTensor).$tensor === true;

/** @internal Copies every tensor of `tree` into clonable data (copies, so transferring them leaves the caller's tensors intact). */
export function pack<T>(tree: T): unknown {
  return treeMap(tree, (t: Tensor) => ({ $tensor: true, shape: t.shape.slice(), data: t.data.slice() }) as unknown as Tensor);
}

/** @internal The tree {@link pack} made, with tensors again. */
export function unpack<T>(tree: unknown): T {
  const walk = (x: unknown): unknown => {
    if (isPacked(x)) return new Tensor(x.data, x.shape);
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    return x;
  };
  return walk(tree) as T;
}

interface ChunkArgs { readonly spec: LearnerSpec; readonly meta: unknown; readonly tasks: unknown }
interface ChunkResult { readonly loss: number; readonly grads: unknown }

registerJob('meta.chunkGradient', async (args: ChunkArgs): Promise<ChunkResult> => {
  const learner = await learnerFromSpec(args.spec);
  const { loss, grads } = learner.metaGradient(unpack(args.meta), unpack<TaskBatch>(args.tasks));
  return { loss, grads: pack(grads) };
});

/** The chunks' task ranges: `chunks` near-equal consecutive slices (fewer if there are fewer tasks). */
function chunkRanges(total: number, chunks: number): [number, number][] {
  const count = Math.min(chunks, total);
  const ranges: [number, number][] = [];
  for (let c = 0; c < count; c++) {
    const begin = Math.floor((c * total) / count), end = Math.floor(((c + 1) * total) / count);
    ranges.push([begin, end - begin]);
  }
  return ranges;
}

/**
 * The meta-gradient of `tasks` computed in `chunks` slices on `pool` and averaged in
 * slice order, weighted by slice size: the learner's mean over all tasks, up to float32
 * rounding of the different summation order; the same bits for any pool size.
 *
 * @example
 * ```ts
 * const spec: LearnerSpec = { name: 'fomaml', options: { sizes: [1, 8, 1], innerLr: 0.01 } };
 * const learner = await learnerFromSpec(spec);
 * const meta = learner.init(new Rng(0));
 * const tasks = sinusoidTasks(new Rng(1), { numTasks: 8, K: 5 });
 * const pool = createPool({ workers: 2, modules: [META_JOBS] });
 * const { loss, grads } = await parallelMetaGradient(pool, spec, meta, tasks, 4);
 * pool.terminate();
 * Math.abs(loss - learner.metaGradient(meta, tasks).loss) < 1e-5; // true: the serial mean, up to float32 rounding
 * ```
 */
export async function parallelMetaGradient<M>(pool: Pool, spec: LearnerSpec, meta: M, tasks: TaskBatch, chunks: number): Promise<{ loss: number; grads: M }> {
  if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`parallelMetaGradient: chunks must be a positive integer, got ${chunks}`);
  const total = numTasks(tasks);
  const ranges = chunkRanges(total, chunks);
  const outcomes = await pool.run<ChunkResult>(ranges.map(([begin, count]) => {
    const slice = sliceTasks(tasks, begin, count);
    const batch = { support: { x: slice.support.x, y: slice.support.y }, query: { x: slice.query.x, y: slice.query.y } };
    return { name: 'meta.chunkGradient', args: { spec, meta: pack(meta), tasks: pack(batch) } }; // each job its own copy: they are transferred
  }));
  let loss = 0;
  let sums: Float64Array[] | null = null;
  let template: M | null = null;
  outcomes.forEach((outcome, c) => {
    if (!outcome.ok) throw outcome.error;
    const weight = ranges[c]![1] / total;
    const grads = unpack<M>(outcome.value.grads);
    const leaves = treeLeaves(grads);
    sums ??= leaves.map((t) => new Float64Array(t.size));
    template ??= grads;
    loss += weight * outcome.value.loss;
    leaves.forEach((t, i) => { const s = sums![i]!, d = t.data; for (let k = 0; k < d.length; k++) s[k]! += weight * d[k]!; });
  });
  let i = 0;
  const grads = treeMap(template!, (t: Tensor) => {
    const s = sums![i++]!;
    return new Tensor(t.dtype === 'float64' ? Float64Array.from(s) : Float32Array.from(s), t.shape);
  });
  return { loss, grads };
}

/** Options of {@link metaTrainParallel}: {@link metaTrain}'s, with the learner as a spec. */
export interface MetaTrainParallelOptions<S extends OptimizerState> {
  readonly learner: LearnerSpec;
  readonly optimizer: Optimizer<S>;
  readonly sampleTasks: TaskSampler;
  /** Tasks per meta-batch (default 25). */
  readonly metaBatchSize?: number;
  readonly iterations: number;
  readonly rng: Rng;
  /** Worker threads (default: the available cores; 1 runs in this thread). Ignored with `pool`. */
  readonly workers?: number;
  /** A pool to use (it must import `META_JOBS`); not terminated at the end. */
  readonly pool?: Pool;
  /** Slices of each meta-batch (default 8). The numbers depend on this, not on the workers. */
  readonly chunks?: number;
  readonly meta?: unknown;
  readonly optimizerState?: S;
  readonly onLog?: (iteration: number, meanLoss: number) => void;
  readonly logEvery?: number;
}

/**
 * {@link metaTrain} with each meta-batch's gradient computed on a worker pool (see
 * {@link parallelMetaGradient}): task sampling, averaging and the optimiser step stay in
 * this thread, in the same order as `metaTrain`'s. It pays once a meta-batch's gradient
 * costs well above a message round trip (BENCHMARKS.md, "Task-parallel meta-gradient").
 *
 * @example
 * ```ts
 * const { meta } = await metaTrainParallel({
 *   learner: { name: 'maml', options: { sizes: [1, 8, 1], innerLr: 0.01 } },
 *   optimizer: adam({ lr: 0.001 }), sampleTasks: sinusoidSampler({ K: 10 }),
 *   metaBatchSize: 8, iterations: 2, rng: new Rng(0), workers: 1, // workers: 2 or more for worker threads
 * });
 * ```
 */
export async function metaTrainParallel<M, S extends OptimizerState>(options: MetaTrainParallelOptions<S>): Promise<MetaTrainResult<M, S>> {
  const { optimizer, sampleTasks, metaBatchSize = 25, iterations, rng, onLog, logEvery = 1000, chunks = 8 } = options;
  if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`metaTrainParallel: iterations must be a non-negative integer, got ${iterations}`);
  if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`metaTrainParallel: chunks must be a positive integer, got ${chunks}`);
  const learner = await learnerFromSpec(options.learner) as MetaLearner<M>;
  const pool = options.pool ?? createPool({ workers: options.workers, modules: [META_JOBS, ...(options.learner.modules ?? [])] });
  try {
    let meta = (options.meta as M | undefined) ?? learner.init(rng);
    let state = options.optimizerState ?? optimizer.init(meta);
    const log = lossLog(iterations, logEvery, onLog);
    for (let i = 1; i <= iterations; i++) {
      const { loss, grads } = await parallelMetaGradient(pool, options.learner, meta, sampleTasks(rng, metaBatchSize), chunks);
      ({ params: meta, state } = optimizer.update(grads, state, meta));
      log.record(i, loss);
    }
    return { meta, optimizerState: state, history: log.history };
  } finally {
    if (options.pool === undefined) pool.terminate();
  }
}
