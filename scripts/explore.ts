/**
 * Exploration benchmark (issue 8): trains DREAM, RL², MAML-RL and the transformer
 * meta-learner on the sign grid, meta-tests them in distribution and out of
 * distribution, measures the information content of their exploration, runs the
 * transformer initialisation-sensitivity harness, and writes JSON and SVG.
 *
 *   node --import tsx scripts/explore.ts [--seeds 5] [--scale 1] [--out out/explore]
 *                                        [--only dream,rl2,maml,transformer,sensitivity] [--maml-iterations 150] [--dream-iterations 600]
 *
 * `--scale` multiplies every iteration count (0.1 for a smoke run). `transformer` runs
 * the init-sensitivity harness on the standard sign grid (its depth-scaled runs are the
 * transformer's row of the comparison); `sensitivity` runs it again on the variant
 * without the wrong-goal penalty, where end-to-end agents do learn something and the
 * spread across initialisations is informative.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  signGridFamily, SignGrid, inputSizeOf, rl2Agent, trainSequenceAgent, trainDream, trainMaml,
  sequenceTester, dreamTester, mamlTester, evaluateAgent, probeAccuracy, initSensitivity, summarize,
  type MetaTester, type InitScheme,
} from '../src/explore/index.ts';
import { confidenceInterval } from '../src/rl/evaluate.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const seeds = Number(opt('seeds', '5'));
const scale = Number(opt('scale', '1'));
const outDir = opt('out', 'out/explore');
const ALL = 'dream,rl2,maml,transformer,sensitivity';
const only = opt('only', ALL).split(',');
const mamlIterations = Number(opt('maml-iterations', '150'));
const dreamIterations = Number(opt('dream-iterations', '600'));
// A partial run writes next to the full one instead of replacing it.
const stem = only.join(',') === ALL ? 'explore' : `explore-${only.join('-')}`;
const its = (n: number): number => Math.max(1, Math.round(n * scale));
const log = (line: string): void => { process.stdout.write(`${line}\n`); };

const family = signGridFamily();
const env = new SignGrid(family.config);
const config = family.config;
const splits = { train: family.train, oodSign: family.oodSign, oodGoal: family.oodGoal } as const;
type SplitName = keyof typeof splits;

interface SeedResult {
  seed: number;
  trainSeconds: number;
  fraction: Record<SplitName, { sampled: number; greedy: number }>;
  probe: number;
  finalTraining: number;
}
const results: Record<string, SeedResult[]> = {};

function measure(tester: MetaTester, seed: number): Omit<SeedResult, 'seed' | 'trainSeconds' | 'finalTraining'> {
  const fraction = {} as SeedResult['fraction'];
  for (const name of Object.keys(splits) as SplitName[]) {
    fraction[name] = {
      sampled: evaluateAgent(tester, config, splits[name], { trials: 64, seed: 1000 + seed }).fractionOfOracle,
      greedy: evaluateAgent(tester, config, splits[name], { trials: 64, seed: 2000 + seed, greedy: true }).fractionOfOracle,
    };
  }
  const a = evaluateAgent(tester, config, family.train, { trials: 128, seed: 3000 + seed }).exploration;
  const b = evaluateAgent(tester, config, family.train, { trials: 128, seed: 4000 + seed }).exploration;
  return { fraction, probe: probeAccuracy(a, b, config.numGoals) };
}

function run(name: string, seed: number, train: () => { tester: MetaTester; final: number }): void {
  const start = performance.now();
  const { tester, final } = train();
  const trainSeconds = (performance.now() - start) / 1000;
  const r = { seed, trainSeconds, finalTraining: final, ...measure(tester, seed) };
  (results[name] ??= []).push(r);
  log(`${name} seed ${seed}: ${trainSeconds.toFixed(0)} s; fraction of oracle (sampled/greedy) train ${r.fraction.train.sampled.toFixed(3)}/${r.fraction.train.greedy.toFixed(3)} oodSign ${r.fraction.oodSign.sampled.toFixed(3)}/${r.fraction.oodSign.greedy.toFixed(3)} oodGoal ${r.fraction.oodGoal.sampled.toFixed(3)}/${r.fraction.oodGoal.greedy.toFixed(3)}; probe ${r.probe.toFixed(3)}`);
}

const tail = (xs: readonly number[]): number => xs.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, xs.length);

for (let seed = 0; seed < seeds; seed++) {
  if (only.includes('dream')) {
    run('dream', seed, () => {
      const dream = trainDream({ config, tasks: family.train, iterations: its(dreamIterations), seed });
      return { tester: dreamTester(dream, config), final: tail(dream.history.map((h) => h.exploitReturn)) };
    });
  }
  if (only.includes('rl2')) {
    run('rl2', seed, () => {
      const agent = rl2Agent(inputSizeOf(env), env.numActions, 32);
      const { params, history } = trainSequenceAgent(agent, { env, tasks: family.train, iterations: its(800), batchSize: 16, seed, lr: 3e-3, entropyCoef: 0.02 });
      return { tester: sequenceTester(agent, params, env), final: tail(history) };
    });
  }
  if (only.includes('maml')) {
    run('maml', seed, () => {
      const maml = trainMaml({ config, tasks: family.train, iterations: its(mamlIterations), seed });
      return { tester: mamlTester(maml, config), final: tail(maml.history) };
    });
  }
}

// Transformer: the initialisation-sensitivity harness doubles as its evaluation.
let sensitivity: ReturnType<typeof summarize> | null = null;
if (only.includes('transformer')) {
  const schemes: InitScheme[] = ['glorot', 'normal', 'depthScaled'];
  const runs = initSensitivity({
    env, tasks: family.train, schemes, seeds, iterations: its(200), numBlocks: 2, batchSize: 16,
    onRun: (r) => log(`transformer ${r.scheme} seed ${r.seed}: final training trial return ${r.finalReturn.toFixed(3)}`),
    evaluate: (agent, params, seed) => {
      const tester = sequenceTester(agent, params, env);
      const m = measure(tester, seed);
      return { fraction: m.fraction.train.sampled, extra: m };
    },
  });
  sensitivity = summarize(runs);
  for (const r of runs) {
    if (r.scheme === 'depthScaled') {
      const m = r.extra as ReturnType<typeof measure>;
      (results.transformer ??= []).push({ seed: r.seed, trainSeconds: r.seconds, finalTraining: r.finalReturn, ...m });
    }
  }
}

let sensitivityNoPenalty: ReturnType<typeof summarize> | null = null;
if (only.includes('sensitivity')) {
  const easy = signGridFamily({ rewards: { wrongGoal: 0 } });
  const easyEnv = new SignGrid(easy.config);
  const runs = initSensitivity({
    env: easyEnv, tasks: easy.train, schemes: ['glorot', 'normal', 'depthScaled'], seeds: Math.min(seeds, 3), iterations: its(200), numBlocks: 2, batchSize: 16,
    onRun: (r) => log(`transformer (no wrong-goal penalty) ${r.scheme} seed ${r.seed}: final training trial return ${r.finalReturn.toFixed(3)}, fraction ${r.fraction.toFixed(3)}`),
    evaluate: (agent, params, seed) => ({
      fraction: evaluateAgent(sequenceTester(agent, params, easyEnv), easy.config, easy.train, { trials: 64, seed: 1000 + seed }).fractionOfOracle,
    }),
  });
  sensitivityNoPenalty = summarize(runs);
  log(JSON.stringify(sensitivityNoPenalty, null, 1));
}

// --- summary -------------------------------------------------------------------
const summary: Record<string, unknown> = {};
for (const [name, rs] of Object.entries(results)) {
  const ci = (f: (r: SeedResult) => number) => confidenceInterval(rs.map(f));
  summary[name] = {
    seeds: rs.length,
    train: { sampled: ci((r) => r.fraction.train.sampled), greedy: ci((r) => r.fraction.train.greedy) },
    oodSign: { sampled: ci((r) => r.fraction.oodSign.sampled), greedy: ci((r) => r.fraction.oodSign.greedy) },
    oodGoal: { sampled: ci((r) => r.fraction.oodGoal.sampled), greedy: ci((r) => r.fraction.oodGoal.greedy) },
    probe: ci((r) => r.probe),
    trainSeconds: ci((r) => r.trainSeconds),
  };
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${stem}.json`), JSON.stringify({ config, scale, summary, results, sensitivity, sensitivityNoPenalty }, null, 2));
if (Object.keys(summary).length > 0) writeFileSync(join(outDir, `${stem}.svg`), barChart(summary));
log(JSON.stringify(summary, (k, v) => (k === 'perSeed' ? undefined : typeof v === 'number' ? Number(v.toFixed(3)) : v), 1));
if (sensitivity) log(JSON.stringify(sensitivity, null, 1));
log(`wrote ${join(outDir, `${stem}.json`)}`);

/** Grouped bars (fraction of oracle, greedy exploitation) per agent and split, with 95% CI whiskers. */
function barChart(data: Record<string, unknown>): string {
  const names = Object.keys(data);
  const splitNames: SplitName[] = ['train', 'oodSign', 'oodGoal'];
  const colours = ['#4477aa', '#ee6677', '#228833'];
  const W = 120 + names.length * 150, H = 320, y0 = 260, scaleY = 200;
  const y = (v: number): number => y0 - Math.max(-0.2, Math.min(1.1, v)) * scaleY;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`];
  parts.push(`<text x="10" y="20">Exploitation return after one exploration episode, fraction of oracle (greedy; 95% CI over seeds)</text>`);
  for (const v of [0, 0.5, 0.9, 1]) parts.push(`<line x1="60" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ccc"/><text x="30" y="${y(v) + 4}">${v}</text>`);
  names.forEach((name, i) => {
    const s = data[name] as Record<SplitName, { greedy: { mean: number; low: number; high: number } }>;
    splitNames.forEach((split, j) => {
      const { mean, low, high } = s[split].greedy;
      const x = 80 + i * 150 + j * 40;
      parts.push(`<rect x="${x}" y="${Math.min(y(mean), y(0))}" width="30" height="${Math.abs(y(0) - y(mean))}" fill="${colours[j]}"/>`);
      parts.push(`<line x1="${x + 15}" x2="${x + 15}" y1="${y(low)}" y2="${y(high)}" stroke="#000"/>`);
    });
    parts.push(`<text x="${80 + i * 150}" y="${y0 + 30}">${name}</text>`);
  });
  splitNames.forEach((split, j) => parts.push(`<rect x="${W - 110}" y="${40 + j * 16}" width="10" height="10" fill="${colours[j]}"/><text x="${W - 95}" y="${49 + j * 16}">${split}</text>`));
  parts.push('</svg>');
  return parts.join('\n');
}
