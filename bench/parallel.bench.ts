/**
 * Worker start-up cost of the pool (src/parallel): wall time from `createPool` to the
 * first job's result on a fresh worker and back to `terminate()`, for
 *   - the built `.js` path (src/parallel transpiled as `npm run build:ts` emits it, a
 *     `.js` job module, no loader: what dist/ and an installed package do), and
 *   - the TypeScript source path (the worker boots tsx first: what `node --import tsx`,
 *     the tests and a source checkout's `metagrad` do),
 * plus the per-job round trip on a warm worker and the in-process (`workers: 1`) call.
 * Every figure is the median (and quartiles) of 15 rounds.
 *
 * The built path is src/ transpiled to a temp folder (test/fixtures/transpile.ts), so the
 * bench never touches dist/.
 *
 * Run: `node --import tsx bench/parallel.bench.ts` (about 15 s).
 *
 * With `--studies`, instead: every study command over a few seeds with `--workers 1`
 * and `--workers 2`, back to back in one run (the CLI of the same built copy of src/, as
 * an installed package runs it), wall time of the whole command, the speedup, whether
 * both results.json are equal apart from timings, and the load average around each pair;
 * then the machine's own ceiling: one single-seed run alone against two independent
 * processes of it at once (about 8 minutes on 2 cores).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpileSrc } from '../test/fixtures/transpile.ts';
import { createPool } from '../src/parallel/index.ts';
import type { Pool, PoolOptions } from '../src/parallel/types.ts';

const ROUNDS = 15;
const SRC = fileURLToPath(new URL('../src/parallel/', import.meta.url));

interface Stats { readonly median: number; readonly q1: number; readonly q3: number }

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.round(q * (s.length - 1))]!;
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}

/** src/ as plain .js in a temp folder, with a .js job module registering `noop`. */
function builtCopy(): { dir: string; jobs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'metagrad-parallel-bench-'));
  transpileSrc(dir);
  writeFileSync(join(dir, 'jobs.js'), "import { registerJob } from './src/parallel/registry.js';\nregisterJob('noop', (x) => x);\n");
  return { dir, jobs: pathToFileURL(join(dir, 'jobs.js')).href };
}

async function startup(make: (o: PoolOptions) => Pool, jobs: string, workers: number): Promise<Stats> {
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const pool = make({ workers, modules: [jobs] });
    const [o] = await pool.run([{ name: 'noop', args: r }]);
    pool.terminate();
    samples.push(performance.now() - t0);
    if (!o?.ok) throw new Error(`bench job failed: ${o?.error.message}`);
  }
  return stats(samples);
}

async function roundTrip(make: (o: PoolOptions) => Pool, jobs: string, workers: number, calls = 200): Promise<Stats> {
  const pool = make({ workers, modules: [jobs] });
  try {
    await pool.run([{ name: 'noop', args: 0 }]);
    const samples: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await pool.run([{ name: 'noop', args: i }]);
      samples.push((performance.now() - t0) / calls);
    }
    return stats(samples);
  } finally {
    pool.terminate();
  }
}

const fmt = (s: Stats, digits = 1): string => `${s.median.toFixed(digits)} ms (q1 ${s.q1.toFixed(digits)}, q3 ${s.q3.toFixed(digits)})`;

/** Measures and prints the pool's start-up and round-trip costs. */
export async function runParallelBench(): Promise<void> {
  console.log(`parallel bench: ${ROUNDS} rounds each, wall time, Node ${process.version}`);
  const built = builtCopy();
  try {
    const js = (await import(pathToFileURL(join(built.dir, 'src', 'parallel', 'index.js')).href)) as { createPool: (o: PoolOptions) => Pool };
    // A tiny job module for the source path (a .ts file, so the worker boots tsx).
    const tsNoop = join(built.dir, 'noop-jobs.ts');
    writeFileSync(tsNoop, `import { registerJob } from ${JSON.stringify(pathToFileURL(join(SRC, 'registry.ts')).href)};\nregisterJob('noop', (x: unknown) => x);\n`);
    const rows: [string, string][] = [
      ['start-up, built .js worker (dist/, no loader)', fmt(await startup(js.createPool, built.jobs, 2))],
      ['start-up, TypeScript source worker (tsx boot)', fmt(await startup(createPool, pathToFileURL(tsNoop).href, 2))],
      ['start-up, 2 built .js workers at once (2 jobs)', fmt(await (async () => {
        const samples: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          const t0 = performance.now();
          const pool = js.createPool({ workers: 2, modules: [built.jobs] });
          await pool.run([{ name: 'noop', args: 1 }, { name: 'noop', args: 2 }]);
          pool.terminate();
          samples.push(performance.now() - t0);
        }
        return stats(samples);
      })())],
      ['round trip per job, warm built .js worker', fmt(await roundTrip(js.createPool, built.jobs, 2), 3)],
      ['per job, in-process (workers: 1)', fmt(await roundTrip(js.createPool, built.jobs, 1), 3)],
    ];
    for (const [name, value] of rows) console.log(`${name.padEnd(50)} ${value}`);
  } finally {
    rmSync(built.dir, { recursive: true, force: true });
  }
}

/** The study commands timed by {@link runStudiesBench}: label and arguments (without `--workers`/`--out`). */
export const STUDY_CASES: readonly (readonly [string, readonly string[]])[] = [
  ['gridworld, 2 seeds (defaults, `npm start` ×2)', ['gridworld', '--seeds', '2']],
  ['gridworld, 4 seeds × 40 iterations', ['gridworld', '-n', '40', '--seeds', '4']],
  ['sinusoid, 2 seeds × 5000 iterations', ['sinusoid', '--seeds', '2', '-n', '5000']],
  ['sinusoid, 3 seeds × 5000 iterations', ['sinusoid', '--seeds', '3', '-n', '5000']],
  ['continual, 5 seeds (defaults: both problems, 3 learners; 30 replays)', ['continual']],
  ['explore, 2 seeds (defaults: dream 300 + maml 50 iterations; 4 runs)', ['explore']],
];

/**
 * The single run whose two independent copies at once give the machine's ceiling: on
 * one thread each (the default would give each copy two workers, four threads on two cores).
 */
const CEILING: readonly string[] = ['gridworld', '--workers', '1'];

const TIMING_KEYS = new Set(['runtimeSeconds', 'startedAt', 'finishedAt', 'seconds', 'trainSeconds']);

/** results.json without wall times (keys, and table columns of seconds), as text. */
function untimed(file: string): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (Array.isArray(o['header']) && Array.isArray(o['rows'])) {
      const keep = (o['header'] as unknown[]).map((h, j) => (/seconds/.test(String(h)) ? -1 : j)).filter((j) => j >= 0);
      return { ...o, header: keep.map((j) => (o['header'] as unknown[])[j]), rows: (o['rows'] as unknown[][]).map((r) => keep.map((j) => r[j])) };
    }
    return Object.fromEntries(Object.entries(o).filter(([k]) => !TIMING_KEYS.has(k)).map(([k, x]) => [k, strip(x)]));
  };
  return JSON.stringify(strip(JSON.parse(readFileSync(file, 'utf8'))));
}

/** Runs the CLI at `main` (throws on a non-zero exit). */
function cliArgs(main: string, args: readonly string[], out: string): string[] {
  return [main, ...args, '--progress', 'none', '--out', out];
}

/** Wall seconds of one CLI run. */
function timeCli(main: string, args: readonly string[], out: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, cliArgs(main, args, out), { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`metagrad ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return seconds;
}

/** Wall seconds of `copies` CLI runs started at once, until the last ends. */
async function timeConcurrent(main: string, args: readonly string[], outs: readonly string[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(outs.map((out) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(main, args, out), { stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`metagrad ${args.join(' ')} exited ${code}`))));
  })));
  return (performance.now() - t0) / 1000;
}

/** Times every study with 1 and 2 workers back to back, then the ceiling; prints Markdown tables. */
export async function runStudiesBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'metagrad-studies-bench-'));
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  try {
    const main = join(transpileSrc(dir), 'cli', 'main.js');
    console.log(`studies bench: wall time of the whole command (built copy of src/), Node ${process.version}, load average (1, 5, 15 min) at the start ${load()}`);
    console.log('| study | --workers 1 | --workers 2 | speedup | same results.json | load before → after |');
    console.log('|---|---:|---:|---:|---|---|');
    STUDY_CASES.forEach(([label, args], i) => {
      const before = load();
      const one = timeCli(main, [...args, '--workers', '1'], join(dir, `${i}-w1`));
      const two = timeCli(main, [...args, '--workers', '2'], join(dir, `${i}-w2`));
      const same = untimed(join(dir, `${i}-w1`, 'results.json')) === untimed(join(dir, `${i}-w2`, 'results.json'));
      console.log(`| ${label} | ${one.toFixed(1)} s | ${two.toFixed(1)} s | ${(one / two).toFixed(2)}× | ${same ? 'yes' : 'NO'} | ${before} → ${load()} |`);
    });
    const before = load();
    const alone = timeCli(main, CEILING, join(dir, 'alone'));
    const pair = await timeConcurrent(main, CEILING, [join(dir, 'pair-a'), join(dir, 'pair-b')]);
    console.log(`\nceiling: \`metagrad ${CEILING.join(' ')}\` alone ${alone.toFixed(1)} s; two independent processes at once ${pair.toFixed(1)} s: `
      + `${((2 * alone) / pair).toFixed(2)}× the work per second (2.00× on two free cores); load ${before} → ${load()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--studies')) await runStudiesBench();
  else await runParallelBench();
}
