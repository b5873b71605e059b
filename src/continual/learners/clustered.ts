/**
 * Task-clustered meta-learning: several meta-initialisations, one per cluster of tasks.
 */
import { Rng } from '../../random/rng.ts';
import { noGrad } from '../../autodiff/primitive.ts';
import { treeZip } from '../../autodiff/tree.ts';
import { addScaled, sub } from '../../ops/index.ts';
import type { OptimizerState } from '../../optim/state.ts';
import type { TypedTask } from '../problem.ts';
import { chooseCluster, updateFeatureStats, type ClusterChoice, type ClusterStats, type NoveltyRule } from '../clustering.ts';
import type { ChangeDetector } from '../changepoint.ts';
import type { ContinualLearner, LearnerOptions, StepReport } from './learner.ts';

/** `optimizer` is the outer one; each cluster keeps its own state. */
export interface ClusteredOptions<P, T extends TypedTask, S extends OptimizerState> extends LearnerOptions<P, T, S> {
  /** Inner steps for selection, the meta-gradient and test time. Default 1. */
  readonly innerSteps?: number;
  /** When to open a cluster; see `clustering.ts`. */
  readonly rule?: NoveltyRule;
  /**
   * Polyak averaging of each cluster's initialisation: selection, reports and evaluation
   * use a running average of the meta-iterates, each update moving it `averaging` of the
   * way (a uniform average over a cluster's first 1/averaging updates). One meta-update
   * per task makes the latest iterate chase the latest task, so its quality on the
   * type swings from task to task; the average does not, which stops a cluster that
   * was frozen on a bad iterate from failing its own type on return (a false novelty,
   * then a duplicate cluster). 0 (default) uses the latest iterate. In [0, 1).
   */
  readonly averaging?: number;
  /** Rate of the clusters' running score statistics. Default 0.1. */
  readonly statsRate?: number;
  /**
   * How a new cluster starts: `'fresh'` parameters from `problem.init`, or `'copy'` of
   * the cluster that adapted best (transfer from the nearest known cluster). Default `'copy'`.
   */
  readonly newCluster?: 'fresh' | 'copy';
  /**
   * Re-select the cluster only when this detector fires on the current cluster's
   * selection scores (or when a switch is announced); otherwise keep the current
   * cluster, which costs one adaptation per step instead of one per cluster. Default:
   * select at every step.
   */
  readonly detector?: ChangeDetector;
  /**
   * Open a cluster once `patience` of the last `patienceWindow` selections were novel
   * (defaults 3 of 4; 1 of 1 opens on the first novel task). A novel task before that
   * is flagged (`novel` in the report: an out-of-distribution alarm), scored with the
   * best cluster and not learnt from; the new cluster is trained on those pending tasks.
   */
  readonly patience?: number;
  readonly patienceWindow?: number;
  readonly seed?: number;
  /** Called at every selection with each cluster's score and its statistics before the choice (diagnostics). */
  readonly onSelect?: (t: number, features: readonly (readonly number[])[], stats: readonly (readonly ClusterStats[])[], choice: ClusterChoice) => void;
}

interface Cluster<P, S> {
  /** The latest meta-iterate, which the updates train. */
  params: P;
  /** What the cluster is selected, scored and evaluated with: `params`, or their running average. */
  averaged: P;
  /** Iterates in `averaged` so far (the initial one included). */
  iterates: number;
  state: S;
  /** Per feature: the score before and after adaptation on the adaptation data. */
  stats: ClusterStats[];
  /** Stream step at which it was opened. */
  openedAt: number;
}

/**
 * Task-clustered meta-learning (in the spirit of TSA-MAML, Zhou et al. 2021, and of
 * mixtures of MAML initialisations, Jerfel et al. 2019): for each task, adapt every
 * cluster's initialisation on the task's adaptation data, take the cluster that adapts
 * best, and meta-update only that cluster's initialisation. A task that even the best
 * cluster finds unfamiliar (and that no young cluster can take) opens a new cluster;
 * see `clustering.ts` for the rule.
 *
 * @example
 * ```ts
 * const sample = regressionTasks([sineFamily(), lineFamily()], { K: 5 });
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 16, 1] }), innerLr: 0.01 });
 * const learner = clusteredLearner({ problem, optimizer: adam({ lr: 0.003 }), rule: { margin: 0.25 } });
 * const report = learner.observe(sample(0, 3)); // { curve, cluster: 0, opened: true, ... }
 * ```
 */
export function clusteredLearner<P, T extends TypedTask, S extends OptimizerState>(options: ClusteredOptions<P, T, S>): ContinualLearner<T> & {
  /** Running statistics of every cluster (for reports). */
  clusterStats(): ClusterStats[][];
} {
  const { problem, optimizer, innerSteps = 1, updates = 1, rule = {}, statsRate = 0.1, newCluster = 'copy', detector, patience = 3, averaging = 0 } = options;
  if (!(averaging >= 0 && averaging < 1)) throw new RangeError(`clusteredLearner: averaging must be in [0, 1), got ${averaging}`);
  const patienceWindow = Math.max(patience, options.patienceWindow ?? 4);
  const curveSteps = options.curveSteps ?? innerSteps;
  const rng = new Rng(options.seed ?? 0);
  const clusters: Cluster<P, S>[] = [];
  let current: number | null = null;
  let t = 0;
  // Recent selections: the task if it was novel, null if a cluster took it.
  let recent: (T | null)[] = [];
  const warmup = rule.warmup ?? 5;

  const open = (from: number): number => {
    // A copy starts from what the source cluster is evaluated with.
    const params = newCluster === 'copy' && from >= 0 ? clusters[from]!.averaged : problem.init(rng.split());
    clusters.push({ params, averaged: params, iterates: 1, state: optimizer.init(params), stats: [], openedAt: t });
    return clusters.length - 1;
  };

  /** Folds the cluster's latest iterate into its average (with averaging 0, replaces it). */
  const average = (c: Cluster<P, S>): void => {
    c.iterates++;
    const rate = averaging > 0 ? Math.max(averaging, 1 / c.iterates) : 1;
    c.averaged = rate === 1 ? c.params : noGrad(() => treeZip(c.averaged, c.params, (mean, latest) => addScaled(mean, sub(latest, mean), rate)));
  };

  return {
    name: detector ? 'clustered + change detection' : 'clustered',
    observe(task, info = {}): StepReport {
      const featuresOf = (c: Cluster<P, S>): number[] => problem.selectionCurve(c.averaged, task, innerSteps);
      let selected = true;
      let changeDetected: boolean | undefined;
      let features: number[] | null = null;
      if (current !== null) {
        if (info.switched === false) selected = false;
        else if (info.switched === undefined && detector && !recent.some((r) => r !== null)) {
          // (While novel tasks are pending, keep selecting so that a new cluster can open.)
          features = featuresOf(clusters[current]!);
          changeDetected = detector.update(features[features.length - 1]!);
          selected = changeDetected;
        }
      }
      let opened = false;
      let novel = false;
      let learnFrom: T[] = [task];
      if (selected || current === null) {
        const all = clusters.map(featuresOf);
        const young = clusters.map((c) => t - c.openedAt < warmup);
        const choice = chooseCluster(all, clusters.map((c) => c.stats), young, rule);
        options.onSelect?.(t, all, clusters.map((c) => c.stats), choice);
        detector?.reset();
        recent = [...recent, choice.cluster === null ? task : null].slice(-patienceWindow);
        if (choice.cluster === null) {
          novel = true;
          const pending = recent.filter((r): r is T => r !== null);
          if (pending.length < patience && choice.best >= 0) {
            // Not yet: report with the best cluster, learn nothing from a possible outlier.
            t++;
            return { curve: problem.adaptationCurve(clusters[choice.best]!.averaged, task, curveSteps), cluster: choice.best, opened, novel, selected };
          }
          current = open(choice.best);
          opened = true;
          learnFrom = pending;
          recent = [];
          features = newCluster === 'copy' && choice.best >= 0 ? all[choice.best]! : featuresOf(clusters[current]!);
        } else {
          current = choice.cluster;
          features = all[current]!;
        }
      }
      const cluster = clusters[current]!;
      features ??= featuresOf(cluster);
      const curve = problem.adaptationCurve(cluster.averaged, task, curveSteps);
      for (const learnt of learnFrom) {
        for (let u = 0; u < updates; u++) {
          ({ params: cluster.params, state: cluster.state } = optimizer.update(problem.metaGradient(cluster.params, learnt, innerSteps), cluster.state, cluster.params));
        }
        average(cluster);
      }
      cluster.stats = updateFeatureStats(cluster.stats, features, statsRate);
      t++;
      return { curve, cluster: current, opened, novel, selected, ...(changeDetected !== undefined && { changeDetected }) };
    },
    evaluate(task, steps) {
      if (clusters.length === 0) return problem.adaptationCurve(problem.init(new Rng(options.seed ?? 0)), task, steps);
      const all = clusters.map((c) => problem.selectionCurve(c.averaged, task, innerSteps));
      const choice = chooseCluster(all, clusters.map((c) => c.stats), [], rule, false);
      return problem.adaptationCurve(clusters[choice.cluster ?? choice.best]!.averaged, task, steps);
    },
    clusterCount: () => clusters.length,
    clusterStats: () => clusters.map((c) => c.stats),
  };
}
