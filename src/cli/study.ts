/**
 * The shared runner of multi-seed studies (`--seeds N`, `--workers N`, `--shard i/n`):
 * the study is a list of units (configurations × seeds), each a registered job run on
 * the worker pool; values come back in unit order and are combined by the study into
 * `results.json` and `report.html`, so any number of workers or shards (after `metagrad
 * merge`) gives the same file apart from timings. A study adopts this with one
 * {@link StudyDefinition} and one registered unit job (see `jobs/registry.ts`).
 */
import { join } from 'node:path';
import { createPool } from '../parallel/pool.ts';
import { availableCores } from '../parallel/cores.ts';
import type { JobError } from '../parallel/errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { FigureSpec, GridRenderer } from '../report/figures.ts';
import type { ReportSection, RunResults, SummaryTable } from '../report/run-report.ts';
import { UsageError, type OptionSpec, type ParsedArgs } from './args.ts';
import type { CommandIO } from './command.ts';
import { CLI_JOBS } from './jobs/registry.ts';
import type { Prepared } from './options.ts';
import { createProgress } from './progress.ts';
import { emitResults, OUTPUT_FILES, runHeader } from './run.ts';
import { versions } from './runtime.ts';
import { inShard, parseShard, shardFileName, SHARD_FORMAT, SHARD_FORMAT_VERSION, type Shard, type ShardFile, type UnitResult } from './shard.ts';

/** The options a study command adds: `--seeds`, `--workers`, `--shard`. */
export function studyOptions(): OptionSpec[] {
  return [
    { name: 'seeds', type: 'int', min: 1, max: 10000, placeholder: 'N', description: 'run seeds seed … seed+N−1 as one study (results over seeds with 95% CIs)' },
    { name: 'workers', type: 'int', min: 1, max: 1024, placeholder: 'N', description: 'worker threads for --seeds (default: all cores; 1: in this thread)' },
    { name: 'shard', type: 'string', placeholder: 'I/N', description: 'run only shard I of N (I from 0) of --seeds and write a partial results file; combine with metagrad merge' },
  ];
}

/** One unit of a study: its index among all units, the seed and the configuration it runs. */
export interface StudyUnit<C> {
  readonly index: number;
  readonly seed: number;
  readonly config: C;
}

/** What a study combines its unit values into (the study-specific part of results.json). */
export interface StudyOutcome {
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly tables: readonly SummaryTable[];
  readonly figures: Readonly<Record<string, FigureSpec>>;
  readonly layout?: readonly ReportSection[];
  /** More data for results.json under `study` (per-seed numbers, …). */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * A study: how its config splits into units, the job that runs one unit, and how the
 * values of finished units combine. `combine` must depend only on the config and the
 * values in unit order (never on timings or on how the units were run).
 */
export interface StudyDefinition<C extends Record<string, unknown>, R> {
  /** The command, e.g. `'gridworld'` (also the key `metagrad merge` finds the study by). */
  readonly command: string;
  /** The registered unit job (see `jobs/registry.ts`). */
  readonly job: string;
  /** The modules that register `job` (default: the CLI's registry, `CLI_JOBS`). */
  readonly modules?: readonly string[];
  /** The configurations the seeds run with (default: the config itself). */
  configurations?(config: C): readonly C[];
  /** The config of one unit (e.g. the study's config with `seed` replaced). */
  unitConfig(config: C, seed: number): C;
  /** Progress units one unit reports in total (e.g. its iterations). */
  work(config: C): number;
  /** Combines finished units (in unit order; fewer than all when interrupted). */
  combine(config: C, units: readonly UnitResult<R>[], totalUnits: number): StudyOutcome;
  readonly renderGrid?: GridRenderer;
}

/** How a study was asked to run. */
export interface StudyRun {
  /** The study's full config, including `seed` (the first) and `seeds`. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly workers?: number;
  readonly shard?: Shard;
}

/** `--workers` and `--shard` from parsed options (`--shard` checked). */
export function studyRunOptions(args: ParsedArgs): { workers?: number; shard?: Shard } {
  const workers = args.values['workers'] as number | undefined;
  const shard = args.values['shard'] as string | undefined;
  return { ...(workers !== undefined && { workers }), ...(shard !== undefined && { shard: parseShard(shard) }) };
}

/** Whether the options ask for a study run rather than one training run. */
export function isStudyRun(args: ParsedArgs): boolean {
  return args.given.has('seeds') || args.given.has('shard');
}

/** Rejects options that only make sense for a single run (`--resume`, `--checkpoint-every`). */
export function checkStudyOptions(args: ParsedArgs): void {
  for (const key of ['resume', 'checkpointEvery'] as const) {
    if (args.given.has(key)) {
      const flag = key === 'resume' ? '--resume' : '--checkpoint-every';
      throw new UsageError(`${flag} applies to a single run; drop it, or drop --seeds/--shard (a study run writes no checkpoint)`);
    }
  }
}

/** Every unit of a study, in order: configurations, then seeds within each. */
export function studyUnits<C extends Record<string, unknown>>(def: StudyDefinition<C, unknown>, config: C): StudyUnit<C>[] {
  const seeds = seedsOf(config);
  const configs = def.configurations?.(config) ?? [config];
  return configs.flatMap((c, ci) => seeds.map((seed, si) => ({ index: ci * seeds.length + si, seed, config: def.unitConfig(c, seed) })));
}

/** The seeds of a study config: `seed`, `seed + 1`, … (`seeds` of them). */
export function seedsOf(config: Readonly<Record<string, unknown>>): number[] {
  const first = Number(config['seed'] ?? 0), n = Number(config['seeds'] ?? 1);
  return Array.from({ length: n }, (_v, i) => first + i);
}

/** Where a study writes and what it listens to. */
export type StudyContext = Prepared & Pick<CommandIO, 'stdout' | 'stderr' | 'stop' | 'startedAt'>;

/** `results.json` of a study: the common fields plus `study` (seeds, units, per-seed data). */
export interface StudyResults extends RunResults {
  readonly study: Readonly<Record<string, unknown>> & { readonly seeds: readonly number[]; readonly units: number; readonly completed: number };
}

/** Assembles a study's results from its finished units (shared by the run and by merge). */
export function studyResults<C extends Record<string, unknown>, R>(
  def: StudyDefinition<C, R>, config: C, units: readonly UnitResult<R>[], totalUnits: number,
  header: Pick<RunResults, 'command' | 'interrupted' | 'runtimeSeconds' | 'startedAt' | 'finishedAt' | 'seed' | 'backend' | 'versions'>,
): StudyResults {
  const outcome = def.combine(config, units, totalUnits);
  return {
    ...header,
    config,
    training: { iterations: totalUnits, completed: units.length, unit: 'seed runs' },
    metrics: outcome.metrics,
    tables: outcome.tables,
    figures: outcome.figures,
    files: { results: OUTPUT_FILES.results, report: OUTPUT_FILES.report },
    ...(outcome.layout && { layout: outcome.layout }),
    study: { seeds: seedsOf(config), units: totalUnits, completed: units.length, ...outcome.data },
  };
}

/**
 * Runs a study: its units (or one shard's) as jobs on a pool of `workers` (default:
 * all cores; 1 runs them in this thread), one progress bar summing every unit's work,
 * Ctrl-C ending every worker. Writes results.json and report.html, or with a shard its
 * partial results file. Returns the exit code (0, or 130 when interrupted); a unit that
 * fails throws its {@link JobError} (exit 1, naming the job and its seed).
 */
export async function runStudy<C extends Record<string, unknown>, R>(def: StudyDefinition<C, R>, run: StudyRun, ctx: StudyContext): Promise<number> {
  const config = run.config as C;
  const all = studyUnits(def, config);
  const mine = all.filter((u) => inShard(u.index, run.shard));
  const perUnit = def.work(config);
  const label = run.shard ? `${def.command} shard ${run.shard.index}/${run.shard.count}` : def.command;
  const workers = Math.max(1, Math.min(run.workers ?? availableCores(), mine.length));
  const progress = createProgress({ label, total: mine.length * perUnit, stream: ctx.stderr, mode: ctx.progress });
  progress.log(`${label}: ${mine.length} of ${all.length} seed runs on ${workers === 1 ? 'this thread' : `${workers} workers`}`);
  const done = new Array<number>(mine.length).fill(0);
  let sum = 0;
  const pool = createPool({ workers, modules: def.modules ?? [CLI_JOBS] });
  const watch = setInterval(() => { if (ctx.stop.requested) pool.terminate(); }, 25);
  let outcomes;
  try {
    outcomes = await pool.run<R>(mine.map((u) => ({ name: def.job, args: { seed: u.seed, index: u.index, backend: ctx.backend, config: u.config } })), {
      onProgress: (i, value) => {
        const v = Math.min(perUnit, Number(value));
        sum += v - done[i]!;
        done[i] = v;
        progress.update(sum);
        if (ctx.stop.requested) pool.terminate(); // at once, not at the next poll
      },
    });
  } finally {
    clearInterval(watch);
    pool.terminate();
  }
  const interrupted = ctx.stop.requested;
  const failure = outcomes.find((o): o is { ok: false; error: JobError } => !o.ok && o.error.kind !== 'cancelled');
  progress.finish(interrupted ? `interrupted: ${outcomes.filter((o) => o.ok).length} of ${mine.length} seed runs finished` : failure ? 'failed' : undefined);
  if (failure && !interrupted) throw failure.error;
  const finished: UnitResult<R>[] = [];
  // Values as JSON would give them back (NaN → null, …): a merged run combines exactly the same data.
  outcomes.forEach((o, i) => { if (o.ok) finished.push({ index: mine[i]!.index, seed: mine[i]!.seed, value: JSON.parse(JSON.stringify(o.value)) as R }); });
  const header = runHeader(def.command, ctx, interrupted, Number(config['seed'] ?? 0));

  if (run.shard) {
    const file: ShardFile<R> = {
      format: SHARD_FORMAT, formatVersion: SHARD_FORMAT_VERSION, command: def.command, shard: run.shard, config,
      totalUnits: all.length, unitIndices: mine.map((u) => u.index), interrupted,
      backend: ctx.backend, versions: versions(), startedAt: header.startedAt, finishedAt: header.finishedAt, runtimeSeconds: header.runtimeSeconds,
      units: finished,
    };
    const path = join(ctx.out, shardFileName(run.shard));
    const json = `${JSON.stringify(file, null, 1)}\n`;
    writeFileAtomic(path, json);
    if (ctx.json) ctx.stdout.write(json);
    else ctx.stdout.write(`${interrupted ? 'interrupted: ' : ''}wrote ${path} (shard ${run.shard.index}/${run.shard.count}: ${finished.length} of ${mine.length} seed runs) in ${header.runtimeSeconds.toFixed(1)} s; combine the shards with: metagrad merge ${ctx.out}\n`);
    return interrupted ? 130 : 0;
  }
  emitResults(studyResults(def, config, finished, all.length, header), { ...ctx, ...(def.renderGrid && { renderGrid: def.renderGrid }) });
  return interrupted ? 130 : 0;
}
