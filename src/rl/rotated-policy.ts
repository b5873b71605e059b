/**
 * A rotation-equivariant egocentric policy: the {@link egocentricView} features with the
 * four move actions' logits tied by the rotations of the grid (the cyclic group C4).
 *
 * The grid worlds have absolute actions (0 up, 1 right, 2 down, 3 left, 4 stay) and no
 * heading, so a rotated window does not replace the view; it ties weights. One shared
 * scorer `s` reads the agent-centred window turned so that the action's direction points
 * up: `logit(up) = s(view)`, `logit(right) = s(ccw(view))`, `logit(down) = s(ccw²(view))`,
 * `logit(left) = s(ccw³(view))`, where `ccw` turns the window a quarter counter-clockwise
 * (what was right of the agent is then above it). What the scorer learns about "a goal
 * ahead" or "a goal ahead and to the right" therefore holds for every heading: a goal
 * up-right of the agent scores "up" as a goal down-left scores "down". That is the
 * symmetry prior the goal family's out-of-distribution quadrant asks for (its relative
 * goal positions occur in training only in other orientations).
 *
 * The stay action (5 actions) is not a direction: its logit is a separate linear head on
 * the mean of the scorer's last hidden layer over the four rotations, which is invariant
 * under them. The mean is summed as `(h₀ + h₂) + (h₁ + h₃)`: a quarter turn of the map
 * cycles the four terms, which only reorders the operands of those two commutative
 * additions, so the stay logit is invariant to the bit (a left-to-right sum would not be).
 *
 * Turning the map (observation) a quarter clockwise around any cell turns every window a
 * quarter clockwise, which cycles the four views: the move logits are permuted
 * (`logit'(a + 1 mod 4) = logit(a)`) and the stay logit is unchanged. The features are
 * computed in plain JS (the re-centring reads the observations' values) and everything
 * after them with differentiable ops, so `grad` of any order, MAML-RL's estimators and
 * `jit` apply as to any {@link CategoricalPolicy}.
 */
import { add, concat, dense, mul, reshape, slice, cast } from '../ops/index.ts';
import { tensor } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { initDense } from '../nn/sequence.ts';
import { checkChoice, checkInteger, checkNumber, RlError } from './errors.ts';
import { observationPolicy, type CategoricalPolicy, type DenseParams } from './policy.ts';
import { forEachWindow, viewGeometry, writeWindowFeatures, type EgocentricViewOptions } from './egocentric-policy.ts';

/** Parameters of {@link rotatedEgocentricPolicy}. */
export interface RotatedPolicyParams {
  /** The shared scorer's hidden layers, input first (none: the scorer is linear). */
  readonly layers: readonly DenseParams[];
  /** The shared scorer's output: one logit per rotated view (weight `[last, 1]`). */
  readonly score: DenseParams;
  /** The stay logit's head on the rotation-mean of the last hidden layer (5 actions only). */
  readonly stay?: DenseParams;
}

/** Options of {@link rotatedEgocentricPolicy}: the view's, plus the scorer's. */
export interface RotatedEgocentricPolicyOptions extends EgocentricViewOptions {
  /** 4 (up, right, down, left) or 5 (and stay). */
  readonly numActions: number;
  /** Hidden widths of the shared scorer. Default `[32]`; `[]` is a linear scorer. */
  readonly hidden?: readonly number[];
  readonly activation?: 'tanh' | 'relu';
  /** Scale of the score and stay heads' initial weights (default 0.01: near uniform). */
  readonly outputScale?: number;
}

/** Turns a `k × k` row-major window a quarter counter-clockwise: `to[i][j] = from[j][k − 1 − i]`. */
function turnCcw(from: Float32Array, to: Float32Array, k: number): void {
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) to[i * k + j] = from[j * k + k - 1 - i]!;
}

/**
 * The rotation-equivariant egocentric policy (see the module comment). Its feature row
 * per observation is the four rotated views' {@link egocentricView} features, view `a`
 * (the window turned `a` quarters counter-clockwise) at `a · F`; the scorer reads them as
 * `4N` rows of `F`.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(8), numEnvs: 20, maxSteps: 20, observation: { kind: 'gridChannels' } });
 * const policy = rotatedEgocentricPolicy({ height: 8, width: 8, numActions: env.numActions, features: ['axes'] });
 * const params = policy.init(new Rng(0));   // layers: [[90, 32]]; score [32, 1]; stay [32, 1] (5 actions with stay)
 * params.score.weight.shape;                // [32, 1]: one scorer for every direction
 * policy.traceable!.featureSize;           // 360: 4 rotated views × 3 planes × 2·15 axes
 * const batch = collectEpisodes(env, policy, params, 1);
 * ```
 */
export function rotatedEgocentricPolicy(options: RotatedEgocentricPolicyOptions): CategoricalPolicy<RotatedPolicyParams> {
  const caller = 'rotatedEgocentricPolicy';
  const view = viewGeometry(caller, options);
  const numActions = checkInteger(caller, 'numActions', options.numActions);
  if (numActions !== 4 && numActions !== 5) {
    throw new RlError(`${caller}: numActions must be 4 (up, right, down, left) or 5 (and stay), got ${numActions}`);
  }
  const hidden = options.hidden ?? [32];
  if (!Array.isArray(hidden)) throw new RlError(`${caller}: hidden must be an array of layer widths, got ${JSON.stringify(hidden)}`);
  hidden.forEach((h, i) => checkInteger(caller, `hidden[${i}]`, h));
  const activation = checkChoice(caller, 'activation', options.activation ?? 'tanh', ['tanh', 'relu']);
  const outputScale = checkNumber(caller, 'outputScale', options.outputScale ?? 0.01, 0);
  const { k, perPlane, inputSize } = view;
  const F = view.planes.length * perPlane;
  const featureSize = 4 * F;
  const last = hidden.length > 0 ? hidden[hidden.length - 1]! : F;
  const withStay = numActions === 5;

  const features = (obs: ArrayLike<number>, count: number): Float32Array => {
    const out = new Float32Array(count * featureSize);
    const turned = [new Float32Array(k * k), new Float32Array(k * k), new Float32Array(k * k)];
    forEachWindow(view, obs, count, (i, p, window) => {
      let from = window;
      for (let a = 0; a < 4; a++) {
        if (a > 0) { turnCcw(from, turned[a - 1]!, k); from = turned[a - 1]!; }
        writeWindowFeatures(view, from, out, i * featureSize + a * F + p * perPlane);
      }
    });
    return out;
  };

  /** The logits `[N, numActions]` of feature rows `[N, 4F]`: ops only. */
  const network = (params: RotatedPolicyParams, rows: Tensor): Tensor => {
    if (!Array.isArray(params?.layers) || params.layers.length !== hidden.length || params.score === undefined || (params.stay !== undefined) !== withStay) {
      throw new RlError(
        `${caller}: params must hold ${hidden.length} hidden layers, a score head${withStay ? ' and a stay head' : ' and no stay head (4 actions)'}, ` +
        `got ${String(params?.layers?.length)} layers${params?.score === undefined ? ', no score' : ''}${params?.stay === undefined ? ', no stay' : ', a stay head'}`,
      );
    }
    const n = rows.shape[0]!;
    const dtype = params.score.weight.dtype;
    // Row 4i + a: view a of observation i.
    let x = reshape(rows.dtype === dtype ? rows : cast(rows, dtype), [4 * n, F]);
    for (const layer of params.layers) x = dense(x, layer.weight, layer.bias, activation);
    const moves = reshape(dense(x, params.score.weight, params.score.bias), [n, 4]);
    if (!params.stay) return moves;
    const h = reshape(x, [n, 4 * last]);
    const turn = (a: number): Tensor => slice(h, [0, a * last], [n, last]);
    // Opposite rotations paired: a quarter turn only swaps commutative operands (see the module comment).
    const mean = mul(add(add(turn(0), turn(2)), add(turn(1), turn(3))), 0.25);
    return concat([moves, dense(mean, params.stay.weight, params.stay.bias)], 1);
  };

  const forward = (params: RotatedPolicyParams, obs: Tensor): Tensor => {
    const n = obs.shape[0]!;
    return network(params, tensor(features(obs.data, n), [n, featureSize]));
  };

  const sizes = [F, ...hidden];
  return {
    name: `rotated egocentric ${view.features.join('+')} r${view.radius}: scorer ${[...sizes, 1].join('-')} ${activation} tied over 4 rotations${withStay ? ', stay on their mean' : ''}`,
    numActions,
    obsSize: inputSize,
    init(rng) {
      const layers = hidden.map((h, i) => initDense(rng, sizes[i]!, h));
      const score = initDense(rng, last, 1, outputScale);
      return withStay ? { layers, score, stay: initDense(rng, last, 1, outputScale) } : { layers, score };
    },
    ...observationPolicy(caller, inputSize, numActions, forward),
    // The re-centring reads values: it runs on the features' side.
    traceable: { featureSize, features, logits: network },
  };
}
