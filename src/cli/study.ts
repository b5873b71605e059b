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
import { JobError } from '../parallel/errors.ts';
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
import {
  inShard, jsonRoundTrip, parseShard, shardFileName, shardJson, SHARD_FORMAT, SHARD_FORMAT_VERSION, type Shard, type ShardFile, type UnitResult,
} from './shard.ts';

/**
 * The options a study command adds: `--seeds`, `--workers`, `--shard` (a command that
 * has its own `--seeds` passes `{ seeds: false }`; one whose single run also uses the
 * workers says for what in `singleRun`).
 */
export function studyOptions(options: { seeds?: boolean; singleRun?: string } = {}): OptionSpec[] {
  const also = options.singleRun === undefined ? '' : ` and ${options.singleRun}`;
  const all: OptionSpec[] = [
    { name: 'seeds', type: 'int', min: 1, max: 10000, placeholder: 'N', description: 'run seeds seed … seed+N−1 as one study (results over seeds with 95% CIs)' },
    { name: 'workers', type: 'int', min: 1, max: 1024, placeholder: 'N', description: `worker threads for --seeds${also} (default: all cores; 1: in this thread)` },
    { name: 'shard', type: 'string', placeholder: 'I/N', description: 'run only shard I of N (I from 0) of --seeds and write a partial results file; combine with metagrad merge' },
  ];
  return options.seeds === false ? all.filter((o) => o.name !== 'seeds') : all;
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
  /**
   * The units in run order, when not every configuration × every seed in that order
   * (e.g. seed by seed, so that an interrupted run has every configuration on the same
   * seeds). Each unit's `config` is already its own (not passed to `unitConfig`).
   */
  units?(config: C): readonly Omit<StudyUnit<C>, 'index'>[];
  /** The config of one unit (e.g. the study's config with `seed` replaced). */
  unitConfig(config: C, seed: number): C;
  /** Progress units one unit reports in total (e.g. its iterations); `unit` is the unit's. */
  work(config: C, unit: StudyUnit<C>): number;
  /** Combines finished units (in unit order; fewer than all when interrupted). Required unless `assemble` is given. */
  combine?(config: C, units: readonly UnitResult<R>[], totalUnits: number): StudyOutcome;
  /**
   * Assembles the whole results.json instead of {@link studyResults}' shape (a study
   * that keeps the format it had before it ran on the pool). Same contract as `combine`.
   */
  assemble?(config: C, units: readonly UnitResult<R>[], totalUnits: number, header: StudyHeader): RunResults;
  /** What the units are called in messages (default: `'seed runs'`). */
  readonly unitNoun?: string;
  readonly renderGrid?: GridRenderer;
}

/** The common fields of results.json a study's results start with. */
export type StudyHeader = Pick<RunResults, 'command' | 'interrupted' | 'runtimeSeconds' | 'startedAt' | 'finishedAt' | 'seed' | 'backend' | 'versions'>;

/**
 * A progress message a unit may send (`ctx.progress({ log })`) besides its progress count:
 * a line printed above the progress bar (e.g. a finished replay's numbers).
 */
export interface UnitLog {
  readonly log: string;
}

const isUnitLog = (v: unknown): v is UnitLog => v !== null && typeof v === 'object' && typeof (v as UnitLog).log === 'string';

/** A unit that failed: which one, and the error naming its job and arguments. */
export interface UnitFailure {
  readonly index: number;
  readonly seed: number;
  readonly error: string;
}

/** `error` numbered as unit `index` of the whole study. */
function renumbered(error: JobError, index: number): JobError {
  return error.index === index ? error : new JobError(error.jobName, error.argsText, index, error.kind, error.reason, error.jobStack);
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
  if (def.units) return def.units(config).map((u, index) => ({ index, seed: u.seed, config: u.config }));
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

/**
 * Assembles a study's results from its finished units (shared by the run and by merge):
 * {@link StudyResults}, or the study's own shape when it has `assemble`.
 */
export function studyResults<C extends Record<string, unknown>, R>(
  def: StudyDefinition<C, R>, config: C, units: readonly UnitResult<R>[], totalUnits: number, header: StudyHeader,
): RunResults {
  if (def.assemble) return def.assemble(config, units, totalUnits, header);
  if (!def.combine) throw new TypeError(`study '${def.command}': needs combine or assemble`);
  const outcome = def.combine(config, units, totalUnits);
  const results: StudyResults = {
    ...header,
    config,
    training: { iterations: totalUnits, completed: units.length, unit: def.unitNoun ?? 'seed runs' },
    metrics: outcome.metrics,
    tables: outcome.tables,
    figures: outcome.figures,
    files: { results: OUTPUT_FILES.results, report: OUTPUT_FILES.report },
    ...(outcome.layout && { layout: outcome.layout }),
    study: { seeds: seedsOf(config), units: totalUnits, completed: units.length, ...outcome.data },
  };
  return results;
}

/**
 * Runs a study: its units (or one shard's) as jobs on a pool of `workers` (default:
 * all cores; 1 runs them in this thread), one progress bar summing every unit's work,
 * Ctrl-C ending every worker. Writes results.json and report.html, or with a shard its
 * partial results file. Returns the exit code (0, or 130 when interrupted). A unit that
 * fails does not stop the others: once they are done, what finished is written marked
 * `"interrupted": true` with the failures listed (`failures`), then the first failure's
 * {@link JobError} is thrown (exit 1, naming the job and its arguments). Nothing is
 * written when no unit finished.
 */
export async function runStudy<C extends Record<string, unknown>, R>(def: StudyDefinition<C, R>, run: StudyRun, ctx: StudyContext): Promise<number> {
  const config = run.config as C;
  const all = studyUnits(def, config);
  const mine = all.filter((u) => inShard(u.index, run.shard));
  const work = mine.map((u) => def.work(config, u));
  const noun = def.unitNoun ?? 'seed runs';
  const label = run.shard ? `${def.command} shard ${run.shard.index}/${run.shard.count}` : def.command;
  const workers = Math.max(1, Math.min(run.workers ?? availableCores(), mine.length));
  const progress = createProgress({ label, total: work.reduce((a, b) => a + b, 0), stream: ctx.stderr, mode: ctx.progress });
  progress.log(`${label}: ${mine.length} of ${all.length} ${noun} on ${workers === 1 ? 'this thread' : `${workers} workers`}`);
  const done = new Array<number>(mine.length).fill(0);
  let sum = 0;
  const pool = createPool({ workers, modules: def.modules ?? [CLI_JOBS] });
  const watch = setInterval(() => { if (ctx.stop.requested) pool.terminate(); }, 25);
  let outcomes;
  try {
    outcomes = await pool.run<R>(mine.map((u) => ({ name: def.job, args: { seed: u.seed, index: u.index, backend: ctx.backend, config: u.config } })), {
      onProgress: (i, value) => {
        if (isUnitLog(value)) { progress.log(value.log); return; }
        const v = Math.min(work[i]!, Number(value));
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
  const stopped = ctx.stop.requested;
  // The pool numbers jobs within this run's batch (a shard's share); messages number units in the whole study.
  const failed = outcomes.flatMap((o, i) => (!o.ok && o.error.kind !== 'cancelled' ? [{ unit: mine[i]!, error: renumbered(o.error, mine[i]!.index) }] : []));
  const finished: UnitResult<R>[] = [];
  // Values as a shard file gives them back: a merged run combines exactly the same data.
  outcomes.forEach((o, i) => { if (o.ok) finished.push({ index: mine[i]!.index, seed: mine[i]!.seed, value: jsonRoundTrip(o.value) }); });
  progress.finish(stopped ? `interrupted: ${finished.length} of ${mine.length} ${noun} finished`
    : failed.length > 0 ? `failed: ${failed.length} of ${mine.length} ${noun} (${finished.length} finished)` : undefined);
  if (failed.length > 0 && finished.length === 0 && !stopped) throw failed[0]!.error;
  const interrupted = stopped || failed.length > 0;
  const failures: UnitFailure[] = failed.map((f) => ({ index: f.unit.index, seed: f.unit.seed, error: f.error.message }));
  for (const f of failed.slice(1)) progress.log(`also failed: ${f.error.message}`);
  const header = runHeader(def.command, ctx, interrupted, Number(config['seed'] ?? 0));

  if (run.shard) {
    const file: ShardFile<R> = {
      format: SHARD_FORMAT, formatVersion: SHARD_FORMAT_VERSION, command: def.command, shard: run.shard, config,
      totalUnits: all.length, unitIndices: mine.map((u) => u.index), interrupted,
      backend: ctx.backend, versions: versions(), startedAt: header.startedAt, finishedAt: header.finishedAt, runtimeSeconds: header.runtimeSeconds,
      units: finished, ...(failures.length > 0 && { failures }),
    };
    const path = join(ctx.out, shardFileName(run.shard));
    const json = shardJson(file);
    writeFileAtomic(path, json);
    if (ctx.json) ctx.stdout.write(json);
    else ctx.stdout.write(`${interrupted ? 'interrupted: ' : ''}wrote ${path} (shard ${run.shard.index}/${run.shard.count}: ${finished.length} of ${mine.length} ${noun}) in ${header.runtimeSeconds.toFixed(1)} s; combine the shards with: metagrad merge ${ctx.out}\n`);
  } else {
    const results = studyResults(def, config, finished, all.length, header);
    emitResults(failures.length > 0 ? { ...results, failures } : results, { ...ctx, ...(def.renderGrid && { renderGrid: def.renderGrid }) });
  }
  if (failed.length > 0 && !stopped) throw failed[0]!.error;
  return interrupted ? 130 : 0;
}
