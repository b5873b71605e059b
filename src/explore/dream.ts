/**
 * Decoupled exploration and exploitation, after DREAM (Liu et al. 2021, "Decoupling
 * Exploration and Exploitation for Meta-Reinforcement Learning without Sacrifices",
 * arXiv 2008.02790), on sign grids.
 *
 * - Exploitation: a feed-forward policy π(a | o, z) conditioned on a task embedding
 *   `z = f(μ) + σε` of the training task's identity μ (learnt tables), with an
 *   information bottleneck `λ‖f(μ)‖²` so that z keeps only what the policy needs.
 * - Decoder: a GRU q(z | τ) reading the exploration trajectory, trained to predict
 *   f(μ) (mean squared error; f is held fixed in this loss).
 * - Exploration: a recurrent (GRU) policy whose reward at tick t is the information
 *   gain `‖f(μ) − q(τ<t)‖² − ‖f(μ) − q(τ≤t)‖²` (the decoder's error drop) minus a
 *   small step cost. Its objective is independent of the exploitation policy's
 *   behaviour, which is what removes the chicken-and-egg problem of end-to-end
 *   meta-RL.
 *
 * Meta-test: one exploration episode, z = the decoder's final prediction, then
 * exploitation episodes with π(a | o, z).
 */
import type { Tensor } from '../tensor/tensor.ts';
import { tensor, zeros } from '../tensor/create.ts';
import { Rng } from '../random/rng.ts';
import { add, mul, sub, sum, square, reshape, concat, take, broadcastTo, expandDims, mean, slice, crossEntropy } from '../ops/index.ts';
import { valueAndGrad } from '../autodiff/transforms.ts';
import { noGrad } from '../autodiff/primitive.ts';
import { applyDense, gruSequence, initDense, initGru, type DenseLayer, type GruParams } from './seq.ts';
import {
  actorCriticLoss, AdamTrainer, drawTasks, inputTensor, liveWeights, rolloutTrials, trialAdvantages, inputSizeOf,
  type StepPolicy, type TrialBatch,
} from './common.ts';
import { rl2Agent, type Rl2Params, type SequenceAgent } from './rl2.ts';
import { SignGrid, type SignGridConfig, type SignTask } from './env.ts';
import { goalLogits, relationalInputs, relationalLayout, RELATIONAL_INPUT_SIZE, type RelationalLayout } from './relational.ts';
import { maskTensor, observationTensor } from '../rl/rollout.ts';

/** DREAM's exploitation network: one tanh layer over (observation, z), then policy and value heads. */
export interface ExploitParams {
  readonly l1: DenseLayer;
  readonly pi: DenseLayer;
  readonly v: DenseLayer;
  /** The `'relational'` view's goal readout z → K goal logits (see `relational.ts`); absent otherwise. */
  readonly goal?: DenseLayer;
}

/**
 * What the exploitation policy reads of a sign-grid observation (row one-hot H, column
 * one-hot W, then sign offsets, goal offsets, readings, dead flag):
 * - `'full'`: all of it (what every other agent sees);
 * - `'relative'`: all but the row and column one-hots, so the agent knows where it is
 *   only relative to the signs and goals (an attempt at goal placements never seen in
 *   training: the policy cannot key its moves to absolute cells).
 * - `'relational'`: z read as a belief over the goals, and only the believed goal's
 *   offset from the agent (plus the dead flag) drives the policy (`relational.ts`).
 */
export type ExploitViewKind = 'full' | 'relative' | 'relational';
/** Every {@link ExploitViewKind} (what `exploitView` accepts). */
export const EXPLOIT_VIEWS: readonly ExploitViewKind[] = ['full', 'relative', 'relational'];

/** Which observation floats the exploitation policy reads: `from .. obsSize − 1`. */
export interface ExploitView {
  readonly kind: ExploitViewKind;
  readonly obsSize: number;
  readonly from: number;
  /** Where the relational head reads the goal offsets (the `'relational'` view only). */
  readonly relational?: RelationalLayout;
}

/**
 * The observation slice of `env` under a view kind.
 *
 * @example
 * ```ts
 * exploitView(new SignGrid(signGridFamily().config), 'relative').from; // 5 + 5
 * ```
 */
export function exploitView(env: SignGrid, kind: ExploitViewKind): ExploitView {
  if (!EXPLOIT_VIEWS.includes(kind)) throw new RangeError(`exploitView must be one of ${EXPLOIT_VIEWS.join(', ')}, got '${String(kind)}'`);
  if (kind === 'relational') return { kind, obsSize: env.obsSize, from: 0, relational: relationalLayout(env) };
  return { kind, obsSize: env.obsSize, from: kind === 'relative' ? env.map.height + env.map.width : 0 };
}

/** DREAM's decoder: a GRU over an exploration trial and a head predicting the task embedding z. */
export interface DecoderParams {
  readonly gru: GruParams;
  readonly out: DenseLayer;
}

/** Everything DREAM learns. */
export interface DreamParams {
  /**
   * f(μ) = `goal[μ.correct] + sign[μ's sign placement]`: the task identity is encoded
   * by its two attributes, each with a learnt table (`[K, d]` and `[M, d]`), so tasks
   * that share a goal share that part of their embedding. The bottleneck is what
   * removes the sign part, which the exploitation policy does not need.
   */
  readonly embed: { readonly goal: Tensor; readonly sign: Tensor };
  readonly exploit: ExploitParams;
  readonly decoder: DecoderParams;
  readonly explorer: Rl2Params;
}

/** Options of {@link trainDream}. */
export interface DreamOptions {
  /** The trial's configuration; DREAM explores and exploits in one-episode sub-trials of it. */
  readonly config: SignGridConfig;
  /** Training tasks. */
  readonly tasks: readonly SignTask[];
  readonly iterations: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Size of z. Default 8. */
  readonly embedSize?: number;
  /** Noise σ of z = f(μ) + σε. Default 0.3. */
  readonly noise?: number;
  /** Bottleneck weight λ. Default 0.03. */
  readonly bottleneck?: number;
  /** Hidden width of every network. Default 32. */
  readonly hidden?: number;
  /**
   * Step cost in the exploration reward. Default 0.01. The exploration study
   * (`trainExploreAgent`) uses 0 with `entropyCoef` 0.05: on the two-sign and noisy grids
   * the defaults let the explorer stop visiting the signs before the decoder reads them.
   */
  readonly stepCost?: number;
  /** Adam step size. Default 5e-3. */
  readonly lr?: number;
  /**
   * Standard deviation of the initial embeddings. Default 1: distinct tasks start with
   * distinguishable z, so the exploitation policy can tell them apart before it learns
   * to avoid the wrong-goal penalty by never entering a goal (a local optimum).
   */
  readonly embedInit?: number;
  /** Entropy bonus of both policies. Default 0.01 (the exploration study: 0.05; see `stepCost`). */
  readonly entropyCoef?: number;
  /** What the exploitation policy reads of the observation (see {@link ExploitViewKind}). Default `'full'`. */
  readonly exploitView?: ExploitViewKind;
  readonly seed?: number;
  /** Called after each iteration's updates; `snapshot` builds the agent as it is now. */
  readonly onIteration?: (iteration: number, record: { exploitReturn: number; decoderError: number }, snapshot: () => DreamAgent) => void;
}

/** The trained agent: parameters plus the functions that use them. */
export interface DreamAgent {
  readonly params: DreamParams;
  readonly explorerAgent: SequenceAgent<Rl2Params>;
  /** One-episode version of the trial's environment. */
  readonly episodeEnv: SignGrid;
  /** What the exploitation policy reads of an observation. */
  readonly exploitView: ExploitView;
  /** f(μ) of training tasks (the embeddings the decoder learns to predict). */
  embedTasks(tasks: readonly SignTask[]): Tensor;
  /** Exploitation logits `[N, A]` of observations `[N, obsSize]` under embeddings `[N, d]` (read through `exploitView`). */
  exploitLogits(params: ExploitParams, obs: Tensor, z: Tensor): Tensor;
  /** Decoded z `[B, d]` at the end of each recorded exploration trial. */
  decode(params: DecoderParams, batch: TrialBatch): Tensor;
  readonly history: { exploitReturn: number; decoderError: number }[];
}

function exploitForward(p: ExploitParams, obs: Tensor, z: Tensor, view: ExploitView): { logits: Tensor; values: Tensor } {
  const N = obs.shape[0]!;
  const seen = view.from === 0 ? obs : slice(obs, [0, view.from], [N, view.obsSize - view.from]);
  const input = view.relational ? relationalInputs(p.goal!, obs, z, view.relational) : concat([seen, z], -1);
  const h = applyDense(p.l1, input, 'tanh');
  return { logits: applyDense(p.pi, h), values: reshape(applyDense(p.v, h), [N]) };
}

/** `z [B, d]` repeated over L ticks: `[B·L, d]`. */
function perTick(z: Tensor, L: number): Tensor {
  const [B, d] = z.shape as [number, number];
  return reshape(broadcastTo(expandDims(z, 1), [B, L, d]), [B * L, d]);
}

/** Decoder predictions `[B, L, d]` after each tick (reading inputs rows 1..L, frozen after death). */
function decoderPredictions(p: DecoderParams, batch: TrialBatch): Tensor {
  const { numEpisodes: B, horizon: L } = batch;
  const H = p.gru.wh.shape[0]!;
  const hs = gruSequence(p.gru, inputTensor(batch, 1, L), zeros([B, H]), maskTensor(batch));
  return applyDense(p.out, hs);
}

/**
 * A step policy for the exploitation network with fixed per-trial embeddings `z [B, d]`,
 * reading observations through `view` (see {@link DreamAgent.exploitView}). Runs
 * under `noGrad`: it acts, it records no graph.
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const dream = trainDream({ config: family.config, tasks: family.train, iterations: 2, batchSize: 4 });
 * // Exploit training tasks with their true embeddings f(μ) (an upper bound on decoding):
 * const tasks = family.train.slice(0, 4);
 * const z = dream.embedTasks(tasks);
 * const policy = exploitStepper(dream.params.exploit, z, dream.exploitView, inputSizeOf(dream.episodeEnv));
 * rolloutTrials(dream.episodeEnv, tasks, policy, new Rng(0), true);
 * ```
 */
export function exploitStepper(params: ExploitParams, z: Tensor, view: ExploitView, inputSize: number): StepPolicy {
  const B = z.shape[0]!, O = view.obsSize;
  return (_t, inputs) => noGrad(() => {
    const obs = new Float32Array(B * O);
    for (let b = 0; b < B; b++) obs.set(inputs.subarray(b * inputSize, b * inputSize + O), b * O);
    return exploitForward(params, tensor(obs, [B, O]), z, view).logits.data;
  });
}

/**
 * Trains DREAM: each iteration updates (1) the exploitation policy and the embedding
 * table with A2C on one-episode trials conditioned on noisy embeddings, plus the
 * bottleneck; (2) the decoder on exploration trajectories; (3) the exploration policy
 * with A2C on the information-gain reward. Deterministic under `seed`.
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * // a few iterations to show the call; the study trains for hundreds (see RESULTS.md)
 * const dream = trainDream({ config: family.config, tasks: family.train, iterations: 3, batchSize: 8 });
 * dream.history.length; // 3: the exploit return and decoder error of each iteration
 * ```
 */
export function trainDream(options: DreamOptions): DreamAgent {
  const { config, tasks, iterations } = options;
  const B = options.batchSize ?? 32, d = options.embedSize ?? 8, sigma = options.noise ?? 0.3;
  const lambdaIb = options.bottleneck ?? 0.03, hidden = options.hidden ?? 32, stepCost = options.stepCost ?? 0.01;
  const lr = options.lr ?? 5e-3;
  const embedInit = options.embedInit ?? 1;
  const entropyCoef = options.entropyCoef ?? 0.01;
  const signKey = (t: SignTask): string => t.signs.map((p) => p.join(',')).join(';');
  const signIndex = new Map<string, number>();
  for (const t of tasks) if (!signIndex.has(signKey(t))) signIndex.set(signKey(t), signIndex.size);
  const embedOf = (e: DreamParams['embed'], batch: readonly SignTask[]): Tensor =>
    add(take(e.goal, batch.map((t) => t.correct), 0), take(e.sign, batch.map((t) => signIndex.get(signKey(t))!), 0));
  const env = new SignGrid({ ...config, episodes: 1 });
  const O = env.obsSize, I = inputSizeOf(env), A = env.numActions, L = env.trialLength;
  const view = exploitView(env, options.exploitView ?? 'full');
  const rng = new Rng(options.seed ?? 0);
  const init = rng.split();
  const explorerAgent = rl2Agent(I, A, hidden);
  const exploitTrainer = new AdamTrainer({
    embed: {
      goal: tensor(Float32Array.from({ length: config.numGoals * d }, () => embedInit * init.normal()), [config.numGoals, d]),
      sign: tensor(Float32Array.from({ length: signIndex.size * d }, () => embedInit * init.normal()), [signIndex.size, d]),
    },
    exploit: {
      l1: initDense(init, view.relational ? RELATIONAL_INPUT_SIZE : O - view.from + d, 2 * hidden), pi: initDense(init, 2 * hidden, A, 0.1), v: initDense(init, 2 * hidden, 1),
      ...(view.relational && { goal: initDense(init, d, config.numGoals) }),
    },
  }, lr);
  const decoderTrainer = new AdamTrainer<DecoderParams>({ gru: initGru(init, I, hidden), out: initDense(init, hidden, d) }, lr);
  const explorerTrainer = new AdamTrainer(explorerAgent.init(init), lr);
  const history: { exploitReturn: number; decoderError: number }[] = [];

  for (let it = 0; it < iterations; it++) {
    // (1) exploitation with z = f(μ) + σε
    const batchTasks = drawTasks(tasks, B, rng);
    const eps = tensor(Float32Array.from({ length: B * d }, () => sigma * rng.normal()), [B, d]);
    const { embed, exploit } = exploitTrainer.params;
    const zNoisy = noGrad(() => add(embedOf(embed, batchTasks), eps));
    const ex = rolloutTrials(env, batchTasks, exploitStepper(exploit, zNoisy, view, I), rng.split());
    const obs = observationTensor(ex);
    const [, gExploit] = valueAndGrad((p: typeof exploitTrainer.params): Tensor => {
      const zb = embedOf(p.embed, batchTasks);
      const { logits, values } = exploitForward(p.exploit, obs, perTick(add(zb, eps), L), view);
      const { advantages, targets } = trialAdvantages(ex, ex.rewards, values.data, { discount: 0.99, lambda: 0.95, resetAtEpisodes: true });
      const ac = actorCriticLoss(logits, values, ex.actions, advantages, targets, ex.mask, { entropyCoef });
      const loss = add(ac, mul(mean(sum(square(zb), -1)), lambdaIb));
      // The relational head's goal readout learns z → goal directly, on the same noisy z.
      return p.exploit.goal ? add(loss, crossEntropy(goalLogits(p.exploit.goal, add(zb, eps)), batchTasks.map((t) => t.correct))) : loss;
    })(exploitTrainer.params);
    exploitTrainer.step(gExploit as typeof exploitTrainer.params);
    let exploitReturn = 0;
    for (let k = 0; k < ex.rewards.length; k++) exploitReturn += ex.rewards[k]! / B;

    // (2) decoder and (3) exploration on the same exploration trials
    const target = noGrad(() => embedOf(exploitTrainer.params.embed, batchTasks)); // [B, d], held fixed
    const explore = rolloutTrials(env, batchTasks, explorerAgent.stepper(explorerTrainer.params, B), rng.split());
    let decoderError = 0;
    const [, gDecoder] = valueAndGrad((p: DecoderParams): Tensor => {
      const preds = decoderPredictions(p, explore); // [B, L, d]
      const err = sum(square(sub(preds, expandDims(target, 1))), -1); // [B, L]
      const loss = sum(mul(err, tensor(liveWeights(explore.mask).weights, [B, L]))); // mean over live ticks
      decoderError = loss.data[0]!;
      return loss;
    })(decoderTrainer.params);
    // Information-gain rewards from the decoder before its update (as in DREAM).
    const rewards = noGrad(() => {
      const dec = decoderTrainer.params;
      const errs = sum(square(sub(decoderPredictions(dec, explore), expandDims(target, 1))), -1).data;
      const prior = sum(square(sub(target, dec.out.bias)), -1).data; // q(z | empty trajectory)
      const r = new Float32Array(B * L);
      for (let b = 0; b < B; b++) {
        let before = prior[b]!;
        for (let t = 0; t < L; t++) {
          const k = b * L + t;
          if (!explore.mask[k]) continue;
          r[k] = before - errs[k]! - stepCost;
          before = errs[k]!;
        }
      }
      return r;
    });
    decoderTrainer.step(gDecoder as DecoderParams);
    const [, gExplore] = valueAndGrad((p: Rl2Params): Tensor => {
      const { logits, values } = explorerAgent.evaluate(p, explore);
      const { advantages, targets } = trialAdvantages(explore, rewards, values.data, { discount: 0.99, lambda: 0.95 });
      return actorCriticLoss(logits, values, explore.actions, advantages, targets, explore.mask, { entropyCoef });
    })(explorerTrainer.params);
    explorerTrainer.step(gExplore as Rl2Params);

    const record = { exploitReturn, decoderError };
    history.push(record);
    options.onIteration?.(it, record, () => assemble(history.slice()));
  }
  return assemble(history);

  function assemble(records: DreamAgent['history']): DreamAgent {
    const params: DreamParams = { ...exploitTrainer.params, decoder: decoderTrainer.params, explorer: explorerTrainer.params };
    return {
      params, explorerAgent, episodeEnv: env, exploitView: view, history: records,
      embedTasks: (batch) => noGrad(() => embedOf(params.embed, batch)),
      exploitLogits: (p, obs, z) => exploitForward(p, obs, z, view).logits,
      decode: (p, batch) => noGrad(() => {
        const preds = decoderPredictions(p, batch);
        const [Bb, Lb, db] = preds.shape as [number, number, number];
        return reshape(preds.slice([0, Lb - 1, 0], [Bb, 1, db]), [Bb, db]);
      }),
    };
  }
}
