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
import type { Series } from '../../report/line-chart.ts';
import type { EvalContext, Evaluation, MetaJob, StepResult, TrainState } from '../job.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';
import { SINUSOID_SPLITS, sinusoidEvaluation, type ModelCurve, type SinusoidEvalData } from './sinusoid-eval.ts';

export { SINUSOID_ALGORITHMS, SINUSOID_DEFAULTS, type SinusoidAlgorithm, type SinusoidConfig } from './sinusoid-config.ts';

const TRAIN_AMPLITUDE = SINUSOID_SPLITS[0]![2];

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

/**
 * Which models a run trains and evaluates: `'all'` (a single run: the meta-learner, the
 * pretrained baseline when `baselines`, and the from-scratch model), or one of a study
 * seed's finer units — `'meta'` (the meta-learner) or `'baseline'` (the pretrained and
 * scratch models). Every part draws the same initial parameters and task batches from the
 * seed's generator, so its models end with the bits they have in the `'all'` run.
 */
export type SinusoidPart = 'all' | 'meta' | 'baseline';

export const SINUSOID_PARTS: readonly SinusoidPart[] = ['all', 'meta', 'baseline'];

/** The sinusoid job, plus its evaluation as data (what a study unit sends back, see `sinusoid-eval.ts`). */
export interface SinusoidJob extends MetaJob<SinusoidConfig> {
  readonly part: SinusoidPart;
  evaluateData(state: TrainState, ctx: EvalContext): Promise<SinusoidEvalData>;
}

/** Creates the job (of `part`, default all models); `config` must already be validated (the CLI's option table does it). */
export function createSinusoidJob(config: SinusoidConfig, part: SinusoidPart = 'all'): SinusoidJob {
  if (!SINUSOID_PARTS.includes(part)) throw new RangeError(`createSinusoidJob: part must be one of ${SINUSOID_PARTS.join(', ')} (got ${JSON.stringify(part)})`);
  const parts = buildParts(config);
  const baseOpt = baselineOptimizer(config);
  const trainsMeta = part !== 'baseline';
  const trainsBaseline = part !== 'meta';
  /**
   * Fresh state: initial parameters draw first from the seeded generator, then every task
   * batch. A part initialises the models it does not train too, so its generator stays in step.
   */
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

  const names = { loss: `${config.algorithm} (after adaptation)`, pretrainedLoss: 'pretrained (no adaptation)' };
  return {
    kind: 'sinusoid',
    config,
    part,
    curve: { key: 'loss', label: 'query MSE on the meta-batch', names },
    init() {
      const t = fresh();
      return { iteration: 0, params: t.params as unknown as State, optimizer: t.optimizer as unknown as State, rng: t.rng };
    },
    step(state): StepResult {
      const p = state.params as unknown as Params;
      const o = state.optimizer as unknown as OptStates;
      const tasks = sinusoidTasks(state.rng, { numTasks: config.metaBatch, K: config.shots, amplitude: TRAIN_AMPLITUDE });
      let meta = p.meta, metaOpt = o.meta, loss = NaN;
      if (trainsMeta) {
        const g = parts.learner.metaGradient(p.meta, tasks);
        const m = parts.optimizer.update(g.grads, o.meta as unknown as OptimizerState, p.meta);
        meta = m.params;
        metaOpt = m.state as unknown as State;
        loss = g.loss;
      }
      let pretrained = p.pretrained;
      let pretrainedOpt = o.pretrained;
      let baselineLoss = NaN;
      if (trainsBaseline && p.pretrained !== null) {
        const b = parts.baseline.metaGradient(p.pretrained, tasks);
        const u = baseOpt.update(b.grads, o.pretrained as unknown as OptimizerState, p.pretrained);
        pretrained = u.params;
        pretrainedOpt = u.state as unknown as State;
        baselineLoss = b.loss;
      }
      return {
        state: {
          iteration: state.iteration + 1,
          params: { meta, pretrained } as unknown as State,
          optimizer: { meta: metaOpt, pretrained: pretrainedOpt } as unknown as State,
          rng: state.rng,
        },
        // The baseline part's `loss` is NaN (it does not train the meta-learner); the study takes that curve from the meta part.
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
    evaluateData(state, ctx) {
      return evaluateSinusoid(config, parts, part, state, ctx);
    },
    async evaluate(state, ctx): Promise<Evaluation> {
      return sinusoidEvaluation(config, await evaluateSinusoid(config, parts, part, state, ctx));
    },
  };
}

/** A model evaluated: its adaptation curve on a batch of tasks, and its series in the fit figure. */
interface Evaluated {
  readonly name: string;
  readonly curve: (tasks: TaskBatch) => number[];
  readonly fit: (support: TaskBatch['support'], x: Tensor, xs: number[]) => Series[];
}

async function evaluateSinusoid(config: SinusoidConfig, parts: Parts, part: SinusoidPart, state: TrainState, ctx: EvalContext): Promise<SinusoidEvalData> {
  const p = state.params as unknown as Params;
  const k = config.evalSteps;
  // Evaluation has its own generator: its tasks do not depend on how long training ran.
  // Every part draws the scratch model and both splits, so each sees the same tasks.
  const evalRng = new Rng([0x5eed, config.seed >>> 0, 0xe7a1, 1]);
  const scratch = parts.baseline.init(evalRng);
  const splits = SINUSOID_SPLITS.map(([, , amplitude]) => sinusoidTasks(evalRng, { numTasks: config.evalTasks, K: config.shots, queryK: 100, amplitude }));
  const flat = (t: Tensor): number[] => Array.from(t.data);
  const models: Evaluated[] = [];
  if (part !== 'baseline') {
    models.push({
      name: config.algorithm,
      curve: (tasks) => parts.learner.adaptationCurve(p.meta, tasks, k),
      fit: (s, x, xs) => [
        { name: `${config.algorithm}, 0 steps`, x: xs, y: flat(parts.predict(p.meta, s, x, 0)), color: '#9ecae9' },
        { name: `${config.algorithm}, ${k} steps`, x: xs, y: flat(parts.predict(p.meta, s, x, k)), color: '#4c78a8' },
      ],
    });
  }
  if (part !== 'meta') {
    const pretrained = p.pretrained;
    if (pretrained !== null) {
      models.push({
        name: 'pretrained',
        curve: (tasks) => parts.baseline.adaptationCurve(pretrained, tasks, k),
        fit: (s, x, xs) => [{ name: `pretrained, ${k} steps`, x: xs, y: flat(parts.predictPlain(pretrained, s, x, k)), color: '#f58518' }],
      });
    }
    models.push({
      name: 'scratch',
      curve: (tasks) => parts.baseline.adaptationCurve(scratch, tasks, k),
      fit: (s, x, xs) => [{ name: `scratch, ${k} steps`, x: xs, y: flat(parts.predictPlain(scratch, s, x, k)), color: '#54a24b' }],
    });
  }
  let complete = true;
  const curves: ModelCurve[][] = [];
  for (const [i, [split]] of SINUSOID_SPLITS.entries()) {
    const done: ModelCurve[] = [];
    curves.push(done);
    for (const model of models) {
      if (await ctx.shouldStop()) { complete = false; break; }
      ctx.log(`evaluating ${model.name} on ${config.evalTasks} ${split} tasks (${k} steps)`);
      const c = await perTaskCurves(model.curve, splits[i]!, config.evalTasks, ctx);
      if (c.length < config.evalTasks) complete = false;
      done.push({ name: model.name, ...summarise(c, k), tasks: c.length });
    }
  }
  return { splits: curves, fit: complete ? fitData(config, models, splits[0]!) : null, complete };
}

/** The fit figure's data: predictions of `models` on one in-distribution test task. */
function fitData(config: SinusoidConfig, models: readonly Evaluated[], tasks: SinusoidTaskBatch): NonNullable<SinusoidEvalData['fit']> {
  const task = sliceTasks(tasks, 0, 1);
  const support = { x: reshape(task.support.x, [config.shots, 1]), y: reshape(task.support.y, [config.shots, 1]) };
  const grid = linspace(-5, 5, 101);
  const x = reshape(grid, [101, 1]);
  const xs = Array.from(grid.data);
  const a = tasks.amplitude[0]!, ph = tasks.phase[0]!;
  return {
    task: [
      { name: 'true function', x: xs, y: xs.map((v) => a * Math.sin(v - ph)), color: '#222', dashed: true },
      { name: 'support points', x: Array.from(support.x.data), y: Array.from(support.y.data), style: 'points', color: '#222' },
    ],
    caption: `y = ${a.toFixed(2)}·sin(x − ${ph.toFixed(2)}), ${config.shots} support points.`,
    models: models.flatMap((m) => m.fit(support, x, xs)),
  };
}
