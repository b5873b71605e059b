/**
 * Returns, advantages and baselines over padded episode batches (`[N, T]`, see
 * `rollout.ts`). All plain typed-array arithmetic: these are constants to the
 * estimators.
 */
import type { EpisodeBatch } from './rollout.ts';
import { checkInteger, checkNumber, RlError } from './errors.ts';
import { advantageRecursion, type CutAt } from './advantages.ts';

/**
 * Discounted reward-to-go `R_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'}` within each episode,
 * `[N, T]` (0 on padding).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const R = rewardToGo(batch, 0.99);
 * R.length; // 80: [N, T]
 * ```
 */
export function rewardToGo(batch: EpisodeBatch, discount: number): Float32Array {
  checkNumber('rewardToGo', 'discount', discount, 0, 1);
  const { numEpisodes: N, horizon: T } = batch;
  const out = new Float32Array(N * T);
  for (let i = 0; i < N; i++) {
    let running = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = i * T + t;
      running = batch.mask[k] ? batch.rewards[k]! + discount * running : 0;
      out[k] = running;
    }
  }
  return out;
}

/**
 * `γ^t · x_t` for a `[N, T]` array: moves per-step quantities to time-0 units.
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const atTimeZero = discountByTime(batch.rewards, batch, 0.99); // row i: r_i0, 0.99·r_i1, 0.99²·r_i2, …
 * ```
 */
export function discountByTime(values: Float32Array, batch: EpisodeBatch, discount: number): Float32Array {
  const { numEpisodes: N, horizon: T } = batch;
  checkLength('discountByTime', values, N * T);
  const out = new Float32Array(N * T);
  for (let i = 0; i < N; i++) {
    let factor = 1;
    for (let t = 0; t < T; t++) {
      out[i * T + t] = factor * values[i * T + t]!;
      factor *= discount;
    }
  }
  return out;
}

function checkLength(caller: string, values: ArrayLike<number>, expected: number): void {
  if (values.length !== expected) {
    throw new RlError(`${caller}: wrong batch size: expected ${expected} values ([N, T] of the batch), got ${values.length}`);
  }
}

/**
 * Generalised advantage estimation (Schulman et al. 2016, "High-Dimensional
 * Continuous Control Using Generalized Advantage Estimation"):
 * `A_t = Σ_l (γλ)^l δ_{t+l}`, `δ_t = r_t + γ V(s_{t+1}) − V(s_t)`, with
 * `V(s_{t+1}) = 0` after a terminal step and `finalValues[i]` after a truncated one.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const values = new Float32Array(batch.numEpisodes * batch.horizon); // V = 0: the advantages are discounted returns
 * const adv = generalizedAdvantages(batch, values, { discount: 0.99, lambda: 1 });
 * Math.abs(adv[0]! - rewardToGo(batch, 0.99)[0]!) < 1e-6; // true
 * ```
 */
export function generalizedAdvantages(
  batch: EpisodeBatch,
  values: Float32Array,
  options: { readonly discount: number; readonly lambda: number; readonly finalValues?: Float32Array },
): Float32Array {
  const discount = checkNumber('generalizedAdvantages', 'discount', options.discount, 0, 1);
  const lambda = checkNumber('generalizedAdvantages', 'lambda', options.lambda, 0, 1);
  const { numEpisodes: N, horizon: T } = batch;
  checkLength('generalizedAdvantages', values, N * T);
  if (options.finalValues) {
    if (options.finalValues.length !== N) {
      throw new RlError(`generalizedAdvantages: wrong batch size: finalValues needs ${N} values (one per episode), got ${options.finalValues.length}`);
    }
  }
  const out = new Float32Array(N * T);
  advantageRecursion(batch.rewards, values, batch.mask, N, T, discount, lambda, episodeEnds(batch, options.finalValues), out);
  return out;
}

/**
 * Where advantage sums restart in a batch (the {@link CutAt} of
 * {@link generalizedAdvantages}): at the last step of every episode, from
 * `finalValues[i]` after a truncated step (0 without them) and from 0 after a
 * terminal one or before a gap in the mask. A row holding several episodes (a trial)
 * restarts at each of them.
 *
 * @example
 * ```ts
 * // two rows of 3 steps (k = row·3 + t): row 0 reaches a goal at step 1, row 1 hits the time limit at step 2
 * const ends = { terminated: new Uint8Array([0, 1, 0, 0, 0, 0]), truncated: new Uint8Array([0, 0, 0, 0, 0, 1]), horizon: 3 };
 * const cut = episodeEnds(ends as EpisodeBatch, [0, 7]); // finalValues: V of the state after each row's truncation
 * cut(0, 0, 1); // null: the sum runs on into step 1
 * cut(1, 1, 2); // 0: a terminal step
 * cut(5, 2, 3); // 7: a truncated step bootstraps from finalValues[1]
 * cut(3, 0, 2); // 0: the next live step is not t + 1 (a gap in the mask)
 * ```
 */
export function episodeEnds(batch: EpisodeBatch, finalValues?: ArrayLike<number>): CutAt {
  const { terminated, truncated, horizon: T } = batch;
  return (k, t, nextLive) => (truncated[k] ? (finalValues?.[(k - t) / T] ?? 0) : terminated[k] || nextLive !== t + 1 ? 0 : null);
}

/** Options of {@link LinearFeatureBaseline}. */
export interface LinearBaselineOptions {
  /**
   * `'observation'` (default, as in MAML-RL): `[o, o², t/100, (t/100)², (t/100)³, 1]`.
   * `'state'`: a one-hot of the model state id plus the same time features, the
   * natural choice with the single-float `stateIndex` observation.
   */
  readonly features?: 'observation' | 'state';
  /** Required with `features: 'state'`. */
  readonly numStates?: number;
  /** Ridge penalty; multiplied by 10 until the normal equations factor. Default 1e-5. */
  readonly regularization?: number;
}

/**
 * The linear time-and-state feature baseline of MAML-RL (Finn et al. 2017, after
 * Duan et al. 2016): least squares of the reward-to-go on per-step features, refit on
 * every batch.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const baseline = new LinearFeatureBaseline();
 * const returns = rewardToGo(batch, 0.99);
 * baseline.fit(batch, returns);
 * const values = baseline.predict(batch); // [N, T], 0 on padding
 * ```
 */
export class LinearFeatureBaseline {
  private weights: Float64Array | null = null;
  private readonly kind: 'observation' | 'state';
  private readonly numStates: number;
  private readonly regularization: number;

  constructor(options: LinearBaselineOptions = {}) {
    this.kind = options.features ?? 'observation';
    if (this.kind !== 'observation' && this.kind !== 'state') {
      throw new RlError(`LinearFeatureBaseline: features must be 'observation' or 'state', got ${JSON.stringify(this.kind)}`);
    }
    this.numStates = this.kind === 'state' ? checkInteger('LinearFeatureBaseline', 'numStates', options.numStates ?? NaN) : 0;
    this.regularization = checkNumber('LinearFeatureBaseline', 'regularization', options.regularization ?? 1e-5, 0);
  }

  private featureCount(obsSize: number): number {
    return (this.kind === 'state' ? this.numStates : 2 * obsSize) + 4;
  }

  /**
   * Writes step k's features into `out` (which must be all zeros) and their indices, in
   * ascending order, into `nonzero`; returns how many. The caller zeroes them again:
   * a one-hot state has 5 of its 4 + numStates features set, so fitting and predicting
   * visit only those.
   */
  private writeFeatures(batch: EpisodeBatch, k: number, t: number, out: Float64Array, nonzero: Int32Array): number {
    let j = 0, count = 0;
    if (this.kind === 'state') {
      const s = batch.states[k]!;
      if (s >= this.numStates) throw new RlError(`LinearFeatureBaseline: state ${s} is out of range 0..${this.numStates - 1} (numStates)`);
      out[s] = 1;
      nonzero[count++] = s;
      j = this.numStates;
    } else {
      const d = batch.obsSize;
      for (let c = 0; c < d; c++) { out[c] = batch.obs[k * d + c]!; nonzero[count++] = c; }
      for (let c = 0; c < d; c++) { out[d + c] = out[c]! * out[c]!; nonzero[count++] = d + c; }
      j = 2 * d;
    }
    const time = t / 100;
    out[j] = time;
    out[j + 1] = time * time;
    out[j + 2] = time * time * time;
    out[j + 3] = 1;
    for (let i = 0; i < 4; i++) nonzero[count++] = j + i;
    return count;
  }

  /** The normal equations' sums over the real steps, any features (see {@link accumulateStates}). */
  private accumulate(batch: EpisodeBatch, targets: Float32Array, gram: Float64Array, rhs: Float64Array): void {
    const { numEpisodes: N, horizon: T } = batch;
    const F = rhs.length;
    const x = new Float64Array(F);
    const nonzero = new Int32Array(F);
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < T; t++) {
        const k = i * T + t;
        if (!batch.mask[k]) continue;
        const count = this.writeFeatures(batch, k, t, x, nonzero);
        const y = targets[k]!;
        // Zero features add exact zeros to the sums: skipping them changes no bit.
        for (let p = 0; p < count; p++) {
          const a = nonzero[p]!, xa = x[a]!;
          if (xa === 0) continue;
          rhs[a]! += xa * y;
          for (let q = 0; q < count; q++) gram[a * F + nonzero[q]!]! += xa * x[nonzero[q]!]!;
        }
        for (let p = 0; p < count; p++) x[nonzero[p]!] = 0;
      }
    }
  }

  /**
   * {@link accumulate} for one-hot states, unrolled, into the parts of the normal
   * equations that {@link solveStates} reads: the same products added to each sum in
   * the same (step) order, so the same bits, without the per-step feature vector or the
   * dense `F × F` matrix. Features `[e_s, τ, τ², τ³, 1]`, τ = t/100.
   */
  private accumulateStates(batch: EpisodeBatch, targets: Float32Array, system: StateSystem): void {
    const { numEpisodes: N, horizon: T } = batch;
    const S = this.numStates;
    const { time, outer } = timeTables(T);
    const { mask, states } = batch;
    const { diag, cross, timeBlock, rhs } = system;
    for (let i = 0; i < N; i++) {
      for (let t = 0, k = i * T; t < T; t++, k++) {
        if (!mask[k]) continue;
        const s = states[k]!;
        if (s >= S) throw new RlError(`LinearFeatureBaseline: state ${s} is out of range 0..${S - 1} (numStates)`);
        const y = targets[k]!;
        // Row s: 1·y and 1·1 (products by the one-hot's 1 are exact).
        rhs[s]! += 1 * y;
        diag[s]! += 1;
        // Rows of the time features; τ, τ² and τ³ are 0 at t = 0, skipped as accumulate skips zeros.
        for (let p = 0; p < 4; p++) {
          const x = time[t * 4 + p]!;
          if (x === 0) continue;
          rhs[S + p]! += x * y;
          cross[p * S + s]! += x * 1;
          for (let q = 0; q <= p; q++) timeBlock[p * 4 + q]! += outer[t * 16 + p * 4 + q]!;
        }
      }
    }
  }

  /** Fits the weights to `targets` (`[N, T]`, usually the reward-to-go) on the real steps. */
  fit(batch: EpisodeBatch, targets: Float32Array): void {
    const { numEpisodes: N, horizon: T } = batch;
    checkLength('LinearFeatureBaseline.fit', targets, N * T);
    const F = this.featureCount(batch.obsSize);
    let solve: (reg: number) => Float64Array | null;
    if (this.kind === 'state') {
      const system = stateSystem(this.numStates);
      this.accumulateStates(batch, targets, system);
      solve = (reg) => solveStates(system, reg);
    } else {
      // Scratch reused between fits (the matrix is F² doubles: 37 KB at F = 68).
      const gram = scratch('gram', F * F).fill(0);
      const rhs = new Float64Array(F);
      this.accumulate(batch, targets, gram, rhs);
      solve = (reg) => solveRidge(gram, rhs, F, reg);
    }
    let reg = this.regularization;
    for (let attempt = 0; attempt < 8; attempt++, reg = Math.max(reg * 10, 1e-8)) {
      const solution = solve(reg);
      if (solution) {
        this.weights = solution;
        return;
      }
    }
    throw new RlError('LinearFeatureBaseline.fit: the normal equations stay singular even with a ridge of 1e+2');
  }

  /** Baseline values `[N, T]` (0 on padding); all zeros before the first `fit`. */
  predict(batch: EpisodeBatch): Float32Array {
    const { numEpisodes: N, horizon: T } = batch;
    const out = new Float32Array(N * T);
    const w = this.weights;
    if (!w) return out;
    const F = this.featureCount(batch.obsSize);
    if (w.length !== F) throw new RlError(`LinearFeatureBaseline.predict: fitted on ${w.length} features, this batch gives ${F}`);
    if (this.kind === 'state') {
      // Unrolled as the fit: the same terms summed in the same order (state, then time).
      const S = this.numStates, { time } = timeTables(T);
      for (let k = 0; k < N * T; k++) {
        if (!batch.mask[k]) continue;
        const s = batch.states[k]!;
        if (s >= S) throw new RlError(`LinearFeatureBaseline: state ${s} is out of range 0..${S - 1} (numStates)`);
        const t = k % T;
        let v = 0;
        v += w[s]! * 1;
        for (let p = 0; p < 4; p++) v += w[S + p]! * time[t * 4 + p]!;
        out[k] = v;
      }
      return out;
    }
    const x = new Float64Array(F);
    const nonzero = new Int32Array(F);
    for (let k = 0; k < N * T; k++) {
      if (!batch.mask[k]) continue;
      const count = this.writeFeatures(batch, k, k % T, x, nonzero);
      let v = 0;
      for (let p = 0; p < count; p++) v += w[nonzero[p]!]! * x[nonzero[p]!]!;
      for (let p = 0; p < count; p++) x[nonzero[p]!] = 0;
      out[k] = v;
    }
    return out;
  }
}

/** Scratch buffers reused between fits, by purpose (fits run one at a time). */
const scratchBuffers = new Map<string, Float64Array>();

/** Scratch `purpose` with at least `length` doubles (contents left from the last use). */
function scratch(purpose: string, length: number): Float64Array {
  let buffer = scratchBuffers.get(purpose);
  if (!buffer || buffer.length < length) scratchBuffers.set(purpose, buffer = new Float64Array(length));
  return buffer.subarray(0, length);
}

/**
 * The normal equations of one-hot states, `F = S + 4` features: of the lower triangle
 * that the Cholesky factorisation reads, only the state diagonal (two different states
 * never share a step), the time rows' state columns and the 4 × 4 time block are
 * nonzero; with the factorisation's parts (see {@link solveStates}). Views of scratch.
 */
interface StateSystem {
  readonly S: number;
  /** `[S]`: visits per state. */
  readonly diag: Float64Array;
  /** `[4, S]`: time row p, state column s. */
  readonly cross: Float64Array;
  /** `[4, 4]`, lower triangle: time row p, time column q ≤ p. */
  readonly timeBlock: Float64Array;
  /** `[S + 4]`. */
  readonly rhs: Float64Array;
  /** `[S]`: the factor's state diagonal. */
  readonly stateFactor: Float64Array;
  /** `[4, S + 4]`: the factor's time rows. */
  readonly timeFactor: Float64Array;
  /** `[S + 4]`: the forward substitution's result. */
  readonly forward: Float64Array;
}

/** A zeroed {@link StateSystem} for S states, in scratch. */
function stateSystem(S: number): StateSystem {
  const F = S + 4;
  const buffer = scratch('states', 6 * S + 16 + 6 * F);
  let at = 0;
  const take = (n: number): Float64Array => buffer.subarray(at, at += n);
  const system = {
    S, diag: take(S), cross: take(4 * S), timeBlock: take(16), rhs: take(F),
    stateFactor: take(S), timeFactor: take(4 * F), forward: take(F),
  };
  buffer.fill(0, 0, 6 * S + 16 + F);
  return system;
}

/**
 * {@link solveRidge} on a {@link StateSystem}: the same operations in the same order on
 * every entry that can be nonzero, and none of the rest. What is skipped changes no bit:
 * the factor's state block is diagonal (its off-diagonal entries come out exactly +0),
 * so the skipped terms are products with +0, i.e. ±0, subtracted from sums that start at
 * a value that is not −0 (sums of `+=` from +0) — which leaves them as they are.
 */
function solveStates(system: StateSystem, reg: number): Float64Array | null {
  const { S, diag, cross, timeBlock, rhs, stateFactor: D, timeFactor: L, forward: y } = system;
  const F = S + 4;
  for (let i = 0; i < S; i++) {
    const s = diag[i]! + reg;
    if (!(s > 0)) return null;
    D[i] = Math.sqrt(s);
  }
  for (let p = 0; p < 4; p++) {
    const row = p * F;
    for (let j = 0; j < S; j++) L[row + j] = cross[p * S + j]! / D[j]!;
    for (let q = 0; q <= p; q++) {
      const other = q * F;
      let s = timeBlock[p * 4 + q]! + (p === q ? reg : 0);
      for (let k = 0; k < S + q; k++) s -= L[row + k]! * L[other + k]!;
      if (p === q) {
        if (!(s > 0)) return null;
        L[row + S + p] = Math.sqrt(s);
      } else {
        L[row + S + q] = s / L[other + S + q]!;
      }
    }
  }
  for (let i = 0; i < S; i++) y[i] = rhs[i]! / D[i]!;
  for (let p = 0; p < 4; p++) {
    let s = rhs[S + p]!;
    for (let k = 0; k < S + p; k++) s -= L[p * F + k]! * y[k]!;
    y[S + p] = s / L[p * F + S + p]!;
  }
  const w = new Float64Array(F);
  for (let p = 3; p >= 0; p--) {
    let s = y[S + p]!;
    for (let k = S + p + 1; k < F; k++) s -= L[(k - S) * F + S + p]! * w[k]!;
    w[S + p] = s / L[p * F + S + p]!;
  }
  for (let i = S - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = S; k < F; k++) s -= L[(k - S) * F + i]! * w[k]!;
    w[i] = s / D[i]!;
  }
  return w;
}

let lastTimeTables: { T: number; time: Float64Array; outer: Float64Array } | null = null;

/**
 * `time`: `[τ, τ², τ³, 1]` for t = 0..T−1, τ = t/100, `[T, 4]` (the time features, as
 * `writeFeatures` computes them); `outer`: their products `[T, 4, 4]`. Kept for the last T.
 */
function timeTables(T: number): { time: Float64Array; outer: Float64Array } {
  if (lastTimeTables?.T === T) return lastTimeTables;
  const time = new Float64Array(T * 4);
  for (let t = 0; t < T; t++) {
    const tau = t / 100;
    time[t * 4] = tau;
    time[t * 4 + 1] = tau * tau;
    time[t * 4 + 2] = tau * tau * tau;
    time[t * 4 + 3] = 1;
  }
  const outer = new Float64Array(T * 16);
  for (let t = 0; t < T; t++) for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) outer[t * 16 + p * 4 + q] = time[t * 4 + p]! * time[t * 4 + q]!;
  lastTimeTables = { T, time, outer };
  return lastTimeTables;
}

/** Solves `(G + reg·I) w = b` by Cholesky (the factor in scratch); null when not positive definite. */
function solveRidge(gram: Float64Array, rhs: Float64Array, n: number, reg: number): Float64Array | null {
  const L = scratch('factor', n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = gram[i * n + j]! + (i === j ? reg : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j]!;
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = rhs[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * w[k]!;
    w[i] = s / L[i * n + i]!;
  }
  return w;
}

/**
 * Cross-fitted baseline values `[N, T]` (0 on padding): K-fold over episodes, episode
 * `i` in fold `i mod folds`, and fold k's values come from a {@link LinearFeatureBaseline}
 * fitted on the other folds only. An episode's baseline then never depends on its own
 * rewards or actions, so `Σ ∇log π · (R − b)` stays an unbiased policy gradient; a
 * baseline fitted on the batch it corrects is not (a one-hot state seen by one episode
 * gets that episode's own reward-to-go, and its advantage vanishes). The price: each
 * fit sees `(folds − 1)/folds` of the batch.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const values = crossFittedBaseline(batch, rewardToGo(batch, 1), 2, { features: 'state', numStates: 25 });
 * reinforceSurrogate(episodeLogProbs(policy, params, batch), batch, { baseline: values });
 * ```
 */
export function crossFittedBaseline(
  batch: EpisodeBatch, targets: Float32Array, folds: number, options: LinearBaselineOptions = {},
): Float32Array {
  const { numEpisodes: N, horizon: T } = batch;
  checkFolds('crossFittedBaseline', 'folds', folds, N);
  checkLength('crossFittedBaseline', targets, N * T);
  const out = new Float32Array(N * T);
  for (let fold = 0; fold < folds; fold++) {
    // Fitting skips masked-out steps: the other folds alone are the training data.
    const mask = batch.mask.slice();
    for (let i = fold; i < N; i += folds) mask.fill(0, i * T, (i + 1) * T);
    const baseline = new LinearFeatureBaseline(options);
    baseline.fit({ ...batch, mask }, targets);
    const values = baseline.predict(batch);
    for (let i = fold; i < N; i += folds) out.set(values.subarray(i * T, (i + 1) * T), i * T);
  }
  return out;
}

/**
 * Throws unless `folds` is an integer from 2 to `numEpisodes` (every fold needs an
 * episode, and one fold would fit on nothing). Returns it.
 */
export function checkFolds(caller: string, option: string, folds: number, numEpisodes: number): number {
  checkInteger(caller, option, folds, 2);
  if (folds > numEpisodes) throw new RlError(`${caller}: ${option} ${folds} exceeds the ${numEpisodes} episodes of the batch (one fold per episode at most)`);
  return folds;
}
