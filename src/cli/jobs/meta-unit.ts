/**
 * One seed of a study run as a single `metagrad <command>` run would: train a `MetaJob`
 * for its iterations (reporting each as progress), evaluate it, and give back what the
 * study combines — curves, metrics, tables, figures, no timings (so the result does not
 * depend on how or where it ran). Runs in a worker or in the calling thread alike.
 */
import type { JobContext } from '../../parallel/types.ts';
import type { FigureSpec } from '../../report/figures.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import { yieldToEventLoop } from '../interrupt.ts';
import type { CurveLabel, EvalContext, MetaJob, TrainState } from '../job.ts';
import type { Curves } from '../run.ts';

/** What one seed's run gives back. */
export interface SeedRun {
  readonly seed: number;
  readonly curve: CurveLabel;
  readonly curves: Curves;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly tables: readonly SummaryTable[];
  readonly figures: Readonly<Record<string, FigureSpec>>;
}

/** Thrown inside a cancelled in-process unit (the pool has already settled it as cancelled). */
class Cancelled extends Error {}

/** Trains `job` to `iterations` from its initial state (reporting each as progress); its final state and curves. */
export async function trainMetaUnit(job: MetaJob, iterations: number, ctx: JobContext): Promise<{ state: TrainState; curves: Curves }> {
  let state = job.init();
  const curves: Curves = { [job.curve.key]: [] };
  while (state.iteration < iterations) {
    if (ctx.cancelled) throw new Cancelled('cancelled');
    const r = job.step(state);
    state = r.state;
    curves[job.curve.key]!.push(r.value);
    for (const [name, v] of Object.entries(r.extra ?? {})) (curves[name] ??= new Array<number>(state.iteration - 1).fill(NaN)).push(v);
    ctx.progress(state.iteration);
    await yieldToEventLoop();
  }
  return { state, curves };
}

/** The context a unit's evaluation runs with: no log lines, stops once the pool cancels the unit. */
export function unitEvalContext(ctx: JobContext): EvalContext {
  return { log: () => {}, shouldStop: async () => { await yieldToEventLoop(); return ctx.cancelled; } };
}

/** Throws (the unit settles as cancelled) when an evaluation was cut short. */
export function requireComplete(evaluation: { readonly complete: boolean }): void {
  if (!evaluation.complete) throw new Cancelled('cancelled');
}

/** Trains `job` (whose config holds the seed) to `iterations`, then evaluates it. */
export async function runMetaUnit(job: MetaJob, seed: number, iterations: number, ctx: JobContext): Promise<SeedRun> {
  const { state, curves } = await trainMetaUnit(job, iterations, ctx);
  const evaluation = await job.evaluate(state, unitEvalContext(ctx));
  requireComplete(evaluation);
  return { seed, curve: job.curve, curves, metrics: evaluation.metrics, tables: evaluation.tables, figures: evaluation.figures };
}
