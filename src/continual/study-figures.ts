/**
 * The data of the continual experiments' three figures (score along the stream, the R
 * matrix, cluster assignments), computed from a finished run.
 *
 * @module
 */
import type { HeatmapOptions } from '../report/heatmap.ts';
import { confidenceInterval } from '../stats/interval.ts';
import type { StreamChartOptions, ClusterStripOptions } from './plots.ts';
import type { ExperimentResult } from './experiments.ts';
import type { LearnerKey } from './study-config.ts';

/** Mean over `xs` of the finite values in a centred 5-step window, per step. */
function smooth5(xs: readonly number[]): number[] {
  return xs.map((_, t) => {
    const w = xs.slice(Math.max(0, t - 2), t + 3).filter(Number.isFinite);
    return w.reduce((a, b) => a + b, 0) / w.length;
  });
}

/**
 * The stream chart's data: per learner, the online score after one inner step at every
 * step, mean over seeds with a 95% CI, smoothed over 5 steps; bands and switch markers
 * from the first seed's stream. Draw it with `streamChart`.
 *
 * @example
 * ```ts
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
 * writeFileSync('stream.svg', streamChart(streamFigure(result)));
 * ```
 */
export function streamFigure(result: ExperimentResult): StreamChartOptions {
  const stream0 = result.streams[0];
  const steps = stream0?.steps ?? [];
  const series = Object.entries(result.runs).map(([name, rs]) => {
    const ci = steps.map((_, t) => confidenceInterval(rs.map((r) => r.result.record[t]?.curve[1] ?? NaN)));
    return { name, y: smooth5(ci.map((c) => c.mean)), lo: smooth5(ci.map((c) => c.low)), hi: smooth5(ci.map((c) => c.high)) };
  });
  return {
    title: `${result.name}: score after 1 inner step along the stream (mean of ${result.seeds.length} seeds, 95% CI, 5-step smoothing)`,
    yLabel: 'score (0 = trivial, 1 = perfect)', types: steps.map((s) => s.type), typeNames: result.typeNames, series, yRange: [-1, 1],
  };
}

/**
 * The R matrix heat map's data for each learner (its first seed's run), as options of
 * `continual.heatmap`, which renders them as SVG.
 *
 * @example
 * ```ts
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
 * // one heatmap per learner of R[i][j], the score on type j after stage i:
 * rMatrixFigures(result).map(({ learner }) => learner); // ['sequential', 'clustered']
 * ```
 */
export function rMatrixFigures(result: ExperimentResult): { learner: string; key: LearnerKey; seed: number; options: HeatmapOptions }[] {
  return Object.entries(result.runs).filter(([, rs]) => rs.length > 0).map(([name, rs]) => {
    const { seed, key, result: r } = rs[0]!;
    return {
      learner: name, key, seed,
      options: {
        title: `${result.name}, ${name}: R[i][j] (seed ${seed})`, values: r.R,
        rowLabels: r.stageTypes.map((type, i) => `${i}: ${result.typeNames[type]}`), colLabels: result.typeNames.map((n) => n.split(':')[0]!),
        xLabel: 'evaluated on type j', yLabel: 'after stage i', domain: [-1, 1],
      },
    };
  });
}

/**
 * The cluster strip's data: the true types, then the cluster of every step for the
 * clustered learners' first `maxSeeds` seeds (dots: tasks judged novel). Null when no
 * clustered learner ran. Draw it with `clusterStrip`.
 *
 * @example
 * ```ts
 * const result = await runExperiment(continualExperiment('regression', { steps: 12, period: 4 }), { seeds: [0], learners: ['sequential', 'clustered'] });
 * const strip = clusterFigure(result, 1);
 * if (strip !== null) writeFileSync('clusters.svg', clusterStrip(strip));
 * ```
 */
export function clusterFigure(result: ExperimentResult, maxSeeds = 3): ClusterStripOptions | null {
  const names = Object.keys(result.runs).filter((n) => n.startsWith('clustered'));
  const rows = names.flatMap((name) => result.runs[name]!.slice(0, maxSeeds).map((r) => ({
    name: `${name.replace('clustered + change detection', 'clustered+CD')} s${r.seed}`,
    clusters: r.result.record.map((s) => s.cluster ?? 0), novel: r.result.record.map((s) => s.novel === true),
  })));
  if (rows.length === 0) return null;
  return {
    title: `${result.name}: cluster assignments over time`, types: (result.streams[0]?.steps ?? []).map((s) => s.type), typeNames: result.typeNames, rows,
  };
}
