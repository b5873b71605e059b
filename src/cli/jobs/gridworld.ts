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
import { adaptationPath, metaTrainStep, outerOptimizer, type MetaEstimator, type MetaTrainState } from '../../rl/mamlrl.ts';
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

/** Creates the job; throws the env's errors for a config whose map or family is invalid. */
export function createGridworldJob(config: GridworldConfig): MetaJob<GridworldConfig> {
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

  return {
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
      const p = state.params as unknown as Params;
      const o = state.optimizer as unknown as OptStates;
      const rng = state.rng.state();
      const m = ascend(p.meta, p.logScale, o.meta, rng, config.innerSteps);
      let pretrained = p.pretrained, pretrainedOpt = o.pretrained;
      const extra: Record<string, number> = { preAdaptation: m.preReturn };
      if (p.pretrained !== null) {
        // The baseline trains on the same task draws and random numbers as MAML (innerSteps 0: plain multi-task policy gradient).
        const b = ascend(p.pretrained, undefined, o.pretrained!, rng, 0);
        pretrained = b.state.params;
        pretrainedOpt = b.state.optimizer as unknown as State;
        extra['pretrained'] = b.postReturn;
      }
      return {
        state: {
          iteration: state.iteration + 1,
          params: { meta: m.state.params, ...(m.state.logScale === undefined ? {} : { logScale: m.state.logScale }), pretrained } as unknown as State,
          optimizer: { meta: m.state.optimizer as unknown as State, pretrained: pretrainedOpt } as unknown as State,
          rng: new Rng(m.state.rng),
        },
        value: m.postReturn,
        extra,
      };
    },
    restore(ck: Checkpoint, file: string): TrainState {
      const f = fresh();
      const pd = compareStructure(f.params, ck.params, '$.params');
      if (pd) throw new CheckpointError(file, `parameters do not match a ${config.policy} policy on this ${config.family} family (${pd})`);
      const od = compareStructure(f.optimizer, ck.optimizer, '$.optimizer');
      if (od) throw new CheckpointError(file, `optimiser state does not match (${od})`);
      return { iteration: ck.iteration, params: ck.params, optimizer: ck.optimizer, rng: new Rng(ck.rng) };
    },
    evaluate(state, ctx) {
      return evaluateGridworld(config, s, state, ctx);
    },
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

async function evaluateGridworld(c: GridworldConfig, s: Setup, state: TrainState, ctx: EvalContext): Promise<Evaluation> {
  const p = state.params as unknown as Params;
  const k = c.evalSteps;
  const evalRng = new Rng([0x9a1d, c.seed >>> 0, 0xe7a1, 2]);
  const scratch = s.policy.init(evalRng.split());
  const plain = { innerLr: c.innerLr, estimator: s.options.estimator, baseline: s.options.baseline };
  type Method = [name: string, params: State, adapt: ReturnType<typeof mamlAdaptOptions>];
  const methods: Method[] = [
    [c.algorithm, p.meta, mamlAdaptOptions(s, p)],
    ...(p.pretrained !== null ? [['pretrained', p.pretrained, plain] as Method] : []),
    ['scratch', scratch, plain],
  ];
  const splits: [string, string, readonly Task[]][] = [
    ['train', 'meta-training tasks', subsampleTasks(s.family.train, c.evalTasks)],
    ['test', 'in distribution (held-out tasks)', subsampleTasks(s.family.test, c.evalTasks)],
    ['ood', 'out of distribution', subsampleTasks(s.family.ood, c.evalTasks)],
  ];
  const dynamics = { map: s.map, maxSteps: c.horizon, observation: s.observation };
  const metrics: Record<string, number | null> = {};
  const figures: Record<string, FigureSpec> = {};
  const rows: (string | number | null)[][] = [];
  const panels: GridPanel[] = [];
  const steps = Array.from({ length: k + 1 }, (_v, i) => i);
  /** Return after k steps of the meta-learned policy, by the cell that varies between tasks. */
  const byCell = new Map<string, number>();
  let complete = true;

  for (const [splitIndex, [split, description, tasks]] of splits.entries()) {
    if (tasks.length === 0) continue;
    const series: Series[] = [];
    const optimal: number[] = [];
    const models = tasks.map((t) => modelForTask(dynamics, s.map, t, 'evaluate'));
    models.forEach((m) => optimal.push(optimalReturn(m, { horizon: c.horizon })));
    for (const [name, params, adapt] of methods) {
      if (await ctx.shouldStop()) { complete = false; break; }
      ctx.log(`evaluating ${name} on ${tasks.length} ${split} tasks (${k} adaptation steps)`);
      const curves: number[][] = [];
      for (let t = 0; t < tasks.length; t++) {
        if (await ctx.shouldStop()) break;
        s.env.setTasks(tasks[t]!);
        // Common random numbers: every method adapts with the same generator on a given task.
        const rng = new Rng([c.seed >>> 0, t, splitIndex, 0x5eed]);
        const path = adaptationPath(s.policy, params, s.env, k, rng, adapt);
        curves.push(path.map((q) => exactReturn(s, q, models[t]!, c.horizon)));
        const varying = c.family === 'goal' ? tasks[t]!.goals?.[0] : c.family === 'start' ? tasks[t]!.starts?.[0] : undefined;
        if (name === c.algorithm && varying) byCell.set(`${varying[0]},${varying[1]}`, curves[curves.length - 1]![k]!);
        if (name === c.algorithm && split !== 'train' && t < 2) {
          const mapRows = taskMapRows(models[t]!);
          for (const [label, q] of [['before adaptation', path[0]!], [`after ${k} steps`, path[k]!]] as const) {
            const g = greedyPath(s, q, models[t]!, c.horizon);
            panels.push({ title: `${split}: ${tasks[t]!.name ?? `task ${t}`}, ${label}`, map: mapRows, trajectory: g.path, return: g.ret });
          }
        }
      }
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
