/**
 * Facts about where the CLI runs: package and runtime versions, and backend selection.
 */
import { readFileSync } from 'node:fs';
import { getBackend, registerBackend, setBackend } from '../backend/registry.ts';
import type { Versions } from '../report/run-report.ts';
import { UsageError } from './args.ts';

/**
 * The backends `--backend` accepts; `auto` is wasm where it loads, else ts.
 * `wasm-relaxed` is the relaxed-SIMD (fused multiply-add) build of the wasm kernels: faster
 * where FMA is (≈ 15–20% on the products of a meta-gradient on an Intel Xeon), opt-in
 * because a fused multiply-add rounds once, so its numbers differ in the last bits from
 * `wasm` (and Node 20 validates it only with `--experimental-wasm-relaxed-simd`).
 */
export const BACKEND_CHOICES = ['auto', 'wasm', 'wasm-relaxed', 'ts'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The package version from package.json (two folders up from `src/cli/` and from `dist/cli/`). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Package, runtime (node, deno or browser) and platform versions. */
export function versions(): Versions {
  const g = globalThis as { Deno?: { version: { deno: string } }; navigator?: { userAgent?: string } };
  let runtime = 'unknown';
  let runtimeVersion = '';
  if (g.Deno) { runtime = 'deno'; runtimeVersion = g.Deno.version.deno; }
  else if (typeof process !== 'undefined' && process.versions?.node) { runtime = 'node'; runtimeVersion = process.versions.node; }
  else if (g.navigator?.userAgent) { runtime = 'browser'; runtimeVersion = g.navigator.userAgent; }
  const platform = typeof process !== 'undefined' ? `${process.platform} ${process.arch}` : 'unknown';
  return { metagrad: packageVersion(), runtime, runtimeVersion, platform };
}

/**
 * Makes `choice` the current backend and returns the choice actually selected (what a
 * worker passes here to compute on the same kernels). `'auto'` falls back to `'ts'` when
 * the wasm kernels cannot load; an explicit `'wasm'` or `'wasm-relaxed'` that cannot
 * load is a UsageError saying how to fix it.
 */
export async function selectBackend(choice: BackendChoice): Promise<string> {
  if (choice === 'ts') { setBackend('ts'); return 'ts'; }
  const relaxed = choice === 'wasm-relaxed';
  let reason = 'WebAssembly SIMD is not available in this runtime';
  try {
    const { initWasm } = await import('../backend/wasm/index.ts');
    const wasm = await initWasm({ relaxedSimd: relaxed });
    if (relaxed && wasm?.variant !== 'relaxed-simd') {
      throw new UsageError(`--backend wasm-relaxed: this runtime does not validate relaxed SIMD${typeof process !== 'undefined' && process.versions?.node?.startsWith('20.') ? ' (Node 20: run node --experimental-wasm-relaxed-simd …)' : ''}; use --backend wasm`);
    }
    if (wasm) {
      registerBackend(wasm);
      setBackend(wasm.name);
      return relaxed ? 'wasm-relaxed' : getBackend().name;
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    reason = `the wasm kernels could not be loaded (${(e as Error).message.split('\n')[0]})`;
  }
  if (choice === 'wasm') throw new UsageError(`--backend wasm: ${reason}; run 'npm run build:wasm' or use --backend ts`);
  setBackend('ts');
  return 'ts';
}
