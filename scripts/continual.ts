/**
 * Continual meta-learning experiments (issue 7): replays the same task streams against
 * sequential fine-tuning, online MAML, task-clustered meta-learning and clustered +
 * change-point detection, over several seeds; writes `results.json` (per-seed metrics,
 * R matrices, summaries with 95% CIs, targets) and SVG figures to `--out`.
 *
 *   node --import tsx scripts/continual.ts --seeds 5 --out results/continual
 *   node --import tsx scripts/continual.ts --quick          # 2 seeds, shorter streams
 *
 * Options: --seeds 5  --out results/continual  --only regression|gridworld  --quick
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Tensor } from '../src/index.ts';
import { MLP, type LinearParams } from '../src/nn/index.ts';
import { adam } from '../src/optim/index.ts';
import { openRoom } from '../src/rl/env/index.ts';
import { heatmap } from '../src/report/heatmap.ts';
import {
  taskStream, streamString, runStream, purityOver, retentionOf, recoveryStats, summarize, confidenceInterval,
  sequentialLearner, onlineMamlLearner, clusteredLearner, pageHinkley, scoreDetections,
  regressionProblem, regressionTasks, sineFamily, lineFamily, quadraticFamily,
  gridProblem, gridTasks, cornerGoals, streamChart, clusterStrip,
  type ContinualLearner, type ContinualProblem, type RunResult, type TaskStream, type TypedTask,
} from '../src/continual/index.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'results/continual' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const numSeeds = Number(values.seeds);
const quick = values.quick === true;
const outDir = values.out!;
mkdirSync(outDir, { recursive: true });

interface Experiment<P, T extends TypedTask> {
  readonly name: string;
  readonly typeNames: readonly string[];
  readonly stream: (seed: number) => TaskStream;
  readonly sampleTask: (type: number, seed: number) => T;
  readonly problem: ContinualProblem<P, T>;
  readonly learners: (seed: number) => ContinualLearner<T>[];
  readonly evalTasks: number;
}

// Regression: A = sinusoids, B = the same sinusoids negated (phase + π), C = lines
// arriving mid-stream, an OOD burst of quadratics.
const regression = ((): Experiment<LinearParams[], ReturnType<ReturnType<typeof regressionTasks>>> => {
  const families = [
    sineFamily({ amplitude: [1, 2], phase: [0, Math.PI / 4], name: 'A: sine' }),
    sineFamily({ amplitude: [1, 2], phase: [Math.PI, 1.25 * Math.PI], name: 'B: −sine' }),
    lineFamily({ slope: [0.5, 1], intercept: [1, 2], name: 'C: line' }),
    quadraticFamily({ name: 'OOD: quadratic' }),
  ];
  const problem = regressionProblem({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.05 });
  const base = { problem, updates: 4 };
  return {
    name: 'regression',
    typeNames: families.map((f) => f.name),
    stream: (seed) => taskStream({
      length: quick ? 150 : 240, switching: { kind: 'periodic', period: 30 },
      arrivals: [{ at: quick ? 120 : 150, type: 2 }], ood: { types: [3], at: [100], length: 2 }, seed,
    }),
    sampleTask: regressionTasks(families, { K: 10, queryK: 20 }),
    problem,
    evalTasks: 8,
    learners: (seed) => [
      sequentialLearner({ ...base, optimizer: adam({ lr: 0.01 }), seed }),
      onlineMamlLearner({ ...base, optimizer: adam({ lr: 0.01 }), seed }),
      clusteredLearner({ ...base, optimizer: adam({ lr: 0.01 }), seed }),
      clusteredLearner({ ...base, optimizer: adam({ lr: 0.01 }), seed, detector: pageHinkley({ threshold: 0.8, delta: 0.1 }) }),
    ],
  };
})();

// Grid world: open 7×7 room, start in the centre; A = goal near the top-right corner,
// B = bottom-left (opposite behaviour), C = top-left arriving mid-stream, OOD burst =
// bottom-right. Tabular softmax policies, exact policy gradients.
const gridworld = ((): Experiment<Tensor, ReturnType<ReturnType<typeof gridTasks>>> => {
  const layout = openRoom(7);
  const starts: [number, number][] = [[3, 3]];
  const types = [
    cornerGoals(layout, 'top-right', { starts, name: 'A: goal top-right' }),
    cornerGoals(layout, 'bottom-left', { starts, name: 'B: goal bottom-left' }),
    cornerGoals(layout, 'top-left', { starts, name: 'C: goal top-left' }),
    cornerGoals(layout, 'bottom-right', { starts, name: 'OOD: goal bottom-right' }),
  ];
  const horizon = 10;
  const problem = gridProblem({ layout, horizon, innerLr: 10 });
  const base = { problem, updates: 1 };
  return {
    name: 'gridworld',
    typeNames: types.map((t) => t.name),
    stream: (seed) => taskStream({
      length: quick ? 90 : 120, switching: { kind: 'periodic', period: 15 },
      arrivals: [{ at: quick ? 60 : 75, type: 2 }], ood: { types: [3], at: [50], length: 2 }, seed,
    }),
    sampleTask: gridTasks(types, { horizon }),
    problem,
    evalTasks: 3,
    learners: (seed) => [
      sequentialLearner({ ...base, optimizer: adam({ lr: 0.3 }), seed }),
      onlineMamlLearner({ ...base, optimizer: adam({ lr: 0.3 }), seed }),
      clusteredLearner({ ...base, optimizer: adam({ lr: 0.3 }), newCluster: 'fresh', seed }),
      clusteredLearner({ ...base, optimizer: adam({ lr: 0.3 }), newCluster: 'fresh', seed, detector: pageHinkley({ threshold: 0.5 }) }),
    ],
  };
})();

function runExperiment<P, T extends TypedTask>(exp: Experiment<P, T>) {
  const runs: Record<string, RunResult[]> = {};
  const streams: TaskStream[] = [];
  for (let seed = 0; seed < numSeeds; seed++) {
    const stream = exp.stream(seed);
    streams.push(stream);
    for (const learner of exp.learners(seed)) {
      const result = runStream(learner, { stream, sampleTask: exp.sampleTask, numTypes: exp.typeNames.length, evalTasks: exp.evalTasks });
      (runs[result.learner] ??= []).push(result);
      const m = result.metrics;
      process.stderr.write(`${exp.name} seed ${seed} ${result.learner.padEnd(30)} ${result.seconds.toFixed(1)}s  ACC ${m.averagePerformance.toFixed(3)} BWT ${m.backwardTransfer.toFixed(3)} forgetting ${m.forgetting.toFixed(3)} clusters ${m.clusters}\n`);
    }
  }
  const stream0 = streams[0]!;
  const A = 0, B = 1;
  // Switches A → B after the first visit of A (the first is still learning A).
  const fields = {
    averagePerformance: (r: RunResult) => r.metrics.averagePerformance,
    backwardTransfer: (r: RunResult) => r.metrics.backwardTransfer,
    forwardTransfer: (r: RunResult) => r.metrics.forwardTransfer,
    forgetting: (r: RunResult) => r.metrics.forgetting,
    onlineScore: (r: RunResult) => r.metrics.onlineScore,
    retentionA_afterB: (r: RunResult) => retentionOf(r, A),
    retentionA_afterB_laterVisits: (r: RunResult) => retentionOf(r, A, 1),
    // Absolute drop R[after A][A] − R[after B][A] (the ratio is meaningless once scores go negative).
    dropA_afterB: (r: RunResult) => {
      const drops = r.metrics.retention.filter((x) => x.type === A).map((x) => x.before - x.after);
      return drops.reduce((a, b) => a + b, 0) / drops.length;
    },
    recoveryA_fractionWithin1InnerStep: (r: RunResult) => recoveryStats(r, { type: A }).fractionWithin(1),
    recoveryA_medianInnerSteps: (r: RunResult) => recoveryStats(r, { type: A }).medianInnerSteps,
    recoveryAll_fractionWithin1InnerStep: (r: RunResult) => recoveryStats(r).fractionWithin(1),
    purityAB: (r: RunResult) => purityOver(r, [A, B]),
    purityAll: (r: RunResult) => r.metrics.purity,
    clusters: (r: RunResult) => r.metrics.clusters,
  };
  const summaries = Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, summarize(rs, fields)]));
  // OOD flags and change detection against the truth, per seed.
  const detection = Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, rs.map((r, seed) => {
    const steps = streams[seed]!.steps;
    const oodSteps = steps.filter((s) => s.ood).map((s) => s.t);
    const flagged = r.record.filter((s) => s.novel).map((s) => s.t);
    const switches = steps.filter((s) => s.switched && s.t > 0).map((s) => s.t);
    const detections = r.record.filter((s) => s.changeDetected).map((s) => s.t);
    return {
      oodStepsFlagged: oodSteps.filter((t) => flagged.includes(t)).length, oodSteps: oodSteps.length,
      novelFlagsOnInDistribution: flagged.filter((t) => !oodSteps.includes(t) && !steps[t]!.firstVisit).length,
      changeDetection: detections.length ? scoreDetections(switches, detections, 3) : null,
    };
  })]));

  // Figures.
  const names = Object.keys(runs);
  const meanOver = (rs: RunResult[], f: (r: RunResult, t: number) => number) => stream0.steps.map((_, t) => confidenceInterval(rs.map((r) => f(r, t))));
  const series = names.map((name) => {
    const ci = meanOver(runs[name]!, (r, t) => r.record[t]!.curve[1] ?? NaN);
    // Smooth over 5 steps for readability (the per-task scores are noisy).
    const smooth = (xs: number[]) => xs.map((_, t) => { const w = xs.slice(Math.max(0, t - 2), t + 3).filter(Number.isFinite); return w.reduce((a, b) => a + b, 0) / w.length; });
    return { name, y: smooth(ci.map((c) => c.mean)), lo: smooth(ci.map((c) => c.lo)), hi: smooth(ci.map((c) => c.hi)) };
  });
  writeFileSync(join(outDir, `${exp.name}-stream.svg`), streamChart({
    title: `${exp.name}: score after 1 inner step along the stream (mean of ${numSeeds} seeds, 95% CI, 5-step smoothing)`,
    yLabel: 'score (0 = trivial, 1 = perfect)', types: stream0.steps.map((s) => s.type), typeNames: exp.typeNames, series, yRange: [-1, 1],
  }));
  for (const name of names) {
    const r = runs[name]![0]!;
    writeFileSync(join(outDir, `${exp.name}-R-${name.replace(/[^a-z]+/gi, '-')}.svg`), heatmap({
      title: `${exp.name}, ${name}: R[i][j] (seed 0)`, values: r.R,
      rowLabels: r.stageTypes.map((type, i) => `${i}: ${exp.typeNames[type]}`), colLabels: exp.typeNames.map((n) => n.split(':')[0]!),
      xLabel: 'evaluated on type j', yLabel: 'after stage i', domain: [-1, 1],
    }));
  }
  writeFileSync(join(outDir, `${exp.name}-clusters.svg`), clusterStrip({
    title: `${exp.name}: cluster assignments over time`, types: stream0.steps.map((s) => s.type), typeNames: exp.typeNames,
    rows: names.filter((n) => n.startsWith('clustered')).flatMap((name) => runs[name]!.slice(0, 3).map((r, seed) => ({
      name: `${name.replace('clustered + change detection', 'clustered+CD')} s${seed}`, clusters: r.record.map((s) => s.cluster ?? 0), novel: r.record.map((s) => s.novel === true),
    }))),
  }));
  return {
    name: exp.name, typeNames: exp.typeNames, stream: streamString(stream0), seeds: numSeeds,
    summaries, detection,
    runs: Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, rs.map((r) => ({
      R: r.R, R0: r.R0, baseline: r.baseline, stageTypes: r.stageTypes, seconds: r.seconds,
      metrics: { ...r.metrics, recoveries: r.metrics.recoveries.map((x) => ({ ...x, innerSteps: Number.isFinite(x.innerSteps) ? x.innerSteps : null, taskSteps: Number.isFinite(x.taskSteps) ? x.taskSteps : null })) },
      clusters: r.record.map((s) => s.cluster ?? 0).join(','),
    }))])),
  };
}

const started = performance.now();
const results = [];
if (values.only !== 'gridworld') results.push(runExperiment(regression));
if (values.only !== 'regression') results.push(runExperiment(gridworld));
const targets = results.map((r) => {
  const c = r.summaries['clustered'];
  return {
    experiment: r.name,
    'A retention after B ≥ 0.95 (clustered)': c?.['retentionA_afterB'],
    'A recovers within 1 inner step (clustered, fraction of returns)': c?.['recoveryA_fractionWithin1InnerStep'],
    'purity on A/B ≥ 0.95 (clustered)': c?.['purityAB'],
    'sequential forgetting': r.summaries['sequential']?.['forgetting'],
    'sequential A drop after B (score units)': r.summaries['sequential']?.['dropA_afterB'],
    'clustered A drop after B (score units)': c?.['dropA_afterB'],
  };
});
writeFileSync(join(outDir, 'results.json'), JSON.stringify({ seeds: numSeeds, quick, seconds: (performance.now() - started) / 1000, targets, experiments: results }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
process.stderr.write(`wrote ${outDir}/results.json and SVGs in ${((performance.now() - started) / 1000).toFixed(0)}s\n`);
console.log(JSON.stringify(targets, (_, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v), 2));
