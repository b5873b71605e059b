/**
 * A single `metagrad gridworld` run on two workers: MAML's training and evaluation is one
 * unit (`gridworld.part`), the pretrained baseline's training and the pretrained and
 * from-scratch evaluations the other. The two trainings are independent (same task draws,
 * same random numbers; see `GridworldParts`), so each unit is the serial code on its own
 * part, and this thread puts the pieces back together in the serial run's order: the
 * training curves iteration by iteration, the checkpoint from both parts at the same
 * iteration, the evaluation from its cells. results.json and checkpoint.json are the
 * serial run's files apart from timings.
 *
 * Each unit reports every iteration's values and state, so periodic checkpoints and
 * Ctrl-C work as in the serial run: a checkpoint holds the iteration both parts reached.
 */
import { join } from 'node:path';
import { createPool } from '../../parallel/pool.ts';
import type { JobContext } from '../../parallel/types.ts';
import { pack, unpack } from '../../meta/parallel.ts';
import { saveCheckpoint } from '../../io/checkpoint.ts';
import type { State } from '../../io/codec.ts';
import { yieldToEventLoop } from '../interrupt.ts';
import { createProgress } from '../progress.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import { checkpointOf, curvesOf, OUTPUT_FILES, writeOutputs, type Curves, type Resume, type RunContext, type TrainingInfo } from '../run.ts';
import { CLI_JOBS } from './registry.ts';
import { createGridworldParts, type EvalCell, type GridworldPart, type GridworldParts, type PartState } from './gridworld.ts';
import type { GridworldConfig } from './gridworld-config.ts';

/** A part's state as clonable data (its tensors packed). */
interface PackedPart {
  readonly iteration: number;
  readonly params: unknown;
  readonly logScale?: unknown;
  readonly optimizer: State;
  readonly rng: PartState['rng'];
}

const packPart = (p: PartState): PackedPart => ({
  iteration: p.iteration, params: pack(p.params), ...(p.logScale !== undefined && { logScale: pack(p.logScale) }), optimizer: p.optimizer, rng: p.rng,
});
const unpackPart = (p: PackedPart): PartState => ({
  iteration: p.iteration, params: unpack<State>(p.params), ...(p.logScale !== undefined && { logScale: unpack<State>(p.logScale) }), optimizer: p.optimizer, rng: p.rng,
});

/** The unit job's arguments: plain data. */
export interface GridworldPartArgs {
  readonly config: GridworldConfig;
  readonly backend: string;
  readonly part: GridworldPart;
  /** Where the part starts (a fresh run's or a checkpoint's state); null: the baseline's evaluation of scratch only. */
  readonly from: PackedPart | null;
  /** Send the evaluation's progress messages. */
  readonly log: boolean;
}

/** What a unit reports after every iteration. */
interface PartProgress {
  readonly iteration: number;
  readonly values: Readonly<Record<string, number>>;
  readonly state: PackedPart;
}

/** Thrown inside a cancelled in-process unit (the pool has already settled it as cancelled). */
class Cancelled extends Error {}

/** Trains one part to the config's iterations (reporting each), then evaluates its methods. */
export async function runGridworldPart(args: GridworldPartArgs, ctx: JobContext): Promise<{ cells: EvalCell[] }> {
  await selectBackend(args.backend as BackendChoice);
  const parts = createGridworldParts(args.config);
  let state = args.from === null ? null : unpackPart(args.from);
  while (state !== null && state.iteration < args.config.iterations) {
    if (ctx.cancelled) throw new Cancelled('cancelled');
    const r = parts.stepPart(args.part, state);
    state = r.state;
    ctx.progress({ iteration: state.iteration, values: r.values, state: packPart(state) } satisfies PartProgress);
    await yieldToEventLoop();
  }
  const log = (message: string): void => { if (args.log) ctx.progress({ log: message }); };
  const cells = await parts.evaluateMethods(parts.methodsOf(args.part, state), { log, shouldStop: async () => { await yieldToEventLoop(); return ctx.cancelled; } });
  return { cells };
}

const isLog = (v: unknown): v is { log: string } => v !== null && typeof v === 'object' && typeof (v as { log?: unknown }).log === 'string';

/**
 * {@link trainAndReport} for a grid-world run with baselines, on two workers (see the
 * module comment). Returns the exit code (0, or 130 when interrupted); a unit that fails
 * ends the other and throws its error.
 */
export async function trainAndReportParts(config: GridworldConfig, ctx: RunContext, resume?: Resume): Promise<number> {
  const parts: GridworldParts = createGridworldParts(config);
  const job = parts.job;
  const total = config.iterations;
  const start = resume ? resume.state : job.init();
  const curves: Curves = resume ? curvesOf(resume.checkpoint.extra, start.iteration, job.curve.key) : { [job.curve.key]: [] };
  const resumedFrom = resume ? start.iteration : undefined;
  const checkpointFile = join(ctx.out, OUTPUT_FILES.checkpoint);
  const progress = createProgress({ label: `${ctx.command} meta-train`, total, stream: ctx.stderr, mode: ctx.progress });
  if (resume) progress.log(`resuming from ${resume.file} at iteration ${start.iteration} of ${total}`);
  const split = parts.split(start);
  if (split.pretrained === null) throw new TypeError('trainAndReportParts: a run without baselines has one part; run it with trainAndReport');
  const order: GridworldPart[] = ['maml', 'pretrained'];
  // Per part: values and states of the iterations not yet merged (index 0 = iteration `merged + 1`).
  const pending = order.map(() => [] as PartProgress[]);
  let merged = start.iteration;
  let latest: [PartState, PartState] = [split.maml, split.pretrained];
  let trainingDone = false;
  /** As the serial run: the bar ends and the checkpoint is written once training is done, before evaluating. */
  const finishTraining = (): void => {
    trainingDone = true;
    progress.finish();
    saveCheckpoint(checkpointFile, checkpointOf(job, parts.join(...latest), curves));
  };
  if (merged >= total) finishTraining();
  const evalLog = (m: string): void => {
    if (ctx.progress === 'none') return;
    if (trainingDone) ctx.stderr.write(`${m}\n`); else progress.log(m);
  };

  /** Appends every iteration both parts have reached, exactly as the serial loop records it. */
  const mergeReady = (): void => {
    while (pending[0]!.length > 0 && pending[1]!.length > 0) {
      const [m, b] = [pending[0]!.shift()!, pending[1]!.shift()!];
      merged = m.iteration;
      const values: Record<string, number> = { ...m.values, ...b.values };
      (curves[job.curve.key] ??= []).push(values[job.curve.key]!);
      for (const [name, v] of Object.entries(values)) {
        if (name !== job.curve.key) (curves[name] ??= new Array<number>(merged - 1).fill(NaN)).push(v);
      }
      latest = [unpackPart(m.state), unpackPart(b.state)];
      progress.update(merged, { [job.curve.key]: values[job.curve.key]! });
      if (ctx.checkpointEvery > 0 && merged % ctx.checkpointEvery === 0 && merged < total) {
        saveCheckpoint(checkpointFile, checkpointOf(job, parts.join(...latest), curves));
      }
      if (merged >= total) finishTraining();
    }
  };

  const pool = createPool({ workers: 2, modules: [CLI_JOBS] });
  const watch = setInterval(() => { if (ctx.stop.requested) pool.terminate(); }, 25);
  let outcomes;
  try {
    outcomes = await pool.run<{ cells: EvalCell[] }>(order.map((part, i) => ({
      name: 'gridworld.part',
      args: { config, backend: ctx.backend, part, from: packPart(i === 0 ? split.maml : split.pretrained!), log: ctx.progress !== 'none' } satisfies GridworldPartArgs,
    })), {
      onProgress: (i, value) => {
        if (isLog(value)) { evalLog(value.log); return; }
        pending[i]!.push(value as PartProgress);
        mergeReady();
        if (ctx.stop.requested) pool.terminate(); // at once, not at the next poll
      },
    });
  } finally {
    clearInterval(watch);
    pool.terminate();
  }
  const failed = outcomes.find((o) => !o.ok && o.error.kind !== 'cancelled');
  if (failed !== undefined && !failed.ok) throw failed.error;
  const info: TrainingInfo = { iterations: total, completed: merged, ...(resumedFrom !== undefined && { resumedFrom }), curves };
  if (!trainingDone) {
    // Interrupted while training: the checkpoint and curves of the iteration both parts reached.
    progress.finish(`interrupted at iteration ${merged}`);
    saveCheckpoint(checkpointFile, checkpointOf(job, parts.join(...latest), curves));
    writeOutputs(job, ctx, info, null, true, true);
    return 130;
  }
  // Interrupted while evaluating: what the finished units evaluated (marked incomplete).
  const cells = outcomes.flatMap((o) => (o.ok ? o.value.cells : []));
  const evaluation = parts.assemble(cells);
  const stopped = ctx.stop.requested || !evaluation.complete;
  writeOutputs(job, ctx, info, evaluation, stopped, true);
  return stopped ? 130 : 0;
}
