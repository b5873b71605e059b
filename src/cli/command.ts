/**
 * The shape of a subcommand, and the helpers every training command shares for
 * `--resume`: loading the checkpoint and reconciling its config with the options given.
 */
import type { CommandSpec, ParsedArgs } from './args.ts';
import { UsageError, camelCase } from './args.ts';
import type { StopSignal } from './interrupt.ts';
import type { ProgressStream } from './progress.ts';
import type { GridRenderer } from '../report/figures.ts';
import { loadCheckpoint, type Checkpoint } from '../io/checkpoint.ts';
import type { MetaJob } from './job.ts';
import type { Prepared } from './options.ts';
import type { Resume, RunContext } from './run.ts';

/** Streams and state a command runs with (injectable for tests). */
export interface CommandIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly stop: StopSignal;
  /** `Date.now()` at start. */
  readonly startedAt: number;
}

/** A subcommand: its option table and what it does. Returns the exit code. */
export interface Command {
  readonly spec: CommandSpec;
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

/** Config keys a resumed run may change: how long to train and how to evaluate. */
export const RESUMABLE_KEYS: ReadonlySet<string> = new Set(['iterations', 'evalSteps', 'evalTasks', 'evalEpisodes']);

/**
 * The config to resume with: the checkpoint's, with `iterations` and evaluation options
 * taken from the command line when given. Any other option given explicitly must agree
 * with the checkpoint (UsageError otherwise), so a resumed run is the same experiment.
 */
export function resumeConfig<C extends Record<string, unknown>>(fresh: C, saved: unknown, args: ParsedArgs, file: string): C {
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) {
    throw new UsageError(`checkpoint ${file}: has no usable config`);
  }
  const merged: Record<string, unknown> = { ...fresh, ...(saved as Record<string, unknown>) };
  for (const key of Object.keys(fresh)) {
    if (!args.given.has(key)) continue;
    if (RESUMABLE_KEYS.has(key)) { merged[key] = fresh[key]; continue; }
    if (JSON.stringify(fresh[key]) !== JSON.stringify(merged[key])) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new UsageError(
        `${flag} ${JSON.stringify(fresh[key])} differs from the checkpoint's ${JSON.stringify(merged[key])}; drop ${flag} to resume ${file}, or start a new run without --resume`,
      );
    }
  }
  return merged as C;
}

/** Loads and validates `--resume FILE` for `createJob` (errors are exit-2 input errors). */
export function loadResume<C extends Record<string, unknown>>(
  kind: string, file: string, fresh: C, args: ParsedArgs, createJob: (config: C) => MetaJob, absentKeys: Partial<C> = {},
): { job: MetaJob; resume: Resume } {
  const checkpoint: Checkpoint = loadCheckpoint(file, { kind });
  // Keys an older checkpoint lacks mean what they meant when it was written (`absentKeys`).
  const saved = checkpoint.config !== null && typeof checkpoint.config === 'object' && !Array.isArray(checkpoint.config)
    ? { ...absentKeys, ...(checkpoint.config as Record<string, unknown>) } : checkpoint.config;
  const config = resumeConfig(fresh, saved, args, file);
  const job = createJob(config);
  const state = job.restore(checkpoint, file);
  if (state.iteration > Number(config['iterations'])) {
    throw new UsageError(`checkpoint ${file} is at iteration ${state.iteration}, past --iterations ${String(config['iterations'])}; pass a larger --iterations`);
  }
  return { job, resume: { state, checkpoint, file } };
}

/** The run context for a prepared command. */
export function runContext(command: string, prepared: Prepared, args: ParsedArgs, io: CommandIO, renderGrid?: GridRenderer): RunContext {
  return {
    command, out: prepared.out, json: prepared.json, progress: prepared.progress,
    checkpointEvery: Number(args.values[camelCase('checkpoint-every')] ?? 0),
    stdout: io.stdout, stderr: io.stderr, stop: io.stop, backend: prepared.backend, startedAt: io.startedAt,
    ...(renderGrid && { renderGrid }),
  };
}
