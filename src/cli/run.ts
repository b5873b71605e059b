/**
 * The generic part of every training command: the training loop (progress, periodic
 * checkpoints, Ctrl-C), then evaluation, then `results.json`, `report.html` and the
 * final checkpoint in the output folder, and the summary (or `--json`) on stdout.
 */
import { join } from 'node:path';
import { saveCheckpoint, type Checkpoint } from '../io/checkpoint.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { State } from '../io/codec.ts';
import type { FigureSpec, GridRenderer, LineFigure } from '../report/figures.ts';
import { renderRunReport, type RunResults } from '../report/run-report.ts';
import { binCurve } from '../report/stats.ts';
import { formatValue } from '../report/svg.ts';
import type { Series } from '../report/line-chart.ts';
import { yieldToEventLoop, type StopSignal } from './interrupt.ts';
import { createProgress, type ProgressMode, type ProgressStream } from './progress.ts';
import { versions } from './runtime.ts';
import type { Evaluation, MetaJob, TrainState } from './job.ts';

/** File names inside the output folder. */
export const OUTPUT_FILES = { results: 'results.json', report: 'report.html', checkpoint: 'checkpoint.json' } as const;

/** How a command runs: where output goes and what the user asked for. */
export interface RunContext {
  /** The subcommand, e.g. `'sinusoid'`. */
  readonly command: string;
  /** The output folder (already created and checked writable). */
  readonly out: string;
  readonly json: boolean;
  readonly progress: ProgressMode;
  /** Save a checkpoint every this many iterations (0: only at the end). */
  readonly checkpointEvery: number;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly stop: StopSignal;
  /** The backend in use. */
  readonly backend: string;
  /** `Date.now()` when the command started. */
  readonly startedAt: number;
  /** Draws grid-world panels in the report. */
  readonly renderGrid?: GridRenderer;
}

/** Per-iteration values recorded during training, by name (`loss`, `pretrainedLoss`, …). */
export type Curves = Record<string, number[]>;

/** The training curves stored in a checkpoint's `extra` (gaps as NaN where missing). */
export function curvesOf(extra: State | undefined, iteration: number, key: string): Curves {
  const stored = (extra as { curves?: unknown } | null | undefined)?.curves;
  const out: Curves = {};
  if (stored && typeof stored === 'object') {
    for (const [name, values] of Object.entries(stored as Record<string, unknown>)) {
      if (Array.isArray(values) && values.every((v) => typeof v === 'number')) out[name] = values.slice(0, iteration) as number[];
    }
  }
  // A checkpoint without its curve still resumes; the missing part plots as a gap.
  if (!out[key] || out[key]!.length !== iteration) out[key] = new Array<number>(iteration).fill(NaN);
  return out;
}

/** The checkpoint of `job` at `state` with its training curves (what `trainAndReport` saves). */
export function checkpointOf(job: MetaJob, state: TrainState, curves: Curves): Checkpoint {
  return {
    kind: job.kind, iteration: state.iteration, config: job.config, rng: state.rng.state(),
    params: state.params, optimizer: state.optimizer, extra: { curves },
  };
}

/** The meta-training curve, binned to ≤ 100 points with 95% CI bands. */
export function trainingFigure(curves: Curves, job: MetaJob): LineFigure {
  const series: Series[] = Object.entries(curves).map(([name, values]) => {
    const x = values.map((_v, i) => i + 1);
    const b = binCurve(x, values, 100);
    const label = job.curve.names?.[name] ?? (name === job.curve.key ? String((job.config as { algorithm?: unknown }).algorithm ?? name) : name);
    return { name: label, x: b.x, y: b.mean, lo: b.lo, hi: b.hi };
  });
  return {
    type: 'line', title: 'Meta-training', xLabel: 'iteration', yLabel: job.curve.label, series,
    caption: 'Per-iteration values averaged in bins (at most 100), shaded: 95% CI of each bin\'s mean.',
  };
}

/** Training outcome handed to {@link writeOutputs}. */
export interface TrainingInfo {
  readonly iterations: number;
  readonly completed: number;
  readonly resumedFrom?: number;
  readonly curves: Curves;
}

/** A validated checkpoint to continue from (see `MetaJob.restore`). */
export interface Resume {
  readonly state: TrainState;
  readonly checkpoint: Checkpoint;
  readonly file: string;
}

/**
 * Runs (or resumes) training to `job.config.iterations`, evaluates, writes every output
 * and returns the exit code (0, or 130 when interrupted).
 */
export async function trainAndReport(job: MetaJob, ctx: RunContext, resume?: Resume): Promise<number> {
  const total = Number((job.config as { iterations?: unknown }).iterations);
  let state = resume ? resume.state : job.init();
  const curves = resume ? curvesOf(resume.checkpoint.extra, state.iteration, job.curve.key) : { [job.curve.key]: [] as number[] };
  const resumedFrom = resume ? state.iteration : undefined;
  const checkpointFile = join(ctx.out, OUTPUT_FILES.checkpoint);
  const progress = createProgress({ label: `${ctx.command} meta-train`, total, stream: ctx.stderr, mode: ctx.progress });
  if (resume) progress.log(`resuming from ${resume.file} at iteration ${state.iteration} of ${total}`);

  while (state.iteration < total && !ctx.stop.requested) {
    const r = job.step(state);
    state = r.state;
    (curves[job.curve.key] ??= []).push(r.value);
    for (const [name, v] of Object.entries(r.extra ?? {})) (curves[name] ??= new Array<number>(state.iteration - 1).fill(NaN)).push(v);
    progress.update(state.iteration, { [job.curve.key]: r.value });
    if (ctx.checkpointEvery > 0 && state.iteration % ctx.checkpointEvery === 0 && state.iteration < total) {
      saveCheckpoint(checkpointFile, checkpointOf(job, state, curves));
    }
    await yieldToEventLoop();
  }
  const interrupted = ctx.stop.requested;
  progress.finish(interrupted ? `interrupted at iteration ${state.iteration}` : undefined);
  saveCheckpoint(checkpointFile, checkpointOf(job, state, curves));

  const evaluation = interrupted ? null : await evaluate(job, state, ctx);
  const info: TrainingInfo = { iterations: total, completed: state.iteration, ...(resumedFrom !== undefined && { resumedFrom }), curves };
  const stopped = interrupted || evaluation?.complete === false;
  writeOutputs(job, ctx, info, evaluation, stopped, true);
  return stopped ? 130 : 0;
}

/** Evaluates with progress messages on stderr. */
export function evaluate(job: MetaJob, state: TrainState, ctx: RunContext): Promise<Evaluation> {
  const logLine = ctx.progress === 'none' ? (): void => {} : (m: string): void => { ctx.stderr.write(`${m}\n`); };
  const shouldStop = async (): Promise<boolean> => {
    await yieldToEventLoop();
    return ctx.stop.requested;
  };
  return job.evaluate(state, { log: logLine, shouldStop });
}

/** The fields every `results.json` starts with: what ran, when, how long, on what. */
export function runHeader(
  command: string, ctx: Pick<RunContext, 'startedAt' | 'backend'>, interrupted: boolean, seed: number,
): Pick<RunResults, 'command' | 'interrupted' | 'runtimeSeconds' | 'startedAt' | 'finishedAt' | 'seed' | 'backend' | 'versions'> {
  const now = Date.now();
  return {
    command,
    interrupted,
    runtimeSeconds: (now - ctx.startedAt) / 1000,
    startedAt: new Date(ctx.startedAt).toISOString(),
    finishedAt: new Date(now).toISOString(),
    seed,
    backend: ctx.backend,
    versions: versions(),
  };
}

/** Assembles `results.json` and `report.html` (atomically), prints the summary or JSON, returns the results. */
export function writeOutputs(
  job: MetaJob, ctx: RunContext, training: TrainingInfo, evaluation: Evaluation | null, interrupted: boolean, withCheckpoint: boolean,
): RunResults {
  const figures: Record<string, FigureSpec> = {};
  if (training.completed > 0) figures['meta-training'] = trainingFigure(training.curves, job);
  Object.assign(figures, evaluation?.figures ?? {});
  const config = job.config as Record<string, unknown>;
  const files: Record<string, string> = { results: OUTPUT_FILES.results, report: OUTPUT_FILES.report };
  if (withCheckpoint) files['checkpoint'] = OUTPUT_FILES.checkpoint;
  const results: RunResults = {
    ...runHeader(ctx.command, ctx, interrupted, Number(config['seed'] ?? 0)),
    config,
    training: { iterations: training.iterations, completed: training.completed, ...(training.resumedFrom !== undefined && { resumedFrom: training.resumedFrom }) },
    metrics: evaluation?.metrics ?? {},
    tables: evaluation?.tables ?? [],
    figures,
    files,
  };
  return emitResults(results, ctx);
}

/**
 * Writes `results.json` and `report.html` into `ctx.out` (atomically) and prints the
 * JSON (`--json`) or the summary on stdout. Returns `results`.
 */
export function emitResults<R extends RunResults>(results: R, ctx: Pick<RunContext, 'out' | 'json' | 'stdout' | 'renderGrid'>): R {
  const json = `${JSON.stringify(results, null, 1)}\n`;
  writeFileAtomic(join(ctx.out, OUTPUT_FILES.results), json);
  writeFileAtomic(join(ctx.out, OUTPUT_FILES.report), renderRunReport(results, ctx.renderGrid));
  if (ctx.json) ctx.stdout.write(json);
  else ctx.stdout.write(summaryText(results, ctx.out));
  return results;
}

/** The human-readable end-of-run summary printed on stdout without `--json`. */
export function summaryText(results: RunResults, out: string): string {
  const lines: string[] = [];
  if (results.interrupted) lines.push(`interrupted: results so far written (${results.training.completed}/${results.training.iterations} ${results.training.unit ?? 'iterations'})`);
  for (const t of results.tables) {
    lines.push(t.title);
    const rows = [t.header.map(String), ...t.rows.map((r) => r.map((c) => (typeof c === 'number' ? formatValue(c) : c ?? '–')))];
    const widths = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
    for (const r of rows) lines.push(`  ${r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ')}`);
  }
  lines.push(`wrote ${Object.values(results.files).map((f) => join(out, f)).join(', ')} in ${results.runtimeSeconds.toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
