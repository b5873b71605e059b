/**
 * One unit of the continual study (`continual.run`): one learner replaying the stream of
 * one seed of one experiment, exactly as `runExperiment` replays it, reporting stream
 * steps as progress and the finished replay's numbers as a log line.
 */
import type { JobContext } from '../../parallel/types.ts';
import { runStream, type RunResult } from '../../continual/experiment.ts';
import { continualExperiment, type ExperimentName, type ExperimentOptions, type LearnerKey } from '../../continual/experiments.ts';
import { formatValue } from '../../report/svg.ts';
import { selectBackend, type BackendChoice } from '../runtime.ts';
import type { UnitLog } from '../study.ts';

/** The config of one replay. */
export interface ContinualUnitConfig {
  readonly [key: string]: unknown;
  readonly problem: ExperimentName;
  readonly learner: LearnerKey;
  readonly seed: number;
  /** Stream length and switching period, or null for the experiment's defaults. */
  readonly steps: number | null;
  readonly period: number | null;
  /** The shorter schedule of `scripts/continual.ts --quick` (ignored with steps or period). */
  readonly quick?: boolean;
}

/** The unit job's arguments: plain data. */
export interface ContinualUnitArgs {
  readonly seed: number;
  readonly index: number;
  readonly backend: string;
  readonly config: ContinualUnitConfig;
}

/** What one replay gives back: which experiment and learner, and the replay's run. */
export interface ContinualReplay {
  readonly problem: ExperimentName;
  readonly key: LearnerKey;
  readonly result: RunResult;
}

/** The experiment options of a config (`--steps`, `--period`, the script's `--quick`). */
export function experimentOptions(config: { readonly steps: number | null; readonly period: number | null; readonly quick?: unknown }): ExperimentOptions {
  return {
    ...(config.steps !== null && { steps: config.steps }), ...(config.period !== null && { period: config.period }), ...(config.quick === true && { quick: true }),
  };
}

/** Thrown inside a cancelled in-process unit (the pool has already settled it as cancelled). */
class Cancelled extends Error {}

/** Replays the stream of `config.seed` against a fresh `config.learner`. */
export async function runContinualUnit(args: ContinualUnitArgs, ctx: JobContext): Promise<ContinualReplay> {
  await selectBackend(args.backend as BackendChoice);
  const c = args.config;
  const exp = continualExperiment(c.problem, experimentOptions(c));
  // The learners of a seed are built independently of one another, so one alone is the same learner.
  const { key, learner } = exp.learners(c.seed, [c.learner])[0]!;
  let steps = 0;
  const result = runStream(learner, {
    stream: exp.stream(c.seed), sampleTask: (type, s) => exp.sampleTask(type, s), numTypes: exp.typeNames.length, evalTasks: exp.evalTasks,
    onStep: () => {
      if (ctx.cancelled) throw new Cancelled('cancelled');
      ctx.progress(++steps);
    },
  });
  const m = result.metrics;
  const log: UnitLog = { log: `${c.problem} seed ${c.seed} ${result.learner}: ${result.seconds.toFixed(1)} s, ACC ${formatValue(m.averagePerformance, 3)}, BWT ${formatValue(m.backwardTransfer, 3)}, forgetting ${formatValue(m.forgetting, 3)}, clusters ${m.clusters}` };
  ctx.progress(log);
  return { problem: c.problem, key, result };
}
