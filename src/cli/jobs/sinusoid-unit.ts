/**
 * One unit of the sinusoid study (`sinusoid.run`), reporting iterations as progress:
 * a whole seed, exactly as a single `metagrad sinusoid` run does (a {@link SeedRun}), or
 * one part of a seed (`config.part`: the meta-learner, or the baselines) with its curves
 * and evaluation as data, which the study joins with the other part's into the seed's run.
 */
import type { JobContext } from '../../parallel/types.ts';
import type { CurveLabel } from '../job.ts';
import type { Curves } from '../run.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import { requireComplete, runMetaUnit, trainMetaUnit, unitEvalContext, type SeedRun } from './meta-unit.ts';
import { createSinusoidJob, type SinusoidPart } from './sinusoid.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';
import type { SinusoidEvalData } from './sinusoid-eval.ts';

/** A unit's config: the seed's config, and which part of the seed it runs (default `'all'`). */
export type SinusoidUnitConfig = SinusoidConfig & { readonly part?: SinusoidPart };

/** The unit job's arguments: plain data. */
export interface SinusoidUnitArgs {
  readonly seed: number;
  readonly index: number;
  readonly backend: string;
  readonly config: SinusoidUnitConfig;
}

/** What a `'meta'` or `'baseline'` unit gives back: the curves it trained (`loss`, or `pretrainedLoss`) and its models' evaluation. */
export interface SinusoidPartRun {
  readonly seed: number;
  readonly part: Exclude<SinusoidPart, 'all'>;
  readonly curve: CurveLabel;
  readonly curves: Curves;
  readonly evaluation: SinusoidEvalData;
}

/** What any unit gives back. */
export type SinusoidUnitRun = SeedRun | SinusoidPartRun;

/** Trains and evaluates `args.config` (whose seed is `args.seed`) on `args.backend`. */
export async function runSinusoidUnit(args: SinusoidUnitArgs, ctx: JobContext): Promise<SinusoidUnitRun> {
  await selectBackend(args.backend as BackendChoice);
  const { part = 'all', ...config } = args.config;
  const job = createSinusoidJob(config as SinusoidConfig, part);
  if (part === 'all') return runMetaUnit(job, args.seed, config.iterations, ctx);
  const { state, curves } = await trainMetaUnit(job, config.iterations, ctx);
  const evaluation = await job.evaluateData(state, unitEvalContext(ctx));
  requireComplete(evaluation);
  // The baseline part does not train the meta-learner: its `loss` curve is all NaN, left out.
  const kept = part === 'meta' ? curves : Object.fromEntries(Object.entries(curves).filter(([key]) => key !== job.curve.key));
  return { seed: args.seed, part, curve: job.curve, curves: kept, evaluation };
}
