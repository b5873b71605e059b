/**
 * A fully convolutional grid-world policy: the similarity assumption "a grid world looks
 * the same wherever you stand in it", built into the architecture.
 *
 * It reads the `gridChannels` observation (`[C, H, W]` planes: walls, agent, goal, lava),
 * runs same-padded convolutions, maps every cell to action logits with a 1×1
 * convolution, and reads the logits out at the agent's cell (the agent plane is one-hot,
 * so the readout is a dot product with it). Every weight is shared over positions, so
 * the policy is translation-equivariant: what it learns about "goal two cells to the
 * right" at one place holds at every place, including cells and goal positions it never
 * trained on — which a tabular policy, or an MLP over absolute position, cannot do.
 */
import { conv2d } from '../ops/conv.ts';
import { cast, mul, relu, tanh } from '../ops/elementwise.ts';
import { reshape, slice } from '../ops/movement.ts';
import { sum } from '../ops/reduce.ts';
import { tensor, zeros } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random/rng.ts';
import { checkChoice, checkInteger, RlError } from './errors.ts';
import { observationPolicy, type CategoricalPolicy } from './policy.ts';

/** One convolution's parameters: weight `[O, C, k, k]`, bias `[O]`. */
export interface ConvLayerParams {
  readonly weight: Tensor;
  readonly bias: Tensor;
}

/** Parameters of {@link convPolicy}: the hidden convolutions and the 1×1 action head. */
export interface ConvPolicyParams {
  readonly layers: readonly ConvLayerParams[];
  readonly head: ConvLayerParams;
}

/** Options of {@link convPolicy}. */
export interface ConvPolicyOptions {
  readonly height: number;
  readonly width: number;
  readonly numActions: number;
  /** Observation planes (default 4, the `gridChannels` encoding). */
  readonly channels?: number;
  /** Which plane is the one-hot agent position (default 1, as `gridChannels`). */
  readonly agentChannel?: number;
  /** Channels of each hidden convolution (default [16, 16]). */
  readonly hidden?: readonly number[];
  /** Odd kernel size of the hidden convolutions (default 3; same padding). */
  readonly kernel?: number;
  /**
   * Dilation of each hidden convolution (default 1 for every layer). Growing dilations
   * (1, 2, 4) widen the receptive field to 1 + (kernel − 1)·Σ dilations cells, so the cell
   * the agent stands on can see a goal across the grid at the cost of one layer each.
   */
  readonly dilations?: readonly number[];
  readonly activation?: 'relu' | 'tanh';
  /** Scale of the head's initial weights: small starts near the uniform policy (default 0.01). */
  readonly outputScale?: number;
}

/**
 * A translation-equivariant convolutional policy over `gridChannels` observations
 * (see the module comment), usable wherever a {@link CategoricalPolicy} is: MAML-RL,
 * its exact oracle (`stateLogits`), REINFORCE and A2C.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(8), numEnvs: 20, maxSteps: 20, observation: { kind: 'gridChannels' } });
 * const policy = convPolicy({ height: 8, width: 8, numActions: 4, hidden: [16, 16] });
 * const params = policy.init(new Rng(0));   // layers: [16, 4, 3, 3], [16, 16, 3, 3]; head [4, 16, 1, 1]
 * const batch = collectEpisodes(env, policy, params, 1);
 * ```
 */
export function convPolicy(options: ConvPolicyOptions): CategoricalPolicy<ConvPolicyParams> {
  const height = checkInteger('convPolicy', 'height', options.height);
  const width = checkInteger('convPolicy', 'width', options.width);
  const numActions = checkInteger('convPolicy', 'numActions', options.numActions);
  const channels = checkInteger('convPolicy', 'channels', options.channels ?? 4);
  const agentChannel = checkInteger('convPolicy', 'agentChannel', options.agentChannel ?? 1, 0);
  if (agentChannel >= channels) throw new RlError(`convPolicy: agentChannel ${agentChannel} is not one of the ${channels} channels`);
  const hidden = options.hidden ?? [16, 16];
  hidden.forEach((h, i) => checkInteger('convPolicy', `hidden[${i}]`, h));
  const kernel = checkInteger('convPolicy', 'kernel', options.kernel ?? 3);
  if (kernel % 2 !== 1) throw new RlError(`convPolicy: kernel must be odd (same padding keeps the grid's size), got ${kernel}`);
  const dilations = options.dilations ?? hidden.map(() => 1);
  if (dilations.length !== hidden.length) throw new RlError(`convPolicy: dilations needs one entry per hidden layer (${hidden.length}), got ${dilations.length}`);
  dilations.forEach((d, i) => checkInteger('convPolicy', `dilations[${i}]`, d));
  const activation = checkChoice('convPolicy', 'activation', options.activation ?? 'relu', ['relu', 'tanh']);
  const outputScale = options.outputScale ?? 0.01;
  const act = activation === 'tanh' ? tanh : relu;
  const obsSize = channels * height * width;
  // Same padding for each layer's dilated kernel.
  const paddings = dilations.map((d) => (d * (kernel - 1)) / 2);

  const forward = (params: ConvPolicyParams, obs: Tensor): Tensor => {
    if (!Array.isArray(params?.layers) || params.layers.length !== hidden.length || params.head === undefined) {
      throw new RlError(`convPolicy: params must hold ${hidden.length} layers and a head, got ${String(params?.layers?.length)} layers`);
    }
    const n = obs.shape[0]!;
    const dtype = params.head.weight.dtype;
    let planes = reshape(obs.dtype === dtype ? obs : cast(obs, dtype), [n, channels, height, width]);
    const agent = slice(planes, [0, agentChannel, 0, 0], [n, 1, height, width]);
    params.layers.forEach((layer, i) => { planes = act(conv2d(planes, layer.weight, { padding: paddings[i]!, dilation: dilations[i]!, bias: layer.bias })); });
    const perCell = conv2d(planes, params.head.weight, { bias: params.head.bias });
    // The agent plane is one-hot: the readout picks the logits of the agent's cell.
    return sum(mul(perCell, agent), [2, 3]);
  };

  const initLayer = (rng: Rng, out: number, inp: number, k: number, scale: number): ConvLayerParams => {
    const limit = scale / Math.sqrt(inp * k * k);
    const w = new Float32Array(out * inp * k * k);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * limit;
    return { weight: tensor(w, [out, inp, k, k]), bias: zeros([out]) };
  };

  return {
    name: `conv ${[channels, ...hidden].join('-')} k${kernel}${dilations.some((d) => d !== 1) ? ` dilations ${dilations.join(',')}` : ''} ${activation} → ${numActions} at the agent`,
    numActions,
    obsSize,
    init(rng) {
      const layers: ConvLayerParams[] = [];
      let inp = channels;
      for (const h of hidden) { layers.push(initLayer(rng, h, inp, kernel, 1)); inp = h; }
      return { layers, head: initLayer(rng, numActions, inp, 1, outputScale) };
    },
    ...observationPolicy('convPolicy', obsSize, numActions, forward),
  };
}
