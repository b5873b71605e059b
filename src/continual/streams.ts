/**
 * Task streams for continual meta-learning: which task *type* is active at each step.
 *
 * A stream is a schedule over integer type ids (indices into whatever list of task
 * families the experiment uses: grid-world goal regions, sinusoids, lines, ...). It is
 * built in three layers, each seeded and reproducible:
 *
 * 1. switching among a pool of types, either periodically (A, B, A, B, ... every
 *    `period` steps) or at random (stay with probability `stayProbability`, otherwise
 *    move to another type of the pool, uniformly);
 * 2. arrivals: a new type joins the pool at a given step and is visited at once;
 * 3. out-of-distribution injections: short bursts of OOD types overlaid on the
 *    schedule (the schedule keeps running underneath).
 *
 * Every step carries its own task seed, so a task instance is a pure function of
 * (stream, step): replaying one stream against several learners shows each the same
 * tasks. The flags on a step (`switched`, `firstVisit`, `ood`) are ground truth for
 * metrics; the runner hands them to a learner only when told to announce switches.
 */
import { Rng } from '../random/rng.ts';

/** How the active type changes within the pool. */
export type Switching =
  /** Cycle through the pool in order, `period` steps per visit. */
  | { readonly kind: 'periodic'; readonly period: number }
  /**
   * After each step stay with probability `stayProbability`, otherwise switch to a
   * uniformly chosen *other* type of the pool. Visits last at least `minStay` steps
   * (default 1), so mean visit length is `minStay − 1 + 1 / (1 − stayProbability)`.
   */
  | { readonly kind: 'random'; readonly stayProbability: number; readonly minStay?: number };

/** A new type joining the pool. */
export interface Arrival {
  /** Step at which the type first appears (it is visited from this step on). */
  readonly at: number;
  readonly type: number;
}

/** Bursts of out-of-distribution types overlaid on the schedule. */
export interface OodInjection {
  /** Type ids of the OOD families (drawn uniformly per burst). */
  readonly types: readonly number[];
  /** Steps at which bursts start. */
  readonly at?: readonly number[];
  /** Alternatively, per-step probability of starting a burst (outside bursts). Default 0. */
  readonly probability?: number;
  /** Steps per burst. Default 1. */
  readonly length?: number;
}

/** The schedule {@link taskStream} builds: length, type pool, switching, arrivals, OOD bursts, seed. */
export interface StreamOptions {
  /** Number of steps. */
  readonly length: number;
  /** The initial pool of type ids, in cycle order. Default [0, 1]. */
  readonly types?: readonly number[];
  /** Default `{ kind: 'periodic', period: 20 }`. */
  readonly switching?: Switching;
  readonly arrivals?: readonly Arrival[];
  readonly ood?: OodInjection;
  /** Seeds the switching, the OOD bursts and the per-step task seeds. Default 0. */
  readonly seed?: number;
}

/** One step of a stream: ground truth the learner is not shown unless switches are announced. */
export interface StreamStep {
  readonly t: number;
  readonly type: number;
  /** Index of the segment (maximal run of one type) this step belongs to. */
  readonly segment: number;
  /** The type differs from the previous step's (true at t = 0). */
  readonly switched: boolean;
  /** The first step of this type in the whole stream. */
  readonly firstVisit: boolean;
  /** The step belongs to an OOD burst. */
  readonly ood: boolean;
  /** Seeds the task instance of this step (a 32-bit unsigned integer). */
  readonly seed: number;
}

/** A maximal run of consecutive steps of one type. */
export interface Segment {
  readonly index: number;
  readonly type: number;
  readonly start: number;
  readonly length: number;
  readonly ood: boolean;
  /** The type was seen in an earlier segment (a switch *back*). */
  readonly returning: boolean;
}

/** A seeded stream of typed steps with its segments; replay it with {@link runStream}. */
export interface TaskStream {
  readonly steps: readonly StreamStep[];
  readonly segments: readonly Segment[];
  /** Type ids in order of first appearance. */
  readonly types: readonly number[];
  readonly options: StreamOptions;
}

function checkInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`taskStream: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/**
 * Generates a seeded task stream; see the module comment.
 *
 * @example
 * ```ts
 * // A/B every 10 steps, C arriving at step 40, one 2-step OOD burst at step 25.
 * const stream = taskStream({
 *   length: 60, types: [0, 1], switching: { kind: 'periodic', period: 10 },
 *   arrivals: [{ at: 40, type: 2 }], ood: { types: [3], at: [25], length: 2 }, seed: 1,
 * });
 * stream.steps.map((s) => s.type).join('');
 * // '000000000011111111110000033000111111111122222222220000000000'
 * stream.segments.filter((s) => s.returning).length; // switches back to a known type
 * ```
 */
export function taskStream(options: StreamOptions): TaskStream {
  const length = checkInt('length', options.length, 1);
  const pool = [...(options.types ?? [0, 1])];
  if (pool.length === 0) throw new RangeError('taskStream: types must hold at least one type id');
  const switching = options.switching ?? { kind: 'periodic', period: 20 };
  if (switching.kind === 'periodic') checkInt('period', switching.period, 1);
  else {
    const p = switching.stayProbability;
    if (!(p >= 0 && p < 1)) throw new RangeError(`taskStream: stayProbability must be in [0, 1), got ${p}`);
    checkInt('minStay', switching.minStay ?? 1, 1);
  }
  const arrivals = [...(options.arrivals ?? [])].sort((a, b) => a.at - b.at);
  for (const a of arrivals) {
    checkInt('arrival step', a.at, 0);
    if (pool.includes(a.type)) throw new RangeError(`taskStream: arriving type ${a.type} is already in the pool`);
  }
  const rng = new Rng(options.seed ?? 0);
  const switchRng = rng.split();
  const oodRng = rng.split();
  const seedRng = rng.split();

  // Layer 1 and 2: the base schedule over the (growing) pool.
  const base = new Array<number>(length);
  let current = pool[0]!;
  let stayed = 0; // steps spent in the current visit so far
  let nextArrival = 0;
  for (let t = 0; t < length; t++) {
    const arrival = arrivals[nextArrival];
    if (arrival && arrival.at === t) {
      pool.push(arrival.type);
      current = arrival.type;
      stayed = 0;
      nextArrival++;
    } else if (t > 0) {
      if (switching.kind === 'periodic') {
        if (stayed >= switching.period) {
          current = pool[(pool.indexOf(current) + 1) % pool.length]!;
          stayed = 0;
        }
      } else if (pool.length > 1 && stayed >= (switching.minStay ?? 1) && switchRng.uniform() >= switching.stayProbability) {
        const others = pool.filter((type) => type !== current);
        current = others[switchRng.int(others.length)]!;
        stayed = 0;
      }
    }
    base[t] = current;
    stayed++;
  }

  // Layer 3: OOD bursts overlaid on the schedule.
  const isOod = new Uint8Array(length);
  const types = base.slice();
  const ood = options.ood;
  if (ood) {
    if (ood.types.length === 0) throw new RangeError('taskStream: ood.types must hold at least one type id');
    const burst = checkInt('ood.length', ood.length ?? 1, 1);
    const probability = ood.probability ?? 0;
    if (!(probability >= 0 && probability <= 1)) throw new RangeError(`taskStream: ood.probability must be in [0, 1], got ${probability}`);
    const starts = new Set(ood.at ?? []);
    for (let t = 0; t < length; t++) {
      // Draw every step so that the OOD layer never shifts the other layers' randomness.
      const u = oodRng.uniform();
      const pick = ood.types[oodRng.int(ood.types.length)]!;
      if (isOod[t] || !(starts.has(t) || u < probability)) continue;
      for (let k = t; k < Math.min(length, t + burst); k++) {
        isOod[k] = 1;
        types[k] = pick;
      }
    }
  }

  const steps: StreamStep[] = [];
  const segments: Segment[] = [];
  const seen = new Set<number>();
  const order: number[] = [];
  for (let t = 0; t < length; t++) {
    const type = types[t]!;
    const switched = t === 0 || type !== types[t - 1];
    const firstVisit = !seen.has(type);
    if (switched) {
      segments.push({ index: segments.length, type, start: t, length: 0, ood: isOod[t] === 1, returning: !firstVisit });
    }
    if (firstVisit) { seen.add(type); order.push(type); }
    const segment = segments.length - 1;
    const last = segments[segment]!;
    segments[segment] = { ...last, length: last.length + 1 };
    steps.push({ t, type, segment, switched, firstVisit, ood: isOod[t] === 1, seed: seedRng.nextUint32() });
  }
  return { steps, segments, types: order, options };
}

/** Summary statistics of a stream's switching (for tests and reports). */
export interface StreamStatistics {
  /** Type changes between consecutive steps. */
  readonly switches: number;
  /** Segments that return to a type seen before. */
  readonly returns: number;
  readonly meanSegmentLength: number;
  /** Fraction of steps per type id. */
  readonly occupancy: ReadonlyMap<number, number>;
  readonly oodSteps: number;
}

/**
 * Counts switches, returns and occupancy of a stream.
 *
 * @example
 * ```ts
 * const stats = streamStatistics(taskStream({ length: 10000, switching: { kind: 'random', stayProbability: 0.9 } }));
 * stats.meanSegmentLength; // ≈ 10 = 1 / (1 − 0.9)
 * ```
 */
export function streamStatistics(stream: TaskStream): StreamStatistics {
  const counts = new Map<number, number>();
  for (const s of stream.steps) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
  const n = stream.steps.length;
  return {
    switches: stream.segments.length - 1,
    returns: stream.segments.filter((s) => s.returning).length,
    meanSegmentLength: n / stream.segments.length,
    occupancy: new Map([...counts].map(([type, c]) => [type, c / n])),
    oodSteps: stream.steps.filter((s) => s.ood).length,
  };
}

/**
 * The stream as one character per step (type ids 0–9, then letters), for logs and tests.
 * @example streamString(taskStream({ length: 6, switching: { kind: 'periodic', period: 2 } })) // '001100'
 */
export function streamString(stream: TaskStream): string {
  return stream.steps.map((s) => s.type.toString(36)).join('');
}
