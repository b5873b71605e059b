/**
 * The sinusoid regression job (MAML, Finn et al. 2017, §5.1) for the CLI: meta-train
 * one algorithm of the MAML family alongside the multi-task pretraining baseline on the
 * same task batches, then compare adaptation curves of the meta-learned model, the
 * pretrained model and a randomly initialised one, on held-out tasks from the training
 * distribution (amplitude 0.1–5) and out of it (amplitude 5–10).
 */
import { Rng } from '../../random/rng.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { linspace } from '../../tensor/create.ts';
import { reshape } from '../../ops/movement.ts';
import { MLP, Linear, perTaskMse, type Module } from '../../nn/index.ts';
import { adam, sgd, type Optimizer, type OptimizerState } from '../../optim/index.ts';
import {
  adapt, anil, maml, metaSgd, pretraining, reptile, sinusoidTasks, sliceTasks,
  type MetaLearner, type SinusoidTaskBatch, type TaskBatch,
} from '../../meta/index.ts';
import { CheckpointError, type Checkpoint } from '../../io/checkpoint.ts';
import { compareStructure, type State } from '../../io/codec.ts';
import { meanInterval } from '../../stats/interval.ts';
import type { FigureSpec, LineFigure } from '../../report/figures.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import type { Series } from '../../report/line-chart.ts';
import type { EvalContext, Evaluation, MetaJob, StepResult, TrainState } from '../job.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';

export { SINUSOID_ALGORITHMS, SINUSOID_DEFAULTS, type SinusoidAlgorithm, type SinusoidConfig } from './sinusoid-config.ts';

const TRAIN_AMPLITUDE: [number, number] = [0.1, 5];
const OOD_AMPLITUDE: [number, number] = [5, 10];

/** The learner, the baseline and how to predict with adapted parameters, for a config. */
interface Parts {
  readonly learner: MetaLearner<State>;
  readonly baseline: MetaLearner<State>;
  readonly optimizer: Optimizer<OptimizerState>;
  /** Predictions at `x` [N, 1] after `steps` inner steps on one task's support set. */
  readonly predict: (meta: State, support: TaskBatch['support'], x: Tensor, steps: number) => Tensor;
  readonly predictPlain: (params: State, support: TaskBatch['support'], x: Tensor, steps: number) => Tensor;
}

function buildParts(c: SinusoidConfig): Parts {
  const sizes = [1, ...c.hidden, 1];
  const model = MLP({ sizes }) as unknown as Module<State>;
  const common = { innerLr: c.innerLr, innerSteps: c.innerSteps, loss: perTaskMse };
  // Compiled: the job's model and loss are traceable, and every learner runs 1.4–1.8× faster
  // this way than eagerly with compiled memory (BENCHMARKS.md), with the same numbers on wasm.
  const compiled = { ...common, jit: true };
  const single = (apply: (p: State, x: Tensor) => Tensor, params: State, s: TaskBatch['support'], x: Tensor, steps: number, lr: number | unknown): Tensor => {
    const adapted = adapt(params, (p: State) => perTaskMse(apply(p, s.x), s.y), { lr, steps, firstOrder: true });
    return apply(adapted, x);
  };
  const predictPlain = (p: State, s: TaskBatch['support'], x: Tensor, steps: number): Tensor => single(model.apply, p, s, x, steps, c.innerLr);
  let learner: MetaLearner<State>;
  let predict = predictPlain;
  switch (c.algorithm) {
    case 'maml': learner = maml({ model, ...compiled }) as MetaLearner<State>; break;
    case 'fomaml': learner = maml({ model, ...compiled, firstOrder: true }) as MetaLearner<State>; break;
    case 'reptile': learner = reptile({ model, ...compiled }) as MetaLearner<State>; break;
    case 'metasgd': {
      learner = metaSgd({ model, ...compiled }) as unknown as MetaLearner<State>;
      predict = (meta, s, x, steps) => {
        const m = meta as { params: State; lrs: State };
        return single(model.apply, m.params, s, x, steps, m.lrs);
      };
      break;
    }
    case 'anil': {
      const body = MLP({ sizes: [1, ...c.hidden], activateOutput: true }) as unknown as Module<State>;
      const head = Linear({ inputSize: c.hidden[c.hidden.length - 1] ?? 1, outputSize: 1 }) as unknown as Module<State>;
      learner = anil({ body, head, ...compiled }) as unknown as MetaLearner<State>;
      predict = (meta, s, x, steps) => {
        const m = meta as { body: State; head: State };
        const features = { x: body.apply(m.body, s.x), y: s.y };
        return single(head.apply, m.head, features, body.apply(m.body, x), steps, c.innerLr);
      };
      break;
    }
  }
  const baseline = pretraining({ model, innerLr: c.innerLr, jit: true }) as MetaLearner<State>;
  // Reptile's pseudo-gradient is meant for plain SGD with step ε = outer lr (Nichol et al.);
  // the others use Adam as in the MAML paper.
  const optimizer = (c.algorithm === 'reptile' ? sgd({ lr: c.outerLr }) : adam({ lr: c.outerLr })) as Optimizer<OptimizerState>;
  return { learner, baseline, optimizer, predict, predictPlain };
}

interface Params { readonly meta: State; readonly pretrained: State | null }
interface OptStates { readonly meta: State; readonly pretrained: State | null }

const baselineOptimizer = (c: SinusoidConfig): Optimizer<OptimizerState> => adam({ lr: c.outerLr }) as Optimizer<OptimizerState>;

/** Per-task adaptation curves (query MSE after 0..steps steps) of `curveOf` on every task of `tasks`. */
async function perTaskCurves(curveOf: (tasks: TaskBatch) => number[], tasks: TaskBatch, count: number, ctx: EvalContext): Promise<number[][]> {
  const curves: number[][] = [];
  for (let t = 0; t < count; t++) {
    if (await ctx.shouldStop()) break;
    curves.push(curveOf(sliceTasks(tasks, t, 1)));
  }
  return curves;
}

function summarise(curves: readonly number[][], steps: number): { mean: number[]; lo: number[]; hi: number[] } {
  const out = { mean: [] as number[], lo: [] as number[], hi: [] as number[] };
  for (let s = 0; s <= steps; s++) {
    const ci = meanInterval(curves.map((c) => c[s] ?? NaN));
    out.mean.push(ci.mean); out.lo.push(ci.low); out.hi.push(ci.high);
  }
  return out;
}

/** Creates the job; `config` must already be validated (the CLI's option table does it). */
export function createSinusoidJob(config: SinusoidConfig): MetaJob<SinusoidConfig> {
  const parts = buildParts(config);
  const baseOpt = baselineOptimizer(config);
  /** Fresh state: initial parameters draw first from the seeded generator, then every task batch. */
  const fresh = (): { params: Params; optimizer: OptStates; rng: Rng } => {
    const rng = new Rng(config.seed);
    const meta = parts.learner.init(rng);
    const pretrained = config.baselines ? parts.baseline.init(rng) : null;
    return {
      params: { meta, pretrained },
      optimizer: { meta: parts.optimizer.init(meta) as unknown as State, pretrained: pretrained ? baseOpt.init(pretrained) as unknown as State : null },
      rng,
    };
  };

  return {
    kind: 'sinusoid',
    config,
    curve: {
      key: 'loss', label: 'query MSE on the meta-batch',
      names: { loss: `${config.algorithm} (after adaptation)`, pretrainedLoss: 'pretrained (no adaptation)' },
    },
    init() {
      const t = fresh();
      return { iteration: 0, params: t.params as unknown as State, optimizer: t.optimizer as unknown as State, rng: t.rng };
    },
    step(state): StepResult {
      const p = state.params as unknown as Params;
      const o = state.optimizer as unknown as OptStates;
      const tasks = sinusoidTasks(state.rng, { numTasks: config.metaBatch, K: config.shots, amplitude: TRAIN_AMPLITUDE });
      const { loss, grads } = parts.learner.metaGradient(p.meta, tasks);
      const m = parts.optimizer.update(grads, o.meta as unknown as OptimizerState, p.meta);
      let pretrained = p.pretrained;
      let pretrainedOpt = o.pretrained;
      let baselineLoss = NaN;
      if (p.pretrained !== null) {
        const b = parts.baseline.metaGradient(p.pretrained, tasks);
        const u = baseOpt.update(b.grads, o.pretrained as unknown as OptimizerState, p.pretrained);
        pretrained = u.params;
        pretrainedOpt = u.state as unknown as State;
        baselineLoss = b.loss;
      }
      return {
        state: {
          iteration: state.iteration + 1,
          params: { meta: m.params, pretrained } as unknown as State,
          optimizer: { meta: m.state as unknown as State, pretrained: pretrainedOpt } as unknown as State,
          rng: state.rng,
        },
        value: loss,
        ...(Number.isFinite(baselineLoss) && { extra: { pretrainedLoss: baselineLoss } }),
      };
    },
    restore(ck: Checkpoint, file: string): TrainState {
      const t = fresh();
      for (const [what, expected, actual] of [['parameters', t.params, ck.params], ['optimiser state', t.optimizer, ck.optimizer]] as const) {
        const diff = compareStructure(expected, actual, what === 'parameters' ? '$.params' : '$.optimizer');
        if (diff) throw new CheckpointError(file, `${what} do not match a ${config.algorithm} model with hidden sizes [${config.hidden.join(', ')}] (${diff})`);
      }
      return { iteration: ck.iteration, params: ck.params, optimizer: ck.optimizer, rng: new Rng(ck.rng) };
    },
    evaluate(state, ctx): Promise<Evaluation> {
      return evaluateSinusoid(config, parts, state, ctx);
    },
  };
}

async function evaluateSinusoid(config: SinusoidConfig, parts: Parts, state: TrainState, ctx: EvalContext): Promise<Evaluation> {
  const p = state.params as unknown as Params;
  const k = config.evalSteps;
  // Evaluation has its own generator: its tasks do not depend on how long training ran.
  const evalRng = new Rng([0x5eed, config.seed >>> 0, 0xe7a1, 1]);
  const scratch = parts.baseline.init(evalRng);
  const splits: [string, string, SinusoidTaskBatch][] = [
    ['test', 'held-out tasks, amplitude 0.1–5 (in distribution)', sinusoidTasks(evalRng, { numTasks: config.evalTasks, K: config.shots, queryK: 100, amplitude: TRAIN_AMPLITUDE })],
    ['ood', 'amplitude 5–10 (out of distribution)', sinusoidTasks(evalRng, { numTasks: config.evalTasks, K: config.shots, queryK: 100, amplitude: OOD_AMPLITUDE })],
  ];
  const methods: [string, (tasks: TaskBatch) => number[]][] = [
    [config.algorithm, (tasks) => parts.learner.adaptationCurve(p.meta, tasks, k)],
    ...(p.pretrained !== null ? [['pretrained', (tasks: TaskBatch) => parts.baseline.adaptationCurve(p.pretrained!, tasks, k)] as [string, (t: TaskBatch) => number[]]] : []),
    ['scratch', (tasks) => parts.baseline.adaptationCurve(scratch, tasks, k)],
  ];
  const metrics: Record<string, number | null> = {};
  const figures: Record<string, FigureSpec> = {};
  const rows: (string | number | null)[][] = [];
  let complete = true;
  const steps = Array.from({ length: k + 1 }, (_v, i) => i);
  const summaries: Record<string, Record<string, ReturnType<typeof summarise>>> = {};
  for (const [split, description, tasks] of splits) {
    const series: Series[] = [];
    summaries[split] = {};
    for (const [name, curveOf] of methods) {
      if (await ctx.shouldStop()) { complete = false; break; }
      ctx.log(`evaluating ${name} on ${config.evalTasks} ${split} tasks (${k} steps)`);
      const curves = await perTaskCurves(curveOf, tasks, config.evalTasks, ctx);
      if (curves.length < config.evalTasks) complete = false;
      const s = summarise(curves, k);
      summaries[split]![name] = s;
      series.push({ name, x: steps, y: s.mean, lo: s.lo, hi: s.hi, markers: true, dashed: name === 'scratch' });
      metrics[`${split}/${name}/step0`] = s.mean[0] ?? null;
      metrics[`${split}/${name}/step1`] = s.mean[1] ?? null;
      metrics[`${split}/${name}/step${k}`] = s.mean[k] ?? null;
      rows.push([split, name, ...(k > 1 ? [0, 1, k] : [0, k]).map((i) => s.mean[i] ?? null), curves.length]);
    }
    const figure: LineFigure = {
      type: 'line', title: `Adaptation, ${split === 'test' ? 'in distribution' : 'out of distribution'}`,
      caption: `Query MSE (mean over ${config.evalTasks} tasks, 95% CI) after 0..${k} gradient steps of size ${config.innerLr} on ${config.shots} support points; ${description}.`,
      xLabel: 'adaptation steps', yLabel: 'query MSE', series, integerX: true,
    };
    if (series.length > 0) figures[`adaptation-${split}`] = figure;
  }
  if (complete) figures['fit'] = fitFigure(config, parts, p, scratch, splits[0]![2], k);
  const table: SummaryTable = {
    title: 'Query MSE after adaptation (mean over tasks)',
    header: ['split', 'model', ...(k > 1 ? [0, 1, k] : [0, k]).map((i) => `step ${i}`), 'tasks'],
    rows,
  };
  return { metrics, tables: [table], figures, complete };
}

/** Predictions on one in-distribution test task before and after k steps. */
function fitFigure(config: SinusoidConfig, parts: Parts, p: Params, scratch: State, tasks: SinusoidTaskBatch, k: number): LineFigure {
  const task = sliceTasks(tasks, 0, 1);
  const support = { x: reshape(task.support.x, [config.shots, 1]), y: reshape(task.support.y, [config.shots, 1]) };
  const grid = linspace(-5, 5, 101);
  const x = reshape(grid, [101, 1]);
  const xs = Array.from(grid.data);
  const a = tasks.amplitude[0]!, ph = tasks.phase[0]!;
  const flat = (t: Tensor): number[] => Array.from(t.data);
  const series: Series[] = [
    { name: 'true function', x: xs, y: xs.map((v) => a * Math.sin(v - ph)), color: '#222', dashed: true },
    { name: 'support points', x: Array.from(support.x.data), y: Array.from(support.y.data), style: 'points', color: '#222' },
    { name: `${config.algorithm}, 0 steps`, x: xs, y: flat(parts.predict(p.meta, support, x, 0)), color: '#9ecae9' },
    { name: `${config.algorithm}, ${k} steps`, x: xs, y: flat(parts.predict(p.meta, support, x, k)), color: '#4c78a8' },
  ];
  if (p.pretrained !== null) series.push({ name: `pretrained, ${k} steps`, x: xs, y: flat(parts.predictPlain(p.pretrained, support, x, k)), color: '#f58518' });
  series.push({ name: `scratch, ${k} steps`, x: xs, y: flat(parts.predictPlain(scratch, support, x, k)), color: '#54a24b' });
  return {
    type: 'line', title: 'Fit to one held-out task',
    caption: `y = ${a.toFixed(2)}·sin(x − ${ph.toFixed(2)}), ${config.shots} support points.`,
    xLabel: 'x', yLabel: 'y', series,
  };
}
