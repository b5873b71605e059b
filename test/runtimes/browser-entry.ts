/**
 * Browser entry of the runtime smoke suite (loaded by `browser.html`, served by
 * `server.ts`, which strips types from `.ts` files). `?source=src` imports the
 * library's sources, `?source=dist` the build. The report (or the error) lands in
 * `window.__smoke` for the Node runner to read.
 */
import { formatReport, loadLibrary, runSmoke, runtimeName, type SmokeReport } from './smoke.ts';

declare global {
  interface Window { __smoke?: { report?: SmokeReport; error?: string } }
}

const params = new URLSearchParams(location.search);
const source = params.get('source') === 'dist' ? 'dist' : 'src';
const noWasm = params.get('nowasm') === '1';
const out = document.getElementById('out')!;

try {
  const lib = await loadLibrary(new URL(`/${source}/`, location.href).href, source === 'src' ? '.ts' : '.js');
  const report = await runSmoke(lib, { runtime: runtimeName(), source: noWasm ? `${source}, no WebAssembly` : source });
  out.textContent = formatReport(report);
  window.__smoke = { report };
} catch (error) {
  const message = (error as Error)?.stack ?? String(error);
  out.textContent = message;
  window.__smoke = { error: message };
}
