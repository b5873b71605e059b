/**
 * The one backward recursion of generalised advantage estimation (Schulman et al. 2016),
 * shared by MAML-RL's padded episodes (`generalizedAdvantages`) and the exploration
 * agents' multi-episode trials (`trialAdvantages`): the two differ only in where a sum
 * restarts and what it bootstraps from, which each says through `cutAt`.
 */

/**
 * Where the advantage sum restarts at live step `k` (time `t`): `null` to carry on from
 * the next live step (`nextLive`, its time index, or `length` if there is none), or the
 * value to bootstrap from when the sum restarts here (0 after a terminal step).
 */
export type CutAt = (k: number, t: number, nextLive: number) => number | null;

/**
 * Over `count` sequences of `length` steps (`k = i·length + t`), last step first, at
 * every step with `live[k] ≠ 0`: `δ = r + γ·V′ − V` and `A = δ + γλ·A′`, where `V′, A′`
 * are the next live step's value and advantage, or `cutAt`'s bootstrap value and 0 where
 * the sum restarts. Writes `advantages[k]` (and `targets[k] = A + V` if given); dead
 * steps are left as they are. The sum runs in float64 and is rounded once per store.
 *
 * @example
 * ```ts
 * const adv = new Float32Array(3);
 * // one 3-step sequence, γ = λ = 1, values 0, ending in a terminal step
 * advantageRecursion([1, 1, 1], [0, 0, 0], [1, 1, 1], 1, 3, 1, 1, (_k, t) => (t === 2 ? 0 : null), adv);
 * Array.from(adv); // [3, 2, 1]
 * ```
 */
export function advantageRecursion(
  rewards: ArrayLike<number>, values: ArrayLike<number>, live: ArrayLike<number>,
  count: number, length: number, discount: number, lambda: number, cutAt: CutAt,
  advantages: Float32Array, targets?: Float32Array,
): void {
  for (let i = 0; i < count; i++) {
    let nextValue = 0, running = 0, nextLive = length;
    for (let t = length - 1; t >= 0; t--) {
      const k = i * length + t;
      if (!live[k]) continue;
      const cut = cutAt(k, t, nextLive);
      const delta = rewards[k]! + discount * (cut === null ? nextValue : cut) - values[k]!;
      running = delta + (cut === null ? discount * lambda * running : 0);
      advantages[k] = running;
      if (targets !== undefined) targets[k] = running + values[k]!;
      nextValue = values[k]!;
      nextLive = t;
    }
  }
}
