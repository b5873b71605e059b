/**
 * MAML-RL with the meta-batch's tasks on a worker pool. Task draws and every task's
 * generator come from the iteration's state exactly as in {@link metaTrainStep} (the
 * meta-batch is a shuffle of the task list, each task gets `rng.split()` in draw order), so
 * a task's episodes depend on its own stream only, never on which worker or chunk ran it.
 *
 * - With `jit`, a job runs the eager stage of a chunk of tasks (rollouts, baseline fits,
 *   surrogate data, the compiled inner steps) and returns each task's batch tensors; the
 *   calling thread runs the first chunk itself meanwhile, then the one compiled
 *   meta-gradient over every task's batches in task order — the program `metaTrainStep`
 *   runs, on the inputs it would build, so **the serial step's bits** for any number of
 *   workers and any chunking.
 * - Eager, a job also differentiates each task's outer objective and returns its
 *   meta-gradient (typed arrays); this thread sums them in task order (float64). The same
 *   bits for any number of workers and chunking, and the serial episodes and returns; the
 *   gradient differs from `metaTrainStep`'s one backward pass over the batch's sum by
 *   float32 rounding.
 *
 * Policies and environments are closures and cannot cross threads, so a worker builds its
 * own from a {@link PolicySetupSpec}: a factory registered with {@link registerPolicySetup}
 * (the built-in `'gridworld'` covers the grid-world families with tabular and MLP
 * policies) and its JSON options. Tasks travel as indices into the setup's task list.
 */
import { Rng } from '../random/rng.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import { treeCopy, treeLeaves, treeMap } from '../autodiff/tree.ts';
import { recycling } from '../autodiff/recycle.ts';
import { Tensor } from '../tensor/tensor.ts';
import { exp, neg } from '../ops/index.ts';
import { createPool } from '../parallel/pool.ts';
import { registerJob } from '../parallel/registry.ts';
import { specRegistry } from '../parallel/spec-registry.ts';
import type { Pool } from '../parallel/types.ts';
import { pack, unpack } from '../meta/parallel.ts';
import {
  VecEnv, goalFamily, startFamily, layoutFamily, createObservationEncoder, type Task, type LayoutName, type ObservationSpec,
} from './env/index.ts';
import { tabularPolicy, mlpPolicy, type CategoricalPolicy } from './policy.ts';
import {
  metaTrainInit, resolveStep, taskMetaObjective,
  type MamlRlOptions, type MamlRlResult, type MetaIterationRecord, type MetaStepOptions, type MetaStepResult, type MetaTrainState,
} from './mamlrl.ts';
import { jitMetaGradientOf, jitTaskStage, type JitStepSettings, type TaskStage } from './mamlrl-jit.ts';
import { checkInteger, RlError } from './errors.ts';

/** This module's URL (`.ts` under tsx, `.js` in dist/): the job module of MAML-RL pools. */
export const RL_JOBS: string = import.meta.url;

/**
 * A policy, its environment and its meta-training tasks as plain data: the name of a
 * factory registered with {@link registerPolicySetup} and its JSON options; `modules`
 * are the job modules that register custom factories (imported by every worker and by
 * the calling thread).
 *
 * @example
 * ```ts
 * const setup: PolicySetupSpec = { name: 'gridworld', options: { family: 'goal', size: 8, policy: 'tabular', numEnvs: 160, maxSteps: 20 } };
 * ```
 */
export interface PolicySetupSpec {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly modules?: readonly (string | URL)[];
}

/** What a setup factory builds: `metaTrainStep`'s `policy`, `env` and `tasks`. */
export interface PolicySetup {
  readonly policy: CategoricalPolicy<unknown>;
  readonly env: VecEnv;
  readonly tasks: readonly Task[];
}

type SetupFactory = (options: Readonly<Record<string, unknown>>) => PolicySetup;
// One setup per spec and thread: a jitted policy keeps its compiled programs.
const setups = specRegistry<PolicySetup>(
  { register: 'registerPolicySetup', build: 'policySetupFromSpec', noun: 'policy setup', error: RlError }, () => ['gridworld'],
);

/**
 * Registers a setup factory under `name`, so a {@link PolicySetupSpec} can name it in any
 * thread: call it at the top level of a module listed in the spec's `modules`. The factory
 * must build the same tasks, in the same order, in every thread.
 *
 * @example
 * ```ts
 * registerPolicySetup('room5', () => {
 *   const env = new VecEnv({ map: openRoom(5), numEnvs: 20, maxSteps: 12 });
 *   return { env, policy: tabularPolicy({ numStates: 25, numActions: 4 }), tasks: goalFamily({ size: 5 }).train };
 * });
 * ```
 */
export function registerPolicySetup(name: string, factory: SetupFactory): void {
  setups.register(name, factory);
}

/** Options of the built-in `'gridworld'` setup (what `metagrad gridworld` builds). */
interface GridworldSetupOptions {
  readonly family: 'goal' | 'start' | 'layout';
  readonly layout?: LayoutName;
  readonly size?: number;
  /** Seeds the family's train/test split. Default 0. */
  readonly familySeed?: number;
  readonly policy: 'tabular' | 'mlp';
  /** Hidden widths of the MLP policy. Default [64]. */
  readonly hidden?: number[];
  readonly numEnvs: number;
  readonly maxSteps: number;
}

registerPolicySetup('gridworld', (options) => {
  const o = options as unknown as GridworldSetupOptions;
  const families = { goal: goalFamily, start: startFamily, layout: layoutFamily } as const;
  if (!Object.hasOwn(families, o.family)) throw new RlError(`policy setup 'gridworld': options.family must be goal, start or layout, got ${JSON.stringify(o.family)}`);
  if (o.policy !== 'tabular' && o.policy !== 'mlp') throw new RlError(`policy setup 'gridworld': options.policy must be tabular or mlp, got ${JSON.stringify(o.policy)}`);
  const common = { ...(o.size !== undefined && { size: o.size }), seed: o.familySeed ?? 0 };
  const family = o.family === 'layout' ? layoutFamily(common) : families[o.family]({ ...common, layout: o.layout ?? 'open' });
  if (family.train.length === 0) throw new RlError(`policy setup 'gridworld': the ${o.family} family has no training tasks`);
  const map = family.train[0]!.layout!;
  const observation: ObservationSpec = o.policy === 'tabular' ? { kind: 'stateIndex' } : { kind: 'gridChannels' };
  const env = new VecEnv({ map, numEnvs: o.numEnvs, maxSteps: o.maxSteps, observation, tasks: family.train[0]! });
  const policy = o.policy === 'tabular'
    ? tabularPolicy({ numStates: env.modelOf(0).numStates, numActions: env.numActions })
    : mlpPolicy({ obsSize: createObservationEncoder(observation, map.height, map.width).size, numActions: env.numActions, hidden: o.hidden ?? [64] });
  return { policy: policy as CategoricalPolicy<unknown>, env, tasks: family.train };
});

/**
 * The setup a spec names, built once per thread (after importing its `modules`).
 *
 * @example
 * ```ts
 * const { policy, env, tasks } = await policySetupFromSpec({ name: 'gridworld', options: { family: 'goal', size: 5, policy: 'tabular', numEnvs: 20, maxSteps: 12 } });
 * ```
 */
export function policySetupFromSpec(spec: PolicySetupSpec): Promise<PolicySetup> {
  return setups.build(spec);
}

/** The resolved per-task settings a job needs (plain data). */
interface ChunkSettings extends JitStepSettings { readonly jit: boolean; readonly recycleMemory: boolean }

interface ChunkArgs {
  readonly setup: PolicySetupSpec;
  readonly settings: ChunkSettings;
  /** `{ params, logScale? }`, packed. */
  readonly meta: unknown;
  /** A fixed `innerLrScale` tree, packed (without a learned `logScale` only). */
  readonly fixedScale: unknown;
  /** The chunk's tasks: index into the setup's tasks and the task's generator state. */
  readonly tasks: readonly { readonly index: number; readonly rng: readonly [number, number, number, number] }[];
}

/** One task's meta-gradient leaves (in `treeLeaves` order of `meta`) and sampled returns. */
interface TaskGradient { readonly leaves: Float32Array[]; readonly preReturn: number; readonly postReturn: number }

type Meta = { params: unknown; logScale?: unknown };

/** One task's eager meta-gradient of its own objective (weight 1), as `estimateMetaGradient` computes every task's. */
function taskGradient(setup: PolicySetup, settings: ChunkSettings, meta: Meta, fixedScale: unknown, task: Task, rng: Rng): TaskGradient {
  const { policy, env } = setup;
  const leavesOf = (g: Meta): Float32Array[] => treeLeaves(g).map((t) => Float32Array.from(t.data));
  env.setTasks(task);
  let preReturn = NaN, postReturn = NaN;
  const objective = (m: Meta): Tensor => {
    const innerLrScale = m.logScale !== undefined ? treeMap(m.logScale, (r) => exp(r)) : fixedScale;
    const result = taskMetaObjective(policy, m.params, env, rng, { ...settings, innerLrScale });
    preReturn = result.preReturn;
    postReturn = result.postReturn;
    return result.objective;
  };
  const gradient = (): Meta => valueAndGrad(objective)(meta)[1] as Meta;
  return { leaves: leavesOf(settings.recycleMemory ? recycling(gradient, treeCopy) : gradient()), preReturn, postReturn };
}

registerJob('rl.metaChunk', async (args: ChunkArgs): Promise<TaskGradient[]> => {
  const setup = await policySetupFromSpec(args.setup);
  const meta = unpack<Meta>(args.meta);
  const fixedScale = args.fixedScale === undefined ? undefined : unpack(args.fixedScale);
  return args.tasks.map(({ index, rng }) => {
    const task = setup.tasks[index];
    if (task === undefined) throw new RlError(`rl.metaChunk: task ${index} is not in the setup's ${setup.tasks.length} tasks (do main thread and workers build the same setup?)`);
    return taskGradient(setup, args.settings, meta, fixedScale, task, new Rng(rng));
  });
});

/**
 * A task's jit stage as clonable data: its batch tensors packed, the fields a batch may
 * lack (`baselineTerm`, `entropyScale`) omitted and restored as `undefined`, so the
 * compiled meta-gradient sees the tree the serial path builds.
 */
function packStage(stage: TaskStage): unknown {
  type Batch = TaskStage['inputs']['outer'];
  const batch = (b: Batch) => ({ features: b.features, picks: b.picks, mask: b.mask, weights: b.weights, ...(b.baselineTerm !== undefined && { baselineTerm: b.baselineTerm }) });
  const { inner, outer, entropyScale } = stage.inputs;
  return {
    inputs: pack({ inner: inner.map(batch), outer: batch(outer), ...(entropyScale !== undefined && { entropyScale }) }),
    preReturn: stage.preReturn, postReturn: stage.postReturn,
  };
}

function unpackStage(packed: unknown): TaskStage {
  type Batch = TaskStage['inputs']['outer'];
  const { inputs, preReturn, postReturn } = packed as { inputs: unknown; preReturn: number; postReturn: number };
  const raw = unpack<{ inner: Batch[]; outer: Batch; entropyScale?: Tensor }>(inputs);
  const batch = (b: Batch): Batch => ({ features: b.features, picks: b.picks, mask: b.mask, weights: b.weights, baselineTerm: b.baselineTerm });
  return { inputs: { inner: raw.inner.map(batch), outer: batch(raw.outer), entropyScale: raw.entropyScale }, preReturn, postReturn };
}

/** The step options a thread's setup gives the jit stages. */
function stageOptions(setup: PolicySetup, fixedScale: unknown): MetaStepOptions<unknown> {
  return { policy: setup.policy, env: setup.env, tasks: setup.tasks, ...(fixedScale !== undefined && { innerLrScale: fixedScale }) } as MetaStepOptions<unknown>;
}

registerJob('rl.taskStages', async (args: ChunkArgs): Promise<unknown[]> => {
  const setup = await policySetupFromSpec(args.setup);
  const meta = unpack<Meta>(args.meta);
  const options = stageOptions(setup, args.fixedScale === undefined ? undefined : unpack(args.fixedScale));
  return args.tasks.map(({ index, rng }) => {
    const task = setup.tasks[index];
    if (task === undefined) throw new RlError(`rl.taskStages: task ${index} is not in the setup's ${setup.tasks.length} tasks (do main thread and workers build the same setup?)`);
    return packStage(jitTaskStage(options, args.settings, meta, task, new Rng(rng)));
  });
});

/** Options of {@link metaTrainStepParallel}: {@link metaTrainStep}'s, with the policy, env and tasks as a setup spec. */
export interface ParallelStepOptions extends Omit<MetaStepOptions<unknown>, 'policy' | 'env' | 'tasks' | 'timings'> {
  readonly setup: PolicySetupSpec;
  /**
   * Jobs per meta-batch (default: the pool's size). Only the scheduling depends on it:
   * every task's gradient is computed alone and summed in task order.
   */
  readonly chunks?: number;
  /**
   * With `jit`: how many of the meta-batch's tasks (its first ones; all of them if it is
   * larger) this thread runs while the pool runs the rest in `chunks − 1` jobs (default: an equal share, the first of
   * `chunks` slices). Only the scheduling depends on it, not the bits.
   */
  readonly localTasks?: number;
  /**
   * With `jit`: called once the pool's stages are back, before the compiled meta-gradient
   * runs here, with the milliseconds this thread spent on its own tasks' stages and then
   * waiting for the pool's: the moment to balance `localTasks` or hand the pool other work
   * (scheduling only).
   */
  readonly onStagesDone?: (localMs: number, waitMs: number) => void;
}

/** The chunks' task ranges: `chunks` near-equal consecutive slices (fewer if there are fewer tasks). */
function chunkRanges(total: number, chunks: number): [number, number][] {
  const count = Math.min(chunks, total);
  return Array.from({ length: count }, (_v, c) => [Math.floor((c * total) / count), Math.floor(((c + 1) * total) / count)] as [number, number]);
}

/**
 * The meta-gradient {@link metaTrainStepParallel} ascends, with respect to
 * `{ params, logScale? }`: the meta-batch drawn from `state.rng` as `metaTrainStep`
 * draws it, every task's gradient computed on `pool`, summed in task order (float64) and
 * divided by the batch size; plus the mean sampled returns and the generator after the
 * draws. The same bits for any pool size and chunking.
 *
 * @example
 * ```ts
 * const setup = { name: 'gridworld', options: { family: 'goal', size: 5, policy: 'tabular', numEnvs: 8, maxSteps: 10 } };
 * const { policy, env, tasks } = await policySetupFromSpec(setup);
 * const options = { setup, innerLr: 2, metaBatchSize: 2, baseline: 'state' as const };
 * const state = metaTrainInit({ policy, env, tasks, ...options, seed: 0 });
 * const pool = createPool({ workers: 1, modules: [RL_JOBS] }); // workers: 2 or more for worker threads
 * const { gradient } = await parallelPolicyMetaGradient(pool, options, state);
 * pool.terminate();
 * ```
 */
export async function parallelPolicyMetaGradient<P>(pool: Pool, options: ParallelStepOptions, state: MetaTrainState<P>) {
  const setup = await policySetupFromSpec(options.setup);
  const stepOptions = { ...options, policy: setup.policy, env: setup.env, tasks: setup.tasks } as MetaStepOptions<unknown>;
  const { metaBatchSize, settings } = resolveStep('metaTrainStepParallel', stepOptions);
  const chunks = checkInteger('metaTrainStepParallel', 'chunks', options.chunks ?? pool.size);
  if (options.jit !== undefined && typeof options.jit !== 'boolean') throw new RlError(`metaTrainStepParallel: jit must be true or false, got ${String(options.jit)}`);
  const rng = new Rng(state.rng);
  // metaTrainStep shuffles the task list itself; a shuffle of its indices draws the same numbers.
  const order = rng.shuffle(setup.tasks.map((_t, i) => i)).slice(0, metaBatchSize);
  const taskRngs = order.map(() => rng.split().state());
  type M = { params: P; logScale?: P };
  const meta: M = state.logScale ? { params: state.params, logScale: state.logScale } : { params: state.params };
  const fixedScale = state.logScale === undefined && options.innerLrScale !== undefined ? options.innerLrScale : undefined;
  const chunkSettings: ChunkSettings = { ...settings, jit: options.jit === true, recycleMemory: options.recycleMemory === true };
  const localTasks = options.localTasks === undefined ? undefined : Math.min(order.length, checkInteger('metaTrainStepParallel', 'localTasks', options.localTasks, 0));
  // The first range runs here: an equal slice, or `localTasks` with the rest split over chunks − 1 jobs.
  const ranges = localTasks === undefined || !options.jit ? chunkRanges(order.length, chunks)
    : [[0, localTasks] as [number, number], ...chunkRanges(order.length - localTasks, Math.max(1, chunks - 1)).map(([b, e]) => [b + localTasks, e + localTasks] as [number, number])];
  const argsOf = ([begin, end]: [number, number]): ChunkArgs => ({
    setup: options.setup, settings: chunkSettings, meta: pack(meta), fixedScale: fixedScale === undefined ? undefined : pack(fixedScale),
    tasks: order.slice(begin, end).map((index, k) => ({ index, rng: taskRngs[begin + k]! })),
  });
  if (chunkSettings.jit) {
    // The first chunk's stages run here while the pool runs the others; then the one
    // compiled meta-gradient over every stage in task order: the serial program on the
    // serial inputs, so the serial bits.
    const remote = ranges.slice(1).filter(([b, e]) => e > b);
    const pending = pool.run<unknown[]>(remote.map((range) => ({ name: 'rl.taskStages', args: argsOf(range) })));
    const local = stageOptions(setup, fixedScale);
    const [begin, end] = ranges[0]!;
    const t0 = performance.now();
    const stages: TaskStage[] = order.slice(begin, end).map((index, k) => jitTaskStage(local, settings, meta, setup.tasks[index]!, new Rng(taskRngs[begin + k]!)));
    const t1 = performance.now();
    const outcomes = await pending;
    options.onStagesDone?.(t1 - t0, performance.now() - t1);
    for (const outcome of outcomes) {
      if (!outcome.ok) throw outcome.error;
      for (const packed of outcome.value) stages.push(unpackStage(packed));
    }
    const { gradient, preReturn, postReturn } = jitMetaGradientOf(local, settings, meta, stages);
    return { gradient, meta, preReturn, postReturn, rng };
  }
  const outcomes = await pool.run<TaskGradient[]>(ranges.map((range) => ({ name: 'rl.metaChunk', args: argsOf(range) })));
  const template = treeLeaves(meta);
  const sums = template.map((t) => new Float64Array(t.size));
  let preReturn = 0, postReturn = 0;
  const n = order.length;
  for (const outcome of outcomes) {
    if (!outcome.ok) throw outcome.error;
    for (const task of outcome.value) {
      preReturn += task.preReturn / n;
      postReturn += task.postReturn / n;
      task.leaves.forEach((leaf, i) => { const s = sums[i]!; for (let k = 0; k < leaf.length; k++) s[k]! += leaf[k]!; });
    }
  }
  let i = 0;
  const gradient = treeMap(meta, (t) => {
    const s = sums[i++]!;
    const out = new Float32Array(s.length);
    for (let k = 0; k < s.length; k++) out[k] = s[k]! / n;
    return new Tensor(out, t.shape);
  });
  return { gradient, meta, preReturn, postReturn, rng };
}

/**
 * {@link metaTrainStep} with the meta-batch's rollouts, inner adaptation and outer
 * gradients on `pool` (which must import `RL_JOBS`, and the setup's modules): pure like
 * the serial step, the same state in gives the same state out, for any pool size.
 *
 * @example
 * ```ts
 * const setup = { name: 'gridworld', options: { family: 'goal', size: 5, policy: 'tabular', numEnvs: 8, maxSteps: 10 } };
 * const { policy, env, tasks } = await policySetupFromSpec(setup);
 * const options = { setup, innerLr: 2, metaBatchSize: 2, baseline: 'state' as const };
 * const pool = createPool({ workers: 1, modules: [RL_JOBS] }); // workers: 2 or more for worker threads
 * let state = metaTrainInit({ policy, env, tasks, ...options, seed: 0 });
 * for (let i = 0; i < 2; i++) ({ state } = await metaTrainStepParallel(pool, options, state));
 * pool.terminate();
 * ```
 */
export async function metaTrainStepParallel<P>(pool: Pool, options: ParallelStepOptions, state: MetaTrainState<P>): Promise<MetaStepResult<P>> {
  const { gradient, meta, preReturn, postReturn, rng } = await parallelPolicyMetaGradient(pool, options, state);
  const setup = await policySetupFromSpec(options.setup);
  const { optimizer } = resolveStep('metaTrainStepParallel', { ...options, policy: setup.policy, env: setup.env, tasks: setup.tasks } as MetaStepOptions<unknown>);
  // The optimizer minimises: hand it the negated meta-gradient.
  const update = optimizer.update(treeMap(gradient, (g) => neg(g)), state.optimizer, meta);
  return { state: { ...(update.params as { params: P; logScale?: P }), optimizer: update.state, rng: rng.state() }, preReturn, postReturn };
}

/** Options of {@link metaTrainPolicyParallel}: `metaTrainPolicy`'s, with a setup spec and a pool. */
export interface ParallelMamlRlOptions<P> extends ParallelStepOptions, Pick<MamlRlOptions<P>, 'iterations' | 'seed' | 'initialParams' | 'learnInnerLr'> {
  /** Worker threads (default: the available cores; 1 runs in this thread). Ignored with `pool`. */
  readonly workers?: number;
  /** A pool to use (it must import `RL_JOBS`); not terminated at the end. */
  readonly pool?: Pool;
  readonly onIteration?: (record: MetaIterationRecord, params: P) => void;
}

/**
 * `metaTrainPolicy` (MAML-RL's `metaTrain`) with each meta-batch on a worker pool (see
 * {@link metaTrainStepParallel}): initialisation, task draws and the outer step stay in
 * this thread. Deterministic under `seed`, the same bits for any `workers`.
 *
 * @example
 * ```ts
 * // The goal-8×8 study runs 150 iterations of 10 tasks on 160 copies; this is a smoke-sized run:
 * const { params, history } = await metaTrainPolicyParallel({
 *   setup: { name: 'gridworld', options: { family: 'goal', size: 5, policy: 'tabular', numEnvs: 8, maxSteps: 10 } },
 *   iterations: 2, metaBatchSize: 2, innerLr: 100, baseline: 'state', learnInnerLr: true, entropyBonus: 0.4, workers: 1,
 * });
 * history.length; // 2
 * ```
 */
export async function metaTrainPolicyParallel<P>(options: ParallelMamlRlOptions<P>): Promise<MamlRlResult<P>> {
  const iterations = checkInteger('metaTrainPolicyParallel', 'iterations', options.iterations, 0);
  const setup = await policySetupFromSpec(options.setup);
  const serialOptions = { ...options, policy: setup.policy as CategoricalPolicy<P>, env: setup.env, tasks: setup.tasks } as Omit<MamlRlOptions<P>, 'iterations'>;
  let state = metaTrainInit(serialOptions);
  const pool = options.pool ?? createPool({ workers: options.workers, modules: [RL_JOBS, ...(options.setup.modules ?? [])] });
  const history: MetaIterationRecord[] = [];
  try {
    for (let iteration = 0; iteration < iterations; iteration++) {
      const step = await metaTrainStepParallel(pool, options, state);
      state = step.state;
      const record = { iteration, preReturn: step.preReturn, postReturn: step.postReturn };
      history.push(record);
      options.onIteration?.(record, state.params);
    }
  } finally {
    if (options.pool === undefined) pool.terminate();
  }
  if (!state.logScale) return { params: state.params, history };
  return { params: state.params, history, innerLrScale: treeMap(state.logScale, (r) => exp(r)) };
}
