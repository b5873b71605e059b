/**
 * Exploration benchmark (issue 8): trains DREAM, RL², MAML-RL and the transformer
 * meta-learner on the sign grid and its variants (two bit signs, a noisy sign),
 * meta-tests them in distribution and out of distribution, measures the information
 * content of their exploration and their sample efficiency (meta-test checkpoints during
 * training), runs the transformer initialisation-sensitivity harness, and writes JSON
 * and SVG. The experiment itself is `runExploreStudy` in `src/explore/experiments.ts`;
 * `metagrad explore` runs a short version with an HTML report.
 *
 *   node --import tsx scripts/explore.ts [--seeds 5] [--first-seed 0] [--scale 1] [--out out/explore]
 *        [--variants standard,bits,noisy] [--only dream,rl2,maml,transformer,sensitivity]
 *        [--checkpoint-every 50] [--dream-iterations 1000] [--rl2-iterations 1600]
 *        [--maml-iterations 600] [--transformer-iterations 1600] [--dream-view full|relative]
 *
 * `--scale` multiplies every iteration count (0.1 for a smoke run). `sensitivity` runs
 * the init-sensitivity harness (3 schemes × up to 3 seeds) on the standard grid.
 * `--dream-view` chooses what DREAM's exploitation policy reads (`exploitView`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// The library entry point makes the wasm backend the default (2–3× faster here than the TS reference).
import '../src/index.ts';
import {
  EXPLOIT_VIEWS, EXPLORE_AGENTS, EXPLORE_VARIANTS, runExploreStudy, studyBarChart, type ExploitViewKind, type ExploreAgentName, type ExploreVariant,
} from '../src/explore/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const list = <T extends string>(name: string, allowed: readonly T[], fallback: string): T[] => {
  const values = opt(name, fallback).split(',');
  for (const v of values) if (!(allowed as readonly string[]).includes(v)) throw new Error(`--${name}: unknown '${v}' (one of ${allowed.join(', ')})`);
  return values as T[];
};
const outDir = opt('out', 'out/explore');
const PARTS = [...EXPLORE_AGENTS, 'sensitivity'] as const;
const only = list('only', PARTS, PARTS.join(','));
const variants = list<ExploreVariant>('variants', EXPLORE_VARIANTS, EXPLORE_VARIANTS.join(','));
// A partial run writes next to the full one instead of replacing it.
const [dreamView] = list<ExploitViewKind>('dream-view', EXPLOIT_VIEWS, 'full');
const full = only.length === PARTS.length && variants.length === EXPLORE_VARIANTS.length && dreamView === 'full';
const stem = full ? 'explore' : `explore-${variants.join('-')}-${only.join('-')}${dreamView === 'full' ? '' : `-view-${dreamView}`}`;
const log = (line: string): void => { process.stdout.write(`${line}\n`); };
const iterations: Partial<Record<ExploreAgentName, number>> = {};
for (const agent of EXPLORE_AGENTS) {
  const given = opt(`${agent}-iterations`, '');
  if (given !== '') iterations[agent] = Number(given);
}

const study = runExploreStudy({
  seeds: Number(opt('seeds', '5')), firstSeed: Number(opt('first-seed', '0')), scale: Number(opt('scale', '1')), variants, only, iterations,
  checkpointEvery: Number(opt('checkpoint-every', '50')), dreamView, log,
});
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${stem}.json`), JSON.stringify(study, null, 2));
for (const [variant, part] of Object.entries(study.variants)) {
  if (Object.keys(part.summary).length > 0) writeFileSync(join(outDir, `${stem}-${variant}.svg`), studyBarChart(part.summary));
  log(`${variant}: ${JSON.stringify(part.summary, (k, v) => (k === 'perSeed' ? undefined : typeof v === 'number' ? Number(v.toFixed(3)) : v), 1)}`);
}
log(`wrote ${join(outDir, `${stem}.json`)}`);
