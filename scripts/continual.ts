/**
 * Continual meta-learning experiments (issue 7): replays the same task streams against
 * sequential fine-tuning, online MAML, task-clustered meta-learning and clustered +
 * change-point detection, over several seeds; writes `results.json` (per-seed metrics,
 * R matrices, summaries with 95% CIs, targets) and SVG figures to `--out`.
 * The experiments are defined in `src/continual/experiments.ts`; `metagrad continual`
 * runs the same ones with an HTML report.
 *
 *   node --import tsx scripts/continual.ts --seeds 5 --out results/continual
 *   node --import tsx scripts/continual.ts --quick          # at most 2 seeds, shorter streams
 *   node --import tsx scripts/continual.ts --workers 1      # in this thread (default: every core)
 *
 * Every replay (experiment × seed × learner) is a unit of the CLI's `continual.run` job on
 * the worker pool; the replays come back in a fixed order, so any --workers writes the same
 * numbers (apart from the timings).
 *   node --import tsx scripts/continual.ts --help           # every option, with its default
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// The library entry point makes the wasm backend the default (the studies' figures are on it).
import { getBackend, runJobs } from '../src/index.ts';
import { scriptArgs } from './script-args.ts';
import { heatmap } from '../src/report/heatmap.ts';
import { streamChart, clusterStrip } from '../src/continual/index.ts';
import {
  experimentRecord, targetsOf, streamFigure, rMatrixFigures, clusterFigure, LEARNER_KEYS,
  type ExperimentName, type ExperimentRecord,
} from '../src/continual/experiments.ts';
import { CLI_JOBS } from '../src/cli/jobs/registry.ts';
import { experimentResults } from '../src/cli/jobs/continual-study.ts';
import type { ContinualReplay, ContinualUnitArgs } from '../src/cli/jobs/continual-unit.ts';

const values = scriptArgs('scripts/continual.ts', {
  name: '',
  summary: 'Continual meta-learning: sequential fine-tuning, online MAML and task-clustered meta-learning on the same task streams.',
  options: [
    { name: 'seeds', type: 'int', min: 1, default: 5, description: 'seeds per experiment' },
    { name: 'out', type: 'string', default: 'results/continual', placeholder: 'DIR', description: 'output directory' },
    { name: 'only', type: 'choice', choices: ['regression', 'gridworld'], description: 'run one experiment (default: both)' },
    { name: 'quick', type: 'boolean', description: 'smoke run: at most 2 seeds, shorter streams' },
    { name: 'workers', type: 'int', min: 1, max: 1024, description: 'worker threads (default: every core; 1: in this thread)' },
  ],
});
const workers = values.workers as number | undefined;
const quick = values.quick === true;
const numSeeds = quick ? Math.min(values.seeds as number, 2) : values.seeds as number;
const outDir = values.out as string;
mkdirSync(outDir, { recursive: true });

async function run(name: ExperimentName): Promise<ExperimentRecord> {
  const seeds = Array.from({ length: numSeeds }, (_, i) => i);
  // Seed by seed, every learner: the order runExperiment replays them in.
  const units: ContinualUnitArgs[] = seeds.flatMap((seed) => LEARNER_KEYS.map((learner) => ({ seed, learner })))
    .map(({ seed, learner }, index) => ({ seed, index, backend: getBackend().name, config: { problem: name, learner, seed, steps: null, period: null, quick } }));
  const outcomes = await runJobs<ContinualReplay>(units.map((args) => ({ name: 'continual.run', args })), {
    modules: [CLI_JOBS], ...(workers !== undefined && { workers }),
    onProgress: (_i, v) => { if (typeof (v as { log?: unknown }).log === 'string') process.stderr.write(`${(v as { log: string }).log}\n`); },
  });
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) throw failed.error;
  const replays = outcomes.map((o, i) => ({ index: i, seed: units[i]!.seed, value: (o as { value: ContinualReplay }).value }));
  const config = { problems: [name], seeds: numSeeds, seed: 0, steps: null, period: null, quick, learners: LEARNER_KEYS };
  const result = experimentResults(config, replays)[0]!;
  writeFileSync(join(outDir, `${name}-stream.svg`), streamChart(streamFigure(result)));
  for (const { learner, options } of rMatrixFigures(result)) {
    writeFileSync(join(outDir, `${name}-R-${learner.replace(/[^a-z]+/gi, '-')}.svg`), heatmap(options));
  }
  const clusters = clusterFigure(result);
  if (clusters) writeFileSync(join(outDir, `${name}-clusters.svg`), clusterStrip(clusters));
  return experimentRecord(result);
}

const started = performance.now();
const results: ExperimentRecord[] = [];
if (values.only !== 'gridworld') results.push(await run('regression'));
if (values.only !== 'regression') results.push(await run('gridworld'));
const targets = results.map(targetsOf);
writeFileSync(join(outDir, 'results.json'), JSON.stringify({ seeds: numSeeds, quick, backend: getBackend().name, seconds: (performance.now() - started) / 1000, targets, experiments: results }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
process.stderr.write(`wrote ${outDir}/results.json and SVGs in ${((performance.now() - started) / 1000).toFixed(0)}s\n`);
console.log(JSON.stringify(targets, (_, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v), 2));
