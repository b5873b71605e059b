/**
 * Cost of one MAML-RL meta-iteration, split into rollouts, inner updates (building the
 * differentiable inner step) and the outer update (outer surrogate, second-order
 * backward pass and Adam), for each meta-gradient estimator; plus raw rollout
 * throughput.
 *
 *   node --import tsx bench/rl.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { tabularPolicy } from '../src/rl/policy.ts';
import { collectEpisodes } from '../src/rl/rollout.ts';
import { metaTrain, type MetaEstimator, type MetaTimings } from '../src/rl/mamlrl.ts';

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
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runRlBench();
