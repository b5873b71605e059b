/**
 * Memory of a second-order MAML meta-gradient as the number of inner steps grows:
 * the bytes the recorded graph holds at its largest (after the forward pass of the
 * meta-objective, before the backward pass), for 25 sinusoid tasks, K = 10, MLP
 * 1-40-40-1 ReLU, first- and second-order. Also the wasm memory size, which must not
 * depend on the number of steps (the arena is reset after every kernel call).
 *
 * Then the checkpointed inner loop (`checkpointEvery`): the peak over the whole
 * meta-gradient (stored checkpoints plus the recomputed segment inside the backward
 * pass) and the milliseconds per meta-gradient, against storing every step.
 *
 * Run: node --import tsx bench/memory.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rng, vjp, grad, checkpoint, getBackend, wasmMemoryBytes, scalar, sum, mean, type Tensor } from '../src/index.ts';
import { MLP, batchOverTasks, perTaskMse, type LinearParams } from '../src/nn/index.ts';
import { adapt, adaptedQueryLoss, maml, sinusoidTasks } from '../src/meta/index.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
const theta = model.init(new Rng(0));
const tasks = sinusoidTasks(new Rng(1), { numTasks: 25, K: 10, queryK: 10 });

/** Bytes held by the recorded graph of one meta-objective with `steps` inner steps. */
function graphBytes(steps: number, firstOrder: boolean): number {
  const before = liveBytes();
  // vjp keeps the whole graph alive until `back` is dropped: this is the peak.
  const [loss, back] = vjp((p: LinearParams[]) => adaptedQueryLoss(model.apply, p, tasks, {
    loss: perTaskMse, lr: 0.01, steps, firstOrder,
  }), theta);
  const held = liveBytes() - before;
  back(scalar(1) as Tensor); // the graph is then garbage
  void loss;
  return held;
}

/**
 * Peak bytes of one checkpointed meta-gradient: `adapt`'s checkpointEvery loop written
 * out with a memory sample at the end of every segment, which inside the backward pass
 * is the moment the recomputed segment's graph is complete (its peak).
 */
function checkpointedPeakBytes(steps: number, every: number): number {
  const before = liveBytes();
  let peak = 0;
  const sample = (): void => { peak = Math.max(peak, liveBytes() - before); };
  const supportLoss = (p: LinearParams[]): Tensor => sum(perTaskMse(model.apply(p, tasks.support.x), tasks.support.y));
  const metaLoss = (params: LinearParams[]): Tensor => {
    let current = batchOverTasks(params, 25);
    for (let done = 0; done < steps; done += every) {
      const count = Math.min(every, steps - done);
      current = checkpoint((p: LinearParams[]) => {
        const out = adapt(p, supportLoss, { lr: 0.01, steps: count, taskBatched: true });
        sample();
        return out;
      })(current);
    }
    const loss = mean(perTaskMse(model.apply(current, tasks.query.x), tasks.query.y));
    sample(); // the forward pass's peak: every checkpoint stored
    return loss;
  };
  grad(metaLoss)(theta);
  return peak;
}

/**
 * Median milliseconds of `maml(...).metaGradient` for each `checkpointEvery` setting,
 * measured interleaved (one call of each setting per round), so that drift in a shared
 * machine's speed hits every setting alike and the ratios stay meaningful.
 */
function msPerMetaGradient(steps: number, settings: readonly (number | undefined)[], rounds = 41): number[] {
  const learners = settings.map((checkpointEvery) => maml({ model, innerLr: 0.01, innerSteps: steps, ...(checkpointEvery !== undefined && { checkpointEvery }) }));
  for (let i = 0; i < 3; i++) learners.forEach((l) => l.metaGradient(theta, tasks));
  const times = learners.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    learners.forEach((learner, k) => {
      const start = performance.now();
      learner.metaGradient(theta, tasks);
      times[k]!.push(performance.now() - start);
    });
  }
  return times.map((t) => t.sort((x, y) => x - y)[t.length >> 1]!);
}

function runCheckpointBench(): void {
  console.log('memory.bench: checkpointed inner loop (second order), peak MB over the whole meta-gradient and median ms (interleaved)');
  console.log(`${'inner steps'.padEnd(12)} ${'checkpointEvery'.padEnd(16)} ${'peak MB'.padStart(8)} ${'ms'.padStart(8)} ${'ms ratio'.padStart(9)}`);
  for (const steps of [5, 10]) {
    const settings = [undefined, ...[1, 2, 5].filter((every) => every < steps)];
    const ms = msPerMetaGradient(steps, settings);
    settings.forEach((every, k) => {
      let peak: number;
      if (every === undefined) {
        graphBytes(steps, false); // warm up
        peak = graphBytes(steps, false);
      } else {
        checkpointedPeakBytes(steps, every); // warm up
        peak = checkpointedPeakBytes(steps, every);
      }
      const label = every === undefined ? '(store all)' : String(every);
      console.log(`${String(steps).padEnd(12)} ${label.padEnd(16)} ${(peak / 2 ** 20).toFixed(2).padStart(8)} ${ms[k]!.toFixed(2).padStart(8)} ${(ms[k]! / ms[0]!).toFixed(2).padStart(9)}`);
    });
  }
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
  runCheckpointBench();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runMemoryBench();
