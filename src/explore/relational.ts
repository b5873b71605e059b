/**
 * A relational, goal-conditioned exploitation head for DREAM on sign grids: the task
 * embedding z is read as a distribution over the K goals, `p = softmax(W z + b)`, and the
 * exploitation policy sees only the *expected offset of the goal it believes in*,
 * `Σ_k p_k · (goal_k − agent)` (the goal offsets are part of every sign-grid observation),
 * and the dead flag — never the agent's absolute cell, nor which goal index it is. "Walk
 * to where the decoded goal is, relative to me" then holds for goal placements never seen
 * in training, where a policy over (absolute observation, z) learnt "index 2 means walk to
 * that corner".
 *
 * The goal readout W is trained with a cross-entropy on the training task's correct goal
 * (from the same noisy embeddings the policy is trained on), so z → goal is learnt
 * directly rather than only through the policy gradient.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { concat, expandDims, mul, reshape, slice, softmax, sum } from '../ops/index.ts';
import { applyDense, type DenseLayer } from './seq.ts';
import type { SignGrid } from './env.ts';

/** Where a sign-grid observation keeps what the relational head reads. */
export interface RelationalLayout {
  readonly obsSize: number;
  readonly numGoals: number;
  /** Index of goal 0's row offset; goal k's `[dr, dc]` is at `goalFrom + 2k`. */
  readonly goalFrom: number;
}

/** Floats the relational policy reads per tick: the believed goal's `[dr, dc]` and the dead flag. */
export const RELATIONAL_INPUT_SIZE = 3;

/**
 * The layout of `env`'s observation (row one-hot, column one-hot, sign offsets, goal
 * offsets, readings, dead flag).
 *
 * @example
 * ```ts
 * relationalLayout(new SignGrid(signGridFamily().config)); // { obsSize: 25, numGoals: 4, goalFrom: 12 }
 * ```
 */
export function relationalLayout(env: SignGrid): RelationalLayout {
  return { obsSize: env.obsSize, numGoals: env.config.numGoals, goalFrom: env.map.height + env.map.width + 2 * env.config.numSigns };
}

/**
 * Goal logits `[N, K]` of embeddings `z [N, d]`: what the head believes about which goal pays.
 *
 * @example
 * ```ts
 * const goal = initDense(new Rng(0), 8, 4); // a goal head on 8-wide embeddings, as DREAM's exploit.goal
 * goalLogits(goal, zeros([3, 8])).shape; // [3, 4]
 * ```
 */
export function goalLogits(goal: DenseLayer, z: Tensor): Tensor {
  return applyDense(goal, z);
}

/**
 * The relational policy's inputs `[N, 3]`: the expected offset of the goal under
 * `softmax(goalLogits(z))`, read from each observation's goal offsets, and its dead flag.
 * Differentiable in `goal` and `z`.
 *
 * @example
 * ```ts
 * const family = signGridFamily(), env = new SignGrid(family.config);
 * env.reset(family.train.slice(0, 2));
 * const obs = new Float32Array(2 * env.obsSize);
 * env.observe(obs);
 * const goal = initDense(new Rng(0), 8, 4); // a goal head on 8-wide embeddings
 * const x = relationalInputs(goal, tensor(obs, [2, env.obsSize]), zeros([2, 8]), relationalLayout(env));
 * x.shape; // [2, 3]
 * ```
 */
export function relationalInputs(goal: DenseLayer, obs: Tensor, z: Tensor, layout: RelationalLayout): Tensor {
  const N = obs.shape[0]!, K = layout.numGoals;
  if (obs.shape[1] !== layout.obsSize || z.shape[0] !== N) {
    throw new RangeError(`relationalInputs: observations [${obs.shape.join(', ')}] and embeddings [${z.shape.join(', ')}] must be [N, ${layout.obsSize}] and [N, d]`);
  }
  const belief = softmax(goalLogits(goal, z), -1); // [N, K]
  const offsets = reshape(slice(obs, [0, layout.goalFrom], [N, 2 * K]), [N, K, 2]);
  const target = sum(mul(offsets, expandDims(belief, -1)), 1); // [N, 2]
  return concat([target, slice(obs, [0, layout.obsSize - 1], [N, 1])], -1);
}
