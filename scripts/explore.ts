/**
 * Exploration benchmark (issue 8): trains DREAM, RL², MAML-RL and the transformer
 * meta-learner on the sign grid and its variants (two bit signs, a noisy sign),
 * meta-tests them in distribution and out of distribution, measures the information
 * content of their exploration and their sample efficiency (meta-test checkpoints during
 * training), runs the transformer initialisation-sensitivity harness, and writes JSON
 * and SVG. The experiment itself is `runExploreStudy` in `src/explore/study.ts`; every
 * unit (agent × seed × variant, and each init-harness run) is a job on the worker pool
 * (`runExploreStudyParallel`), assembled in a fixed order, so any --workers writes the same
 * numbers apart from the timings. `metagrad explore` runs a short version with an HTML report.
 *
 *   node --import tsx scripts/explore.ts --help     # every option, with its default
 *   node --import tsx scripts/explore.ts --scale 0.1 --seeds 1 --only dream   # a smoke run
 *   node --import tsx scripts/explore.ts --workers 1   # in this thread (default: every core)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// The library entry point makes the wasm backend the default (2–3× faster here than the TS reference).
import '../src/index.ts';
import { listOption, scriptArgs } from './script-args.ts';
import { EXPLOIT_VIEWS, type ExploitViewKind } from '../src/explore/index.ts';
import {
  EXPLORE_AGENTS, EXPLORE_VARIANTS, runExploreStudyParallel, studyBarChart, type ExploreAgentName, type ExploreVariant,
} from '../src/explore/studies.ts';

const PARTS = [...EXPLORE_AGENTS, 'sensitivity'] as const;
const args = scriptArgs('scripts/explore.ts', {
  name: '',
  summary: 'Exploration benchmark: DREAM, RL², MAML-RL and a transformer on the sign grids.',
  description: [
    '`--scale` multiplies every iteration count (0.1 for a smoke run). `sensitivity` runs the',
    'init-sensitivity harness (3 schemes × up to 3 seeds) on the standard grid. A partial run',
    '(--only, --variants or --dream-view) writes next to the full one instead of replacing it.',
  ].join('\n'),
  options: [
    { name: 'seeds', type: 'int', min: 1, default: 5, description: 'seeds per agent and variant' },
    { name: 'first-seed', type: 'int', min: 0, default: 0, description: 'first seed' },
    { name: 'scale', type: 'number', above: 0, default: 1, description: 'multiplies every iteration count' },
    { name: 'out', type: 'string', default: 'out/explore', placeholder: 'DIR', description: 'output directory' },
    { name: 'variants', type: 'string', default: EXPLORE_VARIANTS.join(','), placeholder: 'LIST', description: `comma-separated: ${EXPLORE_VARIANTS.join(', ')}` },
    { name: 'only', type: 'string', default: PARTS.join(','), placeholder: 'LIST', description: `comma-separated: ${PARTS.join(', ')}` },
    { name: 'checkpoint-every', type: 'int', min: 0, default: 50, description: 'meta-test checkpoint every N iterations (0: none)' },
    ...EXPLORE_AGENTS.map((agent) => ({
      name: `${agent}-iterations`, type: 'int' as const, min: 1, description: `training iterations of ${agent} (default: the study's)`,
    })),
    { name: 'workers', type: 'int', min: 1, max: 1024, description: 'worker threads (default: every core; 1: in this thread)' },
    { name: 'dream-view', type: 'choice', choices: EXPLOIT_VIEWS, default: 'full', description: "what DREAM's exploitation policy reads (exploitView)" },
  ],
});
const outDir = args.out as string;
const only = listOption('only', args.only as string, PARTS, 'part');
const variants = listOption<ExploreVariant>('variants', args.variants as string, EXPLORE_VARIANTS, 'variant');
const dreamView = args.dreamView as ExploitViewKind;
const full = only.length === PARTS.length && variants.length === EXPLORE_VARIANTS.length && dreamView === 'full';
const stem = full ? 'explore' : `explore-${variants.join('-')}-${only.join('-')}${dreamView === 'full' ? '' : `-view-${dreamView}`}`;
const log = (line: string): void => { process.stdout.write(`${line}\n`); };
const iterations: Partial<Record<ExploreAgentName, number>> = {};
for (const agent of EXPLORE_AGENTS) {
  const given = args[`${agent}Iterations`];
  if (given !== undefined) iterations[agent] = given as number;
}

const workers = args.workers as number | undefined;
const study = await runExploreStudyParallel({
  seeds: args.seeds as number, firstSeed: args.firstSeed as number, scale: args.scale as number, variants, only, iterations,
  checkpointEvery: args.checkpointEvery as number, dreamView, log, ...(workers !== undefined && { workers }),
});
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${stem}.json`), JSON.stringify(study, null, 2));
for (const [variant, part] of Object.entries(study.variants)) {
  if (Object.keys(part.summary).length > 0) writeFileSync(join(outDir, `${stem}-${variant}.svg`), studyBarChart(part.summary));
  log(`${variant}: ${JSON.stringify(part.summary, (k, v) => (k === 'perSeed' ? undefined : typeof v === 'number' ? Number(v.toFixed(3)) : v), 1)}`);
}
log(`wrote ${join(outDir, `${stem}.json`)}`);
