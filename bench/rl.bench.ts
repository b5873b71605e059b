/**
 * Cost of one MAML-RL meta-iteration, split into rollouts, inner updates (building the
 * differentiable inner step) and the outer update (outer surrogate, second-order
 * backward pass and Adam), for each meta-gradient estimator; raw rollout throughput;
 * and one meta-iteration of the grid-world study's settings with and without
 * `recycleMemory` (interleaved rounds, median wall and process CPU time).
 *
 *   node --import tsx bench/rl.bench.ts [--jit] [--ts]
 */
import { pathToFileURL } from 'node:url';
import { ready } from '../src/backend/ready.ts';
import { getBackend } from '../src/backend/registry.ts';
import { goalFamily, openRoom, startFamily, VecEnv } from '../src/rl/env/index.ts';
import { tabularPolicy } from '../src/rl/policy.ts';
import { collectEpisodes } from '../src/rl/rollout.ts';
import { metaTrain, metaTrainInit, metaTrainStep, type MetaEstimator, type MetaTimings } from '../src/rl/mamlrl.ts';

interface Setting { readonly size: number; readonly horizon: number; readonly episodes: number; readonly metaBatchSize: number }

function benchMetaIteration(setting: Setting, estimator: MetaEstimator, iterations: number): MetaTimings & { totalMs: number } {
  const family = goalFamily({ size: setting.size });
  const env = new VecEnv({ map: openRoom(setting.size), numEnvs: setting.episodes, maxSteps: setting.horizon });
  const policy = tabularPolicy({ numStates: setting.size * setting.size, numActions: 4 });
  const common = { policy, env, tasks: family.train, metaBatchSize: setting.metaBatchSize, innerLr: 10, estimator, baseline: 'state' as const };
  metaTrain({ ...common, iterations: 5, seed: 1 }); // warm-up (JIT)
  const timings: MetaTimings = { rolloutMs: 0, innerMs: 0, outerMs: 0 };
  const start = performance.now();
  metaTrain({ ...common, iterations, seed: 2, timings });
  const totalMs = performance.now() - start;
  return {
    rolloutMs: timings.rolloutMs / iterations, innerMs: timings.innerMs / iterations,
    outerMs: timings.outerMs / iterations, totalMs: totalMs / iterations,
  };
}

function benchRollouts(size: number, episodes: number, horizon: number, repeats: number): number {
  const env = new VecEnv({ map: openRoom(size), numEnvs: episodes, maxSteps: horizon });
  const policy = tabularPolicy({ numStates: size * size, numActions: 4 });
  const params = policy.init(null as never);
  collectEpisodes(env, policy, params, 0);
  const start = performance.now();
  for (let r = 0; r < repeats; r++) collectEpisodes(env, policy, params, r);
  const seconds = (performance.now() - start) / 1000;
  return (repeats * episodes * horizon) / seconds;
}

/** One experiment of scripts/gridworld.ts, as it meta-trains (DiCE, 10 tasks per meta-batch, tabular policy). */
interface StudySetting {
  readonly name: string;
  readonly family: 'goal' | 'start';
  readonly size: number; readonly horizon: number; readonly episodes: number;
  readonly innerLr: number; readonly learnInnerLr: boolean; readonly entropyBonus: number; readonly weightDecay: number;
  /** Meta-iterations per timed round. */
  readonly perRound: number;
}

/**
 * The study's experiments (scripts/gridworld.ts `experiments`), seed 15. The pool is
 * process-wide, as in the script: start8 (fixed tensor sizes) runs first, before the
 * entropy bonus's batch-dependent sizes fill the pool.
 */
const STUDY: readonly StudySetting[] = [
  { name: 'start8', family: 'start', size: 8, horizon: 20, episodes: 20, innerLr: 10, learnInnerLr: false, entropyBonus: 0, weightDecay: 0, perRound: 30 },
  { name: 'goal5', family: 'goal', size: 5, horizon: 14, episodes: 60, innerLr: 100, learnInnerLr: true, entropyBonus: 0.4, weightDecay: 0.1, perRound: 15 },
  { name: 'goal8', family: 'goal', size: 8, horizon: 20, episodes: 160, innerLr: 100, learnInnerLr: true, entropyBonus: 0.4, weightDecay: 0, perRound: 5 },
];

const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * ms per meta-iteration without and with `recycleMemory`: `rounds` rounds of
 * `perRound` iterations each, the two variants alternating (and swapping order) within
 * a round so that the machine's load drifts over both alike. Each variant continues
 * its own training run; the runs are bit-identical, so both do the same work.
 */
function benchRecycling(setting: StudySetting, rounds: number) {
  const family = (setting.family === 'goal' ? goalFamily : startFamily)({ size: setting.size, seed: 15 });
  const env = new VecEnv({ map: openRoom(setting.size), numEnvs: setting.episodes, maxSteps: setting.horizon });
  const policy = tabularPolicy({ numStates: setting.size * setting.size, numActions: 4 });
  const { innerLr, learnInnerLr, entropyBonus, weightDecay } = setting;
  const common = {
    policy, env, tasks: family.train, metaBatchSize: 10, outerLr: 0.1, estimator: 'dice' as const, baseline: 'state' as const,
    innerLr, learnInnerLr, entropyBonus, weightDecay, seed: 15,
  };
  const variants = [false, true].map((recycleMemory) => {
    const options = { ...common, recycleMemory };
    return { options, state: metaTrainInit(options), wall: [] as number[], cpu: [] as number[] };
  });
  const run = (v: (typeof variants)[number], record: boolean): void => {
    const wall = performance.now(), cpu = process.cpuUsage();
    for (let i = 0; i < setting.perRound; i++) v.state = metaTrainStep(v.options, v.state).state;
    const used = process.cpuUsage(cpu);
    if (!record) return;
    v.wall.push((performance.now() - wall) / setting.perRound);
    v.cpu.push((used.user + used.system) / 1000 / setting.perRound);
  };
  for (const v of variants) run(v, false); // warm-up (JIT, and the pool's first fill)
  for (let r = 0; r < rounds; r++) for (const v of r % 2 === 0 ? variants : variants.slice().reverse()) run(v, true);
  const [fresh, recycled] = variants.map((v) => ({ wallMs: median(v.wall), cpuMs: median(v.cpu) }));
  return { fresh: fresh!, recycled: recycled! };
}

/**
 * One meta-iteration of the CLI's default grid-world run (goal 8×8, tabular, 10 tasks ×
 * 160 episodes of 20 steps, DiCE, learned inner step sizes, entropy bonus 0.4), eager
 * (recycling memory) against `jit: true`; median of interleaved rounds (the order
 * swapping each round), ms. Also where the time goes, from `timings` (ms per iteration,
 * means over the timed rounds): rollouts; inner = baseline fits, surrogate data and the
 * inner steps (jit: the adapt program); outer = the rest (outer data, the backward pass
 * or the meta-gradient program, Adam).
 */
function benchJit(rounds: number) {
  const family = goalFamily({ size: 8 });
  const env = new VecEnv({ map: openRoom(8), numEnvs: 160, maxSteps: 20 });
  const policy = tabularPolicy({ numStates: 64, numActions: 4 });
  const base = {
    policy, env, tasks: family.train, metaBatchSize: 10, innerLr: 100, estimator: 'dice' as const, baseline: 'state' as const,
    entropyBonus: 0.4, outerLr: 0.1, recycleMemory: true,
  };
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
  const names = ['eager', 'jit'] as const;
  const times = { eager: [] as number[], jit: [] as number[] };
  const split = { eager: { rolloutMs: 0, innerMs: 0, outerMs: 0 } as MetaTimings, jit: { rolloutMs: 0, innerMs: 0, outerMs: 0 } as MetaTimings };
  const states = { eager: metaTrainInit({ ...base, learnInnerLr: true, seed: 1 }), jit: metaTrainInit({ ...base, learnInnerLr: true, seed: 1 }) };
  for (const name of names) for (let i = 0; i < 3; i++) states[name] = metaTrainStep({ ...base, jit: name === 'jit' }, states[name]).state;
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) states[name] = metaTrainStep({ ...base, jit: name === 'jit', timings: split[name] }, states[name]).state;
      times[name].push((performance.now() - t0) / 3);
    }
  }
  const perIteration = (t: MetaTimings): MetaTimings => ({ rolloutMs: t.rolloutMs / (3 * rounds), innerMs: t.innerMs / (3 * rounds), outerMs: t.outerMs / (3 * rounds) });
  return { eager: median(times.eager), jit: median(times.jit), split: { eager: perIteration(split.eager), jit: perIteration(split.jit) } };
}

/** Prints the meta-iteration cost split and rollout throughput. */
export async function runRlBench(): Promise<void> {
  const settings: Setting[] = [
    { size: 5, horizon: 14, episodes: 20, metaBatchSize: 10 },
    { size: 8, horizon: 20, episodes: 20, metaBatchSize: 10 },
  ];
  benchMetaIteration(settings[0]!, 'dice', 10); // process-wide warm-up, discarded
  console.log('MAML-RL meta-iteration (tabular policy, goal family, 1 inner step), ms per iteration:');
  console.log('setting                          estimator    rollout    inner    outer    total');
  for (const setting of settings) {
    for (const estimator of ['dice', 'lvc', 'reinforce', 'firstOrder'] as const) {
      const t = benchMetaIteration(setting, estimator, 20);
      const label = `${setting.size}×${setting.size} T=${setting.horizon} N=${setting.episodes} tasks=${setting.metaBatchSize}`;
      console.log(`${label.padEnd(33)}${estimator.padEnd(11)}${t.rolloutMs.toFixed(1).padStart(9)}${t.innerMs.toFixed(1).padStart(9)}${t.outerMs.toFixed(1).padStart(9)}${t.totalMs.toFixed(1).padStart(9)}`);
    }
  }
  const stepsPerSecond = benchRollouts(8, 256, 20, 20);
  console.log(`rollout throughput (8×8, 256 copies, tabular sampler): ${(stepsPerSecond / 1e6).toFixed(2)} M env-steps/s`);
  console.log('recycleMemory: one meta-iteration of scripts/gridworld.ts\'s experiments, ms (median of 9 interleaved rounds):');
  console.log('experiment  setting                          fresh wall  recycled  ratio  fresh cpu  recycled  ratio');
  for (const setting of STUDY) {
    const { fresh, recycled } = benchRecycling(setting, 9);
    const label = `${setting.size}×${setting.size} T=${setting.horizon} N=${setting.episodes} entropy=${setting.entropyBonus}`;
    console.log(`${setting.name.padEnd(12)}${label.padEnd(33)}${fresh.wallMs.toFixed(2).padStart(10)}${recycled.wallMs.toFixed(2).padStart(10)}${(recycled.wallMs / fresh.wallMs).toFixed(3).padStart(7)}`
      + `${fresh.cpuMs.toFixed(2).padStart(11)}${recycled.cpuMs.toFixed(2).padStart(10)}${(recycled.cpuMs / fresh.cpuMs).toFixed(3).padStart(7)}`);
  }
}

/** Only the jit comparison: `node --import tsx bench/rl.bench.ts --jit`. */
export function runRlJitBench(rounds = 7): void {
  const { eager, jit, split } = benchJit(rounds);
  console.log(`MAML-RL meta-iteration, CLI default (goal 8×8, tabular, 10 × 160 episodes, DiCE): eager ${eager.toFixed(1)} ms, jit ${jit.toFixed(1)} ms, eager/jit ${(eager / jit).toFixed(2)}`);
  for (const name of ['eager', 'jit'] as const) {
    const t = split[name];
    console.log(`  ${name.padEnd(6)} rollout ${t.rolloutMs.toFixed(1)}  inner ${t.innerMs.toFixed(1)}  outer ${t.outerMs.toFixed(1)} ms (mean per iteration)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // The CLI runs on wasm where it loads; so does the bench (`--ts` for the reference backend).
  if (!process.argv.includes('--ts')) await ready();
  console.log(`backend: ${getBackend().name}`);
  if (process.argv.includes('--jit')) runRlJitBench();
  else { await runRlBench(); runRlJitBench(); }
}
