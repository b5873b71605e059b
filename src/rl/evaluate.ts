/**
 * Evaluation of meta-RL on grid-world task families: adaptation curves (return and
 * fraction of the optimal return after 0, 1, 2, 3 inner steps) on meta-train,
 * held-out in-distribution and out-of-distribution tasks, for MAML-RL against a
 * policy pretrained on all training tasks without meta-learning and against learning
 * from scratch, over several seeds with 95% confidence intervals; JSON-ready results
 * and a hand-written SVG plot.
 *
 * Every method adapts with the same procedure (sampled episodes, the same inner step
 * size, estimator and baseline) and the same random numbers per task, and every
 * adapted policy is scored *exactly* by the DP oracle, so the only noise is the one
 * adaptation itself. Seed `s` also re-draws the family's train/test split.
 */
import { confidenceInterval, type Interval } from '../stats/interval.ts';
import { Rng } from '../random/rng.ts';
import {
  goalFamily, openRoom, startFamily, tabularModel, VecEnv,
  type ObservationEncoder, type TabularModel, type Task, type TaskFamily,
} from './env/index.ts';
import { expectedReturn, optimalReturn } from './oracle.ts';
import { mlpPolicy, oneHotCoordinates, spatialPolicy, tabularPolicy, type CategoricalPolicy, type PositionFeature } from './policy.ts';
import { convPolicy } from './conv-policy.ts';
import { adaptationPath, checkCrossFit, metaTrain, META_ESTIMATORS, type BaselineKind, type MetaEstimator } from './mamlrl.ts';
import { reinforce } from './pg.ts';
import { checkChoice, checkInteger, checkNumber, RlError } from './errors.ts';

/** Which tasks of a family a curve is measured on. */
export type Split = 'train' | 'test' | 'ood';
/** The compared methods. */
export type Method = 'maml' | 'pretrained' | 'scratch';

/** Configuration of {@link runExperiment}. */
export interface ExperimentConfig {
  /** `'goal'`: fixed start, varying goal; `'start'`: fixed goal, varying start. */
  readonly family: 'goal' | 'start';
  /** Side of the open room. */
  readonly size: number;
  /** Steps per episode. Default `2 · size + 4`. */
  readonly horizon?: number;
  /**
   * Default `'tabular'`. `'mlp'` is an MLP over `oneHotCoordinates` of the `oneHot`
   * observation; `'spatial'` the {@link spatialPolicy} over `features`; `'conv'` the
   * translation-equivariant {@link convPolicy} over the `gridChannels` observation.
   */
  readonly policy?: 'tabular' | 'mlp' | 'spatial' | 'conv';
  /** Position features of the `'spatial'` policy. Default all of `POSITION_FEATURES`. */
  readonly features?: readonly PositionFeature[];
  /** Default `'dice'`. */
  readonly estimator?: MetaEstimator;
  /** Inner step size α (meta-training and every method's test-time adaptation). */
  readonly innerLr: number;
  /** Episodes per inner step and per outer batch. Default 20. */
  readonly episodesPerStep?: number;
  readonly metaIterations: number;
  /** Default 10. */
  readonly metaBatchSize?: number;
  /** Adam step of the outer loop. Default 0.1. */
  readonly outerLr?: number;
  /** Meta-learn per-parameter inner step sizes (Meta-SGD; MAML adapts with them at test time). Default false. */
  readonly learnInnerLr?: boolean;
  /** Decoupled weight decay of the outer update (see `metaTrain`). Default 0. */
  readonly weightDecay?: number;
  /** Entropy bonus on MAML's pre-adaptation policy (see `taskMetaObjective`). Default 0. */
  readonly entropyBonus?: number;
  /** Iterations of multi-task REINFORCE for the pretrained baseline. Default `metaIterations`. */
  readonly pretrainIterations?: number;
  /** Adam step of the pretrained baseline. Default `outerLr`. */
  readonly pretrainLr?: number;
  /** Default `'observation'` for mlp, else `'state'`. */
  readonly baseline?: BaselineKind;
  /** Cross-fit the baseline over this many folds of episodes, for every method (see `PolicyAdaptOptions.crossFit`). Default: off. */
  readonly crossFit?: number;
  /** One run per seed; at least 2 for an interval. */
  readonly seeds: readonly number[];
  /** Inner steps on the curve. Default 3. */
  readonly adaptationSteps?: number;
  /** Evaluate at most this many tasks per split (evenly spaced). Default: all. */
  readonly maxTasksPerSplit?: number;
  /**
   * Independent adaptations per task (each on its own sampled episodes), averaged: the
   * curve then estimates the *expected* return after k steps with less noise from the
   * one sampled batch. Draw 0 uses the same random numbers as a single draw. Default 1.
   */
  readonly adaptationDraws?: number;
  /** Meta-train with storage recycling (see `metaTrainStep`'s `recycleMemory`): the same numbers. Default false. */
  readonly recycleMemory?: boolean;
}

/** One method on one split: intervals over seeds per number of inner steps. */
export interface AdaptationCurve {
  readonly method: Method;
  readonly split: Split;
  /** Expected undiscounted return after k inner steps, k = 0..steps. */
  readonly return: readonly Interval[];
  /** Return divided by the optimal return of the task, averaged over tasks. */
  readonly fractionOfOptimal: readonly Interval[];
}

/** Everything {@link runExperiment} measured. */
export interface ExperimentResult {
  readonly name: string;
  readonly config: ExperimentConfig;
  readonly policy: string;
  readonly taskCounts: Readonly<Record<Split, number>>;
  /** Mean optimal return per split (first seed's split). */
  readonly optimalReturn: Readonly<Record<Split, number>>;
  readonly curves: readonly AdaptationCurve[];
  /** Sampled mean post-adaptation return of the last meta-iteration, per seed. */
  readonly finalMetaTrainReturn: readonly number[];
  readonly seconds: { readonly metaTrain: number; readonly pretrain: number; readonly evaluate: number };
}

const SPLITS: readonly Split[] = ['train', 'test', 'ood'];
const METHODS: readonly Method[] = ['maml', 'pretrained', 'scratch'];

function resolveConfig(config: ExperimentConfig) {
  const caller = 'runExperiment';
  const family = checkChoice(caller, 'family', config.family, ['goal', 'start']);
  const size = checkInteger(caller, 'size', config.size, 3);
  const policyKind = checkChoice(caller, 'policy', config.policy ?? 'tabular', ['tabular', 'mlp', 'spatial', 'conv']);
  if (!Array.isArray(config.seeds) || config.seeds.length === 0 || config.seeds.some((s) => !Number.isInteger(s))) {
    throw new RlError(`${caller}: seeds must be a non-empty array of integers, got ${JSON.stringify(config.seeds)}`);
  }
  const outerLr = checkNumber(caller, 'outerLr', config.outerLr ?? 0.1, 0);
  const metaIterations = checkInteger(caller, 'metaIterations', config.metaIterations, 0);
  const episodes = checkInteger(caller, 'episodesPerStep', config.episodesPerStep ?? 20);
  const baseline = checkChoice(caller, 'baseline', config.baseline ?? (policyKind === 'mlp' ? 'observation' : 'state'), ['none', 'observation', 'state']);
  return {
    family, size, policyKind, outerLr, metaIterations, seeds: config.seeds,
    horizon: checkInteger(caller, 'horizon', config.horizon ?? 2 * size + 4),
    estimator: checkChoice(caller, 'estimator', config.estimator ?? 'dice', META_ESTIMATORS),
    innerLr: checkNumber(caller, 'innerLr', config.innerLr, 0),
    episodes,
    metaBatchSize: checkInteger(caller, 'metaBatchSize', config.metaBatchSize ?? 10),
    weightDecay: checkNumber(caller, 'weightDecay', config.weightDecay ?? 0, 0),
    entropyBonus: checkNumber(caller, 'entropyBonus', config.entropyBonus ?? 0, 0),
    pretrainIterations: checkInteger(caller, 'pretrainIterations', config.pretrainIterations ?? metaIterations, 0),
    pretrainLr: checkNumber(caller, 'pretrainLr', config.pretrainLr ?? outerLr, 0),
    baseline,
    crossFit: checkCrossFit(caller, config.crossFit, baseline, episodes),
    steps: checkInteger(caller, 'adaptationSteps', config.adaptationSteps ?? 3, 0),
    maxTasks: checkInteger(caller, 'maxTasksPerSplit', config.maxTasksPerSplit ?? Number.MAX_SAFE_INTEGER),
    draws: checkInteger(caller, 'adaptationDraws', config.adaptationDraws ?? 1),
  };
}

/**
 * An evenly spaced subset of at most `max` tasks, in order (all of them when there are
 * no more than `max`).
 *
 * @example
 * ```ts
 * const family = goalFamily({ size: 8 });
 * subsampleTasks(family.train, 16).length; // 16: what runExperiment's maxTasksPerSplit evaluates
 * ```
 */
export function subsampleTasks(tasks: readonly Task[], max: number): readonly Task[] {
  if (tasks.length <= max) return tasks;
  return Array.from({ length: max }, (_, i) => tasks[Math.floor((i * tasks.length) / max)]!);
}

/**
 * The exact return of any policy on a tabular task (its logits on every state go
 * through the DP oracle).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const model = tabularModel(openRoom(5), goalFamily({ size: 5 }).train[0]!);
 * exactPolicyReturn(policy, params, model, env.observation, 20); // the uniform policy's expected return
 * ```
 */
export function exactPolicyReturn<P>(
  policy: CategoricalPolicy<P>, params: P, model: TabularModel, encoder: ObservationEncoder, horizon: number,
): number {
  return expectedReturn(policy.stateLogits(params, model, encoder), model, { horizon }).item();
}

/** What one seed of {@link runExperiment} measured: plain data, so a worker can send it back. */
export interface ExperimentSeedRun {
  readonly seed: number;
  /** `method/split/k` → expected return after k inner steps, averaged over the split's tasks and draws. */
  readonly returns: Readonly<Record<string, number>>;
  /** `method/split/k` → the same divided by each task's optimal return. */
  readonly fractions: Readonly<Record<string, number>>;
  /** Sampled mean post-adaptation return of the last meta-iteration. */
  readonly finalMetaTrainReturn: number;
  readonly taskCounts: Readonly<Record<Split, number>>;
  /** Mean optimal return per split (this seed's split of the family). */
  readonly optimalReturn: Readonly<Record<Split, number>>;
  readonly seconds: { readonly metaTrain: number; readonly pretrain: number; readonly evaluate: number };
}

/** The environment and policy every seed of an experiment uses, and the experiment's name. */
function experimentSetup(config: ExperimentConfig) {
  const c = resolveConfig(config);
  const map = openRoom(c.size);
  const observation = c.policyKind === 'tabular' ? { kind: 'stateIndex' as const }
    : c.policyKind === 'conv' ? { kind: 'gridChannels' as const } : { kind: 'oneHot' as const };
  const env = new VecEnv({ map, numEnvs: c.episodes, maxSteps: c.horizon, observation });
  const numStates = c.size * c.size;
  const policies = {
    tabular: () => tabularPolicy({ numStates, numActions: env.numActions }),
    mlp: () => mlpPolicy({ obsSize: env.obsSize, numActions: env.numActions, hidden: [32, 32], inputTransform: oneHotCoordinates(c.size, c.size) }),
    spatial: () => spatialPolicy({ height: c.size, width: c.size, numActions: env.numActions, ...(config.features ? { features: config.features } : {}) }),
    conv: () => convPolicy({ height: c.size, width: c.size, numActions: env.numActions }),
  };
  const policy = policies[c.policyKind]() as CategoricalPolicy<unknown>;
  const name = `${c.family}Family open ${c.size}×${c.size}, ${policy.name}, ${c.estimator}${c.crossFit ? `, ${c.crossFit}-fold cross-fitted baseline` : ''}`;
  return { c, map, env, policy, name };
}

/**
 * Checks an experiment's config as {@link runExperiment} does (an RlError naming the
 * option), without running anything.
 *
 * @example
 * ```ts
 * checkExperimentConfig({ family: 'goal', size: 5, innerLr: 20, metaIterations: 10, seeds: [0, 1] }); // fine
 * ```
 */
export function checkExperimentConfig(config: ExperimentConfig): void {
  resolveConfig(config);
}

/**
 * One seed of {@link runExperiment}: meta-trains MAML-RL and pretrains the baseline with
 * `seed` (which also draws the family's split), then measures every method's adaptation
 * curve on every split. Its numbers depend only on `config` and `seed`, so seeds can run
 * on different workers; {@link combineExperimentSeeds} turns the runs into the result.
 *
 * @example
 * ```ts
 * const config = { family: 'goal', size: 5, innerLr: 20, metaIterations: 2, metaBatchSize: 2, seeds: [0, 1], adaptationSteps: 1, maxTasksPerSplit: 2 } as const;
 * const run = runExperimentSeed(config, 0);
 * run.fractions['maml/test/1']; // MAML's fraction of the optimum after one step on held-out tasks
 * ```
 */
export function runExperimentSeed(config: ExperimentConfig, seed: number, log: (line: string) => void = () => {}): ExperimentSeedRun {
  const { c, map, env, policy } = experimentSetup(config);
  const adaptOptions = { innerLr: c.innerLr, estimator: c.estimator, baseline: c.baseline, crossFit: c.crossFit };
  const returns: Record<string, number> = {};
  const fractions: Record<string, number> = {};
  const seconds = { metaTrain: 0, pretrain: 0, evaluate: 0 };
  const taskCounts: Record<Split, number> = { train: 0, test: 0, ood: 0 };
  const optimal: Record<Split, number> = { train: 0, test: 0, ood: 0 };

  const family: TaskFamily = c.family === 'goal' ? goalFamily({ size: c.size, seed }) : startFamily({ size: c.size, seed });
  let start = performance.now();
  const meta = metaTrain({
    policy, env, tasks: family.train, iterations: c.metaIterations, metaBatchSize: Math.min(c.metaBatchSize, family.train.length),
    outerLr: c.outerLr, weightDecay: c.weightDecay, entropyBonus: c.entropyBonus, learnInnerLr: config.learnInnerLr === true, recycleMemory: config.recycleMemory === true, seed, ...adaptOptions,
  });
  seconds.metaTrain = (performance.now() - start) / 1000;
  const finalMetaTrainReturn = meta.history.at(-1)?.postReturn ?? NaN;
  start = performance.now();
  const pretrained = reinforce({
    policy, env, tasks: family.train, iterations: c.pretrainIterations, lr: c.pretrainLr, baseline: c.baseline, crossFit: c.crossFit, seed,
  });
  seconds.pretrain = (performance.now() - start) / 1000;
  const initial: Record<Method, unknown> = { maml: meta.params, pretrained: pretrained.params, scratch: policy.init(new Rng(seed).split()) };
  // MAML adapts with its meta-learned step sizes (if any); the baselines with the plain innerLr.
  const methodAdapt: Record<Method, typeof adaptOptions & { innerLrScale?: unknown }> = {
    maml: meta.innerLrScale ? { ...adaptOptions, innerLrScale: meta.innerLrScale } : adaptOptions, pretrained: adaptOptions, scratch: adaptOptions,
  };
  log(`  seed ${seed}: meta-train ${meta.history.length} it, last sampled post-adaptation return ${finalMetaTrainReturn.toFixed(3)}`);

  start = performance.now();
  for (const split of SPLITS) {
    const tasks = subsampleTasks(family[split], c.maxTasks);
    taskCounts[split] = tasks.length;
    optimal[split] = tasks.reduce((a, t) => a + optimalReturn(tabularModel(t.layout ?? map, t), { horizon: c.horizon }), 0) / tasks.length;
    for (const method of METHODS) {
      const sumReturn = new Float64Array(c.steps + 1);
      const sumFraction = new Float64Array(c.steps + 1);
      tasks.forEach((task, taskIndex) => {
        env.setTasks(task);
        const model = env.modelOf(0);
        const best = optimalReturn(model, { horizon: c.horizon });
        const weight = 1 / (tasks.length * c.draws);
        for (let draw = 0; draw < c.draws; draw++) {
          // Common random numbers: every method adapts on the same seed per (seed, task, draw).
          const rng = new Rng([seed >>> 0, taskIndex, SPLITS.indexOf(split), 0x5eed + draw]);
          const path = adaptationPath(policy, initial[method], env, c.steps, rng, methodAdapt[method]);
          path.forEach((params, k) => {
            const value = exactPolicyReturn(policy, params, model, env.observation, c.horizon);
            sumReturn[k]! += value * weight;
            sumFraction[k]! += (value / best) * weight;
          });
        }
      });
      for (let k = 0; k <= c.steps; k++) {
        returns[`${method}/${split}/${k}`] = sumReturn[k]!;
        fractions[`${method}/${split}/${k}`] = sumFraction[k]!;
      }
    }
  }
  seconds.evaluate = (performance.now() - start) / 1000;
  return { seed, returns, fractions, finalMetaTrainReturn, taskCounts, optimalReturn: optimal, seconds };
}

/**
 * The experiment's result from its seeds' runs, given in the order of `config.seeds`:
 * intervals over seeds per method, split and step; task counts and optimal returns of
 * the first seed's split; seconds summed.
 *
 * @example
 * ```ts
 * const config = { family: 'goal', size: 5, innerLr: 20, metaIterations: 2, metaBatchSize: 2, seeds: [0, 1], adaptationSteps: 1, maxTasksPerSplit: 2 } as const;
 * const result = combineExperimentSeeds(config, config.seeds.map((seed) => runExperimentSeed(config, seed)));
 * result.finalMetaTrainReturn.length; // 2: one per seed
 * ```
 */
export function combineExperimentSeeds(config: ExperimentConfig, runs: readonly ExperimentSeedRun[]): ExperimentResult {
  const { c, policy, name } = experimentSetup(config);
  if (runs.length !== c.seeds.length || runs.some((r, i) => r.seed !== c.seeds[i])) {
    throw new RlError(`combineExperimentSeeds: runs of seeds ${JSON.stringify(runs.map((r) => r.seed))} do not match the config's seeds ${JSON.stringify(c.seeds)}`);
  }
  const curves: AdaptationCurve[] = [];
  for (const method of METHODS) {
    for (const split of SPLITS) {
      const steps = Array.from({ length: c.steps + 1 }, (_, k) => `${method}/${split}/${k}`);
      curves.push({
        method, split,
        return: steps.map((key) => confidenceInterval(runs.map((r) => r.returns[key]!))),
        fractionOfOptimal: steps.map((key) => confidenceInterval(runs.map((r) => r.fractions[key]!))),
      });
    }
  }
  const seconds = { metaTrain: 0, pretrain: 0, evaluate: 0 };
  for (const r of runs) {
    seconds.metaTrain += r.seconds.metaTrain;
    seconds.pretrain += r.seconds.pretrain;
    seconds.evaluate += r.seconds.evaluate;
  }
  return {
    name, config, policy: policy.name, taskCounts: runs[0]!.taskCounts, optimalReturn: runs[0]!.optimalReturn, curves,
    finalMetaTrainReturn: runs.map((r) => r.finalMetaTrainReturn), seconds,
  };
}

/**
 * Meta-trains MAML-RL, pretrains the multi-task baseline and measures the adaptation
 * curves of all three methods on all three splits, for every seed (in this thread;
 * `runExperimentParallel` runs the seeds on worker threads and gives the same result).
 *
 * @example
 * ```ts
 * const result = runExperiment({
 *   family: 'goal', size: 5, innerLr: 20, metaIterations: 2, metaBatchSize: 2, pretrainIterations: 2,
 *   seeds: [0], adaptationSteps: 1, maxTasksPerSplit: 2, // tiny: a real study runs 150 iterations on 5 seeds
 * });
 * console.log(formatResultTable(result));
 * writeFileSync('goal5.svg', renderAdaptationSvg(result));
 * ```
 */
export function runExperiment(config: ExperimentConfig, log: (line: string) => void = () => {}): ExperimentResult {
  const { c } = experimentSetup(config);
  return combineExperimentSeeds(config, c.seeds.map((seed) => runExperimentSeed(config, seed, log)));
}

/**
 * The curve of `method` on `split`; throws an RlError when the result has none.
 * @example
 * ```ts
 * const result = runExperiment({
 *   family: 'goal', size: 5, innerLr: 20, metaIterations: 2, metaBatchSize: 2, pretrainIterations: 2,
 *   seeds: [0], adaptationSteps: 1, maxTasksPerSplit: 2, // tiny: a real study runs 150 iterations on 5 seeds
 * });
 * const ood = curveOf(result, 'maml', 'ood');
 * ood.fractionOfOptimal.map((i) => i.mean); // after 0, 1, … inner steps
 * ```
 */
export function curveOf(result: ExperimentResult, method: Method, split: Split): AdaptationCurve {
  const curve = result.curves.find((c) => c.method === method && c.split === split);
  if (!curve) throw new RlError(`curveOf: no curve for method '${method}' on split '${split}'`);
  return curve;
}

/**
 * A Markdown table: fraction of optimal (mean ± 95% CI half-width; the mean alone for one seed) per method, split
 * and number of inner steps.
 *
 * @example
 * ```ts
 * const result = runExperiment({
 *   family: 'goal', size: 5, innerLr: 20, metaIterations: 2, metaBatchSize: 2, pretrainIterations: 2,
 *   seeds: [0], adaptationSteps: 1, maxTasksPerSplit: 2, // tiny: a real study runs 150 iterations on 5 seeds
 * });
 * console.log(formatResultTable(result));
 * ```
 */
export function formatResultTable(result: ExperimentResult): string {
  const steps = result.curves[0]!.fractionOfOptimal.length;
  const header = `| method | split | ${Array.from({ length: steps }, (_, k) => `${k} steps`).join(' | ')} |`;
  const rule = `|---|---|${'---|'.repeat(steps)}`;
  const oneSeed = result.config.seeds.length < 2;
  const rows = result.curves.map((curve) => {
    // One seed has no interval: print the mean alone rather than a "± 0.000" that claims one.
    const cells = curve.fractionOfOptimal.map((i) => (oneSeed ? i.mean.toFixed(3) : `${i.mean.toFixed(3)} ± ${((i.high - i.low) / 2).toFixed(3)}`));
    return `| ${curve.method} | ${curve.split} | ${cells.join(' | ')} |`;
  });
  const what = oneSeed ? 'one seed (no interval)' : `mean ± 95% CI over ${result.config.seeds.length} seeds`;
  return [`**${result.name}** — fraction of optimal return, ${what}`, '', header, rule, ...rows].join('\n');
}

const COLORS: Readonly<Record<Method, string>> = { maml: '#1f77b4', pretrained: '#ff7f0e', scratch: '#7f7f7f' };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * An SVG picture of the adaptation curves: one panel per split, fraction of optimal
 * against inner steps, one line per method with 95% CI bars, and the 0.9 target.
 *
 * @example
 * ```ts
 * const result = runExperiment({
 *   family: 'goal', size: 5, innerLr: 20, metaIterations: 2, metaBatchSize: 2, pretrainIterations: 2,
 *   seeds: [0], adaptationSteps: 1, maxTasksPerSplit: 2, // tiny: a real study runs 150 iterations on 5 seeds
 * });
 * writeFileSync('curves.svg', renderAdaptationSvg(result));
 * ```
 */
export function renderAdaptationSvg(result: ExperimentResult): string {
  const panelWidth = 260;
  const panelHeight = 200;
  const margin = { left: 50, top: 40, right: 20, bottom: 45 };
  const width = margin.left + SPLITS.length * (panelWidth + margin.right) + 10;
  const height = margin.top + panelHeight + margin.bottom + 30;
  // The axis follows the means (CI bars are clipped to it), from at most −1 to 1.2.
  const means = result.curves.flatMap((c) => c.fractionOfOptimal.map((i) => i.mean));
  const yMin = Math.max(-1, Math.min(0, Math.floor(Math.min(...means) * 5) / 5));
  const yMax = Math.min(1.2, Math.max(1, Math.ceil(Math.max(...means) * 5) / 5));
  const steps = result.curves[0]!.fractionOfOptimal.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="18" font-size="13">${escapeXml(result.name)}: fraction of optimal return (95% CI, ${result.config.seeds.length} seeds)</text>`,
  ];
  SPLITS.forEach((split, p) => {
    const x0 = margin.left + p * (panelWidth + margin.right);
    const y0 = margin.top;
    const sx = (k: number): number => x0 + (steps === 1 ? panelWidth / 2 : (k / (steps - 1)) * panelWidth);
    const sy = (v: number): number => y0 + panelHeight - ((Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * panelHeight;
    parts.push(`<rect x="${x0}" y="${y0}" width="${panelWidth}" height="${panelHeight}" fill="none" stroke="#ccc"/>`);
    parts.push(`<text x="${x0 + panelWidth / 2}" y="${y0 - 6}" text-anchor="middle">${split} (${result.taskCounts[split]} tasks)</text>`);
    for (let v = Math.ceil(yMin * 5) / 5; v <= yMax + 1e-9; v += 0.2) {
      parts.push(`<line x1="${x0}" x2="${x0 + panelWidth}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eee"/>`);
      if (p === 0) parts.push(`<text x="${x0 - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(1)}</text>`);
    }
    parts.push(`<line x1="${x0}" x2="${x0 + panelWidth}" y1="${sy(0.9).toFixed(1)}" y2="${sy(0.9).toFixed(1)}" stroke="#2ca02c" stroke-dasharray="4 3"/>`);
    for (let k = 0; k < steps; k++) {
      parts.push(`<text x="${sx(k).toFixed(1)}" y="${y0 + panelHeight + 15}" text-anchor="middle">${k}</text>`);
    }
    parts.push(`<text x="${x0 + panelWidth / 2}" y="${y0 + panelHeight + 32}" text-anchor="middle">inner steps</text>`);
    for (const method of METHODS) {
      const curve = curveOf(result, method, split).fractionOfOptimal;
      const points = curve.map((i, k) => `${sx(k).toFixed(1)},${sy(i.mean).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${points}" fill="none" stroke="${COLORS[method]}" stroke-width="2"/>`);
      curve.forEach((i, k) => {
        parts.push(`<line x1="${sx(k).toFixed(1)}" x2="${sx(k).toFixed(1)}" y1="${sy(i.low).toFixed(1)}" y2="${sy(i.high).toFixed(1)}" stroke="${COLORS[method]}"/>`);
        parts.push(`<circle cx="${sx(k).toFixed(1)}" cy="${sy(i.mean).toFixed(1)}" r="3" fill="${COLORS[method]}"/>`);
      });
    }
  });
  const legendY = height - 12;
  METHODS.forEach((method, i) => {
    const x = margin.left + i * 130;
    parts.push(`<line x1="${x}" x2="${x + 20}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${COLORS[method]}" stroke-width="2"/>`);
    parts.push(`<text x="${x + 25}" y="${legendY}">${method}</text>`);
  });
  parts.push(`<line x1="${margin.left + 390}" x2="${margin.left + 410}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#2ca02c" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${margin.left + 415}" y="${legendY}">0.9 of optimal</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
