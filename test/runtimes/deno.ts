/**
 * Deno entry of the runtime smoke suite:
 *
 *   deno run --allow-read --allow-env test/runtimes/deno.ts [--no-wasm] [--source src|dist|bundle|both]
 *
 * Imports the library from source (`src/*.ts`) and from the build (`dist/*.js`) (or
 * only one of them, or the esbuild bundle `out/bundle/metagrad-all.min.js`), runs the
 * shared suite on each and prints one JSON array of reports between marker lines
 * (everything else on stdout is free-form). `--no-wasm` deletes `WebAssembly` first,
 * to check the fallback to the TS backend. Needs no network.
 */
import { formatReport, loadBundle, loadLibrary, REPORT_BEGIN, REPORT_END, runSmoke, type SmokeReport } from './smoke.ts';

const args: string[] = (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;
const noWasm = args.includes('--no-wasm');
const sourceArg = args[args.indexOf('--source') + 1];
const sources = args.includes('--source') && sourceArg !== 'both' ? [sourceArg as 'src' | 'dist' | 'bundle'] : ['src', 'dist'] as const;

if (noWasm) Reflect.deleteProperty(globalThis, 'WebAssembly');

const root = new URL('../../', import.meta.url);
const reports: SmokeReport[] = [];
for (const source of sources) {
  const lib = source === 'bundle'
    ? await loadBundle(new URL('out/bundle/metagrad-all.min.js', root).href)
    : await loadLibrary(new URL(`${source}/`, root).href, source === 'src' ? '.ts' : '.js');
  const report = await runSmoke(lib, { runtime: runtimeLabel(), source: noWasm ? `${source}, no WebAssembly` : source });
  console.error(formatReport(report));
  reports.push(report);
}
console.log(REPORT_BEGIN);
console.log(JSON.stringify(reports));
console.log(REPORT_END);

function runtimeLabel(): string {
  const deno = (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno;
  return `deno ${deno.version.deno}`;
}
