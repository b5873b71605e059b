/**
 * `ready()`: the one asynchronous step of starting metagrad — instantiating the wasm
 * kernels (browsers refuse large synchronous compiles) and selecting them.
 */
import { initWasm, type WasmOptions } from './wasm/index.ts';
import { getBackend, registerBackend, setBackend } from './registry.ts';

let loading: Promise<string> | undefined;

/**
 * Loads the wasm backend (once; later calls return the same promise) and selects it
 * where WebAssembly SIMD works, unless another backend than the TS reference was chosen
 * meanwhile; resolves to the name of the backend in use. `import 'metagrad'` awaits it
 * already; `import 'metagrad/core'` does not (a synchronous import: ops run on the TS
 * reference until `ready()` resolves).
 *
 * @example
 * ```ts
 * import { ready, tensor } from 'metagrad/core';
 * await ready(); // 'wasm' (or 'ts' where SIMD is missing)
 * ```
 */
export function ready(options: WasmOptions = {}): Promise<string> {
  loading ??= (async () => {
    const wasm = await initWasm(options);
    if (wasm !== null) {
      const chosen = getBackend().name;
      registerBackend(wasm);
      if (chosen === 'ts' || chosen === wasm.name) setBackend(wasm.name);
    }
    return getBackend().name;
  })();
  return loading;
}
