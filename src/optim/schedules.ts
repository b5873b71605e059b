/**
 * Learning-rate schedules: functions of the optimiser's 1-based step, which every
 * optimiser's `lr` accepts ({@link LearningRate}), `fusedAdam` included.
 *
 * Step s uses the count c = s − 1 of updates already applied, as optax counts them,
 * so the formulas read in c: a warmup starts at `initialLr` on the first update and a
 * cosine decay starts at `lr`.
 */
import type { LearningRate } from './optimizers.ts';

/**
 * A learning rate as a function of the 1-based step (what {@link LearningRate} accepts).
 * @example const schedule: Schedule = cosineDecay({ lr: 0.1, decaySteps: 1000 });
 */
export type Schedule = (step: number) => number;

function checkRate(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${op}: ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

function checkSteps(op: string, name: string, value: unknown, min: 0 | 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** The schedule with its argument checked: a step is an integer ≥ 1. */
function schedule(op: string, at: (count: number) => number): Schedule {
  return (step) => {
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`${op}: step must be an integer ≥ 1 (the optimiser's 1-based step), got ${step}`);
    return at(step - 1);
  };
}

/** `final + (lr − final)·(1 + cos(π·min(c, n)/n))/2`: the cosine half-wave from lr down to final over n counts. */
function cosineAt(lr: number, finalLr: number, decaySteps: number, count: number): number {
  return finalLr + (lr - finalLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(count, decaySteps) / decaySteps));
}

/** `initial + (lr − initial)·c/n` for c < n, then lr. */
function warmupAt(lr: number, initialLr: number, warmupSteps: number, count: number): number {
  return count >= warmupSteps ? lr : initialLr + (lr - initialLr) * (count / warmupSteps);
}

/** {@link cosineDecay}'s start and end rates and length. */
export interface CosineDecayOptions {
  /** The rate of the first step. */
  readonly lr: number;
  /** Updates over which the rate falls to `finalLr` (reached at step decaySteps + 1, then kept). */
  readonly decaySteps: number;
  /** Default 0. */
  readonly finalLr?: number;
}

/**
 * Cosine decay (Loshchilov & Hutter, SGDR, without restarts): at step s, with c = s − 1,
 * `finalLr + (lr − finalLr)·½(1 + cos(π·min(c, decaySteps)/decaySteps))`.
 *
 * @example
 * ```ts
 * const lr = cosineDecay({ lr: 0.1, decaySteps: 100, finalLr: 0.001 });
 * lr(1);   // 0.1
 * lr(101); // 0.001
 * const opt = sgd({ lr, momentum: 0.9 });
 * ```
 */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  const op = 'cosineDecay';
  const lr = checkRate(op, 'lr', options.lr);
  const finalLr = checkRate(op, 'finalLr', options.finalLr ?? 0);
  const decaySteps = checkSteps(op, 'decaySteps', options.decaySteps, 1);
  return schedule(op, (c) => cosineAt(lr, finalLr, decaySteps, c));
}

/** {@link linearWarmup}'s target rate, length and starting rate. */
export interface LinearWarmupOptions {
  /** The rate reached after the warmup (step warmupSteps + 1) and kept. */
  readonly lr: number;
  /** Updates over which the rate rises from `initialLr` to `lr`. */
  readonly warmupSteps: number;
  /** The first step's rate (default 0, as in optax and Hugging Face; the first update then does nothing). */
  readonly initialLr?: number;
}

/**
 * Linear warmup: at step s, with c = s − 1, `initialLr + (lr − initialLr)·c/warmupSteps`
 * while c < warmupSteps, then `lr`.
 *
 * @example
 * ```ts
 * const lr = linearWarmup({ lr: 1e-3, warmupSteps: 10, initialLr: 1e-4 });
 * lr(1);  // 1e-4
 * lr(11); // 1e-3
 * const opt = adam({ lr });
 * ```
 */
export function linearWarmup(options: LinearWarmupOptions): Schedule {
  const op = 'linearWarmup';
  const lr = checkRate(op, 'lr', options.lr);
  const initialLr = checkRate(op, 'initialLr', options.initialLr ?? 0);
  const warmupSteps = checkSteps(op, 'warmupSteps', options.warmupSteps, 1);
  return schedule(op, (c) => warmupAt(lr, initialLr, warmupSteps, c));
}

/** {@link warmupCosine}'s rates and phase lengths. */
export interface WarmupCosineOptions {
  /** The peak rate, reached at the end of the warmup. */
  readonly lr: number;
  /** Updates of linear warmup from `initialLr` (0 = no warmup: plain {@link cosineDecay}). */
  readonly warmupSteps: number;
  /** Updates of cosine decay after the warmup, down to `finalLr`. */
  readonly decaySteps: number;
  /** Default 0. */
  readonly initialLr?: number;
  /** Default 0. */
  readonly finalLr?: number;
}

/**
 * Linear warmup then cosine decay (optax's `warmup_cosine_decay_schedule`, with the
 * decay's length given on its own): with c = s − 1, the warmup's rate while
 * c < warmupSteps, then the cosine decay at count c − warmupSteps. The peak `lr` is
 * reached at step warmupSteps + 1 and `finalLr` at step warmupSteps + decaySteps + 1.
 *
 * @example
 * ```ts
 * const lr = warmupCosine({ lr: 3e-4, warmupSteps: 100, decaySteps: 900 });
 * lr(101);  // 3e-4, the peak
 * lr(1001); // 0
 * const opt = fusedAdam({ lr, kind: 'adamw' });
 * ```
 */
export function warmupCosine(options: WarmupCosineOptions): Schedule {
  const op = 'warmupCosine';
  const lr = checkRate(op, 'lr', options.lr);
  const initialLr = checkRate(op, 'initialLr', options.initialLr ?? 0);
  const finalLr = checkRate(op, 'finalLr', options.finalLr ?? 0);
  const warmupSteps = checkSteps(op, 'warmupSteps', options.warmupSteps, 0);
  const decaySteps = checkSteps(op, 'decaySteps', options.decaySteps, 1);
  return schedule(op, (c) => (c < warmupSteps
    ? warmupAt(lr, initialLr, warmupSteps, c)
    : cosineAt(lr, finalLr, decaySteps, c - warmupSteps)));
}
