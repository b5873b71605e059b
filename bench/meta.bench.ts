/**
 * Cost of one outer step (meta-gradient + Adam update) for 25 sinusoid tasks, K = 10,
 * on an MLP 1-40-40-1 ReLU: plain gradient, first-order MAML, second-order MAML with 1
 * and 5 inner steps, Meta-SGD, Reptile; some of them with `recycleMemory`; and the
 * batched meta-batch against a JS loop over tasks. Prints ms per step (benchmark.js
 * wall time, and process CPU time, which is steadier on a shared machine) and the
 * ratios to the plain gradient.
 *
 * Run: node --import tsx bench/meta.bench.ts
 */
import { pathToFileURL } from 'node:url';
import Benchmark from 'benchmark';
import { Rng, getBackend, grad, mean, recycling, tensor, treeMap, type Tensor } from '../src/index.ts';
import { MLP, perTaskMse, type LinearParams, type Module } from '../src/nn/index.ts';
import { adam } from '../src/optim/index.ts';
import { maml, metaSgd, reptile, sinusoidTasks, type MetaLearner } from '../src/meta/index.ts';

interface Case {
  readonly name: string;
  readonly step: () => void;
}

/** One outer step of `learner`: meta-gradient on a fixed batch, then an Adam update. */
function outerStep<M>(learner: MetaLearner<M>): () => void {
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 25, K: 10, queryK: 10 });
  const optimizer = adam({ lr: 0.001 });
  let meta = learner.init(new Rng(0));
  let state = optimizer.init(meta);
  return () => {
    const { grads } = learner.metaGradient(meta, tasks);
    ({ params: meta, state } = optimizer.update(grads, state, meta));
  };
}

/** The baseline: one gradient of the support loss of all 25 tasks (no adaptation), then Adam. */
function plainStep(model: Module<LinearParams[]>, recycle = false): () => void {
  const { support } = sinusoidTasks(new Rng(1), { numTasks: 25, K: 10, queryK: 10 });
  const optimizer = adam({ lr: 0.001 });
  const loss = (p: LinearParams[]): Tensor => mean(perTaskMse(model.apply(p, support.x), support.y));
  let params = model.init(new Rng(0));
  let state = optimizer.init(params);
  const gradient = (): LinearParams[] => grad(loss)(params) as LinearParams[];
  const copy = (g: LinearParams[]): LinearParams[] => treeMap(g, (t) => tensor(t.toTypedArray(), t.shape));
  return () => {
    const grads = recycle ? recycling(gradient, copy) : gradient();
    ({ params, state } = optimizer.update(grads, state, params));
  };
}

function cases(): Case[] {
  const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
  const innerLr = 0.01;
  return [
    { name: 'plain gradient', step: plainStep(model) },
    { name: 'plain gradient, recycling', step: plainStep(model, true) },
    { name: 'first-order MAML, 1 step', step: outerStep(maml({ model, innerLr, firstOrder: true })) },
    { name: 'MAML 2nd order, 1 step', step: outerStep(maml({ model, innerLr })) },
    { name: 'MAML 2nd order, 5 steps', step: outerStep(maml({ model, innerLr, innerSteps: 5 })) },
    { name: 'Meta-SGD, 1 step', step: outerStep(metaSgd({ model, innerLr })) },
    { name: 'Reptile, 5 steps', step: outerStep(reptile({ model, innerLr, innerSteps: 5 })) },
    { name: 'MAML 2nd order, 1 step, recycleMemory', step: outerStep(maml({ model, innerLr, recycleMemory: true })) },
    { name: 'MAML 2nd order, 5 steps, recycleMemory', step: outerStep(maml({ model, innerLr, innerSteps: 5, recycleMemory: true })) },
    { name: 'Meta-SGD, 1 step, recycleMemory', step: outerStep(metaSgd({ model, innerLr, recycleMemory: true })) },
    { name: 'MAML 2nd order, 1 step, per-task loop', step: outerStep(maml({ model, innerLr, batched: false })) },
    { name: 'MAML 2nd order, 5 steps, per-task loop', step: outerStep(maml({ model, innerLr, innerSteps: 5, batched: false })) },
  ];
}

/** Median over 5 rounds of the process CPU time (user + system) per step, after a warm-up. */
function cpuTimePerStep(step: () => void, rounds = 5, perRound = 40): number {
  for (let i = 0; i < perRound; i++) step();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < perRound; i++) step();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1000 / perRound);
  }
  return samples.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

/** Runs every case with benchmark.js and prints a table (ms per outer step, ± relative margin, ratio to plain). */
export async function runMetaBench(): Promise<void> {
  const results = new Map<string, { ms: number; rme: number; cpuMs: number }>();
  const suite = new Benchmark.Suite('meta');
  const all = cases();
  // Process CPU time per step as well: on a shared machine wall time includes waiting for a core.
  const cpuMs = new Map(all.map((c) => [c.name, cpuTimePerStep(c.step)]));
  for (const c of all) suite.add(c.name, c.step, { minSamples: 20 });
  await new Promise<void>((resolve, reject) => {
    suite
      .on('cycle', (event: Benchmark.Event) => {
        const b = event.target as unknown as Benchmark;
        results.set(String(b.name), { ms: b.stats.mean * 1000, rme: b.stats.rme, cpuMs: cpuMs.get(String(b.name))! });
      })
      .on('complete', () => resolve())
      .on('error', (event: Benchmark.Event) => reject((event.target as unknown as { error: Error }).error))
      .run({ async: true });
  });
  const plain = results.get('plain gradient')!.ms;
  console.log(`meta.bench: one outer step, 25 tasks, K=10, MLP 1-40-40-1 ReLU, backend ${getBackend().name}, Node ${process.version}`);
  const plainCpu = results.get('plain gradient')!.cpuMs;
  console.log(`${'case'.padEnd(42)} ${'ms/step'.padStart(9)} ${'±%'.padStart(6)} ${'× plain'.padStart(8)} ${'cpu ms'.padStart(8)} ${'× plain'.padStart(8)}`);
  for (const [name, { ms, rme, cpuMs: cpu }] of results) {
    console.log(`${name.padEnd(42)} ${ms.toFixed(3).padStart(9)} ${rme.toFixed(1).padStart(6)} ${(ms / plain).toFixed(2).padStart(8)} ${cpu.toFixed(3).padStart(8)} ${(cpu / plainCpu).toFixed(2).padStart(8)}`);
  }
  for (const steps of [1, 5]) {
    const batched = results.get(`MAML 2nd order, ${steps} step${steps > 1 ? 's' : ''}`)!;
    const looped = results.get(`MAML 2nd order, ${steps} step${steps > 1 ? 's' : ''}, per-task loop`)!;
    console.log(`batched over tasks vs per-task loop, ${steps} inner step(s): ${(looped.ms / batched.ms).toFixed(2)}× faster (wall), ${(looped.cpuMs / batched.cpuMs).toFixed(2)}× (cpu)`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMetaBench();
}
