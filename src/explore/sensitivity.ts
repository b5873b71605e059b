/**
 * Initialisation sensitivity of the transformer meta-learner: trains it under several
 * init schemes × seeds and reports the spread of the final returns (the note this
 * project grew from flags transformer task representations as init-sensitive).
 */
import type { InitScheme } from './seq.ts';
import { inputSizeOf } from './common.ts';
import { transformerAgent, trainSequenceAgent, type SequenceAgent, type SequenceTrainOptions, type TransformerParams } from './rl2.ts';
import type { SignGrid, SignTask } from './env.ts';

/** One training run of the harness. */
export interface SensitivityRun {
  readonly scheme: InitScheme;
  readonly seed: number;
  /** Mean trial return over the last 10 training iterations. */
  readonly finalReturn: number;
  /** What `evaluate` returned (fraction of oracle), NaN without one. */
  readonly fraction: number;
  readonly extra?: unknown;
  readonly seconds: number;
}

/** Options of {@link initSensitivity}. */
export interface SensitivityOptions {
  readonly env: SignGrid;
  readonly tasks: readonly SignTask[];
  readonly schemes: readonly InitScheme[];
  readonly seeds: number;
  readonly iterations: number;
  readonly numBlocks?: number;
  readonly width?: number;
  readonly batchSize?: number;
  /** Further training options of every run (learning rate, entropy, penalty curriculum). */
  readonly training?: Omit<SequenceTrainOptions<TransformerParams>, 'env' | 'tasks' | 'iterations' | 'batchSize' | 'seed' | 'onIteration'>;
  readonly onRun?: (run: SensitivityRun) => void;
  /** Meta-tests a trained agent: a fraction of the oracle plus anything to keep. */
  readonly evaluate?: (agent: SequenceAgent<TransformerParams>, params: TransformerParams, seed: number) => { fraction: number; extra?: unknown };
}

/**
 * Trains the transformer agent for every (scheme, seed) pair.
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const env = new SignGrid(family.config);
 * // tiny: the study trains 1600 iterations on 3 seeds
 * const runs = initSensitivity({ env, tasks: family.train, schemes: ['glorot', 'depthScaled'], seeds: 2, iterations: 2, batchSize: 4 });
 * runs.map((r) => `${r.scheme} ${r.seed}`); // ['glorot 0', 'glorot 1', 'depthScaled 0', 'depthScaled 1']
 * ```
 */
export function initSensitivity(options: SensitivityOptions): SensitivityRun[] {
  const runs: SensitivityRun[] = [];
  for (const scheme of options.schemes) {
    for (let seed = 0; seed < options.seeds; seed++) {
      const run = sensitivityRun(options, scheme, seed);
      runs.push(run);
      options.onRun?.(run);
    }
  }
  return runs;
}

/**
 * One run of the harness: the transformer agent initialised with `scheme`, trained with
 * `seed` (independent of every other run, so runs can go to different workers).
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const run = sensitivityRun({ env: new SignGrid(family.config), tasks: family.train, iterations: 2, batchSize: 4 }, 'depthScaled', 0);
 * run.scheme; // 'depthScaled'
 * run.finalReturn; // the mean trial return of its last (up to 10) training iterations
 * ```
 */
export function sensitivityRun(options: Omit<SensitivityOptions, 'schemes' | 'seeds' | 'onRun'>, scheme: InitScheme, seed: number): SensitivityRun {
  const agent = transformerAgent({
    inputSize: inputSizeOf(options.env), numActions: options.env.numActions, length: options.env.trialLength,
    init: scheme, numBlocks: options.numBlocks ?? 2, width: options.width ?? 32,
  });
  const start = performance.now();
  const { params, history } = trainSequenceAgent(agent, {
    ...options.training, env: options.env, tasks: options.tasks, iterations: options.iterations, batchSize: options.batchSize ?? 16, seed,
  });
  const seconds = (performance.now() - start) / 1000;
  const last = history.slice(-10);
  const evaluated = options.evaluate?.(agent, params, seed);
  return {
    scheme, seed, seconds, finalReturn: last.reduce((a, b) => a + b, 0) / last.length,
    fraction: evaluated?.fraction ?? NaN, ...(evaluated?.extra !== undefined && { extra: evaluated.extra }),
  };
}

/**
 * Per scheme: mean, standard deviation (n − 1), min and max of final returns, and mean
 * and standard deviation of fractions.
 * @example
 * ```ts
 * const family = signGridFamily();
 * const runs = initSensitivity({ env: new SignGrid(family.config), tasks: family.train, schemes: INIT_SCHEMES, seeds: 2, iterations: 2, batchSize: 4 });
 * const table = summarizeSensitivity(runs); // `summarize` in src/explore/sensitivity.ts
 * table['depthScaled']!.n; // 2
 * table['depthScaled']!.meanReturn;
 * ```
 */
export function summarize(runs: readonly SensitivityRun[]): Record<string, { n: number; meanReturn: number; stdReturn: number; minReturn: number; maxReturn: number; meanFraction: number; stdFraction: number }> {
  const out: ReturnType<typeof summarize> = {};
  const stats = (xs: number[]): [number, number] => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return [m, Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / Math.max(1, xs.length - 1))];
  };
  for (const scheme of [...new Set(runs.map((r) => r.scheme))]) {
    const rs = runs.filter((r) => r.scheme === scheme);
    const [meanReturn, stdReturn] = stats(rs.map((r) => r.finalReturn));
    const [meanFraction, stdFraction] = stats(rs.map((r) => r.fraction));
    out[scheme] = {
      n: rs.length, meanReturn, stdReturn, minReturn: Math.min(...rs.map((r) => r.finalReturn)), maxReturn: Math.max(...rs.map((r) => r.finalReturn)),
      meanFraction, stdFraction,
    };
  }
  return out;
}
