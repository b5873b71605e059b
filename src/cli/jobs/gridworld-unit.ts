/**
 * One unit of the grid-world study (`gridworld.run`): meta-train and evaluate one seed
 * of one configuration, exactly as a single `metagrad gridworld` run does, reporting
 * iterations as progress. Runs in a worker or in the calling thread alike.
 */
import type { JobContext } from '../../parallel/types.ts';
import { yieldToEventLoop } from '../interrupt.ts';
import type { CurveLabel } from '../job.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import type { Curves } from '../run.ts';
import type { FigureSpec } from '../../report/figures.ts';
import type { SummaryTable } from '../../report/run-report.ts';
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
export interface GridworldRun {
  readonly seed: number;
  readonly curve: CurveLabel;
  readonly curves: Curves;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly tables: readonly SummaryTable[];
  readonly figures: Readonly<Record<string, FigureSpec>>;
}

/** Thrown inside a cancelled in-process unit (the pool has already settled it as cancelled). */
class Cancelled extends Error {}

/** Trains and evaluates `args.config` (whose seed is `args.seed`) on `args.backend`. */
export async function runGridworldUnit(args: GridworldUnitArgs, ctx: JobContext): Promise<GridworldRun> {
  await selectBackend(args.backend as BackendChoice);
  const config = args.config;
  const job = createGridworldJob(config);
  let state = job.init();
  const curves: Curves = { [job.curve.key]: [] };
  while (state.iteration < config.iterations) {
    if (ctx.cancelled) throw new Cancelled('cancelled');
    const r = job.step(state);
    state = r.state;
    curves[job.curve.key]!.push(r.value);
    for (const [name, v] of Object.entries(r.extra ?? {})) (curves[name] ??= new Array<number>(state.iteration - 1).fill(NaN)).push(v);
    ctx.progress(state.iteration);
    await yieldToEventLoop();
  }
  const evaluation = await job.evaluate(state, { log: () => {}, shouldStop: async () => { await yieldToEventLoop(); return ctx.cancelled; } });
  if (!evaluation.complete) throw new Cancelled('cancelled');
  return { seed: args.seed, curve: job.curve, curves, metrics: evaluation.metrics, tables: evaluation.tables, figures: evaluation.figures };
}
