/**
 * Node side of the runtime tests: the Node reference reports, and launchers for the
 * Deno and Chromium runs of the same smoke suite. Used by `test/runtime-*.test.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import {
  compareReports, formatReport, loadLibrary, REPORT_BEGIN, REPORT_END, runSmoke, runtimeName, type SmokeReport,
} from './smoke.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Throws unless `dist/` has been built (the tests never build it themselves: CI's `npm ci` does). */
export function requireBuild(): void {
  const entry = join(REPO_ROOT, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
}

let nodeReference: Promise<{ src: SmokeReport; dist: SmokeReport }> | undefined;

/**
 * The suite run in this Node process, from source and from the build (computed once
 * per process and shared by every runtime test file).
 */
export function nodeReports(): Promise<{ src: SmokeReport; dist: SmokeReport }> {
  nodeReference ??= (async () => {
    requireBuild();
    const run = async (source: 'src' | 'dist') => {
      const root = pathToFileURL(join(REPO_ROOT, source) + '/').href;
      const lib = await loadLibrary(root, source === 'src' ? '.ts' : '.js');
      return runSmoke(lib, { runtime: runtimeName(), source });
    };
    const src = await run('src');
    const dist = await run('dist');
    return { src, dist };
  })();
  return nodeReference;
}

/**
 * Throws with every difference (hashes and sample values) unless `report` has the same
 * results as `reference` and passed all its checks.
 */
export function assertSameResults(reference: SmokeReport, report: SmokeReport): void {
  const failedChecks = report.checks.filter((c) => !c.ok).map((c) => `check failed in ${report.runtime} [${report.source}]: ${c.name}: ${c.detail}`);
  const problems = [...failedChecks, ...compareReports(reference, report)];
  if (problems.length > 0) {
    const hint = report.source !== reference.source ? '\n(source vs build differ: is dist/ stale? run `npm run build`)' : '';
    throw new Error(`results differ:\n${problems.join('\n')}${hint}\n\nreference:\n${formatReport(reference)}\n\nother:\n${formatReport(report)}`);
  }
}

/**
 * The command that runs Deno from the `deno` npm package (a devDependency): its native
 * binary, which the package's postinstall puts next to `bin.cjs`, or else `bin.cjs`
 * itself, which finds the binary in the platform package on first use.
 */
export function denoCommand(): [string, ...string[]] {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('deno/package.json');
  } catch {
    throw new Error('Deno is not installed: the `deno` npm package (a devDependency) is missing; run `npm ci`');
  }
  const dir = dirname(packageJson);
  const binary = join(dir, process.platform === 'win32' ? 'deno.exe' : 'deno');
  return existsSync(binary) ? [binary] : [process.execPath, join(dir, 'bin.cjs')];
}

/** Runs `deno run --allow-read --allow-env test/runtimes/deno.ts ...args` and returns its reports. */
export async function runDeno(args: readonly string[] = [], timeoutMs = 90_000): Promise<SmokeReport[]> {
  const [command, ...prefix] = denoCommand();
  const child = spawn(command, [...prefix, 'run', '--allow-read', '--allow-env', join(REPO_ROOT, 'test/runtimes/deno.ts'), ...args], {
    cwd: REPO_ROOT,
    // No network is needed; DENO_NO_UPDATE_CHECK keeps Deno from trying.
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((ok, fail) => {
    child.once('error', fail);
    child.once('close', (c) => ok(c));
  }).finally(() => clearTimeout(timer));
  const begin = stdout.indexOf(REPORT_BEGIN);
  const end = stdout.indexOf(REPORT_END);
  if (code !== 0 || begin < 0 || end < begin) {
    throw new Error(`deno ${args.join(' ')} exited with ${code}${code === null ? ' (killed after timeout)' : ''}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  return JSON.parse(stdout.slice(begin + REPORT_BEGIN.length, end)) as SmokeReport[];
}

/**
 * Loads `test/runtimes/browser.html` (served from the repository root) and returns
 * the report it leaves in `window.__smoke`.
 */
export async function runBrowserSmoke(page: Page, errors: readonly string[], baseUrl: string, source: 'src' | 'dist', noWasm = false): Promise<SmokeReport> {
  const query = `?source=${source}${noWasm ? '&nowasm=1' : ''}`;
  await page.goto(`${baseUrl}test/runtimes/browser.html${query}`);
  try {
    await page.waitForFunction(() => window.__smoke !== undefined, undefined, { timeout: 90_000, polling: 50 });
  } catch (e) {
    throw new Error(`the smoke page ${query} did not finish: ${(e as Error).message}\npage errors:\n${errors.join('\n')}`);
  }
  const result = await page.evaluate(() => window.__smoke!);
  if (!result.report) throw new Error(`the smoke page ${query} failed:\n${result.error}\npage errors:\n${errors.join('\n')}`);
  return result.report;
}
