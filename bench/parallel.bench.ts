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
 */
import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runParallelBench();
}
