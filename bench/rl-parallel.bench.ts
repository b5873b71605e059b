/**
 * MAML-RL on the worker pool (#18): ms per meta-iteration of `metaTrainStep` in this
 * thread against `metaTrainStepParallel` in this thread (`workers: 1`, the cost of
 * per-task gradients and packing alone) and on 2 workers, at the CLI's default config
 * (goal family 8×8, tabular, 160 episodes, horizon 20, 10 tasks, Meta-SGD, entropy bonus
 * 0.4, DiCE, jit), with 30 tasks, with 640 episodes, and eager.
 * Wall time, median of rounds, the variants interleaved so drifting load hits all alike.
 *
 * `cli` times the main job instead: `metagrad gridworld` with its defaults (`npm start`)
 * with `--workers 1` and `--workers 2`, whole commands (start-up, workers, report
 * included), alternating; `main` is a built `cli/main.js` to run (default: bin/metagrad.mjs).
 *
 *   node --import tsx bench/rl-parallel.bench.ts [iterations=10] [rounds=5]
 *   node --import tsx bench/rl-parallel.bench.ts cli [rounds=5] [main]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPool, getBackend } from '../src/index.ts';
import { metaTrainInit, metaTrainStep, type MetaStepOptions, type MetaTrainState } from '../src/rl/mamlrl.ts';
import { RL_JOBS, metaTrainStepParallel, policySetupFromSpec, type PolicySetupSpec } from '../src/rl/mamlrl-parallel.ts';

const median = (xs: number[]): number => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** Wall seconds of `metagrad gridworld` (defaults) with 1 and 2 workers, median of alternating rounds. */
function benchMainJob(rounds: number, main: string | undefined): void {
  const out = mkdtempSync(join(tmpdir(), 'rl-parallel-bench-'));
  // A launcher file, not `node -e`: workers inherit the process's exec arguments.
  const launcher = join(out, 'launch.mjs');
  if (main !== undefined) writeFileSync(launcher, `const m = await import(${JSON.stringify(pathToFileURL(main).href)});\nawait m.runFromProcess();\n`);
  const command = [main === undefined ? fileURLToPath(new URL('../bin/metagrad.mjs', import.meta.url)) : launcher];
  console.log(`rl-parallel.bench cli: metagrad gridworld (npm start's defaults) via ${main ?? 'bin/metagrad.mjs'}, ${rounds} rounds, Node ${process.version}, ${new Date().toISOString()}`);
  const times: Record<number, number[]> = { 1: [], 2: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const workers of r % 2 === 0 ? [1, 2] : [2, 1]) {
        const t0 = performance.now();
        const p = spawnSync(process.execPath, [...command, 'gridworld', '--workers', String(workers), '--progress', 'none', '--out', join(out, String(workers))], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`metagrad gridworld --workers ${workers} exited ${p.status}: ${p.stderr}`);
        times[workers]!.push((performance.now() - t0) / 1000);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const [one, two] = [median(times[1]!), median(times[2]!)];
  console.log(`workers 1: ${one.toFixed(2)} s (${times[1]!.map((t) => t.toFixed(2)).join(', ')})`);
  console.log(`workers 2: ${two.toFixed(2)} s (${times[2]!.map((t) => t.toFixed(2)).join(', ')})`);
  console.log(`speedup: ${(one / two).toFixed(2)}×`);
}

export async function runRlParallelBench(args: readonly string[] = []): Promise<void> {
  if (args[0] === 'cli') { benchMainJob(Number(args[1] ?? 5), args[2]); return; }
  const iterations = Number(args[0] ?? 10), rounds = Number(args[1] ?? 5);
  const pools = { 1: createPool({ workers: 1, modules: [RL_JOBS] }), 2: createPool({ workers: 2, modules: [RL_JOBS] }) };
  console.log(`rl-parallel.bench: goal 8×8 tabular, horizon 20, ${iterations} iterations × ${rounds} rounds, backend ${getBackend().name}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log('config                   serial ms   per-task (1 worker) ms   2 workers ms   serial / 2 workers');
  try {
    for (const [metaBatchSize, numEnvs, jit] of [[10, 160, true], [30, 160, true], [10, 640, true], [10, 160, false]] as const) {
      const setup: PolicySetupSpec = { name: 'gridworld', options: { family: 'goal', layout: 'open', size: 8, policy: 'tabular', numEnvs, maxSteps: 20 } };
      const built = await policySetupFromSpec(setup);
      const common = {
        metaBatchSize, innerLr: 100, learnInnerLr: true, entropyBonus: 0.4, estimator: 'dice' as const, baseline: 'state' as const,
        outerLr: 0.1, recycleMemory: true, jit, seed: 0,
      };
      const serialOptions = { ...common, ...built } as MetaStepOptions<unknown>;
      const parallelOptions = { ...common, setup };
      // Each variant continues its own run from the same start.
      const states: Record<string, MetaTrainState<unknown>> = {};
      const variants: [string, (s: MetaTrainState<unknown>) => Promise<MetaTrainState<unknown>>][] = [
        ['serial', async (s) => metaTrainStep(serialOptions, s).state],
        ['one', async (s) => (await metaTrainStepParallel(pools[1], parallelOptions, s)).state],
        ['two', async (s) => (await metaTrainStepParallel(pools[2], parallelOptions, s)).state],
      ];
      const times: Record<string, number[]> = { serial: [], one: [], two: [] };
      for (const [name, step] of variants) states[name] = await step(metaTrainInit(serialOptions)); // warm-up: traces, worker start-up
      for (let r = 0; r < rounds; r++) {
        for (const [name, step] of r % 2 === 0 ? variants : variants.slice().reverse()) {
          const t0 = performance.now();
          for (let i = 0; i < iterations; i++) states[name] = await step(states[name]!);
          times[name]!.push((performance.now() - t0) / iterations);
        }
      }
      const [s, o, t] = [median(times.serial!), median(times.one!), median(times.two!)];
      const label = `${metaBatchSize} tasks, ${numEnvs} ep, ${jit ? 'jit' : 'eager'}`;
      console.log(`${label.padEnd(23)} ${s.toFixed(1).padStart(10)} ${o.toFixed(1).padStart(24)} ${t.toFixed(1).padStart(14)} ${(s / t).toFixed(2).padStart(20)}`);
    }
  } finally {
    pools[1].terminate();
    pools[2].terminate();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runRlParallelBench(process.argv.slice(2));
}
