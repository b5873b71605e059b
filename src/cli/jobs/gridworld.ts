/**
 * The grid-world meta-RL job for the CLI: MAML-RL (policy-gradient inner steps, a
 * DiCE/LVC/REINFORCE or first-order meta-gradient, Adam outer steps) on a task family
 * of `src/rl/env`, trained alongside a multi-task policy-gradient baseline on the same
 * task draws. Evaluation adapts the meta-learned, pretrained and randomly initialised
 * policies on held-out in-distribution and out-of-distribution tasks with sampled
 * episodes, and scores every step with the exact expected return (dynamic programming,
 * `src/rl/oracle.ts`), so the curves carry no evaluation noise beyond the adaptation's.
 */
import { Rng } from '../../random/rng.ts';
import type { OptimizerState } from '../../optim/index.ts';
import { zerosLike } from '../../tensor/create.ts';
import { exp } from '../../ops/index.ts';
import { treeMap } from '../../autodiff/tree.ts';
import {
  VecEnv, goalFamily, startFamily, layoutFamily, standardLayout, parseMap, mapToText, positionOfState,
  createObservationEncoder, type TaskFamily, type Task, type TabularModel, type LayoutName, type GridMap, type ObservationSpec,
} from '../../rl/env/index.ts';
import { modelForTask } from '../../rl/env/gridworld.ts';
import { tabularPolicy, mlpPolicy, type CategoricalPolicy } from '../../rl/policy.ts';
import { adaptationPath, metaTrainStep, outerOptimizer, type MetaEstimator, type MetaStepResult, type MetaTrainState } from '../../rl/mamlrl.ts';
import { metaTrainStepParallel, type ParallelStepOptions, type PolicySetup, type PolicySetupSpec } from '../../rl/mamlrl-parallel.ts';
import type { Pool } from '../../parallel/types.ts';
import { GRIDWORLD_SETUP } from './gridworld-setup-url.ts';
import { expectedReturn, optimalReturn } from '../../rl/oracle.ts';
import { subsampleTasks } from '../../rl/evaluate.ts';
import { CheckpointError, type Checkpoint } from '../../io/checkpoint.ts';
import { compareStructure, type State } from '../../io/codec.ts';
import { meanInterval } from '../../stats/interval.ts';
import type { FigureSpec, GridPanel, LineFigure } from '../../report/figures.ts';
import type { Series } from '../../report/line-chart.ts';
import type { EvalContext, Evaluation, MetaJob, StepResult, TrainState } from '../job.ts';
import type { GridworldConfig } from './gridworld-config.ts';

export {
  GRIDWORLD_ALGORITHMS, GRIDWORLD_ESTIMATORS, GRIDWORLD_FAMILIES, GRIDWORLD_LAYOUTS, GRIDWORLD_POLICIES, GRIDWORLD_DEFAULTS, type GridworldConfig,
} from './gridworld-config.ts';

/** The task family a config describes; throws the env's GridWorldError on a bad map. */
export function familyOf(c: GridworldConfig): TaskFamily {
  const layout: LayoutName | GridMap = c.map !== null ? parseMap(c.map) : (c.layout as LayoutName);
  const common = { layout, size: c.size, seed: c.seed };
  switch (c.family) {
    case 'goal': return goalFamily(common);
    case 'start': return startFamily(common);
    case 'layout': return layoutFamily({ size: c.size, seed: c.seed });
  }
}

/** The base map of a config (the family's first training layout). */
function baseMapOf(c: GridworldConfig, family: TaskFamily): GridMap {
  return family.train[0]?.layout ?? (c.map !== null ? parseMap(c.map) : standardLayout(c.layout as LayoutName, c.size));
}

interface Setup {
  readonly family: TaskFamily;
  readonly env: VecEnv;
  readonly policy: CategoricalPolicy<State>;
  readonly observation: ObservationSpec;
  readonly map: GridMap;
  readonly options: { innerLr: number; estimator: MetaEstimator; baseline: 'state' | 'observation'; innerSteps: number; entropyBonus: number; weightDecay: number };
}

/**
 * The run's policy, environment and training tasks as a worker builds them (the
 * `'cli.gridworld'` policy setup, registered by gridworld-setup.ts): what `setup` builds.
 */
export function gridworldPolicySetup(c: GridworldConfig): PolicySetup {
  const s = setup(c);
  return { policy: s.policy as unknown as CategoricalPolicy<unknown>, env: s.env, tasks: s.family.train };
}

/** The spec a worker builds the run's setup from. */
export function gridworldSetupSpec(c: GridworldConfig): PolicySetupSpec {
  return { name: 'cli.gridworld', options: c as unknown as Record<string, unknown>, modules: [GRIDWORLD_SETUP] };
}

function setup(c: GridworldConfig): Setup {
  const family = familyOf(c);
  if (family.train.length === 0) throw new RangeError(`the ${c.family} family of this map has no training tasks`);
  const map = baseMapOf(c, family);
  const observation: ObservationSpec = c.policy === 'tabular' ? { kind: 'stateIndex' } : { kind: 'gridChannels' };
  const env = new VecEnv({ map, numEnvs: c.episodes, maxSteps: c.horizon, observation, tasks: family.train[0]! });
  const encoder = createObservationEncoder(observation, map.height, map.width);
  const numStates = env.modelOf(0).numStates;
  const policy = (c.policy === 'tabular'
    ? tabularPolicy({ numStates, numActions: env.numActions })
    : mlpPolicy({ obsSize: encoder.size, numActions: env.numActions, hidden: [64] })) as unknown as CategoricalPolicy<State>;
  const estimator: MetaEstimator = c.algorithm === 'fomaml' ? 'firstOrder' : c.estimator;
  return {
    family, env, policy, observation, map,
    options: {
      innerLr: c.innerLr, estimator, baseline: c.policy === 'tabular' ? 'state' : 'observation', innerSteps: c.innerSteps,
      entropyBonus: c.entropyBonus, weightDecay: c.weightDecay,
    },
  };
}

/**
 * `logScale`: Meta-SGD's log step multipliers ρ, trained with `meta` (present with
 * `learnInnerLr` only, so checkpoints of plain MAML keep their original layout).
 */
interface Params { readonly meta: State; readonly logScale?: State; readonly pretrained: State | null }
/** `meta` is the optimiser state over `{ params, logScale? }`, as `metaTrainStep` keeps it. */
interface OptStates { readonly meta: State; readonly pretrained: State | null }

/** The inner step options MAML adapts with at test time: with its meta-learned step multipliers, if any. */
function mamlAdaptOptions(s: Setup, p: Params) {
  const base = { innerLr: s.options.innerLr, estimator: s.options.estimator, baseline: s.options.baseline };
  return p.logScale === undefined ? base : { ...base, innerLrScale: treeMap(p.logScale, (r) => exp(r)) };
}

/** The two independent trainings of a run: MAML's (θ and, with `learnInnerLr`, ρ) and the pretrained baseline's. */
export type GridworldPart = 'maml' | 'pretrained';

/** One part's training state: what `metaTrainStep` steps (plain data apart from the tensors). */
export interface PartState {
  readonly iteration: number;
  readonly params: State;
  readonly logScale?: State;
  readonly optimizer: State;
  readonly rng: MetaTrainState<State>['rng'];
}

/** One part's meta-iteration: its new state and its curves' values (`return` and `preAdaptation`, or `pretrained`). */
export interface PartStep {
  readonly state: PartState;
  readonly values: Readonly<Record<string, number>>;
}

/**
 * A grid-world run cut into its two independent parts, for running them apart (one per
 * worker): the baseline trains on the same task draws and random numbers as MAML, and
 * a step's generator afterwards depends only on the number of tasks drawn, so each part
 * can step alone and {@link GridworldParts.join} gives back the serial run's state.
 */
export interface GridworldParts {
  readonly job: MetaJob<GridworldConfig>;
  /** The parts of a run's state (`pretrained` null without baselines). */
  split(state: TrainState): { maml: PartState; pretrained: PartState | null };
  /** One meta-iteration of one part. */
  stepPart(part: GridworldPart, state: PartState): PartStep;
  /**
   * MAML's meta-iteration with its tasks' stages shared with `pool` (which must import
   * `RL_JOBS` and `GRIDWORLD_SETUP`): with `jit`, the same bits as `stepPart('maml', …)`.
   * `schedule` says how many tasks stay in this thread (`localTasks`, `chunks`) and
   * reports the stage times; it changes only where the work runs.
   */
  stepMamlOn(pool: Pool, state: PartState, schedule?: Pick<ParallelStepOptions, 'localTasks' | 'chunks' | 'onStagesDone'>): Promise<PartStep>;
  /** The run's state from its parts at the same iteration. */
  join(maml: PartState, pretrained: PartState | null): TrainState;
  /** The evaluation methods a part owns: MAML its own; the baseline the pretrained and from-scratch policies. */
  methodsOf(part: GridworldPart, state: PartState | null): EvalMethod[];
  /** Evaluates `methods` split by split (only the splits numbered in `splits`, when given: 0 train, 1 test, 2 ood). */
  evaluateMethods(methods: readonly EvalMethod[], ctx: EvalContext, splits?: readonly number[]): Promise<EvalCell[]>;
  /** The evaluation of the computed cells, exactly as the serial run assembles it. */
  assemble(cells: readonly EvalCell[]): Evaluation;
}

/** Creates the job; throws the env's errors for a config whose map or family is invalid. */
export function createGridworldJob(config: GridworldConfig): MetaJob<GridworldConfig> {
  return createGridworldParts(config).job;
}

/** Creates the job and its parts; throws the env's errors for a config whose map or family is invalid. */
export function createGridworldParts(config: GridworldConfig): GridworldParts {
  const s = setup(config);
  // The optimisers `metaTrainStep` will use: the pretrained baseline takes no weight decay.
  const metaOptimizer = outerOptimizer(config.outerLr, config.weightDecay), pretrainedOptimizer = outerOptimizer(config.outerLr);
  const fresh = (): { params: Params; optimizer: OptStates; rng: Rng } => {
    const rng = new Rng(config.seed);
    const meta = s.policy.init(rng.split());
    const pretrained = config.baselines ? s.policy.init(rng.split()) : null;
    const logScale = config.learnInnerLr ? treeMap(meta, (leaf) => zerosLike(leaf)) as State : null;
    return {
      params: { meta, ...(logScale === null ? {} : { logScale }), pretrained },
      optimizer: {
        meta: metaOptimizer.init(logScale === null ? { params: meta } : { params: meta, logScale }) as unknown as State,
        pretrained: pretrained === null ? null : pretrainedOptimizer.init(pretrained) as unknown as State,
      },
      rng,
    };
  };

  // recycleMemory: the same numbers (the job's policies keep no tensors), less allocation per
  // iteration (eager only). jit: compiled meta-gradients, the same numbers to float32 rounding.
  const stepOptions = {
    ...s.options, policy: s.policy, env: s.env, tasks: s.family.train,
    metaBatchSize: Math.min(config.metaBatch, s.family.train.length), outerLr: config.outerLr, recycleMemory: true, jit: config.jit,
  };
  /** One iteration of `metaTrainStep` on the params/optimiser pair of one method. */
  const ascend = (params: State, logScale: State | undefined, opt: State, rng: MetaTrainState<State>['rng'], innerSteps: number) =>
    metaTrainStep(
      // The pretrained baseline (innerSteps 0) is plain multi-task policy gradient: no decay.
      { ...stepOptions, innerSteps, weightDecay: innerSteps === 0 ? 0 : stepOptions.weightDecay },
      { params, ...(logScale === undefined ? {} : { logScale }), optimizer: opt as unknown as OptimizerState, rng },
    );

  const split = (state: TrainState): { maml: PartState; pretrained: PartState | null } => {
    const p = state.params as unknown as Params;
    const o = state.optimizer as unknown as OptStates;
    const rng = state.rng.state();
    return {
      maml: { iteration: state.iteration, params: p.meta, ...(p.logScale === undefined ? {} : { logScale: p.logScale }), optimizer: o.meta, rng },
      pretrained: p.pretrained === null ? null : { iteration: state.iteration, params: p.pretrained, optimizer: o.pretrained!, rng },
    };
  };
  const partStep = (part: GridworldPart, ps: PartState, r: MetaStepResult<State>): PartStep => {
    const state: PartState = {
      iteration: ps.iteration + 1, params: r.state.params, ...(r.state.logScale === undefined ? {} : { logScale: r.state.logScale }),
      optimizer: r.state.optimizer as unknown as State, rng: r.state.rng,
    };
    return { state, values: part === 'maml' ? { return: r.postReturn, preAdaptation: r.preReturn } : { pretrained: r.postReturn } };
  };
  // The baseline trains on the same task draws and random numbers as MAML (innerSteps 0: plain multi-task policy gradient).
  const stepPart = (part: GridworldPart, ps: PartState): PartStep =>
    partStep(part, ps, part === 'maml' ? ascend(ps.params, ps.logScale, ps.optimizer, ps.rng, config.innerSteps) : ascend(ps.params, undefined, ps.optimizer, ps.rng, 0));
  const { policy: _policy, env: _env, tasks: _tasks, ...shared } = stepOptions;
  const parallelOptions: ParallelStepOptions = { ...shared, innerSteps: config.innerSteps, setup: gridworldSetupSpec(config) };
  const stepMamlOn = async (pool: Pool, ps: PartState, schedule = {}): Promise<PartStep> => partStep('maml', ps, await metaTrainStepParallel(pool, { ...parallelOptions, ...schedule }, {
    params: ps.params, ...(ps.logScale === undefined ? {} : { logScale: ps.logScale }), optimizer: ps.optimizer as unknown as OptimizerState, rng: ps.rng,
  }) as MetaStepResult<State>);
  const join = (m: PartState, b: PartState | null): TrainState => {
    if (b !== null && (b.iteration !== m.iteration || b.rng.some((v, i) => v !== m.rng[i]))) {
      throw new Error(`gridworld: the parts disagree (MAML at iteration ${m.iteration}, the baseline at ${b.iteration}, or their generators differ)`);
    }
    return {
      iteration: m.iteration,
      params: { meta: m.params, ...(m.logScale === undefined ? {} : { logScale: m.logScale }), pretrained: b === null ? null : b.params } as unknown as State,
      optimizer: { meta: m.optimizer, pretrained: b === null ? null : b.optimizer } as unknown as State,
      rng: new Rng(m.rng),
    };
  };
  const methodsOf = (part: GridworldPart, ps: PartState | null): EvalMethod[] => {
    if (part === 'maml') return ps === null ? [] : [{ name: config.algorithm, params: ps.params, adapt: mamlAdaptOptions(s, { meta: ps.params, ...(ps.logScale === undefined ? {} : { logScale: ps.logScale }), pretrained: null }) }];
    return [...(ps === null ? [] : [{ name: 'pretrained', params: ps.params, adapt: plainAdaptOptions(config, s) }]), scratchMethod(config, s)];
  };

  const job: MetaJob<GridworldConfig> = {
    kind: 'gridworld',
    config,
    curve: {
      key: 'return', label: 'mean sampled return',
      names: { return: `${config.algorithm}, after adaptation`, preAdaptation: `${config.algorithm}, before adaptation`, pretrained: 'pretrained' },
    },
    init() {
      const f = fresh();
      return { iteration: 0, params: f.params as unknown as State, optimizer: f.optimizer as unknown as State, rng: f.rng };
    },
    step(state): StepResult {
      const parts = split(state);
      const m = stepPart('maml', parts.maml);
      const b = parts.pretrained === null ? null : stepPart('pretrained', parts.pretrained);
      return { state: join(m.state, b?.state ?? null), value: m.values['return']!, extra: { preAdaptation: m.values['preAdaptation']!, ...b?.values } };
    },
    restore(ck: Checkpoint, file: string): TrainState {
      const f = fresh();
      const pd = compareStructure(f.params, ck.params, '$.params');
      if (pd) throw new CheckpointError(file, `parameters do not match a ${config.policy} policy on this ${config.family} family (${pd})`);
      const od = compareStructure(f.optimizer, ck.optimizer, '$.optimizer');
      if (od) throw new CheckpointError(file, `optimiser state does not match (${od})`);
      return { iteration: ck.iteration, params: ck.params, optimizer: ck.optimizer, rng: new Rng(ck.rng) };
    },
    async evaluate(state, ctx) {
      const parts = split(state);
      const methods = [...methodsOf('maml', parts.maml), ...methodsOf('pretrained', parts.pretrained)];
      return assembleEvaluation(config, s, await evaluateCells(config, s, methods, ctx));
    },
  };
  return {
    job, split, stepPart, stepMamlOn, join, methodsOf,
    evaluateMethods: (methods, ctx, splits) => evaluateCells(config, s, methods, ctx, splits),
    assemble: (cells) => assembleEvaluation(config, s, cells),
  };
}

/** The adaptation steps shown in summary tables: 0, 1 and k. */
function stepColumns(k: number): number[] {
  return k > 1 ? [0, 1, k] : [0, k];
}

/** The task's map as text rows with its own start and goal marked `S` and `G`. */
function taskMapRows(model: TabularModel): string[] {
  const rows = mapToText(model.map).split('\n').map((r) => [...r.replace(/[SG]/g, '.')]);
  const mark = (states: Int32Array, ch: string): void => {
    for (const st of states) { const [r, col] = positionOfState(model, st); rows[r]![col] = ch; }
  };
  mark(model.startStates, 'S');
  mark(model.goalStates, 'G');
  return rows.map((r) => r.join(''));
}

/** Exact expected return of `params` on `model`. */
function exactReturn(s: Setup, params: State, model: TabularModel, horizon: number): number {
  const encoder = createObservationEncoder(s.observation, model.map.height, model.map.width);
  return expectedReturn(s.policy.stateLogits(params, model, encoder), model, { horizon }).item();
}

/** The greedy trajectory (most likely action each step) from the first start state. */
function greedyPath(s: Setup, params: State, model: TabularModel, horizon: number): { path: [number, number][]; ret: number } {
  const encoder = createObservationEncoder(s.observation, model.map.height, model.map.width);
  const logits = s.policy.stateLogits(params, model, encoder).data;
  const A = model.numActions;
  let state = model.startStates[0]!;
  const path: [number, number][] = [[...positionOfState(model, state)] as [number, number]];
  let ret = 0;
  for (let t = 0; t < horizon && !model.terminal[state]; t++) {
    let best = 0;
    for (let a = 1; a < A; a++) if (logits[state * A + a]! > logits[state * A + best]!) best = a;
    ret += model.reward[state * A + best]!;
    state = model.next[state * A + best]!;
    path.push([...positionOfState(model, state)] as [number, number]);
  }
  return { path, ret };
}

/** A policy to evaluate: its name in the report, its initial parameters and how it adapts. */
export interface EvalMethod {
  readonly name: string;
  readonly params: State;
  readonly adapt: ReturnType<typeof mamlAdaptOptions>;
}

/**
 * One method's adaptation on one evaluation split: the exact return after 0..k steps per
 * task (fewer tasks when stopped), and for the meta-learned policy the return by cell and
 * the trajectory panels. Plain data, so it can come back from a worker.
 */
export interface EvalCell {
  readonly split: number;
  readonly method: string;
  readonly curves: number[][];
  readonly byCell: [string, number][];
  readonly panels: GridPanel[];
}

function plainAdaptOptions(c: GridworldConfig, s: Setup) {
  return { innerLr: c.innerLr, estimator: s.options.estimator, baseline: s.options.baseline };
}

/** The from-scratch baseline: a fresh policy from the evaluation's own generator. */
function scratchMethod(c: GridworldConfig, s: Setup): EvalMethod {
  const evalRng = new Rng([0x9a1d, c.seed >>> 0, 0xe7a1, 2]);
  return { name: 'scratch', params: s.policy.init(evalRng.split()), adapt: plainAdaptOptions(c, s) };
}

/** The evaluation splits: name, description and (at most `evalTasks`) tasks. */
function evalSplits(c: GridworldConfig, s: Setup): [string, string, readonly Task[]][] {
  return [
    ['train', 'meta-training tasks', subsampleTasks(s.family.train, c.evalTasks)],
    ['test', 'in distribution (held-out tasks)', subsampleTasks(s.family.test, c.evalTasks)],
    ['ood', 'out of distribution', subsampleTasks(s.family.ood, c.evalTasks)],
  ];
}

const dynamicsOf = (c: GridworldConfig, s: Setup) => ({ map: s.map, maxSteps: c.horizon, observation: s.observation });

/**
 * Adapts every method on every split (split by split, methods in the given order) and
 * scores each step exactly. Stops early, with the cells computed so far, on `ctx.shouldStop()`.
 */
async function evaluateCells(c: GridworldConfig, s: Setup, methods: readonly EvalMethod[], ctx: EvalContext, splits?: readonly number[]): Promise<EvalCell[]> {
  const k = c.evalSteps;
  const cells: EvalCell[] = [];
  for (const [splitIndex, [split, , tasks]] of evalSplits(c, s).entries()) {
    if (tasks.length === 0 || (splits !== undefined && !splits.includes(splitIndex))) continue;
    const models = tasks.map((t) => modelForTask(dynamicsOf(c, s), s.map, t, 'evaluate'));
    for (const { name, params, adapt } of methods) {
      if (await ctx.shouldStop()) return cells;
      ctx.log(`evaluating ${name} on ${tasks.length} ${split} tasks (${k} adaptation steps)`);
      const cell: EvalCell = { split: splitIndex, method: name, curves: [], byCell: [], panels: [] };
      cells.push(cell);
      for (let t = 0; t < tasks.length; t++) {
        if (await ctx.shouldStop()) break;
        s.env.setTasks(tasks[t]!);
        // Common random numbers: every method adapts with the same generator on a given task.
        const rng = new Rng([c.seed >>> 0, t, splitIndex, 0x5eed]);
        const path = adaptationPath(s.policy, params, s.env, k, rng, adapt);
        cell.curves.push(path.map((q) => exactReturn(s, q, models[t]!, c.horizon)));
        const varying = c.family === 'goal' ? tasks[t]!.goals?.[0] : c.family === 'start' ? tasks[t]!.starts?.[0] : undefined;
        if (name === c.algorithm && varying) cell.byCell.push([`${varying[0]},${varying[1]}`, cell.curves[cell.curves.length - 1]![k]!]);
        if (name === c.algorithm && split !== 'train' && t < 2) {
          const mapRows = taskMapRows(models[t]!);
          for (const [label, q] of [['before adaptation', path[0]!], [`after ${k} steps`, path[k]!]] as const) {
            const g = greedyPath(s, q, models[t]!, c.horizon);
            cell.panels.push({ title: `${split}: ${tasks[t]!.name ?? `task ${t}`}, ${label}`, map: mapRows, trajectory: g.path, return: g.ret });
          }
        }
      }
    }
  }
  return cells;
}

/**
 * The evaluation's metrics, tables and figures from its cells, split by split and method
 * by method in the run's order (the meta-learned policy, pretrained, scratch), whatever
 * order or thread the cells were computed in. Incomplete without every cell in full.
 */
function assembleEvaluation(c: GridworldConfig, s: Setup, cells: readonly EvalCell[]): Evaluation {
  const k = c.evalSteps;
  const order = [c.algorithm, ...(c.baselines ? ['pretrained'] : []), 'scratch'];
  const metrics: Record<string, number | null> = {};
  const figures: Record<string, FigureSpec> = {};
  const rows: (string | number | null)[][] = [];
  const panels: GridPanel[] = [];
  const steps = Array.from({ length: k + 1 }, (_v, i) => i);
  /** Return after k steps of the meta-learned policy, by the cell that varies between tasks. */
  const byCell = new Map<string, number>();
  let complete = true;

  for (const [splitIndex, [split, description, tasks]] of evalSplits(c, s).entries()) {
    if (tasks.length === 0) continue;
    const series: Series[] = [];
    for (const name of order) {
      const cell = cells.find((x) => x.split === splitIndex && x.method === name);
      if (cell === undefined) { complete = false; continue; }
      for (const [key, v] of cell.byCell) byCell.set(key, v);
      panels.push(...cell.panels);
      const curves = cell.curves;
      if (curves.length < tasks.length) complete = false;
      const ci = steps.map((i) => meanInterval(curves.map((cv) => cv[i] ?? NaN)));
      series.push({ name, x: steps, y: ci.map((v) => v.mean), lo: ci.map((v) => v.low), hi: ci.map((v) => v.high), markers: true, dashed: name === 'scratch' });
      const at = (i: number): number | null => (Number.isFinite(ci[i]?.mean) ? ci[i]!.mean : null);
      metrics[`${split}/${name}/step0`] = at(0);
      metrics[`${split}/${name}/step1`] = at(1);
      metrics[`${split}/${name}/step${k}`] = at(k);
      rows.push([split, name, ...stepColumns(k).map(at), curves.length]);
    }
    if (series.length === 0) continue;
    const optimal = tasks.map((t) => optimalReturn(modelForTask(dynamicsOf(c, s), s.map, t, 'evaluate'), { horizon: c.horizon }));
    const opt = meanInterval(optimal).mean;
    metrics[`${split}/optimal`] = opt;
    series.push({ name: 'optimal', x: steps, y: steps.map(() => opt), color: '#888', dashed: true });
    const figure: LineFigure = {
      type: 'line', title: `Adaptation, ${description}`, xLabel: 'policy-gradient adaptation steps', yLabel: 'expected return (exact)', integerX: true, series,
      caption: `Exact expected return (mean over ${tasks.length} tasks, 95% CI) after 0..${k} inner steps of size ${c.innerLr}, each on ${c.episodes} sampled episodes.`,
    };
    figures[`adaptation-${split}`] = figure;
  }
  if (byCell.size > 0) {
    const values = Array.from({ length: s.map.height }, (_r, r) => Array.from({ length: s.map.width }, (_c, col) => byCell.get(`${r},${col}`) ?? null));
    figures['return-by-cell'] = {
      type: 'heatmap', title: `Return after ${k} steps by ${c.family} cell (${c.algorithm})`,
      caption: `Exact expected return of the meta-learned policy after ${k} adaptation steps, at the ${c.family} position of each evaluated task (train, test and OOD); hatched: not evaluated.`,
      values, rowLabels: values.map((_v, r) => String(r)), colLabels: values[0]!.map((_v, col) => String(col)), xLabel: 'column', yLabel: 'row',
    };
  }
  if (panels.length > 0) {
    figures['trajectories'] = {
      type: 'grid', title: 'Greedy trajectories before and after adaptation', panels,
      caption: `The meta-learned policy's most likely path from the start (circle) before adaptation and after ${k} steps; goal: green square.`,
    };
  }
  return {
    metrics,
    tables: [{ title: 'Expected return after adaptation (mean over tasks)', header: ['split', 'policy', ...stepColumns(k).map((i) => `step ${i}`), 'tasks'], rows }],
    figures,
    complete,
  };
}
