/**
 * Backend selection: the library's one piece of global mutable state.
 *
 * @example
 * ```ts
 * import { setBackend, getBackend } from 'metagrad';
 * setBackend('ts');          // the pure-TypeScript reference
 * getBackend().name;         // 'ts'
 * ```
 */
import type { Backend } from './backend.ts';
import { tsBackend } from './ts.ts';

const registered = new Map<string, Backend>([[tsBackend.name, tsBackend]]);
let current: Backend = tsBackend;

/** Makes a backend selectable by name (the wasm loader calls this once it is ready). */
export function registerBackend(backend: Backend): void {
  registered.set(backend.name, backend);
}

/** Selects the backend every following op runs on. Throws on an unknown name. */
export function setBackend(name: string): void {
  const b = registered.get(name);
  if (!b) {
    throw new Error(`setBackend: unknown backend '${name}'; available: ${[...registered.keys()].join(', ')}`);
  }
  current = b;
}

/** The backend ops currently run on. */
export function getBackend(): Backend {
  return current;
}

/** Names of the registered backends, e.g. `['ts', 'wasm']`. */
export function listBackends(): string[] {
  return [...registered.keys()];
}
