/**
 * MAML-RL's meta-gradient compiled with `jit` (`metaTrainStep`'s `jit: true`).
 *
 * The eager meta-objective samples episodes inside the differentiated function, and
 * sampling reads parameter values, which a trace cannot. So the iteration is split:
 *
 * 1. Eager, per task: roll out with the current (adapted) parameters, fit the
 *    baseline and compute the surrogate's weights in JS, and get the next adapted
 *    parameters, to sample with, from a jitted *adapt* function of
 *    (θ_k, log step multipliers, batch tensors).
 * 2. One jitted *meta-gradient* function of (meta-parameters, every task's batch
 *    tensors) recomputes the differentiable inner step(s), the outer surrogate and the
 *    entropy bonus exactly as `taskMetaObjective` does, and returns the gradient.
 *
 * Batch data enter as tensor inputs; static numbers (estimator, step size, discount,
 * inner steps, entropy weight, tasks per meta-batch) are part of the signature. No
 * size depends on the batch: episodes are padded to the horizon, the taken actions'
 * log-probabilities (and a tabular policy's rows) are picked by `gather`, whose
 * indices are tensor inputs, and the entropy bonus, a mean over the first
 * inner batch's real steps, is a masked sum times `−1/steps` (a tensor input). So one
 * configuration traces each function once, whatever the episodes (the cache holds
 * one program per configuration: MAML's and the pretrained baseline's, in the CLI).
 */
import type { Rng } from '../random/rng.ts';
import { grad, valueAndGrad } from '../autodiff/transforms.ts';
import { treeMap, treeZip } from '../autodiff/tree.ts';
import { stopGradient } from '../autodiff/stop.ts';
import { Tensor } from '../tensor/tensor.ts';
import { scalar } from '../tensor/create.ts';
import { add, exp, gather, logSoftmax, mul, reshape, sum } from '../ops/index.ts';
import { jit, type Jitted } from '../jit/jit.ts';
import { JitError } from '../jit/errors.ts';
import type { Task } from './env/index.ts';
import type { CategoricalPolicy, TraceableForm } from './policy.ts';
import { collectEpisodes, episodeReturns, type EpisodeBatch } from './rollout.ts';
import { surrogateFromWeights, surrogateWeights, type SurrogateName } from './estimators.ts';
import { ascentStep, entropyTerm, fitBaseline, type BaselineKind, type MetaEstimator, type MetaStepOptions } from './mamlrl.ts';
import { RlError } from './errors.ts';

/** One batch as the compiled functions read it. */
interface BatchInputs {
  /** `[N·T, featureSize]`: the policy's feature rows of every step (ids `[N·T, 1]` for a table policy). */
  readonly features: Tensor;
  /**
   * `[N·T]`: where each step's log-probability sits in the flattened log-probabilities:
   * `k·A + a_k` in the rows `[N·T, A]` (as `takeAlongAxis` reads them), or `id_k·A + a_k`
   * in a table policy's `[ids, A]`.
   */
  readonly picks: Tensor;
  /** `[N, T]`: 1 on real steps. */
  readonly mask: Tensor;
  /** `[N, T]` and optional `[N, T]`: the surrogate's data (see `SurrogateWeights`). */
  readonly weights: Tensor;
  readonly baselineTerm: Tensor | undefined;
}

/** One task's batches. */
interface TaskInputs {
  readonly inner: BatchInputs[];
  readonly outer: BatchInputs;
  /** `−1 / (real steps of the first inner batch)`, with an entropy bonus only. */
  readonly entropyScale: Tensor | undefined;
}

/** The static part of the signature. */
interface Config {
  readonly surrogate: SurrogateName;
  readonly firstOrder: boolean;
  readonly innerLr: number;
  readonly entropyBonus: number;
  readonly entropyTarget: number | undefined;
  readonly numEpisodes: number;
  readonly horizon: number;
}

type Meta<P> = { params: P; logScale?: P | undefined };

interface Compiled<P> {
  readonly adapt: Jitted<[P, P | undefined, unknown, BatchInputs, Config], P>;
  readonly metaGradient: Jitted<[Meta<P>, unknown, TaskInputs[], Config], Meta<P>>;
}

/**
 * `log π(·|·)` flattened: of every row `[N·T·A]`, or, for a table policy, of every id
 * `[ids·A]` (the log-softmax of a row depends on that row only, so it is taken once per
 * id and gathered, instead of once per step).
 */
function flatLogProbs<P>(form: TraceableForm<P>, params: P, b: BatchInputs): Tensor {
  const all = logSoftmax(form.table ? form.table(params) : form.logits(params, b.features), 1);
  return reshape(all, [all.size]);
}

/** `log π(a_t | o_t)` `[N, T]`, 0 on padding (as `episodeLogProbs`: a gather of the taken actions, masked). */
function logProbs<P>(form: TraceableForm<P>, params: P, b: BatchInputs, c: Config): Tensor {
  return mul(reshape(gather(flatLogProbs(form, params, b), b.picks, 0), [c.numEpisodes, c.horizon]), b.mask);
}

function surrogate<P>(form: TraceableForm<P>, params: P, b: BatchInputs, c: Config): Tensor {
  return surrogateFromWeights(c.surrogate, logProbs(form, params, b, c), b.weights, b.baselineTerm, c.numEpisodes);
}

/** `adaptPolicy`'s step: `θ + α (scale ⊙ ∇ surrogate(θ))`. */
function innerStep<P>(form: TraceableForm<P>, params: P, scale: unknown, b: BatchInputs, c: Config): P {
  let gradient = grad((p: P) => surrogate(form, p, b, c))(params) as P;
  if (c.firstOrder) gradient = treeMap(gradient, (g) => stopGradient(g));
  if (scale !== undefined) gradient = treeZip(gradient, scale, (g, s) => mul(g, s), 'innerLrScale');
  return ascentStep(params, gradient, c.innerLr);
}

/** `meanEntropy` over the real steps of `b`, as a masked sum (a fixed shape) times `scale` = `−1/steps`. */
function maskedEntropy<P>(form: TraceableForm<P>, params: P, b: BatchInputs, scale: Tensor): Tensor {
  const rows = b.features.shape[0]!;
  if (form.table) {
    // Σ_a π log π once per id, gathered to the steps.
    const logp = logSoftmax(form.table(params), 1);
    const perId = sum(exp(logp).mul(logp), 1);
    return mul(sum(mul(gather(perId, reshape(b.features, [rows]), 0), reshape(b.mask, [rows]))), scale);
  }
  const logp = logSoftmax(form.logits(params, b.features), 1);
  return mul(sum(mul(exp(logp).mul(logp), reshape(b.mask, [rows, 1]))), scale);
}

/** The step multipliers of the inner step: learned `exp(ρ)`, a given tree, or none. */
function stepScale<P>(m: Meta<P>, fixed: unknown): unknown {
  return m.logScale ? treeMap(m.logScale, (r) => exp(r)) : fixed;
}

const compiledOf = new WeakMap<object, Compiled<unknown>>();

/** The policy's jitted functions (made on first use; one cache per policy). */
function compiledFor<P>(policy: CategoricalPolicy<P>, form: TraceableForm<P>): Compiled<P> {
  let compiled = compiledOf.get(policy) as Compiled<P> | undefined;
  if (compiled) return compiled;
  // ρ (learned) or a fixed scale: exponentiated inside, as the meta-gradient does.
  const adapt = jit((params: P, logScale: P | undefined, fixedScale: unknown, b: BatchInputs, c: Config): P =>
    innerStep(form, params, stepScale({ params, logScale }, fixedScale), b, c), { name: 'metaTrainStep.adapt' });
  const metaGradient = jit((meta: Meta<P>, fixedScale: unknown, tasks: TaskInputs[], c: Config): Meta<P> => {
    const meanObjective = (m: Meta<P>): Tensor => {
      const scale = stepScale(m, fixedScale);
      let total: Tensor | null = null;
      for (const t of tasks) {
        let adapted = m.params;
        let entropy: Tensor | null = null;
        t.inner.forEach((b, k) => {
          if (k === 0 && t.entropyScale !== undefined) entropy = entropyTerm(maskedEntropy(form, m.params, b, t.entropyScale), c.entropyBonus, c.entropyTarget);
          adapted = innerStep(form, adapted, scale, b, c);
        });
        let objective = surrogate(form, adapted, t.outer, c);
        if (entropy !== null) objective = add(objective, entropy);
        total = total === null ? objective : total.add(objective);
      }
      return mul(total!, 1 / tasks.length);
    };
    return valueAndGrad(meanObjective)(meta)[1] as Meta<P>;
  }, { name: 'metaTrainStep.metaGradient' });
  compiled = { adapt, metaGradient };
  compiledOf.set(policy, compiled as Compiled<unknown>);
  return compiled;
}

/**
 * @internal Traces so far of the policy's compiled adapt and meta-gradient functions
 * (for tests: they stay at one per configuration).
 */
export function jitTraceCounts(policy: CategoricalPolicy<unknown>): { adapt: number; metaGradient: number } {
  const compiled = compiledOf.get(policy);
  return { adapt: compiled?.adapt.traceCount ?? 0, metaGradient: compiled?.metaGradient.traceCount ?? 0 };
}

/** The batch as tensors, with its baseline fitted and the surrogate's weights computed in JS. */
function batchInputs<P>(
  form: TraceableForm<P>, batch: EpisodeBatch, name: SurrogateName, discount: number, kind: BaselineKind, crossFit: number | undefined,
): BatchInputs {
  const { numEpisodes: N, horizon: T, numActions: A } = batch;
  const steps = N * T;
  const features = form.features(batch.obs, steps);
  if (features.length !== steps * form.featureSize || (form.table && form.featureSize !== 1)) {
    throw new RlError(
      `metaTrainStep: the policy's traceable features gave ${features.length} floats for ${steps} steps, not ${steps} × featureSize ${form.featureSize}` +
      (form.table ? ' (a table policy has one id per step)' : ''),
    );
  }
  const picks = new Float32Array(steps);
  for (let k = 0; k < steps; k++) picks[k] = (form.table ? features[k]! : k) * A + batch.actions[k]!;
  const baseline = fitBaseline(batch, kind, discount, crossFit);
  const data = surrogateWeights(name, batch, baseline ? { discount, baseline } : { discount });
  // Wrapped, not copied (`tensor` copies element by element, with a type check each):
  // these arrays are this batch's own and nothing writes them afterwards. The features
  // come from the policy, which may reuse its buffer, so they are copied (a memcpy).
  return {
    features: wrap(features.slice(), [steps, form.featureSize]),
    picks: wrap(picks, [steps]),
    mask: wrap(batch.mask, [N, T]),
    weights: wrap(data.weights, [N, T]),
    baselineTerm: data.baselineTerm && wrap(data.baselineTerm, [N, T]),
  };
}

/** A float32 tensor over `data` itself (see `batchInputs`). */
function wrap(data: Float32Array, shape: number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!(data instanceof Float32Array) || data.length !== size) {
    throw new RlError(`metaTrainStep: batch data must be a Float32Array of ${size} values ([${shape.join(', ')}]), got ${Object.prototype.toString.call(data)} of ${data.length}`);
  }
  return new Tensor(data, shape);
}

function meanOf(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total / values.length;
}

/** What {@link jitMetaGradient} reads, resolved by `metaTrainStep`. */
export interface JitStepSettings {
  readonly estimator: MetaEstimator;
  readonly innerLr: number;
  readonly discount: number;
  readonly baseline: BaselineKind;
  readonly crossFit: number | undefined;
  readonly innerSteps: number;
  readonly entropyBonus: number;
  readonly entropyTarget: number | undefined;
}

/** What one task's stage gives the compiled meta-gradient: its batches and sampled returns. */
export interface TaskStage {
  readonly inputs: TaskInputs;
  readonly preReturn: number;
  readonly postReturn: number;
}

/** The policy's compiled functions and the static configuration of one meta-iteration. */
function stageContext<P>(options: MetaStepOptions<P>, settings: JitStepSettings, meta: Meta<P>) {
  const { policy, env } = options;
  const form = policy.traceable;
  if (form === undefined) {
    throw new RlError(`metaTrainStep: jit needs a policy with a traceable form (CategoricalPolicy.traceable), and policy '${policy.name}' has none; pass jit: false`);
  }
  const surrogateName: SurrogateName = settings.estimator === 'firstOrder' ? 'reinforce' : settings.estimator;
  const config: Config = {
    surrogate: surrogateName, firstOrder: settings.estimator === 'firstOrder', innerLr: settings.innerLr,
    entropyBonus: settings.entropyBonus, entropyTarget: settings.entropyTarget, numEpisodes: env.numEnvs, horizon: env.maxSteps,
  };
  const traced = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof JitError) throw new RlError(`metaTrainStep: jit: policy '${policy.name}' cannot be traced: ${e.message}`);
      throw e;
    }
  };
  return { form, compiled: compiledFor(policy, form), surrogateName, config, fixedScale: meta.logScale ? undefined : options.innerLrScale, traced };
}

/**
 * One task's eager stage of the jitted meta-gradient: its rollouts (from `rng`, as the
 * eager path draws them), baseline fits and surrogate data, and the compiled inner steps
 * it samples with. Depends on the task, its generator and the meta-parameters only, so
 * it can run on any thread; {@link jitMetaGradientOf} then gives the same gradient as the
 * serial {@link jitMetaGradient} from the same stages in the same order.
 */
export function jitTaskStage<P>(options: MetaStepOptions<P>, settings: JitStepSettings, meta: Meta<P>, task: Task, rng: Rng): TaskStage {
  const { policy, env, timings } = options;
  const { form, compiled, surrogateName, config, fixedScale, traced } = stageContext(options, settings, meta);
  const timed = <T>(phase: 'rolloutMs' | 'innerMs', fn: () => T): T => {
    if (!timings) return fn();
    const start = performance.now();
    try { return fn(); } finally { timings[phase] += performance.now() - start; }
  };
  const inputsOf = (batch: EpisodeBatch): BatchInputs =>
    batchInputs(form, batch, surrogateName, settings.discount, settings.baseline, settings.crossFit);
  env.setTasks(task);
  let adapted = meta.params;
  let preReturn = NaN;
  let entropyScale: Tensor | undefined;
  const inner: BatchInputs[] = [];
  for (let k = 0; k < settings.innerSteps; k++) {
    const batch = timed('rolloutMs', () => collectEpisodes(env, policy, adapted, rng.split()));
    if (k === 0) preReturn = meanOf(episodeReturns(batch));
    if (k === 0 && settings.entropyBonus > 0) {
      let steps = 0;
      for (let j = 0; j < batch.mask.length; j++) steps += batch.mask[j]!;
      entropyScale = scalar(-1 / steps);
    }
    const b = timed('innerMs', () => inputsOf(batch));
    inner.push(b);
    const from = adapted;
    adapted = timed('innerMs', () => traced(() => compiled.adapt(from, meta.logScale, fixedScale, b, config)));
  }
  const outerBatch = timed('rolloutMs', () => collectEpisodes(env, policy, adapted, rng.split()));
  const postReturn = meanOf(episodeReturns(outerBatch));
  if (settings.innerSteps === 0) preReturn = postReturn;
  return { inputs: { inner, outer: inputsOf(outerBatch), entropyScale }, preReturn, postReturn };
}

/**
 * The compiled meta-gradient over every task's stage (in task order) and the mean
 * sampled returns, summed in that order.
 */
export function jitMetaGradientOf<P>(
  options: MetaStepOptions<P>, settings: JitStepSettings, meta: Meta<P>, stages: readonly TaskStage[],
): { gradient: Meta<P>; preReturn: number; postReturn: number } {
  const { compiled, config, fixedScale, traced } = stageContext(options, settings, meta);
  let pre = 0;
  let post = 0;
  for (const stage of stages) {
    pre += stage.preReturn / stages.length;
    post += stage.postReturn / stages.length;
  }
  const gradient = traced(() => compiled.metaGradient(meta, fixedScale, stages.map((t) => t.inputs), config));
  return { gradient, preReturn: pre, postReturn: post };
}

/**
 * The meta-gradient of `metaTrainStep` with `jit: true`: rollouts and their data in
 * JS, the adapt steps and the gradient compiled (see the module comment). Consumes
 * `taskRngs` exactly as the eager path does, so both sample the same episodes.
 */
export function jitMetaGradient<P>(
  options: MetaStepOptions<P>, settings: JitStepSettings, meta: Meta<P>, tasks: readonly Task[], taskRngs: readonly Rng[],
): { gradient: Meta<P>; preReturn: number; postReturn: number } {
  const stages = tasks.map((task, i) => jitTaskStage(options, settings, meta, task, taskRngs[i]!));
  return jitMetaGradientOf(options, settings, meta, stages);
}
