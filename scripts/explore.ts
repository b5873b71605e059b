/**
 * Exploration benchmark (issue 8): trains DREAM, RL², MAML-RL and the transformer
 * meta-learner on the sign grid, meta-tests them in distribution and out of
 * distribution, measures the information content of their exploration, runs the
 * transformer initialisation-sensitivity harness, and writes JSON and SVG.
 * The experiment itself is `runExploreStudy` in `src/explore/experiments.ts`;
 * `metagrad explore` runs a short version with an HTML report.
 *
 *   node --import tsx scripts/explore.ts [--seeds 5] [--scale 1] [--out out/explore]
 *                                        [--only dream,rl2,maml,transformer,sensitivity] [--maml-iterations 150] [--dream-iterations 1000]
 *
 * `--scale` multiplies every iteration count (0.1 for a smoke run). `transformer` runs
 * the init-sensitivity harness on the standard sign grid (its depth-scaled runs are the
 * transformer's row of the comparison); `sensitivity` runs it again on the variant
 * without the wrong-goal penalty, where end-to-end agents do learn something and the
 * spread across initialisations is informative.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExploreStudy, studyBarChart } from '../src/explore/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const outDir = opt('out', 'out/explore');
const ALL = 'dream,rl2,maml,transformer,sensitivity';
const only = opt('only', ALL).split(',');
// A partial run writes next to the full one instead of replacing it.
const stem = only.join(',') === ALL ? 'explore' : `explore-${only.join('-')}`;
const log = (line: string): void => { process.stdout.write(`${line}\n`); };

const study = runExploreStudy({
  seeds: Number(opt('seeds', '5')), scale: Number(opt('scale', '1')), only,
  mamlIterations: Number(opt('maml-iterations', '150')), dreamIterations: Number(opt('dream-iterations', '1000')), log,
});
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${stem}.json`), JSON.stringify(study, null, 2));
if (Object.keys(study.summary).length > 0) writeFileSync(join(outDir, `${stem}.svg`), studyBarChart(study.summary));
log(JSON.stringify(study.summary, (k, v) => (k === 'perSeed' ? undefined : typeof v === 'number' ? Number(v.toFixed(3)) : v), 1));
if (study.sensitivity) log(JSON.stringify(study.sensitivity, null, 1));
log(`wrote ${join(outDir, `${stem}.json`)}`);
