/**
 * One unit of the sinusoid study (`sinusoid.run`): meta-train and evaluate one seed,
 * exactly as a single `metagrad sinusoid` run does, reporting iterations as progress.
 */
import type { JobContext } from '../../parallel/types.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import { runMetaUnit, type SeedRun } from './meta-unit.ts';
import { createSinusoidJob } from './sinusoid.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';

/** The unit job's arguments: plain data. */
export interface SinusoidUnitArgs {
  readonly seed: number;
  readonly index: number;
  readonly backend: string;
  readonly config: SinusoidConfig;
}

/** Trains and evaluates `args.config` (whose seed is `args.seed`) on `args.backend`. */
export async function runSinusoidUnit(args: SinusoidUnitArgs, ctx: JobContext): Promise<SeedRun> {
  await selectBackend(args.backend as BackendChoice);
  return runMetaUnit(createSinusoidJob(args.config), args.seed, args.config.iterations, ctx);
}
