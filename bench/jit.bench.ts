/**
 * What `jit` buys on the meta-gradient of issue #19's workload (25 sinusoid tasks,
 * K = 10 support and 10 query points, MLP 1-40-40-1 ReLU, inner lr 0.01): the plain
 * gradient, first-order MAML (1 step), second-order MAML (1 and 5 steps), each eager
 * and jitted, and optionally JAX + XLA on the same machine in the same run.
 *
 * Timed is the meta-gradient alone (no optimiser update), as the JAX script times it.
 * Per case: the median over rounds of process CPU time per call (steadier than wall
 * time on a shared machine), the interquartile range, and for jit the first call's
 * trace + compile time and the program's size (`lower`).
 *
 * Run: `taskset -c 0 node --import tsx bench/jit.bench.ts [--jax /tmp/jaxenv/bin/python] [--pairs N] [--relaxed]`
 * `--relaxed` runs the relaxed-SIMD (fused multiply-add) build of the kernels, which Node 20
 * validates only with `node --experimental-wasm-relaxed-simd` (Deno and Chromium by default).
 * With `--jax`, scripts/reference/maml_jax.py serves on the same core
 * (`XLA_FLAGS=--xla_cpu_multi_thread_eigen=false`, `taskset -c 0`) and the jitted
 * measurements are interleaved with JAX's: N pairs (default 15) per case, each pair a
 * metagrad sample (median of 3 rounds) then a JAX sample of the same case, so both see the
 * same moment of a shared machine's drifting load. The table gains JAX's median and the
 * median over pairs of metagrad-jit / JAX with its quartiles (≤ 1 means we are faster).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Rng, getBackend, grad, initWasm, jit, mean, registerBackend, setBackend, type Lowered, type Tensor } from '../src/index.ts';
import { MLP, perTaskMse, type LinearParams } from '../src/nn/index.ts';
import { cpuTime, type Timing } from './timing.ts';
import { maml, sinusoidTasks, type MetaLearner, type TaskBatch } from '../src/meta/index.ts';

type Params = LinearParams[];

interface Variant {
  /** Key shared with the JAX script's JSON. */
  readonly key: 'plain' | 'fomaml1' | 'maml1' | 'maml5';
  readonly label: string;
  /** A fresh (uncompiled) meta-gradient function, eager or jitted, and its program's description. */
  readonly make: (compiled: boolean) => { call: (meta: Params, tasks: TaskBatch) => unknown; lower: (meta: Params, tasks: TaskBatch) => Lowered };
}

const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
const innerLr = 0.01;

function learnerGradient(options: { firstOrder?: boolean; innerSteps?: number }) {
  return (compiled: boolean) => {
    const learner: MetaLearner<Params> = maml({ model, innerLr, ...options, jit: compiled });
    return { call: (meta: Params, tasks: TaskBatch) => learner.metaGradient(meta, tasks).grads, lower: learner.lower! };
  };
}

const variants: readonly Variant[] = [
  {
    key: 'plain',
    label: 'plain gradient',
    make: (compiled) => {
      const loss = (p: Params, tasks: TaskBatch): Tensor => mean(perTaskMse(model.apply(p, tasks.support.x), tasks.support.y));
      const g = grad(loss), j = jit(g);
      return { call: compiled ? j : g, lower: j.lower };
    },
  },
  { key: 'fomaml1', label: 'first-order MAML, 1 step', make: learnerGradient({ firstOrder: true }) },
  { key: 'maml1', label: 'MAML 2nd order, 1 step', make: learnerGradient({}) },
  { key: 'maml5', label: 'MAML 2nd order, 5 steps', make: learnerGradient({ innerSteps: 5 }) },
];

interface JaxServer {
  readonly meta: Record<string, unknown>;
  readonly compileMs: Record<string, number>;
  /** JAX's CPU ms per call for `variant`, median of `rounds` rounds. */
  sample(variant: string, rounds: number): Promise<number>;
  close(): void;
}

/** Starts the JAX reference in serving mode on core 0, single-threaded XLA, once every variant is compiled. */
async function startJax(python: string): Promise<JaxServer> {
  const child = spawn('taskset', ['-c', '0', python, 'scripts/reference/maml_jax.py', '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, XLA_FLAGS: '--xla_cpu_multi_thread_eigen=false', JAX_PLATFORMS: 'cpu' },
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('jit.bench: the JAX reference exited (see its stderr above)');
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const { variants, ...meta } = await next() as { variants: Record<string, { compile_ms: number }> } & Record<string, unknown>;
  return {
    meta,
    compileMs: Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.compile_ms])),
    sample: async (variant, rounds) => {
      child.stdin!.write(`${variant} ${rounds}\n`);
      return (await next() as { median_ms: number }).median_ms;
    },
    close: () => { child.stdin!.end(); },
  };
}

/** Median and quartiles of samples. */
function summary(samples: readonly number[]): Timing {
  const s = [...samples].sort((a, b) => a - b), at = (q: number): number => s[Math.round(q * (s.length - 1))]!;
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}

const fmt = (t: Timing): string => `${t.median.toFixed(3)} [${t.q1.toFixed(3)}, ${t.q3.toFixed(3)}]`;

export async function runJitBench(args: readonly string[] = []): Promise<void> {
  const jaxAt = args.indexOf('--jax'), pairsAt = args.indexOf('--pairs');
  const python = jaxAt >= 0 ? args[jaxAt + 1] : undefined;
  const pairs = pairsAt >= 0 ? Number(args[pairsAt + 1]) : 15;
  if (!Number.isInteger(pairs) || pairs < 1) throw new RangeError(`jit.bench: --pairs must be a positive integer, got ${args[pairsAt + 1]}`);
  if (args.includes('--relaxed')) {
    const wasm = await initWasm({ relaxedSimd: true });
    if (wasm === null || wasm.variant !== 'relaxed-simd') throw new Error('jit.bench: --relaxed needs a runtime that validates relaxed SIMD (Node 20: node --experimental-wasm-relaxed-simd)');
    registerBackend(wasm);
    setBackend('wasm');
  }
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 25, K: 10, queryK: 10 });
  const meta = model.init(new Rng(0));
  console.log(`jit.bench: meta-gradient, 25 tasks, K=10, MLP 1-40-40-1 ReLU, backend ${getBackend().name}${args.includes('--relaxed') ? ' (relaxed SIMD)' : ''}, Node ${process.version}, ${new Date().toISOString()}`);
  const jax = python === undefined ? undefined : await startJax(python);
  if (jax !== undefined) console.log(`JAX: ${JSON.stringify(jax.meta)}`);
  const rows: { v: Variant; eager: Timing; jitted: Timing; firstCallMs: number; ops: number; arenaKiB: number; traceMs: number; compileMs: number; jax?: Timing; ratio?: Timing }[] = [];
  try {
    for (const v of variants) {
      const eagerCall = v.make(false).call;
      const eager = cpuTime(() => void eagerCall(meta, tasks));
      const compiled = v.make(true);
      const t0 = performance.now();
      compiled.call(meta, tasks);
      const firstCallMs = performance.now() - t0;
      const lowered = compiled.lower(meta, tasks);
      const row = { v, eager, firstCallMs, ops: lowered.ops, arenaKiB: lowered.arenaBytes / 1024, traceMs: lowered.traceMs, compileMs: lowered.compileMs };
      if (jax === undefined) { rows.push({ ...row, jitted: cpuTime(() => void compiled.call(meta, tasks)) }); continue; }
      const ours: number[] = [], theirs: number[] = [], ratios: number[] = [];
      for (let p = 0; p < pairs; p++) {
        const a = cpuTime(() => void compiled.call(meta, tasks), 3).median, b = await jax.sample(v.key, 3);
        ours.push(a); theirs.push(b); ratios.push(a / b);
      }
      rows.push({ ...row, jitted: summary(ours), jax: summary(theirs), ratio: summary(ratios) });
    }
  } finally {
    jax?.close();
  }
  console.log(`cpu ms per call: median [q1, q3]${jax ? `; jit and JAX interleaved, ${pairs} pairs per case; jit/JAX the median [quartiles] of the pairs' ratios` : ''}`);
  console.log(`${'case'.padEnd(26)} ${'eager'.padStart(22)} ${'jit'.padStart(22)} ${'eager/jit'.padStart(9)} ${'1st call ms'.padStart(11)} ${'trace+compile'.padStart(13)} ${'ops'.padStart(4)} ${'arena KiB'.padStart(9)}${jax ? ` ${'JAX'.padStart(22)} ${'jit/JAX'.padStart(18)} ${'JAX 1st call ms'.padStart(15)}` : ''}`);
  for (const r of rows) {
    const jaxCols = r.jax === undefined || r.ratio === undefined ? ''
      : ` ${fmt(r.jax).padStart(22)} ${`${r.ratio.median.toFixed(2)} [${r.ratio.q1.toFixed(2)}, ${r.ratio.q3.toFixed(2)}]`.padStart(18)} ${jax!.compileMs[r.v.key]!.toFixed(0).padStart(15)}`;
    console.log(`${r.v.label.padEnd(26)} ${fmt(r.eager).padStart(22)} ${fmt(r.jitted).padStart(22)} ${(r.eager.median / r.jitted.median).toFixed(2).padStart(9)} ${r.firstCallMs.toFixed(1).padStart(11)} ${`${r.traceMs.toFixed(1)}+${r.compileMs.toFixed(1)}`.padStart(13)} ${String(r.ops).padStart(4)} ${r.arenaKiB.toFixed(0).padStart(9)}${jaxCols}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runJitBench(process.argv.slice(2));
}
