/**
 * Memory-based meta-learners that play a whole trial with one network and learn,
 * end to end, to explore in the first episodes and exploit in the later ones:
 *
 * - RL² (Duan et al. 2016, arXiv 1611.02779): a GRU policy whose hidden state carries
 *   across the episodes of a trial, inputs = observation, previous action, previous
 *   reward, episode-start flag.
 * - A transformer meta-learner (in the spirit of Melo 2022, "Transformers are
 *   Meta-Reinforcement Learners", arXiv 2206.06614): causal self-attention over the
 *   trial's transitions so far (its context is the whole trial).
 *
 * Both are trained with A2C and GAE over the trial as a single episode
 * ({@link trainSequenceAgent}), backpropagating through the whole trial.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { tensor, zeros } from '../tensor/create.ts';
import { Rng } from '../random/rng.ts';
import { add, reshape, slice } from '../ops/index.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import { noGrad } from '../autodiff/primitive.ts';
import {
  applyDense, gruCell, gruSequence, initDense, initGru, initBlock, initLayerNorm, initDenseScheme, layerNorm,
  positionalEncoding, transformerBlock, transformerBlockStep,
  type BlockParams, type DenseLayer, type GruParams, type InitScheme, type KvCache, type LayerNormParams,
} from './seq.ts';
import {
  actorCriticLoss, AdamTrainer, drawTasks, inputTensor, keepMask, updatesState, rolloutTrials, trialAdvantages, episodeReturnsOf, penaltyScale, scaleWrongGoalRewards,
  type ActorCriticOptions, type StepPolicy, type TrialBatch,
} from './common.ts';
import type { SignGrid, SignTask } from './env.ts';

/** A network that reads a trial's inputs and outputs per-tick logits and values. */
export interface SequenceAgent<P> {
  readonly name: string;
  init(rng: Rng): P;
  /** Logits `[B·L, A]` and values `[B·L]` of every tick of `batch` (differentiable in `params`). */
  evaluate(params: P, batch: TrialBatch): { logits: Tensor; values: Tensor };
  /** A graph-free step function for rollouts of `numTrials` trials. */
  stepper(params: P, numTrials: number): StepPolicy;
}

// --- RL² -----------------------------------------------------------------------

/** {@link rl2Agent}'s parameters: the GRU and its linear policy and value heads. */
export interface Rl2Params {
  readonly gru: GruParams;
  readonly pi: DenseLayer;
  readonly v: DenseLayer;
}

/**
 * The RL² agent: GRU(inputSize → hidden), then linear policy and value heads.
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config);
 * const agent = rl2Agent(inputSizeOf(env), 4, 64);
 * const params = agent.init(new Rng(0));
 * params.gru.wh.shape; // [64, 192]: the three gates of 64 units
 * ```
 */
export function rl2Agent(inputSize: number, numActions: number, hidden = 64): SequenceAgent<Rl2Params> {
  return {
    name: `RL² (GRU ${hidden})`,
    init: (rng) => ({ gru: initGru(rng, inputSize, hidden), pi: initDense(rng, hidden, numActions, 0.1), v: initDense(rng, hidden, 1) }),
    evaluate(p, batch) {
      const { numEpisodes: B, horizon: L } = batch;
      const hs = reshape(gruSequence(p.gru, inputTensor(batch), zeros([B, hidden]), tensor(keepMask(batch), [B, L])), [B * L, hidden]);
      return { logits: applyDense(p.pi, hs), values: reshape(applyDense(p.v, hs), [B * L]) };
    },
    stepper(p, B) {
      let h = zeros([B, hidden]);
      const prevAlive = new Uint8Array(B);
      const horizonFlag = inputSize - 1;
      const deadFlag = inputSize - numActions - 3;
      return (_t, inputs) => noGrad(() => {
        const keep = new Float32Array(B);
        for (let b = 0; b < B; b++) {
          const alive = inputs[b * inputSize + deadFlag] === 0;
          keep[b] = updatesState(alive, prevAlive[b] === 1, inputs[b * inputSize + horizonFlag] === 1) ? 1 : 0;
          prevAlive[b] = alive ? 1 : 0;
        }
        const next = gruCell(p.gru, tensor(inputs.slice(), [B, inputSize]), h);
        const k = tensor(keep, [B, 1]);
        h = add(h, next.sub(h).mul(k));
        return applyDense(p.pi, h).data;
      });
    },
  };
}

// --- transformer -----------------------------------------------------------------

/** {@link transformerAgent}'s parameters: input embedding, pre-LN blocks, final layer norm, policy and value heads. */
export interface TransformerParams {
  readonly embed: DenseLayer;
  readonly blocks: readonly BlockParams[];
  readonly lnF: LayerNormParams;
  readonly pi: DenseLayer;
  readonly v: DenseLayer;
}

/** Options of {@link transformerAgent}. */
export interface TransformerAgentOptions {
  readonly inputSize: number;
  readonly numActions: number;
  /** Context length (the trial length). */
  readonly length: number;
  /** Width D. Default 32. */
  readonly width?: number;
  /** Default 2. */
  readonly numBlocks?: number;
  /** Default 4. */
  readonly numHeads?: number;
  /** Default `'glorot'`. */
  readonly init?: InitScheme;
}

/**
 * The transformer meta-learner: linear embedding plus sinusoidal positions, pre-LN
 * causal transformer blocks, a final layer norm, linear policy and value heads.
 * Rollouts decode incrementally with a key/value cache.
 *
 * @example
 * ```ts
 * const env = new SignGrid(signGridFamily().config), tasks = signGridFamily().train.slice(0, 4);
 * const agent = transformerAgent({ inputSize: inputSizeOf(env), numActions: 4, length: env.trialLength, init: 'depthScaled' });
 * const params = agent.init(new Rng(0));
 * const batch = rolloutTrials(env, tasks, agent.stepper(params, tasks.length), new Rng(1));
 * agent.evaluate(params, batch).logits.shape; // [96, 4]: every tick of the 4 trials
 * ```
 */
export function transformerAgent(options: TransformerAgentOptions): SequenceAgent<TransformerParams> {
  const { inputSize, numActions, length } = options;
  const D = options.width ?? 32, N = options.numBlocks ?? 2, heads = options.numHeads ?? 4, scheme = options.init ?? 'glorot';
  const pe = positionalEncoding(length, D);
  const head = (p: TransformerParams, h: Tensor): Tensor => layerNorm(h, p.lnF);
  return {
    name: `transformer (${N}×${D}, ${heads} heads, ${scheme})`,
    init: (rng) => ({
      embed: initDenseScheme(rng, inputSize, D, scheme, N),
      blocks: Array.from({ length: N }, () => initBlock(rng, D, 2 * D, scheme, N)),
      lnF: initLayerNorm(D),
      pi: initDense(rng, D, numActions, 0.1),
      v: initDense(rng, D, 1),
    }),
    evaluate(p, batch) {
      const { numEpisodes: B, horizon: L } = batch;
      let h = add(applyDense(p.embed, inputTensor(batch)), slice(pe, [0, 0], [L, D]));
      for (const block of p.blocks) h = transformerBlock(block, h, heads);
      const flat = reshape(head(p, h), [B * L, D]);
      return { logits: applyDense(p.pi, flat), values: reshape(applyDense(p.v, flat), [B * L]) };
    },
    stepper(p, B) {
      const caches: (KvCache | null)[] = p.blocks.map(() => null);
      return (t, inputs) => noGrad(() => {
        let h = add(applyDense(p.embed, tensor(inputs.slice(), [B, 1, inputSize])), slice(pe, [t, 0], [1, D]));
        p.blocks.forEach((block, i) => {
          const r = transformerBlockStep(block, h, caches[i]!, heads);
          h = r.y;
          caches[i] = r.cache;
        });
        return applyDense(p.pi, reshape(head(p, h), [B, D])).data;
      });
    },
  };
}

// --- training --------------------------------------------------------------------

/** Options of {@link trainSequenceAgent}. */
export interface SequenceTrainOptions<P = unknown> extends ActorCriticOptions {
  readonly env: SignGrid;
  readonly tasks: readonly SignTask[];
  readonly iterations: number;
  /** Trials per iteration. Default 16. */
  readonly batchSize?: number;
  /** Adam step size. Default 3e-3. */
  readonly lr?: number;
  /** Default 0.99. */
  readonly discount?: number;
  /** Default 0.95. */
  readonly lambda?: number;
  readonly seed?: number;
  /**
   * Wrong-goal penalty curriculum: the penalty the learner is trained on grows linearly
   * from 0 at iteration 0 to the environment's value at this iteration (and stays there),
   * so that entering goals is learned before it is punished. Only the training signal
   * is reshaped; the reported history is the environment's return. Default 0 (off).
   */
  readonly penaltyWarmup?: number;
  /**
   * Entropy bonus schedule: the weight goes linearly from `entropyCoef` (default 0.01)
   * at iteration 0 to `entropyCoefEnd` at the last iteration. Default: constant.
   */
  readonly entropyCoefEnd?: number;
  /** Called after each iteration's update with the parameters it produced. */
  readonly onIteration?: (iteration: number, meanTrialReturn: number, params: P) => void;
}

/**
 * A2C with GAE over whole trials (the trial is one episode, so exploration in early
 * episodes is credited with the returns of later ones), backpropagating through the
 * whole trial. Deterministic under `seed`.
 *
 * @example
 * ```ts
 * const family = signGridFamily(), env = new SignGrid(family.config);
 * const { params, history } = trainSequenceAgent(rl2Agent(inputSizeOf(env), 4, 16), { env, tasks: family.train, iterations: 3, batchSize: 4 });
 * history.length; // 3: the mean trial return of each iteration
 * ```
 */
export function trainSequenceAgent<P>(agent: SequenceAgent<P>, options: SequenceTrainOptions<P>): { params: P; history: number[] } {
  const { env, tasks, iterations, batchSize = 16, lr = 3e-3, discount = 0.99, lambda = 0.95 } = options;
  const rng = new Rng(options.seed ?? 0);
  const trainer = new AdamTrainer(agent.init(rng.split()), lr);
  const warmup = options.penaltyWarmup ?? 0;
  const h0 = options.entropyCoef ?? 0.01, h1 = options.entropyCoefEnd ?? h0;
  const history: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const batch = rolloutTrials(env, drawTasks(tasks, batchSize, rng), agent.stepper(trainer.params, batchSize), rng.split());
    const rewards = scaleWrongGoalRewards(batch, env.rewards.wrongGoal, penaltyScale(it, warmup));
    const entropyCoef = iterations > 1 ? h0 + (h1 - h0) * (it / (iterations - 1)) : h0;
    const loss = (p: P): Tensor => {
      const { logits, values } = agent.evaluate(p, batch);
      const { advantages, targets } = trialAdvantages(batch, rewards, values.data, { discount, lambda });
      return actorCriticLoss(logits, values, batch.actions, advantages, targets, batch.mask, { ...options, entropyCoef });
    };
    const [, g] = valueAndGrad(loss)(trainer.params);
    trainer.step(g as P);
    const returns = episodeReturnsOf(batch, 0, env.config.episodes);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    history.push(mean);
    options.onIteration?.(it, mean, trainer.params);
  }
  return { params: trainer.params, history };
}
