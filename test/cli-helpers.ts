/**
 * Spawning the real `metagrad` launcher (bin/metagrad.mjs, from source) for
 * end-to-end tests, and the headless-Chromium check of a report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import * as assert from 'uvu/assert';
import { main } from '../src/cli/main.ts';
import { createStopSignal } from '../src/cli/interrupt.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'metagrad.mjs');

/** Tiny settings that finish in a second or two. */
export const TINY_SINUSOID = ['sinusoid', '-n', '6', '--meta-batch', '4', '--shots', '5', '--hidden', '8', '--eval-tasks', '3', '-k', '2', '--backend', 'ts'];
export const TINY_GRIDWORLD = ['gridworld', '-n', '4', '--size', '4', '--horizon', '8', '--episodes', '4', '--meta-batch', '2', '--eval-tasks', '2', '-k', '1', '--backend', 'ts'];

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A started CLI process with its output so far. */
export interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly done: Promise<RunResult>;
}

/** Starts `metagrad ...args` from source with piped (non-TTY) streams. */
export function start(args: readonly string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, METAGRAD_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`metagrad ${args.join(' ')} timed out\n${stderr}`)); }, 60_000);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `metagrad ...args` to completion. */
export function run(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return start(args, env).done;
}

/** Resolves once `test(stderr)` holds (polling), or rejects after `ms`. */
export async function waitFor(running: Running, test: (stderr: string) => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test(running.stderr())) {
    if (Date.now() > end) throw new Error(`gave up waiting; stderr so far:\n${running.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `metagrad-${prefix}-`));
}

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** What the browser saw of a report. */
export interface RenderCheck {
  readonly svgCount: number;
  /** Width × height of each inline SVG as laid out. */
  readonly svgSizes: readonly [number, number][];
  readonly title: string;
  /** Requests other than the page itself (must be none: the report is self-contained). */
  readonly externalRequests: readonly string[];
  readonly screenshotBytes: number;
  readonly consoleErrors: readonly string[];
}

/**
 * Opens each `[htmlFile, screenshotFile]` from disk in one headless Chromium (a fresh
 * profile, removed after), takes a full-page screenshot and measures every inline SVG.
 * Throws a clear error if Chromium is not installed: the check must not be skipped.
 */
export async function renderInChromium(pages: readonly (readonly [string, string])[]): Promise<RenderCheck[]> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `headless Chromium check: ${CHROMIUM} not found. Install it with 'apt-get update && apt-get install -y chromium' (CI: add that line to .ci/run before the tests).`,
    );
  }
  const { chromium } = await import('playwright-core');
  const profile = tempDir('chromium-profile');
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const checks: RenderCheck[] = [];
    for (const [htmlFile, screenshotFile] of pages) checks.push(await renderPage(await context.newPage(), htmlFile, screenshotFile));
    return checks;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function renderPage(page: Page, htmlFile: string, screenshotFile: string): Promise<RenderCheck> {
  const pageUrl = pathToFileURL(htmlFile).href;
  const externalRequests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => { if (r.url() !== pageUrl) externalRequests.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(pageUrl, { waitUntil: 'load' });
  const svgSizes = await page.$$eval('svg', (els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return [r.width, r.height] as [number, number];
  }));
  await page.screenshot({ path: screenshotFile, fullPage: true });
  const title = await page.title();
  await page.close();
  return { svgCount: svgSizes.length, svgSizes, title, externalRequests, screenshotBytes: statSync(screenshotFile).size, consoleErrors };
}

/** Runs the CLI's `main` in this process with recording streams (no spawn: fast, same code path). */
export async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => { stdout += t; } },
    stderr: { write: (t: string) => { stderr += t; }, isTTY: false },
    stop: createStopSignal(),
    startedAt: Date.now(),
  });
  return { code, stdout, stderr };
}

/** Asserts a bad-input outcome: exit code 2, nothing on stdout, one `metagrad: error:` line matching `pattern`. */
export function assertUsageError(label: string, r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.is(r.code, 2, `${label}: ${r.stderr}`);
  assert.is(r.stdout, '', label);
  const lines = r.stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, `${label}: ${r.stderr}`);
  assert.match(lines[0]!, /^metagrad: error: /, label);
  assert.match(lines[0]!, pattern, `${label}: ${lines[0]}`);
}
