/**
 * Per-example gradients of the sinusoid MLP (1-40-40-1, tanh) over B examples:
 * `vmap(grad(loss))` against a loop of `grad(loss)` over the examples, eagerly and
 * under `jit` (same numbers: the batched ops run the per-example kernels). Then the
 * cost `vmap`'s hook in `bind` adds to code that does not use vmap: a second-order
 * MAML meta-gradient (batched over 25 tasks) with the hook uninstalled and installed,
 * rounds alternated. Median CPU ms per call.
 *
 *   taskset -c 0 node --import tsx bench/vmap.bench.ts
 */
import { pathToFileURL } from 'node:url';
import {
  Rng, Tensor, getBackend, grad, jit, randomNormal, randomUniform, vmap, dense, mse, sin, sub, mul, treeZip, unstack, sum, add,
} from '../src/index.ts';
import { installBatcher } from '../src/autodiff/primitive.ts';
import { cpuTime } from './timing.ts';

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor; w3: Tensor; b3: Tensor };

function init(rng: Rng): Params {
  const n = (shape: number[], s: number) => randomNormal(rng, shape, 0, s);
  return { w1: n([1, 40], 1), b1: n([40], 0.1), w2: n([40, 40], 0.16), b2: n([40], 0.1), w3: n([40, 1], 0.16), b3: n([1], 0.1) };
}

const forward = (p: Params, x: Tensor): Tensor => dense(dense(dense(x, p.w1, p.b1, 'tanh'), p.w2, p.b2, 'tanh'), p.w3, p.b3);
/** One example: x [1, 1], y [1, 1]. */
const loss = (p: Params, x: Tensor, y: Tensor): Tensor => mse(forward(p, x), y);

export function runVmapBench(): void {
  console.log(`vmap.bench: per-example gradients (MLP 1-40-40-1), backend ${getBackend().name}, Node ${process.version}, ${new Date().toISOString()}`);
  const rng = new Rng(0);
  const p = init(rng);
  console.log(`${'B'.padStart(4)} ${'loop'.padStart(9)} ${'vmap'.padStart(9)} ${'jit(loop)'.padStart(10)} ${'jit(vmap)'.padStart(10)} ${'loop/vmap'.padStart(10)} ${'jit loop/vmap'.padStart(14)}`);
  for (const B of [10, 100, 1000]) {
    const xs = randomUniform(rng, [B, 1, 1], -5, 5), ys = sin(xs);
    const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
    const looped = (q: Params, x: Tensor, y: Tensor) => { const ux = unstack(x, 0), uy = unstack(y, 0); return ux.map((xe, e) => grad(loss)(q, xe, uy[e]!)); };
    const jv = jit(perExample), jl = jit(looped);
    const t = [
      cpuTime(() => void looped(p, xs, ys), 7).median,
      cpuTime(() => void perExample(p, xs, ys), 7).median,
      cpuTime(() => void jl(p, xs, ys), 7).median,
      cpuTime(() => void jv(p, xs, ys), 7).median,
    ];
    console.log(`${String(B).padStart(4)} ${t[0]!.toFixed(3).padStart(9)} ${t[1]!.toFixed(3).padStart(9)} ${t[2]!.toFixed(3).padStart(10)} ${t[3]!.toFixed(3).padStart(10)} ${(t[0]! / t[1]!).toFixed(2).padStart(10)} ${(t[2]! / t[3]!).toFixed(2).padStart(14)}`);
  }

  // The hook's cost on code without vmap: a second-order MAML meta-gradient, 25 tasks of K = 10.
  const T = 25, K = 10;
  const xs = randomUniform(rng, [T, K, 1], -5, 5), ys = sin(xs);
  const taskLoss = (q: Params, x: Tensor, y: Tensor): Tensor => mul(sum(mse(forward(q, x), y)), 1);
  const meta = (q: Params): Tensor => {
    const g = grad(taskLoss)(q, xs, ys) as Params;
    const adapted = treeZip(q, g, (w, gw) => sub(w, mul(gw, 0.01)));
    return add(taskLoss(adapted, xs, ys), 0);
  };
  const metaGrad = grad(meta);
  const off = (): void => installBatcher(null);
  const on = (): void => { vmap((v: Tensor) => v)(xs); };
  const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let round = 0; round < 6; round++) {
    for (const mode of round % 2 === 0 ? ['off', 'on'] as const : ['on', 'off'] as const) {
      (mode === 'off' ? off : on)();
      times[mode].push(cpuTime(() => void metaGrad(p), 5).median);
    }
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const a = median(times.off), b = median(times.on);
  console.log(`second-order MAML meta-gradient (25 tasks × K=10): hook off ${a.toFixed(3)} ms, on ${b.toFixed(3)} ms, on/off ${(b / a).toFixed(3)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runVmapBench();
