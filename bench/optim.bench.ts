/**
 * One Adam step over a whole parameter tree: the plain optimizer (a JS loop in float64
 * over plain-number moments) against `fusedAdam` (float32 tensor moments, the update
 * compiled by `jit` into elementwise chains) and the same fused ops run eagerly, on the
 * sinusoid MLP (1,761 parameters) and on wider MLPs. Median CPU ms per step.
 *
 *   taskset -c 0 node --import tsx bench/optim.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { Rng, adam, fusedAdam, getBackend, randomNormal, treeLeaves, treeMap } from '../src/index.ts';
import { MLP } from '../src/nn/index.ts';
import { cpuTime } from './timing.ts';

const SIZES: readonly (readonly number[])[] = [[1, 40, 40, 1], [64, 256, 256, 10], [256, 1024, 1024, 10]];

export function runOptimBench(): void {
  console.log(`optim.bench: one Adam step, backend ${getBackend().name}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`${'MLP'.padEnd(22)} ${'params'.padStart(9)} ${'plain'.padStart(9)} ${'fused eager'.padStart(12)} ${'fused jit'.padStart(10)} ${'plain/jit'.padStart(10)}`);
  for (const sizes of SIZES) {
    const model = MLP({ sizes, activation: 'relu' });
    const rng = new Rng(0);
    const params = model.init(rng);
    const grads = treeMap(params, (p) => randomNormal(rng, p.shape, 0, 0.01));
    const count = treeLeaves(params).reduce((n, t) => n + t.size, 0);
    const plain = adam({ lr: 1e-3 }), eager = fusedAdam({ lr: 1e-3, jit: false }), compiled = fusedAdam({ lr: 1e-3 });
    const sp = plain.init(params), se = eager.init(params), sc = compiled.init(params);
    const t = [
      cpuTime(() => void plain.update(grads, sp, params), 11).median,
      cpuTime(() => void eager.update(grads, se, params), 11).median,
      cpuTime(() => void compiled.update(grads, sc, params), 11).median,
    ];
    console.log(`${sizes.join('-').padEnd(22)} ${String(count).padStart(9)} ${t.map((v, i) => v.toFixed(3).padStart(i === 1 ? 12 : i === 2 ? 10 : 9)).join(' ')} ${(t[0]! / t[2]!).toFixed(2).padStart(10)}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runOptimBench();
