/**
 * `metagrad bench`: runs the benchmark suites in `bench/*.bench.ts`, each of which
 * exports one `run…Bench()` function that prints its tables. With `--json` the
 * suites' printed output is captured (and echoed to stderr) and a JSON summary is the
 * only thing on stdout.
 *
 * The suites are TypeScript outside the published build: they run from a source
 * checkout (the launcher loads tsx). `METAGRAD_BENCH_DIR` points at another folder
 * of suites (used by the tests).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, closest } from '../args.ts';
import type { Command } from '../command.ts';
import { versions } from '../runtime.ts';

/** A suite found on disk. */
export interface Suite {
  /** `matmul` for `bench/matmul.bench.ts`. */
  readonly name: string;
  readonly file: string;
}

/** The folder of benchmark suites. */
export function benchDir(): string {
  return process.env['METAGRAD_BENCH_DIR'] ?? fileURLToPath(new URL('../../../bench/', import.meta.url));
}

/** Suites in `dir`, sorted by name; an absent folder has none. */
export function findSuites(dir: string): Suite[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter((f) => /\.bench\.(ts|mts|js|mjs)$/.test(f))
    .map((f) => ({ name: f.replace(/\.bench\.\w+$/, ''), file: join(dir, f) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The suites named in `--suite a,b` (all when absent); unknown names are a UsageError. */
export function selectSuites(all: readonly Suite[], wanted: string | undefined): Suite[] {
  if (wanted === undefined) return [...all];
  const names = all.map((s) => s.name);
  return wanted.split(',').map((w) => w.trim()).filter((w) => w !== '').map((w) => {
    const suite = all.find((s) => s.name === w);
    if (suite) return suite;
    const guess = closest(w, names);
    throw new UsageError(`--suite: unknown suite '${w}'${guess ? `; did you mean '${guess}'?` : ''} (suites: ${names.join(', ') || 'none found'})`);
  });
}

/** One suite's outcome in the JSON summary. */
export interface SuiteResult {
  readonly name: string;
  readonly file: string;
  readonly ok: boolean;
  readonly seconds: number;
  /** Everything the suite printed. */
  readonly output: string;
  readonly error?: string;
}

/** Imports a suite and runs its `run…Bench` export, capturing what it prints. */
async function runSuite(suite: Suite, echo: (text: string) => void): Promise<SuiteResult> {
  const captured: string[] = [];
  const original = { log: console.log, info: console.info, warn: console.warn };
  const capture = (...parts: unknown[]): void => {
    const line = `${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}\n`;
    captured.push(line);
    echo(line);
  };
  const start = performance.now();
  console.log = capture;
  console.info = capture;
  console.warn = capture;
  try {
    const mod = (await import(pathToFileURL(suite.file).href)) as Record<string, unknown>;
    const entry = Object.entries(mod).find(([k, v]) => /^run\w*Bench$/.test(k) && typeof v === 'function');
    if (!entry) throw new Error(`${suite.file} exports no run…Bench() function`);
    await (entry[1] as () => unknown)();
    return { name: suite.name, file: suite.file, ok: true, seconds: (performance.now() - start) / 1000, output: captured.join('') };
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return { name: suite.name, file: suite.file, ok: false, seconds: (performance.now() - start) / 1000, output: captured.join(''), error: message };
  } finally {
    Object.assign(console, original);
  }
}

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'Run the benchmark suites (bench/*.bench.ts) and print their tables.',
    description: 'Each suite runs for several seconds per case; select some with --suite.',
    options: [
      { name: 'suite', type: 'string', placeholder: 'NAME[,NAME]', description: 'run only these suites (see --list)' },
      { name: 'list', type: 'boolean', description: 'list the suites and exit' },
      { name: 'json', type: 'boolean', description: 'print a JSON summary on stdout (suite output goes to stderr)' },
    ],
    examples: ['metagrad bench --list', 'metagrad bench --suite matmul', 'metagrad bench --suite meta --json > bench.json'],
  },
  async run(args, io) {
    const all = findSuites(benchDir());
    if (args.values['list'] === true) {
      io.stdout.write(args.values['json'] === true ? `${JSON.stringify({ suites: all }, null, 1)}\n` : `${all.map((s) => s.name).join('\n')}\n`);
      return 0;
    }
    if (all.length === 0) throw new UsageError(`no benchmark suites found in ${benchDir()}; run from a source checkout of metagrad`);
    const suites = selectSuites(all, args.values['suite'] as string | undefined);
    const json = args.values['json'] === true;
    const results: SuiteResult[] = [];
    for (const suite of suites) {
      if (io.stop.requested) break;
      io.stderr.write(`bench: running ${suite.name} (${suite.file})\n`);
      const r = await runSuite(suite, (text) => (json ? io.stderr : io.stdout).write(text));
      if (!r.ok) io.stderr.write(`bench: ${suite.name} failed: ${r.error}\n`);
      results.push(r);
    }
    const interrupted = io.stop.requested;
    if (json) io.stdout.write(`${JSON.stringify({ command: 'bench', interrupted, versions: versions(), suites: results }, null, 1)}\n`);
    if (interrupted) return 130;
    return results.every((r) => r.ok) ? 0 : 1;
  },
};
