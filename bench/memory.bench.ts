/**
 * Memory of a second-order MAML meta-gradient as the number of inner steps grows:
 * the bytes the recorded graph holds at its largest (after the forward pass of the
 * meta-objective, before the backward pass), for 25 sinusoid tasks, K = 10, MLP
 * 1-40-40-1 ReLU, first- and second-order. Also the wasm memory size, which must not
 * depend on the number of steps (the arena is reset after every kernel call).
 *
 * Run: node --import tsx bench/memory.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rng, vjp, getBackend, wasmMemoryBytes, scalar, type Tensor } from '../src/index.ts';
import { MLP, perTaskMse, type LinearParams } from '../src/nn/index.ts';
import { adaptedQueryLoss, sinusoidTasks } from '../src/meta/index.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes held by the recorded graph of one meta-objective with `steps` inner steps. */
function graphBytes(steps: number, firstOrder: boolean): number {
  const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
  const params = model.init(new Rng(0));
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 25, K: 10, queryK: 10 });
  const before = liveBytes();
  // vjp keeps the whole graph alive until `back` is dropped: this is the peak.
  const [loss, back] = vjp((p: LinearParams[]) => adaptedQueryLoss(model.apply, p, tasks, {
    loss: perTaskMse, lr: 0.01, steps, firstOrder,
  }), params);
  const held = liveBytes() - before;
  back(scalar(1) as Tensor); // the graph is then garbage
  void loss;
  return held;
}

export async function runMemoryBench(): Promise<void> {
  console.log(`memory.bench: graph bytes of one meta-objective (25 tasks, K=10, 1-40-40-1 ReLU), backend ${getBackend().name}, Node ${process.version}`);
  console.log(`${'inner steps'.padEnd(12)} ${'2nd order MB'.padStart(13)} ${'1st order MB'.padStart(13)} ${'wasm memory MB'.padStart(15)}`);
  for (const steps of [1, 2, 3, 5, 10]) {
    graphBytes(steps, false); // warm up (JIT, wasm arena at its size for this shape)
    const second = graphBytes(steps, false);
    const first = graphBytes(steps, true);
    console.log(`${String(steps).padEnd(12)} ${(second / 2 ** 20).toFixed(2).padStart(13)} ${(first / 2 ** 20).toFixed(2).padStart(13)} ${(wasmMemoryBytes() / 2 ** 20).toFixed(2).padStart(15)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runMemoryBench();
