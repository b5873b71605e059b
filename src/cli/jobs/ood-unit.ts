/**
 * One unit of the OOD study (`ood.run`): a grid-world run (family × architecture × seed,
 * `ood-grid.ts`) or a sign-grid run (DREAM head × seed, `ood-sign.ts`), reporting
 * iterations as progress and its headline numbers as a log line.
 */
import type { JobContext } from '../../parallel/types.ts';
import { yieldToEventLoop } from '../interrupt.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import type { UnitLog } from '../study.ts';
import { runOodGrid, type OodGridRun, type OodGridRunConfig } from './ood-grid.ts';
import { runOodSign, type OodSignRun, type OodSignRunConfig } from './ood-sign.ts';

/** A unit's config: one grid-world or one sign-grid run. */
export type OodUnitConfig = OodGridRunConfig | OodSignRunConfig;
/** A unit's value. */
export type OodUnitValue = OodGridRun | OodSignRun;

/** The unit job's arguments: plain data. */
export interface OodUnitArgs {
  readonly seed: number;
  readonly index: number;
  readonly backend: string;
  readonly config: OodUnitConfig;
}

/** Thrown inside a cancelled in-process unit (the pool has already settled it as cancelled). */
class Cancelled extends Error {}

/** Runs one unit on `args.backend`. */
export async function runOodUnit(args: OodUnitArgs, ctx: JobContext): Promise<OodUnitValue> {
  await selectBackend(args.backend as BackendChoice);
  const tick = (i: number): void => {
    if (ctx.cancelled) throw new Cancelled('cancelled');
    ctx.progress(i + 1);
  };
  const c = args.config;
  const f = (x: number): string => x.toFixed(3);
  if (c.kind === 'grid') {
    const run = await runOodGrid(c, async (i) => { tick(i); await yieldToEventLoop(); });
    const at1 = Math.min(1, c.steps);
    ctx.progress({ log: `${c.family} ${c.arch} seed ${c.seed}: step ${at1} test ${f(run.splits.test.fraction[at1]!)} ood ${f(run.splits.ood.fraction[at1]!)}; reach ood ${f(run.splits.ood.reach)}, novel ood ${f(run.splits.ood.novel)}` } satisfies UnitLog);
    return run;
  }
  const run = runOodSign(c, tick);
  ctx.progress({ log: `sign grid DREAM ${c.head} seed ${c.seed}: greedy train ${f(run.fraction.train.greedy)} oodGoal ${f(run.fraction.oodGoal.greedy)}; with the true goal ${f(run.diagnosis.oodGoal.exploitTrue)}` } satisfies UnitLog);
  return run;
}
