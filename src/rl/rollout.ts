/**
 * Batched rollouts into flat typed-array buffers, and the one rollout record every
 * learner reads ({@link EpisodeBatch}; the exploration agents' trials extend it with
 * their inputs, see `explore`'s `TrialBatch`).
 *
 * {@link collectEpisodes} runs one episode in each copy of a `VecEnv` (so the batch
 * size is the environment's `numEnvs`) for at most `maxSteps` steps and stores them
 * padded to `[N, T]`, `T = maxSteps`: step `t` of episode `i` is at index `i * T + t`.
 * `mask` is 1 on real steps and 0 on the padding after an episode ended, so every
 * estimator can work on whole `[N, T]` tensors (the DiCE cumulative sums need the
 * time axis).
 *
 * Randomness: one `Rng` is split into the environment's reset generator and the
 * action generator, so a seed fixes the whole batch.
 */
import { Rng } from '../random/rng.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { tensor } from '../tensor/create.ts';
import { mul, reshape } from '../ops/index.ts';
import type { VecEnv } from './env/index.ts';
import { actionLogProbs, type CategoricalPolicy } from './policy.ts';
import { checkInteger, RlError } from './errors.ts';

/**
 * `N` rows of `T` steps; all per-step arrays are `[N, T]` row-major, `mask` marks the
 * real steps. A row is one episode padded after its end ({@link collectEpisodes}), or
 * a trial of several episodes back to back (`explore`'s `TrialBatch`, which extends
 * this record): an episode ends at a `terminated` or `truncated` step, so returns and
 * advantages restart there either way.
 */
export interface EpisodeBatch {
  /** N, the rows (episodes, or trials of several episodes). */
  readonly numEpisodes: number;
  /** T, the padded length (the environment's `maxSteps`, or a trial's ticks). */
  readonly horizon: number;
  readonly obsSize: number;
  readonly numActions: number;
  /** `[N, T, obsSize]`: the observation each action was taken on (padding rows hold valid but unused observations). */
  readonly obs: Float32Array;
  /** `[N, T]`: model state ids (for tabular baselines and diagnostics). */
  readonly states: Int32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  /** `[N, T]`: log π(a_t | o_t) under the sampling parameters (no graph). */
  readonly logProbs: Float32Array;
  /** `[N, T]`: 1 on real steps, 0 on padding. */
  readonly mask: Float32Array;
  /** `[N, T]`: 1 on a step that entered a goal or lava. */
  readonly terminated: Uint8Array;
  /** `[N, T]`: 1 on the last step of an episode cut by the time limit. */
  readonly truncated: Uint8Array;
  /** `[N]`: one past the last real step of each row (its real steps, when a row is one episode). */
  readonly lengths: Int32Array;
  /** `[N, obsSize]`: the observation each row ended on (to bootstrap truncated episodes). */
  readonly finalObs: Float32Array;
}

/**
 * Runs one episode per copy of `env` with `policy` at `params` and returns the padded
 * batch. `seed` (a number or an `Rng`, which is advanced) fixes resets and actions.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 32, maxSteps: 20 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const batch = collectEpisodes(env, policy, policy.init(new Rng(0)), 7);
 * batch.rewards.length; // 32 * 20
 * ```
 */
export function collectEpisodes<P>(env: VecEnv, policy: CategoricalPolicy<P>, params: P, seed: number | Rng): EpisodeBatch {
  if (env.obsSize !== policy.obsSize) {
    throw new RlError(
      `collectEpisodes: the environment's observations have ${env.obsSize} floats but policy '${policy.name}' reads obsSize ${policy.obsSize}`,
    );
  }
  if (env.numActions !== policy.numActions) {
    throw new RlError(
      `collectEpisodes: wrong action count: the environment has ${env.numActions} actions but policy '${policy.name}' has ${policy.numActions}`,
    );
  }
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  if (!(rng instanceof Rng)) throw new RlError(`collectEpisodes: seed must be a number or an Rng, got ${String(seed)}`);
  const resetRng = rng.split();
  const actionRng = rng.split();

  const N = env.numEnvs;
  const T = env.maxSteps;
  const d = env.obsSize;
  const A = env.numActions;
  const obsOut = new Float32Array(N * T * d), states = new Int32Array(N * T), actions = new Int32Array(N * T);
  const rewards = new Float32Array(N * T), logProbs = new Float32Array(N * T), mask = new Float32Array(N * T);
  const terminated = new Uint8Array(N * T), truncated = new Uint8Array(N * T), lengths = new Int32Array(N);
  const finalObs = new Float32Array(N * d);
  const probabilities = policy.sampler(params);
  const probs = new Float64Array(N * A);
  const stepActions = new Int32Array(N);
  const active = new Uint8Array(N).fill(1);
  const envStates = env.states;
  let obs = env.reset(resetRng);
  // Plain indexed copies, no subarray views: a view per step of every copy was most of
  // the loop's time (the values, and so every bit, are the same).
  for (let t = 0; t < T; t++) {
    probabilities(obs, N, probs);
    for (let i = 0; i < N; i++) {
      const a = actionRng.categorical(probs, i * A, A);
      stepActions[i] = a;
      // Padding rows also get a valid observation, state and action (of the copy's
      // next episode), so policies can read them; the mask zeroes their contribution.
      const k = i * T + t;
      for (let c = 0, from = i * d, to = k * d; c < d; c++) obsOut[to + c] = obs[from + c]!;
      states[k] = envStates[i]!;
      actions[k] = a;
      if (!active[i]) continue;
      logProbs[k] = Math.log(probs[i * A + a]!);
      mask[k] = 1;
    }
    const result = env.step(stepActions);
    const stepRewards = result.rewards, stepTerminated = result.terminated, stepTruncated = result.truncated;
    for (let i = 0; i < N; i++) {
      if (!active[i]) continue;
      const k = i * T + t;
      rewards[k] = stepRewards[i]!;
      terminated[k] = stepTerminated[i]!;
      truncated[k] = stepTruncated[i]!;
      if ((stepTerminated[i]! | stepTruncated[i]!) !== 0) {
        active[i] = 0;
        lengths[i] = t + 1;
        const last = result.finalObs;
        for (let c = 0; c < d; c++) finalObs[i * d + c] = last[i * d + c]!;
      }
    }
    obs = result.obs;
  }
  const batch: EpisodeBatch = {
    numEpisodes: N, horizon: T, obsSize: d, numActions: A,
    obs: obsOut, states, actions, rewards, logProbs, mask, terminated, truncated, lengths, finalObs,
  };
  return batch;
}

/**
 * `log π(a_t | o_t)` of every step as an `[N, T]` tensor, differentiable in `params`,
 * with padding steps set to 0.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const logp = episodeLogProbs(policy, params, batch);
 * logp.shape; // [8, 10]: [N, T]
 * ```
 */
export function episodeLogProbs<P>(policy: CategoricalPolicy<P>, params: P, batch: EpisodeBatch): Tensor {
  const { numEpisodes: N, horizon: T, obsSize } = batch;
  if (obsSize !== policy.obsSize) {
    throw new RlError(`episodeLogProbs: the batch holds ${obsSize}-float observations but policy '${policy.name}' reads obsSize ${policy.obsSize}`);
  }
  const logp = actionLogProbs(policy, params, observationTensor(batch), batch.actions);
  return mul(reshape(logp, [N, T]), maskTensor(batch));
}

/**
 * The observation of every step as an `[N·T, obsSize]` tensor (padding rows included:
 * what a policy or critic reads over the whole batch at once).
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const batch = collectEpisodes(env, policy, policy.init(new Rng(0)), 1);
 * observationTensor(batch).shape; // [80, 1]: [N·T, obsSize]
 * ```
 */
export function observationTensor(batch: EpisodeBatch): Tensor {
  return tensor(batch.obs, [batch.numEpisodes * batch.horizon, batch.obsSize]);
}

const maskCache = new WeakMap<EpisodeBatch, Tensor>();

/**
 * The batch's mask as an `[N, T]` tensor (cached per batch): 1 on the steps an episode
 * actually took, 0 on the padding after it ended.
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const rawLogProbs = tensor(batch.logProbs, [batch.numEpisodes, batch.horizon]);
 * const logp = mul(rawLogProbs, maskTensor(batch)); // zero the padded steps, as episodeLogProbs does
 * maskTensor(batch).shape; // [8, 10]
 * ```
 */
export function maskTensor(batch: EpisodeBatch): Tensor {
  let mask = maskCache.get(batch);
  if (!mask) {
    mask = tensor(batch.mask, [batch.numEpisodes, batch.horizon]);
    maskCache.set(batch, mask);
  }
  return mask;
}

/**
 * Undiscounted return of each row, `[N]`: the rewards of steps `from .. to−1` summed
 * in float64 (all steps by default; a step range picks episodes out of a trial).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const batch = collectEpisodes(env, policy, params, 1);
 * const mean = episodeReturns(batch).reduce((a, b) => a + b, 0) / batch.numEpisodes;
 * episodeReturns(batch, 0, 5).length; // 8: the first 5 steps of each episode
 * ```
 */
export function episodeReturns(batch: EpisodeBatch, from = 0, to = batch.horizon): Float64Array {
  const T = batch.horizon;
  checkRange('episodeReturns', 'step', from, to, T);
  const out = new Float64Array(batch.numEpisodes);
  for (let i = 0; i < batch.numEpisodes; i++) {
    let total = 0;
    for (let t = from; t < to; t++) total += batch.rewards[i * T + t]!;
    out[i] = total;
  }
  return out;
}

/**
 * Rows `from .. from+count−1` of `batch`, as a batch of their own (copies). A record
 * that extends {@link EpisodeBatch} spreads this over itself and cuts its own per-row
 * arrays (as `explore`'s `sliceTrials` does).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const batch = collectEpisodes(env, policy, policy.init(new Rng(0)), 1);
 * const two = sliceEpisodes(batch, 3, 2); // episodes 3 and 4
 * two.numEpisodes; // 2
 * two.rewards.length; // 20: [2, T]
 * ```
 */
export function sliceEpisodes(batch: EpisodeBatch, from: number, count: number): EpisodeBatch {
  const { numEpisodes: N, horizon: T, obsSize: d } = batch;
  checkRange('sliceEpisodes', 'episode', from, from + count, N);
  const cut = <A extends Float32Array | Int32Array | Uint8Array>(a: A, per: number): A => a.slice(from * per, (from + count) * per) as A;
  return {
    numEpisodes: count, horizon: T, obsSize: d, numActions: batch.numActions,
    obs: cut(batch.obs, T * d), states: cut(batch.states, T), actions: cut(batch.actions, T), rewards: cut(batch.rewards, T),
    logProbs: cut(batch.logProbs, T), mask: cut(batch.mask, T), terminated: cut(batch.terminated, T), truncated: cut(batch.truncated, T),
    lengths: cut(batch.lengths, 1), finalObs: cut(batch.finalObs, d),
  };
}

/**
 * Steps `from .. from+count−1` of every row, as a batch of `count`-step rows (copies):
 * one episode out of a trial, say. A real last step that did not terminate is marked
 * `truncated` (the window cut its episode there), `lengths` are recounted from the
 * mask, and `finalObs` is the observation after the window (step `from+count`'s, or
 * the batch's own `finalObs` when the window reaches the end).
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 8, maxSteps: 10 });
 * const policy = tabularPolicy({ numStates: 25, numActions: 4 });
 * const batch = collectEpisodes(env, policy, policy.init(new Rng(0)), 1);
 * const firstSteps = sliceSteps(batch, 0, 4);
 * firstSteps.horizon; // 4
 * firstSteps.mask.length; // 32: [N, 4]
 * ```
 */
export function sliceSteps(batch: EpisodeBatch, from: number, count: number): EpisodeBatch {
  const { numEpisodes: N, horizon: T, obsSize: d } = batch;
  checkRange('sliceSteps', 'step', from, from + count, T);
  if (count < 1) throw new RlError(`sliceSteps: count must be an integer ≥ 1, got ${count}`);
  const pick = <A extends Float32Array | Int32Array | Uint8Array>(a: A, per = 1): A => {
    const out = new (a.constructor as new (n: number) => A)(N * count * per);
    for (let i = 0; i < N; i++) out.set(a.subarray((i * T + from) * per, (i * T + from + count) * per), i * count * per);
    return out;
  };
  const mask = pick(batch.mask), terminated = pick(batch.terminated), truncated = pick(batch.truncated);
  const lengths = new Int32Array(N), finalObs = new Float32Array(N * d);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < count; t++) if (mask[i * count + t]) lengths[i] = t + 1;
    const last = i * count + count - 1;
    if (mask[last] && !terminated[last]) truncated[last] = 1;
    const end = from + count;
    finalObs.set(end < T ? batch.obs.subarray((i * T + end) * d, (i * T + end + 1) * d) : batch.finalObs.subarray(i * d, (i + 1) * d), i * d);
  }
  return {
    numEpisodes: N, horizon: count, obsSize: d, numActions: batch.numActions,
    obs: pick(batch.obs, d), states: pick(batch.states), actions: pick(batch.actions), rewards: pick(batch.rewards),
    logProbs: pick(batch.logProbs), mask, terminated, truncated, lengths, finalObs,
  };
}

/** Throws unless `from .. to` is an integer range inside `0 .. size`. */
function checkRange(caller: string, what: string, from: number, to: number, size: number): void {
  checkInteger(caller, `first ${what}`, from, 0);
  checkInteger(caller, `end ${what}`, to, from);
  if (to > size) throw new RlError(`${caller}: ${what}s ${from}..${to - 1} are out of range: the batch has ${size}`);
}
