/**
 * Grid-world environment throughput: env steps per second for one `GridWorld` and for
 * `VecEnv` with B = 1, 64 and 1024 copies on an 8×8 open room with random actions.
 * Actions are pregenerated so the random generator is not measured. The target is
 * ≥ 20 million vectorised steps per second on one core.
 *
 * Also checks that stepping allocates nothing in steady state, by counting garbage
 * collections and heap growth over many steps.
 *
 * Run: `node --import tsx bench/env.bench.ts` (about 30 s).
 * Wall-clock rates come from benchmark.js; the CPU-time rates after them are the ones to
 * compare across runs on a busy machine.
 */
import Benchmark from 'benchmark';
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/random/rng.ts';
import { GridWorld, VecEnv, openRoom, type ObservationSpec } from '../src/rl/env/index.ts';

const MAP = openRoom(8);
const MAX_STEPS = 64;
/** Distinct pregenerated action batches, cycled through. */
const ACTION_BATCHES = 61;

interface Case {
  readonly name: string;
  /** Environment steps made by one call of `run`. */
  readonly stepsPerCall: number;
  readonly run: () => void;
}

function randomActions(count: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const actions = new Int32Array(count);
  for (let i = 0; i < count; i++) actions[i] = rng.int(4);
  return actions;
}

/** One `GridWorld`, stepped 1000 times per call (resetting when episodes end). */
function singleEnvCase(): Case {
  const env = new GridWorld({ map: MAP, maxSteps: MAX_STEPS });
  env.reset(0);
  const actions = randomActions(4096, 1);
  let t = 0;
  return {
    name: 'GridWorld (single, allocating step)',
    stepsPerCall: 1000,
    run: () => {
      for (let i = 0; i < 1000; i++) {
        const result = env.step(actions[t++ & 4095]!);
        if (result.terminated || result.truncated) env.reset();
      }
    },
  };
}

function vecEnvCase(numEnvs: number, observation: ObservationSpec, callsPerRun: number): Case {
  const env = new VecEnv({ map: MAP, numEnvs, maxSteps: MAX_STEPS, observation });
  env.reset(0);
  const pool = randomActions(numEnvs * ACTION_BATCHES, 2);
  const batches = Array.from({ length: ACTION_BATCHES }, (_, b) => pool.subarray(b * numEnvs, (b + 1) * numEnvs));
  let t = 0;
  const label = observation.kind === 'localView' ? `localView ${observation.size}×${observation.size}` : observation.kind;
  return {
    name: `VecEnv B=${numEnvs} (${label})`,
    stepsPerCall: numEnvs * callsPerRun,
    run: () => {
      for (let i = 0; i < callsPerRun; i++) {
        env.step(batches[t]!);
        t = t + 1 === ACTION_BATCHES ? 0 : t + 1;
      }
    },
  };
}

function measure(cases: readonly Case[]): Promise<{ name: string; stepsPerSecond: number; rme: number }[]> {
  return new Promise((resolve) => {
    const suite = new Benchmark.Suite();
    for (const c of cases) suite.add(c.name, c.run, { maxTime: 2, minSamples: 10 });
    suite.on('complete', function (this: Benchmark.Suite) {
      const results = cases.map((c, i) => {
        const bench = (this as unknown as Benchmark[])[i]!;
        return { name: c.name, stepsPerSecond: bench.hz * c.stepsPerCall, rme: bench.stats.rme };
      });
      resolve(results);
    });
    suite.run({ async: false });
  });
}

/**
 * Steps per second of CPU time (user + system) of this process: on a shared machine
 * wall-clock rates fall when other processes take the core, CPU-time rates do not.
 */
function cpuTimeRate(c: Case, seconds: number): number {
  for (let i = 0; i < 200; i++) c.run();
  const start = process.cpuUsage();
  const wallStart = performance.now();
  let calls = 0;
  while (performance.now() - wallStart < seconds * 1000) {
    for (let i = 0; i < 50; i++) c.run();
    calls += 50;
  }
  const used = process.cpuUsage(start);
  return (calls * c.stepsPerCall) / ((used.user + used.system) / 1e6);
}

/** Garbage collections and heap growth over `steps` calls after warm-up. */
async function allocationCheck(numEnvs: number, calls: number): Promise<string> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const { run, stepsPerCall } = vecEnvCase(numEnvs, { kind: 'stateIndex' }, 1);
  for (let i = 0; i < 5 * calls; i++) run(); // warm up: unoptimised code boxes numbers
  let collections = 0;
  const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
  observer.observe({ entryTypes: ['gc'] });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < calls; i++) run();
  const grown = process.memoryUsage().heapUsed - before;
  await new Promise((resolve) => setTimeout(resolve, 10));
  observer.disconnect();
  const steps = calls * stepsPerCall;
  return `allocation: VecEnv B=${numEnvs}, ${calls} step calls (${(steps / 1e6).toFixed(1)}M env steps): `
    + `heap grew ${grown} bytes (${(grown / calls).toFixed(2)} B per call), ${collections - 1} GCs besides the forced one`;
}

/** Runs the environment benchmarks and prints steps per second. */
export async function runEnvBench(): Promise<void> {
  console.log(`env bench: ${MAP.height}×${MAP.width} open room, maxSteps ${MAX_STEPS}, random pregenerated actions, Node ${process.version}`);
  const cases: Case[] = [
    singleEnvCase(),
    vecEnvCase(1, { kind: 'stateIndex' }, 1000),
    vecEnvCase(64, { kind: 'stateIndex' }, 16),
    vecEnvCase(1024, { kind: 'stateIndex' }, 1),
    vecEnvCase(1024, { kind: 'oneHot' }, 1),
    vecEnvCase(1024, { kind: 'localView', size: 3 }, 1),
    vecEnvCase(1024, { kind: 'gridChannels' }, 1),
  ];
  for (const r of await measure(cases)) {
    console.log(`${r.name.padEnd(40)} ${(r.stepsPerSecond / 1e6).toFixed(1).padStart(7)} M steps/s  ±${r.rme.toFixed(1)}%`);
  }
  console.log('per second of CPU time (robust to other processes sharing the core):');
  for (const c of [cases[0]!, cases[3]!]) {
    console.log(`${c.name.padEnd(40)} ${(cpuTimeRate(c, 2) / 1e6).toFixed(1).padStart(7)} M steps/s`);
  }
  console.log(await allocationCheck(1024, 2000));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runEnvBench();
}
