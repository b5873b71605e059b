/**
 * Continual-learning metrics over a performance matrix and an online record.
 *
 * `R[i][j]` is the performance on task (type) `j` after training through stage `i`
 * (higher is better; scores are best normalised so that 0 is chance level). In the
 * setting of GEM (Lopez-Paz & Ranzato, "Gradient Episodic Memory for Continual
 * Learning", NeurIPS 2017) stage `i` trains task `i` and R is square; streams revisit
 * types, so every function also takes `stageTypes[i]`, the type trained in stage `i`,
 * and reduces to GEM's definition when `stageTypes[i] = i`:
 *
 * - average performance  ACC = mean_j R[T−1][j] over trained types;
 * - backward transfer    BWT = mean_j (R[T−1][j] − R[last_j][j]) over types whose last
 *   training stage `last_j` is not the final stage (negative = forgetting);
 * - forward transfer     FWT = mean_j (R[first_j − 1][j] − b_j) over types first trained
 *   after stage 0, against the performance `b_j` of the initial model;
 * - forgetting (Chaudhry et al., "Riemannian Walk for Incremental Learning", ECCV 2018)
 *   mean_j max_{first_j ≤ l < T−1} R[l][j] − R[T−1][j], over the same types as BWT.
 */

/** Per-stage trained type; the identity (GEM's square case) when omitted. */
function stagesOf(R: readonly (readonly number[])[], stageTypes?: readonly number[]): readonly number[] {
  if (R.length === 0) throw new RangeError('continual metrics: R has no rows');
  if (stageTypes === undefined) {
    if (R.some((row) => row.length < R.length)) throw new RangeError('continual metrics: without stageTypes, R must be square (stage i trains task i)');
    return R.map((_, i) => i);
  }
  if (stageTypes.length !== R.length) throw new RangeError(`continual metrics: ${stageTypes.length} stage types for ${R.length} rows of R`);
  return stageTypes;
}

function at(R: readonly (readonly number[])[], i: number, j: number): number {
  const v = R[i]?.[j];
  if (v === undefined) throw new RangeError(`continual metrics: R has no entry [${i}][${j}]`);
  return v;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** First and last stage training each type. */
function spans(stages: readonly number[]): Map<number, { first: number; last: number }> {
  const out = new Map<number, { first: number; last: number }>();
  stages.forEach((type, i) => {
    const s = out.get(type);
    out.set(type, { first: s?.first ?? i, last: i });
  });
  return out;
}

/**
 * ACC: the mean final performance over the types trained at some stage.
 * @example averagePerformance([[0.9, 0.1], [0.5, 0.8]]) // (0.5 + 0.8) / 2 = 0.65
 */
export function averagePerformance(R: readonly (readonly number[])[], stageTypes?: readonly number[]): number {
  const stages = stagesOf(R, stageTypes);
  const final = R.length - 1;
  return mean([...spans(stages).keys()].map((j) => at(R, final, j)));
}

/**
 * BWT (GEM): how training later stages changed performance on earlier types.
 * @example backwardTransfer([[0.9, 0.1], [0.5, 0.8]]) // 0.5 − 0.9 = −0.4
 */
export function backwardTransfer(R: readonly (readonly number[])[], stageTypes?: readonly number[]): number {
  const stages = stagesOf(R, stageTypes);
  const final = R.length - 1;
  const terms: number[] = [];
  for (const [j, { last }] of spans(stages)) if (last < final) terms.push(at(R, final, j) - at(R, last, j));
  return mean(terms);
}

/**
 * FWT (GEM): performance on a type just before it is first trained, relative to the
 * initial model's performance `baseline[j]` on it.
 * @example forwardTransfer([[0.9, 0.3], [0.5, 0.8]], [0.1, 0.1]) // 0.3 − 0.1 = 0.2
 */
export function forwardTransfer(R: readonly (readonly number[])[], baseline: readonly number[], stageTypes?: readonly number[]): number {
  const stages = stagesOf(R, stageTypes);
  const terms: number[] = [];
  for (const [j, { first }] of spans(stages)) {
    if (first === 0) continue;
    const b = baseline[j];
    if (b === undefined) throw new RangeError(`forwardTransfer: no baseline for type ${j}`);
    terms.push(at(R, first - 1, j) - b);
  }
  return mean(terms);
}

/**
 * Forgetting (Chaudhry et al. 2018): the best performance a type reached at any stage
 * before the last, minus its final performance; averaged over types not trained last,
 * or only over `types` when given (e.g. leaving out an OOD burst that a learner rightly
 * did not learn, whose score is whatever transfers to it).
 * @example forgetting([[0.9, 0.1, 0.0], [0.7, 0.8, 0.1], [0.6, 0.5, 0.9]]) // ((0.9−0.6) + (0.8−0.5)) / 2 = 0.3
 */
export function forgetting(R: readonly (readonly number[])[], stageTypes?: readonly number[], types?: readonly number[]): number {
  const stages = stagesOf(R, stageTypes);
  const final = R.length - 1;
  const terms: number[] = [];
  for (const [j, { first, last }] of spans(stages)) {
    if (last >= final || (types !== undefined && !types.includes(j))) continue;
    let best = -Infinity;
    for (let l = first; l < final; l++) best = Math.max(best, at(R, l, j));
    terms.push(best - at(R, final, j));
  }
  return mean(terms);
}

/** What training one stage did to the type trained just before it. */
export interface Retention {
  /** The stage that switched away. */
  readonly stage: number;
  /** The type trained in stage − 1. */
  readonly type: number;
  readonly before: number;
  readonly after: number;
  /** after / before (1 = nothing lost); NaN when `before` ≤ 0. */
  readonly ratio: number;
}

/**
 * For every stage that trains a different type from the stage before, the performance
 * on the previous type before and after it: "how much of A's return is left after
 * training on B".
 *
 * @example
 * ```ts
 * retentionAfterSwitch([[0.9, 0.1], [0.45, 0.8]], [0, 1]);
 * // [{ stage: 1, type: 0, before: 0.9, after: 0.45, ratio: 0.5 }]
 * ```
 */
export function retentionAfterSwitch(R: readonly (readonly number[])[], stageTypes: readonly number[]): Retention[] {
  const stages = stagesOf(R, stageTypes);
  const out: Retention[] = [];
  for (let i = 1; i < stages.length; i++) {
    const prev = stages[i - 1]!;
    if (stages[i] === prev) continue;
    const before = at(R, i - 1, prev);
    const after = at(R, i, prev);
    out.push({ stage: i, type: prev, before, after, ratio: before > 0 ? after / before : NaN });
  }
  return out;
}

/** One step of the online record: the type seen and the scores while adapting to it. */
export interface OnlineStep {
  readonly type: number;
  /** Score on the step's task after 0, 1, …, K inner steps (same K for every step). */
  readonly curve: readonly number[];
}

/** Recovery after one switch back to a known type. */
export interface Recovery {
  /** Stream step of the return. */
  readonly t: number;
  readonly type: number;
  /** The type's performance at the end of its previous visit (mean adapted score of its last steps). */
  readonly reference: number;
  readonly recovered: boolean;
  /**
   * Inner steps from the return until the score reached `threshold × reference`,
   * counting K per full stream step spent: `n·K + k` when step n of the visit reached it
   * after k inner steps. Infinity when the visit ended first.
   */
  readonly innerSteps: number;
  /** Full stream steps (tasks) spent before the recovering one. Infinity if not recovered. */
  readonly taskSteps: number;
}

/** When {@link timeToRecover} counts a return as recovered, and against which reference. */
export interface RecoveryOptions {
  /** Fraction of the reference to reach. Default 0.9. */
  readonly threshold?: number;
  /** Steps at the end of the previous visit averaged into the reference. Default 5. */
  readonly window?: number;
}

/**
 * Time to recover after each switch back to a known type: inner steps (and stream
 * steps) until the online score is back to 90% of the type's earlier performance.
 * Returns with a non-positive reference (nothing learnt to recover) are skipped.
 *
 * @example
 * ```ts
 * const record = [
 *   { type: 0, curve: [0.2, 1.0] }, { type: 1, curve: [0.1, 0.8] },
 *   { type: 0, curve: [0.5, 0.85] }, { type: 0, curve: [0.7, 0.95] },
 * ];
 * timeToRecover(record, { window: 1 });
 * // [{ t: 2, type: 0, reference: 1, recovered: true, innerSteps: 2, taskSteps: 1 }]
 * ```
 */
export function timeToRecover(record: readonly OnlineStep[], options: RecoveryOptions = {}): Recovery[] {
  const threshold = options.threshold ?? 0.9;
  const window = options.window ?? 5;
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`timeToRecover: window must be a positive integer, got ${window}`);
  const out: Recovery[] = [];
  // Last completed visit per type: its final `window` adapted scores.
  const lastVisit = new Map<number, number[]>();
  let t = 0;
  while (t < record.length) {
    const type = record[t]!.type;
    let end = t;
    while (end < record.length && record[end]!.type === type) end++;
    const previous = lastVisit.get(type);
    if (previous) {
      const reference = mean(previous);
      if (reference > 0) {
        const target = threshold * reference;
        let found: { inner: number; task: number } | null = null;
        for (let n = 0; n < end - t && !found; n++) {
          const curve = record[t + n]!.curve;
          const K = curve.length - 1;
          const k = curve.findIndex((v) => v >= target);
          if (k >= 0) found = { inner: n * K + k, task: n };
        }
        out.push({
          t, type, reference, recovered: found !== null,
          innerSteps: found ? found.inner : Infinity, taskSteps: found ? found.task : Infinity,
        });
      }
    }
    lastVisit.set(type, record.slice(Math.max(t, end - window), end).map((s) => s.curve[s.curve.length - 1]!));
    t = end;
  }
  return out;
}

/**
 * Cluster purity: the fraction of items whose cluster's majority label is their own
 * label, Σ_c max_l n(c, l) / N. 1 when every cluster holds one label (a label may
 * still be split over several clusters).
 *
 * @example clusterPurity([0, 0, 1, 1, 1], ['A', 'A', 'B', 'B', 'A']) // (2 + 2) / 5 = 0.8
 */
export function clusterPurity<L>(assignments: readonly number[], labels: readonly L[]): number {
  if (assignments.length !== labels.length) throw new RangeError(`clusterPurity: ${assignments.length} assignments for ${labels.length} labels`);
  if (assignments.length === 0) return NaN;
  const table = new Map<number, Map<L, number>>();
  assignments.forEach((c, i) => {
    const row = table.get(c) ?? new Map<L, number>();
    row.set(labels[i]!, (row.get(labels[i]!) ?? 0) + 1);
    table.set(c, row);
  });
  let total = 0;
  for (const row of table.values()) total += Math.max(...row.values());
  return total / assignments.length;
}
