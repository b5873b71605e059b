/**
 * Task-parallel meta-gradient (#18): ms per meta-iteration of second-order MAML on the
 * sinusoid workload (MLP 1-40-40-1, K = 10, jit) for meta-batches of 25, 100 and 400
 * tasks: `metaTrain` in this thread, `metaTrainParallel` with 2 chunks in this thread
 * (`workers: 1`, the cost of chunking alone) and on 2 workers. Wall time, median of
 * rounds, interleaved so drifting machine load hits every variant alike.
 *
 *   node --import tsx bench/meta-parallel.bench.ts [iterations=20] [rounds=5]
 */
import { pathToFileURL } from 'node:url';
import { Rng, adam, createPool, getBackend } from '../src/index.ts';
import { MLP } from '../src/nn/index.ts';
import { maml, metaTrain, sinusoidSampler } from '../src/meta/index.ts';
import { META_JOBS, metaTrainParallel, type LearnerSpec } from '../src/meta/parallel.ts';

const median = (xs: number[]): number => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

export async function runMetaParallelBench(args: readonly string[] = []): Promise<void> {
  const iterations = Number(args[0] ?? 20), rounds = Number(args[1] ?? 5);
  const spec: LearnerSpec = { name: 'maml', options: { sizes: [1, 40, 40, 1], innerLr: 0.01, jit: true } };
  const learner = maml({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01, jit: true });
  const sampleTasks = sinusoidSampler({ K: 10 });
  const pools = { 1: createPool({ workers: 1, modules: [META_JOBS] }), 2: createPool({ workers: 2, modules: [META_JOBS] }) };
  console.log(`meta-parallel.bench: MAML 1-40-40-1 K=10 jit, ${iterations} iterations × ${rounds} rounds, backend ${getBackend().name}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log('meta-batch   serial ms   chunked(1 worker) ms   2 workers ms   serial / 2 workers');
  try {
    for (const metaBatchSize of [25, 100, 400]) {
      const times: Record<string, number[]> = { serial: [], one: [], two: [] };
      const variants: [string, () => Promise<unknown>][] = [
        ['serial', async () => metaTrain({ learner, optimizer: adam({ lr: 0.001 }), sampleTasks, metaBatchSize, iterations, rng: new Rng(1) })],
        ['one', () => metaTrainParallel({ learner: spec, optimizer: adam({ lr: 0.001 }), sampleTasks, metaBatchSize, iterations, rng: new Rng(1), pool: pools[1], chunks: 2 })],
        ['two', () => metaTrainParallel({ learner: spec, optimizer: adam({ lr: 0.001 }), sampleTasks, metaBatchSize, iterations, rng: new Rng(1), pool: pools[2], chunks: 2 })],
      ];
      for (const [, run] of variants) await run(); // warm-up: traces, worker start-up
      for (let r = 0; r < rounds; r++) {
        for (const [name, run] of variants) {
          const t0 = performance.now();
          await run();
          times[name]!.push((performance.now() - t0) / iterations);
        }
      }
      const [s, o, t] = [median(times.serial!), median(times.one!), median(times.two!)];
      console.log(`${String(metaBatchSize).padStart(10)} ${s.toFixed(2).padStart(11)} ${o.toFixed(2).padStart(22)} ${t.toFixed(2).padStart(14)} ${(s / t).toFixed(2).padStart(20)}`);
    }
  } finally {
    pools[1].terminate();
    pools[2].terminate();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMetaParallelBench(process.argv.slice(2));
}
