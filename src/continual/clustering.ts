/**
 * The decision rule of task-clustered meta-learning, as pure functions: running
 * statistics of each cluster's post-adaptation score, and the choice between the
 * clusters (or a new one) for a task given every cluster's score on it.
 *
 * A task is described, for each cluster, by its scores on the task's adaptation data
 * before and after adapting that cluster's initialisation. A cluster finds the task
 * *familiar* when every such score is within the cluster's usual range,
 * `score ≥ mean − max(margin, z·sd)` over the tasks it was given (sd from the moving range) (any score while it has
 * seen fewer than `warmup` tasks). The score before adaptation says how far the task is
 * from what the cluster predicts; the score after, how well the cluster adapts to it
 * (an easy task may adapt well from anywhere, so the second alone can be fooled). The task goes to
 * the cluster that adapts best if that cluster finds it familiar; else to a young
 * cluster (one opened within the last `warmup` steps, whose initialisation is still
 * moving towards its type); else it is novel and a new cluster opens (the rule doubles
 * as an out-of-distribution detector).
 */

/**
 * Exponentially weighted statistics of a cluster's scores. The spread is estimated from
 * the moving range |x_t − x_{t−1}| (as in an individuals control chart: sd ≈ mean
 * moving range / 1.128), which, unlike the variance about the mean, is not inflated by
 * the upward trend of a cluster that is still learning.
 */
export interface ClusterStats {
  /** Scores seen. */
  readonly count: number;
  readonly mean: number;
  /** Weighted mean of |x_t − x_{t−1}|. */
  readonly movingRange: number;
  /** The latest score. */
  readonly last: number;
}

/** Stats of a cluster that has seen nothing. */
export const EMPTY_STATS: ClusterStats = { count: 0, mean: 0, movingRange: 0, last: NaN };

/**
 * Adds one score. The weight of the new score is max(1/count, rate): an exact running
 * mean for the first 1/rate scores, exponential forgetting afterwards (so the range
 * follows an initialisation that keeps improving).
 *
 * @example updateClusterStats(updateClusterStats(EMPTY_STATS, 0.8), 0.6) // { count: 2, mean: 0.7, movingRange: 0.2, last: 0.6 }
 */
export function updateClusterStats(stats: ClusterStats, score: number, rate = 0.1): ClusterStats {
  if (!Number.isFinite(score)) return stats;
  const count = stats.count + 1;
  const alpha = Math.max(1 / count, rate);
  const mean = stats.mean + alpha * (score - stats.mean);
  let movingRange = stats.movingRange;
  if (count >= 2) {
    const beta = Math.max(1 / (count - 1), rate);
    movingRange += beta * (Math.abs(score - stats.last) - movingRange);
  }
  return { count, mean, movingRange, last: score };
}

/**
 * The standard deviation implied by the moving range (d₂ = 1.128 for ranges of two).
 * @example
 * ```ts
 * spreadOf({ count: 20, mean: 0.9, movingRange: 0.1128, last: 0.9 }); // 0.1
 * ```
 */
export function spreadOf(stats: ClusterStats): number {
  return stats.movingRange / 1.128;
}

/** Parameters of the familiarity rule; see the module comment. */
export interface NoveltyRule {
  /** Tasks before a cluster's score range is trusted; also steps during which a new cluster is young. Default 5. */
  readonly warmup?: number;
  /** Smallest tolerated drop below a cluster's mean score. Default 0.2. */
  readonly margin?: number;
  /** Tolerated drop in standard deviations. Default 2.5. */
  readonly z?: number;
  /** Never open more clusters than this; the best cluster takes the task instead. Default 8. */
  readonly maxClusters?: number;
}

/**
 * Whether one score is within a cluster's usual range (always, before `warmup` scores).
 * @example acceptsScore({ count: 20, mean: 0.9, movingRange: 0.05, last: 0.9 }, 0.3) // false: below 0.9 − 0.2
 */
export function acceptsScore(stats: ClusterStats, score: number, rule: NoveltyRule = {}): boolean {
  const { warmup = 5, margin = 0.2, z = 2.5 } = rule;
  if (stats.count < warmup) return true;
  return score >= stats.mean - Math.max(margin, z * spreadOf(stats));
}

/**
 * Whether every feature of a task (e.g. its score before and after adaptation) is within
 * the cluster's usual range for that feature; `stats[k]` describes feature k.
 * @example
 * ```ts
 * let mature = EMPTY_STATS;
 * for (const score of [0.9, 0.92, 0.88, 0.91, 0.9, 0.89]) mature = updateClusterStats(mature, score);
 * isFamiliar([mature, mature], [0.85, 0.95]); // true: both are in range
 * isFamiliar([mature, mature], [0.85, 0.2]);  // false
 * ```
 */
export function isFamiliar(stats: readonly ClusterStats[], features: readonly number[], rule: NoveltyRule = {}): boolean {
  return features.every((f, k) => stats[k] === undefined || acceptsScore(stats[k]!, f, rule));
}

/**
 * Adds one task's features to a cluster's per-feature statistics.
 * @example updateFeatureStats([], [0.5, 0.9]) // two ClusterStats with count 1
 */
export function updateFeatureStats(stats: readonly ClusterStats[], features: readonly number[], rate = 0.1): ClusterStats[] {
  return features.map((f, k) => updateClusterStats(stats[k] ?? EMPTY_STATS, f, rate));
}

/** The outcome of {@link chooseCluster}. */
export interface ClusterChoice {
  /** The chosen cluster, or null: open a new one. */
  readonly cluster: number | null;
  /** The cluster that adapts best (highest last feature), −1 when there are none. */
  readonly best: number;
  /** Whether the best cluster found the task familiar. */
  readonly familiar: boolean;
}

/**
 * `features[c]` describes the task as seen by cluster c, its last entry being the
 * score after adaptation. The task goes to the cluster that adapts best, if that
 * cluster finds it familiar. Otherwise to the best-adapting *young* cluster
 * (`young[c]`: opened a few steps ago, its initialisation still moving towards the
 * type it was opened for), and failing that it is novel: null, open a new cluster
 * (unless `maxClusters` exist or `allowNew` is false, when the best cluster takes it).
 *
 * @example
 * ```ts
 * const mature = [{ count: 50, mean: 0.9, movingRange: 0.03, last: 0.9 }];
 * chooseCluster([[0.88], [0.2]], [mature, mature]).cluster;                // 0
 * chooseCluster([[0.3], [0.2]], [mature, mature]).cluster;                 // null: novel
 * chooseCluster([[0.3], [0.2]], [mature, []], [false, true]).cluster;      // 1: the young cluster
 * ```
 */
export function chooseCluster(
  features: readonly (readonly number[])[], stats: readonly (readonly ClusterStats[])[], young: readonly boolean[] = [],
  rule: NoveltyRule = {}, allowNew = true,
): ClusterChoice {
  if (features.length !== stats.length) throw new RangeError(`chooseCluster: features for ${features.length} clusters, stats for ${stats.length}`);
  const maxClusters = rule.maxClusters ?? 8;
  const score = (c: number): number => {
    const f = features[c]!;
    return f.length === 0 ? -Infinity : f[f.length - 1]!;
  };
  const argmax = (allowed: (c: number) => boolean): number => {
    let best = -1;
    for (let c = 0; c < features.length; c++) if (allowed(c) && (best < 0 || score(c) > score(best))) best = c;
    return best;
  };
  const best = argmax(() => true);
  const familiar = best >= 0 && isFamiliar(stats[best]!, features[best]!, rule);
  if (familiar) return { cluster: best, best, familiar };
  const bestYoung = argmax((c) => young[c] === true);
  if (bestYoung >= 0) return { cluster: bestYoung, best, familiar };
  if (allowNew && features.length < maxClusters) return { cluster: null, best, familiar };
  return { cluster: best >= 0 ? best : null, best, familiar };
}
