/**
 * One unit of the grid-world study (`gridworld.run`): meta-train and evaluate one seed
 * of one configuration, exactly as a single `metagrad gridworld` run does, reporting
 * iterations as progress. Runs in a worker or in the calling thread alike.
 */
import type { JobContext } from '../../parallel/types.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import { runMetaUnit, type SeedRun } from './meta-unit.ts';
import { createGridworldJob } from './gridworld.ts';
import type { GridworldConfig } from './gridworld-config.ts';

/** The unit job's arguments: plain data. */
export interface GridworldUnitArgs {
  readonly seed: number;
  readonly index: number;
  readonly backend: string;
  readonly config: GridworldConfig;
}

/** What one seed's run gives back (no timings, so results do not depend on how it ran). */
export type GridworldRun = SeedRun;

/** Trains and evaluates `args.config` (whose seed is `args.seed`) on `args.backend`. */
export async function runGridworldUnit(args: GridworldUnitArgs, ctx: JobContext): Promise<GridworldRun> {
  await selectBackend(args.backend as BackendChoice);
  return runMetaUnit(createGridworldJob(args.config), args.seed, args.config.iterations, ctx);
}
