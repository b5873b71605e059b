/**
 * A single `metagrad gridworld` run on two threads: MAML trains and is evaluated in this
 * thread (the longer part, so it pays no worker start-up), while one worker trains the
 * pretrained baseline, one iteration per job (`gridworld.partStep`), then evaluates the
 * pretrained and from-scratch policies (`gridworld.part`); with jit the same worker also
 * takes some of each MAML iteration's task stages (see `trainAndReportParts`).
 * The two trainings are independent (same task draws, same random numbers; see
 * `GridworldParts`), so each part runs the serial code, and the pieces are put back
 * together in the serial run's order: the
 * training curves iteration by iteration, the checkpoint from both parts at the same
 * iteration, the evaluation from its cells. results.json and checkpoint.json are the
 * serial run's files apart from timings.
 *
 * Each unit reports every iteration's values and state, so periodic checkpoints and
 * Ctrl-C work as in the serial run: a checkpoint holds the iteration both parts reached.
 */
import { join } from 'node:path';
import { createPool } from '../../parallel/pool.ts';
import type { JobContext, JobOutcome, Pool } from '../../parallel/types.ts';
import { RL_JOBS, type ParallelStepOptions } from '../../rl/mamlrl-parallel.ts';
import { GRIDWORLD_SETUP } from './gridworld-setup-url.ts';
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
  /** Evaluate only these splits (0 train, 1 test, 2 ood); default all. */
  readonly splits?: readonly number[];
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
export async function runGridworldPart(args: GridworldPartArgs, ctx: JobContext, stagePool?: Pool, schedule?: StageSchedule): Promise<{ cells: EvalCell[]; state: PackedPart | null }> {
  await selectBackend(args.backend as BackendChoice);
  const parts = partsFor(args.config);
  let state = args.from === null ? null : unpackPart(args.from);
  while (state !== null && state.iteration < args.config.iterations) {
    if (ctx.cancelled) throw new Cancelled('cancelled');
    const r = stagePool !== undefined && args.part === 'maml' ? await parts.stepMamlOn(stagePool, state, schedule) : parts.stepPart(args.part, state);
    state = r.state;
    ctx.progress({ iteration: state.iteration, values: r.values, state: packPart(state) } satisfies PartProgress);
    await yieldToEventLoop();
  }
  const log = (message: string): void => { if (args.log) ctx.progress({ log: message }); };
  const stop = { log, shouldStop: async () => { await yieldToEventLoop(); return ctx.cancelled; } };
  const cells = await parts.evaluateMethods(parts.methodsOf(args.part, state), stop, args.splits);
  if (ctx.cancelled) throw new Cancelled('cancelled');
  return { cells, state: state === null ? null : packPart(state) };
}

/**
 * The parts of the last config this thread ran: a baseline iteration per job must not
 * rebuild the env and recompile its programs every time (one entry: a thread serves one run).
 */
let lastParts: { key: string; parts: GridworldParts } | undefined;
function partsFor(config: GridworldConfig): GridworldParts {
  const key = JSON.stringify(config);
  if (lastParts?.key !== key) lastParts = { key, parts: createGridworldParts(config) };
  return lastParts.parts;
}

/** One meta-iteration of a part (the `gridworld.partStep` job): the serial step on plain data. */
export async function runGridworldPartStep(args: GridworldPartArgs): Promise<PartProgress> {
  await selectBackend(args.backend as BackendChoice);
  if (args.from === null) throw new TypeError('gridworld.partStep: needs the state to step from');
  const r = partsFor(args.config).stepPart(args.part, unpackPart(args.from));
  return { iteration: r.state.iteration, values: r.values, state: packPart(r.state) };
}

type StageSchedule = Pick<ParallelStepOptions, 'localTasks' | 'chunks' | 'onStagesDone'>;

/**
 * How many of MAML's tasks stay in this thread each meta-iteration (the rest go to the
 * worker): starts at half and moves by one task when this thread waited longer than one of
 * its tasks takes (the worker is behind) or hardly at all (this thread is); then
 * `stagesDone` hands the worker its next job. Scheduling only.
 */
function stageBalancer(metaBatch: number, stagesDone: () => void): StageSchedule {
  let localTasks = Math.ceil(metaBatch / 2);
  let perTask = 0;
  return {
    chunks: 2,
    get localTasks() { return localTasks; },
    onStagesDone(localMs, waitMs) {
      if (localTasks > 0) perTask = localMs / localTasks;
      if (waitMs > perTask) localTasks = Math.min(metaBatch, localTasks + 1);
      else if (waitMs < 0.1 * perTask) localTasks = Math.max(0, localTasks - 1);
      stagesDone();
    },
  };
}

const isLog = (v: unknown): v is { log: string } => v !== null && typeof v === 'object' && typeof (v as { log?: unknown }).log === 'string';

/**
 * `trainAndReport` for a grid-world run with baselines, on this thread and one worker
 * (see the module comment). Returns the exit code (0, or 130 when interrupted); a unit that fails
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

  const onProgress = (i: number, value: unknown): void => {
    if (isLog(value)) { evalLog(value.log); return; }
    pending[i]!.push(value as PartProgress);
    mergeReady();
    if (ctx.stop.requested) pool.terminate(); // at once, not at the next poll
  };
  const unit = (part: GridworldPart, from: PackedPart | null, splits?: number[]): GridworldPartArgs =>
    ({ config, backend: ctx.backend, part, from, log: ctx.progress !== 'none', ...(splits !== undefined && { splits }) });
  // MAML's part in this thread, as a job of its own (the same code a worker runs).
  const here: JobContext = { index: 0, progress: (v) => onProgress(0, v), get cancelled() { return ctx.stop.requested; } };
  // One worker beside this thread (a third thread would only share the two cores and pay
  // another start-up). The baseline trains there one iteration per job, then evaluates the
  // pretrained and from-scratch policies. With jit, MAML's meta-iterations hand the same
  // worker part of their tasks' stages (the serial bits: mamlrl-parallel.ts), a share
  // balanced from measured times.
  const pool = createPool({ workers: 1, inThisThread: false, modules: [CLI_JOBS, ...(config.jit ? [RL_JOBS, GRIDWORLD_SETUP] : [])] });
  const watch = setInterval(() => { if (ctx.stop.requested) pool.terminate(); }, 25);
  const outcomes: JobOutcome<{ cells: EvalCell[] }>[] = [];
  let baselineFailure: JobOutcome<{ cells: EvalCell[] }> | null = null;
  try {
    // The baseline's iterations on the worker, one job each, sent the moment one is owed and
    // the last is back (synchronously: a job sent from a promise callback would wait for
    // this thread's next await, i.e. after the compiled meta-gradient).
    let baselineAt: PartState | null = split.pretrained;
    let owed = 0, inFlight = false;
    let baselineSettled: () => void = () => {};
    const baselineTrained = new Promise<void>((resolve) => { baselineSettled = resolve; });
    const baselineIdle = (): boolean => baselineAt === null || baselineAt.iteration >= total || ctx.stop.requested;
    const postBaseline = (): void => {
      if (baselineIdle()) { if (!inFlight) baselineSettled(); return; }
      if (inFlight || owed === 0) return;
      owed--;
      inFlight = true;
      void pool.run<PartProgress>([{ name: 'gridworld.partStep', args: unit('pretrained', packPart(baselineAt!)) }]).then(([step]) => {
        inFlight = false;
        if (!step!.ok) {
          baselineAt = null;
          if (!ctx.stop.requested) { baselineFailure = step!; pool.terminate(); }
        } else {
          onProgress(1, step!.value);
          baselineAt = unpackPart(step!.value.state);
        }
        postBaseline();
      }, () => { inFlight = false; baselineAt = null; postBaseline(); });
    };
    const oweBaseline = (steps: number): void => { owed += steps; postBaseline(); };
    // With jit the worker alternates: MAML's stages of iteration i, then the baseline's
    // iteration i, sent as the stages come back, so it runs while the compiled meta-gradient
    // runs here. Without jit the baseline runs ahead on its own.
    const schedule = config.jit ? stageBalancer(config.metaBatch, () => oweBaseline(1)) : undefined;
    if (!config.jit) oweBaseline(total);
    const mamlTrained = runGridworldPart(unit('maml', packPart(split.maml), []), here, config.jit ? pool : undefined, schedule);
    const maml = (async (): Promise<JobOutcome<{ cells: EvalCell[] }>[]> => {
      const trained = await mamlTrained;
      return [{ ok: true, value: await runGridworldPart(unit('maml', trained.state), here) }];
    })().catch((e: unknown) => {
      if (ctx.stop.requested || baselineFailure !== null) return [];
      pool.terminate();
      throw e;
    });
    const baseline = (async (): Promise<JobOutcome<{ cells: EvalCell[] }>[]> => {
      if (config.jit) {
        await mamlTrained.catch(() => undefined); // its failure is reported by `maml`
        oweBaseline(total); // whatever MAML's loop did not send (a resumed run's difference)
      }
      await baselineTrained;
      const b = baselineAt;
      if (b === null || ctx.stop.requested) return baselineFailure !== null ? [baselineFailure] : [];
      return await pool.run<{ cells: EvalCell[] }>([{ name: 'gridworld.part', args: unit('pretrained', packPart(b)) }], { onProgress: (_i, v) => onProgress(1, v) });
    })().catch((e: unknown) => {
      if (ctx.stop.requested) return [];
      throw e;
    });
    const [base, own] = await Promise.all([baseline, maml]);
    outcomes.push(...own, ...base);
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
