/**
 * Matmul throughput, wasm vs the TypeScript reference, one thread.
 *
 * Square N ∈ {16 … 512} and the sinusoid-MAML shapes (25 tasks batched in one call:
 * an MLP 1-40-40-1 on K = 10 points, forward and backward). Prints GFLOP/s from the
 * median sample of benchmark.js. The relaxed-SIMD build is measured too when the
 * runtime validates it (Node 20: `--experimental-wasm-relaxed-simd`).
 *
 *   node --import tsx bench/matmul.bench.ts
 *   node --experimental-wasm-relaxed-simd --import tsx bench/matmul.bench.ts
 */
import Benchmark from 'benchmark';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Backend, MatmulSpec } from '../src/backend/backend.ts';
import { tsBackend } from '../src/backend/ts.ts';
import { initWasm } from '../src/backend/wasm/index.ts';
import { Rng } from '../src/random/rng.ts';

interface Case {
  readonly name: string;
  readonly spec: MatmulSpec;
}

function square(n: number): Case {
  return {
    name: `N=${n}`,
    spec: { batch: 1, m: n, k: n, n, transA: false, transB: false, aBatchStride: n * n, bBatchStride: n * n },
  };
}

/** A 25-task batched product; `shareB` broadcasts B across tasks (stride 0). */
function maml(name: string, m: number, k: number, n: number, transA: boolean, transB: boolean): Case {
  return { name, spec: { batch: 25, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: k * n } };
}

const CASES: Case[] = [
  ...[16, 32, 64, 128, 256, 512].map(square),
  maml('fwd [25,10,1]·[1,40]', 10, 1, 40, false, false),
  maml('fwd [25,10,40]·[40,40]', 10, 40, 40, false, false),
  maml('fwd [25,10,40]·[40,1]', 10, 40, 1, false, false),
  maml('dX [25,10,40]·[40,40]ᵀ', 10, 40, 40, false, true),
  maml('dX [25,10,1]·[1,40]ᵀ', 10, 1, 40, false, true),
  maml('dW [25,10,1]ᵀ·[25,10,40]', 1, 10, 40, true, false),
  maml('dW [25,10,40]ᵀ·[25,10,40]', 40, 10, 40, true, false),
  maml('dW [25,10,40]ᵀ·[25,10,1]', 40, 10, 1, true, false),
];

function flopsOf(s: MatmulSpec): number {
  return 2 * s.batch * s.m * s.k * s.n;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Seconds per call (median of benchmark.js samples) of `backend` on `c`. */
function measure(backend: Backend, c: Case): number {
  const rng = new Rng(1);
  const { spec } = c;
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
  const a = fill(spec.batch * spec.m * spec.k), b = fill(spec.batch * spec.k * spec.n);
  const out = new Float32Array(spec.batch * spec.m * spec.n);
  // V8 first runs wasm and JS through baseline tiers: warm up for ~0.2 s before timing.
  const warmEnd = performance.now() + 200;
  while (performance.now() < warmEnd) backend.matmul(a, b, out, spec);
  const bench = new Benchmark(`${backend.name} ${c.name}`, () => backend.matmul(a, b, out, spec), {
    maxTime: 1.2,
    minSamples: 5,
    initCount: 1,
  });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return median(bench.stats.sample);
}

/** Runs the suite and prints a Markdown table of GFLOP/s (median). */
export async function runMatmulBench(): Promise<void> {
  const simd = await initWasm();
  if (!simd) throw new Error('matmul bench: WebAssembly SIMD is unavailable on this runtime');
  const relaxed = await initWasm({ relaxedSimd: true });
  const columns: Array<[string, Backend]> = [['wasm simd', simd]];
  if (relaxed && relaxed.variant === 'relaxed-simd') columns.push(['wasm relaxed', relaxed]);
  columns.push(['ts', tsBackend]);

  // The machine may be shared: the load average says how much to trust absolute figures.
  console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0]!.toFixed(2)}` +
    (columns.length === 2 ? ' (relaxed SIMD not validated by this runtime: not measured)' : ''));
  console.log(`| case | ${columns.map(([n]) => `${n} GFLOP/s`).join(' | ')} | wasm/ts |`);
  console.log(`|---|${columns.map(() => '---:').join('|')}|---:|`);
  for (const c of CASES) {
    const gflops = columns.map(([, backend]) => flopsOf(c.spec) / measure(backend, c) / 1e9);
    const ratio = gflops[0]! / gflops[gflops.length - 1]!;
    console.log(`| ${c.name} | ${gflops.map((g) => g.toFixed(2)).join(' | ')} | ${ratio.toFixed(1)}× |`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMatmulBench();
}
