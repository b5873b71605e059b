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
 * Run: `taskset -c 0 node --import tsx bench/jit.bench.ts [--jax /tmp/jaxenv/bin/python]`
 * With `--jax`, scripts/reference/maml_jax.py runs right after on the same core
 * (`XLA_FLAGS=--xla_cpu_multi_thread_eigen=false`, `taskset -c 0`), and the table
 * gains JAX's median and the ratios metagrad-jit / JAX (≤ 1 means we are faster).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng, getBackend, grad, jit, mean, type Lowered, type Tensor } from '../src/index.ts';
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

interface JaxFigures { readonly meta: Record<string, unknown>; readonly variants: Record<string, { compile_ms: number; median_ms: number; q1_ms: number; q3_ms: number }> }

/** Runs the JAX reference on core 0, single-threaded XLA; its JSON figures. */
function runJax(python: string): JaxFigures {
  const dir = mkdtempSync(join(tmpdir(), 'metagrad-jax-'));
  try {
    const out = join(dir, 'jax.json');
    execFileSync('taskset', ['-c', '0', python, 'scripts/reference/maml_jax.py', '--json', out], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, XLA_FLAGS: '--xla_cpu_multi_thread_eigen=false', JAX_PLATFORMS: 'cpu' },
    });
    const parsed = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const { variants: figures, ...meta } = parsed as { variants: JaxFigures['variants'] } & Record<string, unknown>;
    return { meta, variants: figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (t: Timing): string => `${t.median.toFixed(3)} [${t.q1.toFixed(3)}, ${t.q3.toFixed(3)}]`;

export async function runJitBench(args: readonly string[] = []): Promise<void> {
  const jaxAt = args.indexOf('--jax');
  const python = jaxAt >= 0 ? args[jaxAt + 1] : undefined;
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 25, K: 10, queryK: 10 });
  const meta = model.init(new Rng(0));
  console.log(`jit.bench: meta-gradient, 25 tasks, K=10, MLP 1-40-40-1 ReLU, backend ${getBackend().name}, Node ${process.version}, ${new Date().toISOString()}`);
  const rows: { v: Variant; eager: Timing; jitted: Timing; firstCallMs: number; ops: number; arenaKiB: number; traceMs: number; compileMs: number }[] = [];
  for (const v of variants) {
    const eagerCall = v.make(false).call;
    const eager = cpuTime(() => void eagerCall(meta, tasks));
    const compiled = v.make(true);
    const t0 = performance.now();
    compiled.call(meta, tasks);
    const firstCallMs = performance.now() - t0;
    const jitted = cpuTime(() => void compiled.call(meta, tasks));
    const lowered = compiled.lower(meta, tasks);
    rows.push({ v, eager, jitted, firstCallMs, ops: lowered.ops, arenaKiB: lowered.arenaBytes / 1024, traceMs: lowered.traceMs, compileMs: lowered.compileMs });
  }
  const jax = python === undefined ? undefined : runJax(python);
  if (jax !== undefined) console.log(`JAX: ${JSON.stringify(jax.meta)}`);
  console.log('cpu ms per call: median [q1, q3]');
  console.log(`${'case'.padEnd(26)} ${'eager'.padStart(22)} ${'jit'.padStart(22)} ${'eager/jit'.padStart(9)} ${'1st call ms'.padStart(11)} ${'trace+compile'.padStart(13)} ${'ops'.padStart(4)} ${'arena KiB'.padStart(9)}${jax ? ` ${'JAX'.padStart(22)} ${'jit/JAX'.padStart(7)} ${'eager/JAX'.padStart(9)} ${'JAX compile'.padStart(11)}` : ''}`);
  for (const r of rows) {
    const j = jax?.variants[r.v.key];
    const jaxCols = j === undefined ? '' : ` ${`${j.median_ms.toFixed(3)} [${j.q1_ms.toFixed(3)}, ${j.q3_ms.toFixed(3)}]`.padStart(22)} ${(r.jitted.median / j.median_ms).toFixed(2).padStart(7)} ${(r.eager.median / j.median_ms).toFixed(2).padStart(9)} ${j.compile_ms.toFixed(0).padStart(11)}`;
    console.log(`${r.v.label.padEnd(26)} ${fmt(r.eager).padStart(22)} ${fmt(r.jitted).padStart(22)} ${(r.eager.median / r.jitted.median).toFixed(2).padStart(9)} ${r.firstCallMs.toFixed(1).padStart(11)} ${`${r.traceMs.toFixed(1)}+${r.compileMs.toFixed(1)}`.padStart(13)} ${String(r.ops).padStart(4)} ${r.arenaKiB.toFixed(0).padStart(9)}${jaxCols}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runJitBench(process.argv.slice(2));
}
