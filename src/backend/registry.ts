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

/**
 * Makes a backend selectable by name (the wasm loader calls this once it is ready).
 * A backend registered under a name already in use replaces the earlier one.
 * @example
 * ```ts
 * registerBackend({ ...tsBackend, name: 'ts-copy' });
 * setBackend('ts-copy');
 * ```
 */
export function registerBackend(backend: Backend): void {
  registered.set(backend.name, backend);
}

/**
 * Selects the backend every following op runs on. Throws on an unknown name.
 * @example
 * ```ts
 * setBackend('ts');    // the pure-TypeScript reference, e.g. to compare with 'wasm'
 * ```
 */
export function setBackend(name: string): void {
  const b = registered.get(name);
  if (!b) {
    throw new Error(`setBackend: unknown backend '${name}'; available: ${[...registered.keys()].join(', ')}`);
  }
  current = b;
}

/**
 * The backend ops currently run on (`'wasm'` after import where WebAssembly SIMD is
 * available, else `'ts'`).
 * @example
 * ```ts
 * getBackend().name; // 'wasm' or 'ts'
 * ```
 */
export function getBackend(): Backend {
  return current;
}

/**
 * Names of the registered backends, e.g. `['ts', 'wasm']`.
 * @example
 * ```ts
 * for (const name of listBackends()) { setBackend(name); console.log(name, sum(tensor([1, 2])).item()); }
 * ```
 */
export function listBackends(): string[] {
  return [...registered.keys()];
}
