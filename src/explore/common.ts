/**
 * Pieces every explore agent shares: batched trial rollouts with the RL² input
 * features, categorical sampling, generalised advantage estimation over (possibly
 * dead-padded) trials, the masked actor-critic loss and an Adam step.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { tensor } from '../tensor/create.ts';
import type { Rng } from '../random/rng.ts';
import { add, mul, sub, neg, sum, square, exp, logSoftmax, takeAlongAxis, reshape } from '../ops/index.ts';
import { adam, clipByGlobalNormEager, type AdamState, type Optimizer } from '../optim/index.ts';
import type { SignGrid, SignTask } from './env.ts';
import { advantageRecursion, type CutAt } from '../rl/advantages.ts';
import { episodeReturns, type EpisodeBatch } from '../rl/rollout.ts';
import { episodeEnds } from '../rl/returns.ts';

/**
 * The recorded trials of a batch: an `src/rl` {@link EpisodeBatch} whose rows are
 * trials (`numEpisodes` trials of `horizon` = L ticks, L = episodes × `episodeHorizon`),
 * so `adaptPolicy`, the surrogates, `episodeLogProbs` and `generalizedAdvantages` read it
 * as it is, plus what memory-based agents read. `inputs[b, t]` is what such an agent
 * read before acting at tick t: the observation, the previous action one-hot, the
 * previous reward and a new-episode flag. `mask` is 1 on live ticks (the action
 * counted), `terminated` where a tick ended an episode on a goal, `truncated` where an
 * episode reached its horizon alive, `states` the cell acted from, `logProbs` the
 * log-softmax of the logits acted on.
 */
export interface TrialBatch extends EpisodeBatch {
  /** B, the trials (one row each; before #20 this field was `numTrials`). */
  readonly numEpisodes: number;
  /**
   * L, a whole trial's ticks (`env.trialLength` = episodes × {@link TrialBatch.episodeHorizon}),
   * the row length of every `[B, L]` array. Before #20 `horizon` meant one episode's
   * ticks; that is now `episodeHorizon`.
   */
  readonly horizon: number;
  /**
   * Ticks per episode (the environment's `config.horizon`, what `horizon` meant before
   * #20); the trial's row length is `horizon`.
   */
  readonly episodeHorizon: number;
  readonly inputSize: number;
  /** `[B, L + 1, inputSize]`: row L is what was observed after the last tick. */
  readonly inputs: Float32Array;
  /** `[B, L]` goal entered on the tick, −1 if none. */
  readonly entered: Int32Array;
  readonly tasks: readonly SignTask[];
}

/**
 * Floats per RL² input row for an environment: observation, 4 action bits, reward, new-episode flag.
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config);
 * inputSizeOf(env) === env.obsSize + 6; // true
 * ```
 */
export function inputSizeOf(env: SignGrid): number {
  return env.obsSize + env.numActions + 2;
}

/**
 * Chooses actions for one tick: given the inputs `[B, inputSize]` of tick `t`, returns
 * logits `[B, numActions]` (row-major). Agents keep their memory in the closure.
 */
export type StepPolicy = (t: number, inputs: Float32Array) => ArrayLike<number>;

/**
 * Plays one trial per task in lockstep and records it. Actions are sampled from the
 * logits (or the arg-max when `greedy`). `rng` draws actions and sign noise.
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const batch = rolloutTrials(env, tasks, (_t, x) => new Float32Array(tasks.length * 4), new Rng(0)); // uniform logits
 * batch.horizon; // 24: the trial's ticks, episodes × episodeHorizon
 * ```
 */
export function rolloutTrials(env: SignGrid, tasks: readonly SignTask[], policy: StepPolicy, rng: Rng, greedy = false): TrialBatch {
  env.reset(tasks);
  const B = tasks.length, L = env.trialLength, A = env.numActions, O = env.obsSize, H = env.config.horizon;
  const I = inputSizeOf(env);
  const inputs = new Float32Array(B * (L + 1) * I), obsOut = new Float32Array(B * L * O), finalObs = new Float32Array(B * O);
  const actions = new Int32Array(B * L), rewards = new Float32Array(B * L), mask = new Float32Array(B * L);
  const states = new Int32Array(B * L), logProbs = new Float32Array(B * L), lengths = new Int32Array(B);
  const terminated = new Uint8Array(B * L), truncated = new Uint8Array(B * L), entered = new Int32Array(B * L);
  const obs = new Float32Array(B * O);
  const prevA = new Int32Array(B).fill(-1), prevR = new Float32Array(B);
  const row = new Float32Array(B * I);
  const fill = (t: number): void => {
    env.observe(obs);
    row.fill(0);
    for (let b = 0; b < B; b++) {
      const o = b * I;
      row.set(obs.subarray(b * O, (b + 1) * O), o);
      if (prevA[b]! >= 0) row[o + O + prevA[b]!] = 1;
      row[o + O + A] = prevR[b]!;
      row[o + O + A + 1] = t % H === 0 && t < L ? 1 : 0;
      inputs.set(row.subarray(o, o + I), (b * (L + 1) + t) * I);
    }
  };
  for (let t = 0; t < L; t++) {
    fill(t);
    const logits = policy(t, row);
    const chosen = new Int32Array(B);
    for (let b = 0; b < B; b++) chosen[b] = greedy ? argmax(logits, b * A, A) : sampleLogits(logits, b * A, A, rng);
    const cells = env.cells;
    for (let b = 0; b < B; b++) {
      const k = b * L + t;
      for (let c = 0; c < O; c++) obsOut[k * O + c] = obs[b * O + c]!; // indexed: a view per row costs more than the copy
      states[k] = cells[b]!;
      logProbs[k] = logSoftmaxAt(logits, b * A, A, chosen[b]!);
    }
    const step = env.step(chosen, rng);
    for (let b = 0; b < B; b++) {
      const k = b * L + t;
      actions[k] = chosen[b]!;
      rewards[k] = step.rewards[b]!;
      mask[k] = step.alive[b]!;
      terminated[k] = step.terminated[b]!;
      // An episode that reached its horizon alive was cut by the time limit.
      truncated[k] = step.alive[b] && !step.terminated[b] && (t + 1) % H === 0 ? 1 : 0;
      entered[k] = step.entered[b]!;
      if (step.alive[b]) lengths[b] = t + 1;
      prevA[b] = step.alive[b] ? chosen[b]! : -1;
      prevR[b] = step.rewards[b]!;
    }
    if ((t + 1) % H === 0) { prevA.fill(-1); prevR.fill(0); }
  }
  fill(L);
  finalObs.set(obs);
  return {
    numEpisodes: B, horizon: L, obsSize: O, numActions: A, obs: obsOut, states, actions, rewards, logProbs, mask, terminated, truncated,
    lengths, finalObs, episodeHorizon: H, inputSize: I, inputs, entered, tasks,
  };
}

/** log softmax(values[offset .. offset+n))[i], in float64. */
function logSoftmaxAt(values: ArrayLike<number>, offset: number, n: number, i: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, values[offset + j]!);
  let total = 0;
  for (let j = 0; j < n; j++) total += Math.exp(values[offset + j]! - m);
  return values[offset + i]! - m - Math.log(total);
}

/**
 * The `[B, L, inputSize]` inputs of ticks `from .. from+count−1` as a tensor (what a
 * sequence model reads when it is run over the whole recorded trial at once).
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const batch = rolloutTrials(env, tasks, () => new Float32Array(tasks.length * 4), new Rng(0));
 * inputTensor(batch).shape;        // [4, 24, 31]: [tasks.length, env.trialLength, inputSizeOf(env)]
 * inputTensor(batch, 0, 8).shape;  // [4, 8, 31]: the first episode's ticks (horizon 8)
 * ```
 */
export function inputTensor(batch: TrialBatch, from = 0, count = batch.horizon): Tensor {
  const { numEpisodes: B, horizon: L, inputSize: I } = batch;
  const out = new Float32Array(B * count * I);
  for (let b = 0; b < B; b++) out.set(batch.inputs.subarray((b * (L + 1) + from) * I, (b * (L + 1) + from + count) * I), b * count * I);
  return tensor(out, [B, count, I]);
}

/**
 * `[B, L]` 1 where a recurrent state should update: live ticks, the first dead tick
 * after a live one (whose input carries the final reward of the episode) and the first
 * tick of every episode.
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(1));
 * const keep = tensor(keepMask(batch), [batch.numEpisodes, batch.horizon]);
 * const hs = gruSequence(params.gru, inputTensor(batch, 0, batch.horizon), zeros([4, 16]), keep); // dead ticks keep the state
 * hs.shape; // [4, 24, 16]
 * ```
 */
export function keepMask(batch: TrialBatch): Float32Array {
  const { numEpisodes: B, horizon: L, mask } = batch;
  const keep = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < L; t++) {
      const k = b * L + t;
      keep[k] = updatesState(mask[k] !== 0, t > 0 && mask[k - 1] !== 0, t % batch.episodeHorizon === 0) ? 1 : 0;
    }
  }
  return keep;
}

/**
 * The one rule behind {@link keepMask} and `rl2Agent`'s stepper: a recurrent state
 * updates at a tick when the agent is alive on it, was alive on the tick before (the
 * first dead tick's input carries the episode's final reward) or the tick starts an
 * episode; otherwise it is kept as it was. Internal (not exported by the package).
 */
export function updatesState(alive: boolean, wasAlive: boolean, episodeStart: boolean): boolean {
  return alive || wasAlive || episodeStart;
}

/**
 * Weights `mask[i] / n` over a `[N]` mask, `n` its live (non-zero) entries (at least 1,
 * so an all-dead batch weighs 0 instead of NaN): summing `x · weights` is the mean of `x`
 * over live ticks. `count` is that `n`. Internal (not exported by the package); used by
 * {@link actorCriticLoss} and DREAM's decoder loss.
 */
export function liveWeights(mask: ArrayLike<number>): { weights: Float32Array; count: number } {
  const N = mask.length;
  let live = 0;
  for (let i = 0; i < N; i++) if (mask[i]) live++;
  const count = Math.max(live, 1);
  const weights = new Float32Array(N);
  for (let i = 0; i < N; i++) weights[i] = mask[i]! / count;
  return { weights, count };
}

/**
 * Samples from softmax(logits[offset .. offset+n)): one row of a row-major `[B, n]`
 * logits array, so a batch needs no tensor per row.
 * @example
 * ```ts
 * const logits = Float32Array.of(0, 0, 10, 0,   5, 0, 0, 0); // two rows of 4 actions
 * sampleLogits(logits, 4, 4, new Rng(0)); // row 1: 0 with probability ≈ 0.98
 * ```
 */
export function sampleLogits(logits: ArrayLike<number>, offset: number, n: number, rng: Rng): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, logits[offset + i]!);
  let total = 0;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) { p[i] = Math.exp(logits[offset + i]! - m); total += p[i]!; }
  let u = rng.uniform() * total;
  for (let i = 0; i < n - 1; i++) { u -= p[i]!; if (u < 0) return i; }
  return n - 1;
}

/**
 * Index (0..n−1) of the largest of `values[offset .. offset+n)`, the first on ties: the
 * greedy action of one row of a row-major logits array.
 * @example
 * ```ts
 * argmax(Float32Array.of(0, 3, 1,   2, 2, 0), 3, 3); // 0 (row 1, tie → first)
 * ```
 */
export function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}

/**
 * GAE over `[B, L]` ticks, skipping dead ticks, with value targets. With
 * `resetAtEpisodes`, no value is bootstrapped across an episode boundary (each episode
 * is its own problem, as for an exploitation policy): the sums restart where `src/rl`'s
 * `generalizedAdvantages` restarts them ({@link episodeEnds}). Otherwise the whole
 * trial is one episode (RL²: exploring in episode 1 is paid by episodes 2..E).
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(1));
 * const values = agent.evaluate(params, batch).values.toTypedArray();
 * const { advantages, targets } = trialAdvantages(batch, batch.rewards, values, { discount: 0.99, lambda: 0.95 });
 * advantages.length; // 96: 4 trials × 24 ticks
 * ```
 */
export function trialAdvantages(
  batch: TrialBatch, rewards: Float32Array, values: ArrayLike<number>,
  options: { readonly discount: number; readonly lambda: number; readonly resetAtEpisodes?: boolean },
): { advantages: Float32Array; targets: Float32Array } {
  const { numEpisodes: B, horizon: L } = batch;
  const advantages = new Float32Array(B * L), targets = new Float32Array(B * L);
  const cutAt: CutAt = options.resetAtEpisodes ? episodeEnds(batch) : () => null;
  advantageRecursion(rewards, values, batch.mask, B, L, options.discount, options.lambda, cutAt, advantages, targets);
  return { advantages, targets };
}

/** Options of {@link actorCriticLoss}. */
export interface ActorCriticOptions {
  /** Weight of the value loss. Default 0.5. */
  readonly valueCoef?: number;
  /** Weight of the entropy bonus. Default 0.01. */
  readonly entropyCoef?: number;
  /** Normalise advantages over live ticks. Default true. */
  readonly normalize?: boolean;
}

/**
 * The masked A2C loss over `N` ticks: `−mean(log π(a)·Â) + c_v·mean((V − target)²) − c_H·mean(H)`,
 * means over ticks with `mask = 1`. `logits [N, A]`, `values [N]`.
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(1));
 * const { logits, values } = agent.evaluate(params, batch);
 * const { advantages, targets } = trialAdvantages(batch, batch.rewards, values.toTypedArray(), { discount: 0.99, lambda: 0.95 });
 * const loss = actorCriticLoss(logits, values, batch.actions, advantages, targets, batch.mask, { entropyCoef: 0.05 });
 * loss.shape; // []: a scalar to differentiate in the parameters
 * ```
 */
export function actorCriticLoss(
  logits: Tensor, values: Tensor, actions: Int32Array, advantages: Float32Array, targets: Float32Array,
  mask: Float32Array, options: ActorCriticOptions = {},
): Tensor {
  const { valueCoef = 0.5, entropyCoef = 0.01, normalize = true } = options;
  const N = actions.length;
  const { weights: w, count } = liveWeights(mask.subarray(0, N));
  let m = 0, v = 0;
  for (let i = 0; i < N; i++) if (mask[i]) m += advantages[i]!;
  m /= count;
  for (let i = 0; i < N; i++) if (mask[i]) v += (advantages[i]! - m) ** 2;
  const sd = Math.sqrt(v / count) + 1e-6;
  const adv = new Float32Array(N);
  for (let i = 0; i < N; i++) adv[i] = mask[i] ? (normalize ? (advantages[i]! - m) / sd : advantages[i]!) / count : 0;
  const logp = logSoftmax(logits, -1);
  const chosen = reshape(takeAlongAxis(logp, tensor(Float32Array.from(actions), [N, 1]), -1), [N]);
  const policyLoss = neg(sum(mul(chosen, tensor(adv, [N]))));
  const valueLoss = sum(mul(square(sub(values, tensor(targets, [N]))), tensor(w, [N])));
  const entropy = neg(sum(mul(sum(mul(exp(logp), logp), -1), tensor(w, [N]))));
  return add(add(policyLoss, mul(valueLoss, valueCoef)), mul(entropy, -entropyCoef));
}

/**
 * A stateful Adam wrapper: `step(grads)` updates and returns the parameters. The
 * agents' training loops use it where a pure `{ params, state }` update would only add
 * bookkeeping.
 * @example
 * ```ts
 * const trainer = new AdamTrainer({ w: tensor([1, -1]) }, 0.1);
 * const loss = (p: { w: Tensor }) => sum(square(p.w));
 * trainer.step(grad(loss)(trainer.params)).w.toArray(); // [0.9, -0.9]: clipped to global norm 1, then Adam's first step of lr
 * ```
 */
export class AdamTrainer<P> {
  params: P;
  private readonly optimizer: Optimizer<AdamState>;
  private state: AdamState;
  constructor(params: P, lr: number) {
    this.params = params;
    this.optimizer = adam({ lr });
    this.state = this.optimizer.init(params);
  }
  /**
   * One Adam step on `grads`, first clipped to global norm `maxNorm` on the host in
   * float64 (`clipByGlobalNormEager`: this outer step is never differentiated).
   */
  step(grads: P, maxNorm = 1): P {
    const clipped = clipByGlobalNormEager(grads, maxNorm).grads;
    ({ params: this.params, state: this.state } = this.optimizer.update(clipped, this.state, this.params));
    return this.params;
  }
}

/**
 * Per trial (`[B]`), the summed rewards of episodes `from .. to−1`: `src/rl`'s
 * `episodeReturns` over their ticks.
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(1));
 * const exploit = episodeReturnsOf(batch, 1, env.config.episodes); // returns after the first episode
 * exploit.length; // 4: one per trial
 * ```
 */
export function episodeReturnsOf(batch: TrialBatch, from: number, to: number): Float64Array {
  const H = batch.episodeHorizon, L = batch.horizon;
  return episodeReturns(batch, Math.min(from * H, L), Math.min(to * H, L));
}

/**
 * Draws `n` tasks uniformly (with replacement): a meta-batch.
 * @example
 * ```ts
 * const tasks = drawTasks(signGridFamily().train, 16, new Rng(0));
 * ```
 */
export function drawTasks(tasks: readonly SignTask[], n: number, rng: Rng): SignTask[] {
  return Array.from({ length: n }, () => tasks[rng.int(tasks.length)]!);
}

/**
 * The rewards of `batch` with the wrong-goal part scaled by `scale` (the task's correct
 * goal is known from `batch.tasks`).
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = rl2Agent(inputSizeOf(env), 4, 16);
 * const params = agent.init(new Rng(0));
 * const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(1));
 * const shaped = scaleWrongGoalRewards(batch, env.rewards.wrongGoal, penaltyScale(400, 800)); // half the penalty
 * shaped.length === batch.rewards.length; // true
 * ```
 */
export function scaleWrongGoalRewards(batch: TrialBatch, wrongGoal: number, scale: number): Float32Array {
  const rewards = Float32Array.from(batch.rewards);
  if (scale === 1) return rewards;
  const { numEpisodes: B, horizon: L } = batch;
  for (let b = 0; b < B; b++) {
    const correct = batch.tasks[b]!.correct;
    for (let t = 0; t < L; t++) {
      const k = b * L + t, g = batch.entered[k]!;
      if (g >= 0 && g !== correct) rewards[k] = rewards[k]! + (scale - 1) * wrongGoal;
    }
  }
  return rewards;
}

/**
 * The wrong-goal penalty curriculum: the share of the penalty trained on at iteration
 * `it` when it grows linearly from 0 to 1 over the first `warmup` iterations (1 when
 * `warmup` is 0). Entering goals is learnt before it is punished; without it end-to-end
 * agents settle on never entering a goal.
 *
 * @example
 * ```ts
 * penaltyScale(400, 800); // 0.5
 * ```
 */
export function penaltyScale(it: number, warmup: number): number {
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`penaltyWarmup must be a non-negative integer, got ${warmup}`);
  return warmup === 0 ? 1 : Math.min(1, it / warmup);
}
