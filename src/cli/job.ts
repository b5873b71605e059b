/**
 * What the CLI's generic runner (`./run.ts`) needs from a meta-learning job: a
 * resumable training state, one training step, and an evaluation that produces the
 * report's numbers. `jobs/sinusoid.ts` and `jobs/gridworld.ts` adapt the library's
 * learners to this.
 */
import type { Rng } from '../random/rng.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import type { Json, State } from '../io/codec.ts';
import type { FigureSpec } from '../report/figures.ts';
import type { SummaryTable } from '../report/run-report.ts';

/** Everything that changes during training; exactly what a checkpoint stores. */
export interface TrainState {
  /** Completed iterations. */
  readonly iteration: number;
  /** Meta-parameters (a tree of tensors). */
  readonly params: State;
  /** Outer optimiser state (plain data). */
  readonly optimizer: State;
  /** The training generator (task sampling, rollouts); advanced in place by `step`. */
  readonly rng: Rng;
}

/** The result of one meta-iteration. */
export interface StepResult {
  readonly state: TrainState;
  /** The value plotted as the training curve (meta-loss, or mean return). */
  readonly value: number;
  /** Other per-iteration values worth a curve (e.g. the baseline's loss on the same tasks). */
  readonly extra?: Readonly<Record<string, number>>;
}

/** Lets a long evaluation report progress and stop early on Ctrl-C. */
export interface EvalContext {
  /** Progress messages (stderr). */
  log(message: string): void;
  /**
   * Yields to the event loop (so a Ctrl-C can register), then resolves true once the
   * user asked to stop: return what has been computed. Await it between units of work.
   */
  shouldStop(): Promise<boolean>;
}

/** Numbers, tables and figures of an evaluation. */
export interface Evaluation {
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly tables: readonly SummaryTable[];
  readonly figures: Readonly<Record<string, FigureSpec>>;
  /** False when cut short by Ctrl-C. */
  readonly complete: boolean;
}

/** How the training curve is labelled. */
export interface CurveLabel {
  /** Short key for progress lines, e.g. `'loss'` or `'return'`. */
  readonly key: string;
  /** Axis label, e.g. `'meta-loss (query MSE after adaptation)'`. */
  readonly label: string;
  /** Legend names of the curves by key (the main one and `StepResult.extra` keys). */
  readonly names?: Readonly<Record<string, string>>;
}

/** A meta-learning job for the CLI. `C` is its JSON configuration. */
export interface MetaJob<C extends Json = Json> {
  /** Also the checkpoint kind, e.g. `'sinusoid'`. */
  readonly kind: string;
  readonly config: C;
  readonly curve: CurveLabel;
  /** Fresh parameters, optimiser state and generator from `config` (seeded). */
  init(): TrainState;
  /** One meta-iteration (pure apart from advancing `state.rng`). */
  step(state: TrainState): StepResult;
  /** Validates a checkpoint against this job's model and returns its state; throws a CheckpointError. */
  restore(checkpoint: Checkpoint, file: string): TrainState;
  /** Evaluates adaptation; may be cut short through `ctx.shouldStop()`. */
  evaluate(state: TrainState, ctx: EvalContext): Promise<Evaluation>;
}
