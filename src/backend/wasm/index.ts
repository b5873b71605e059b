/**
 * Loader for the WebAssembly SIMD backend.
 *
 * The kernel binaries are embedded as base64 (`generated/bytes.ts`, written by
 * `npm run build:wasm`) and decoded with `atob`, so loading needs no file system,
 * fetch or `Buffer`: it works the same in Node, Deno and browsers.
 *
 * @example
 * ```ts
 * const wasm = await initWasm();            // a backend, or null where wasm SIMD is unavailable
 * if (wasm) registerBackend(wasm);          // what importing metagrad does; setBackend('wasm') selects it
 * ```
 */
import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from './generated/bytes.ts';
import { Arena, asKernelExports } from './arena.ts';
import { createWasmBackend, type WasmBackend, type WasmVariant } from './backend.ts';

export type { WasmBackend, WasmVariant } from './backend.ts';

/** Options of {@link initWasm}. */
export interface WasmOptions {
  /**
   * Use the relaxed-SIMD build (fused multiply-add) when the runtime validates it.
   * Off by default: relaxed results may differ in the last bit between machines.
   * Runtimes without relaxed SIMD (e.g. Node 20 without a flag) get the baseline build.
   */
  readonly relaxedSimd?: boolean;
}

const instances = new Map<WasmVariant, Promise<WasmBackend>>();
const arenas: Arena[] = [];

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Whether this runtime can compile the given kernel binary (false if WebAssembly is absent). */
function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/**
 * The variant `initWasm(options)` would load on this runtime, without instantiating:
 * `'relaxed-simd'` only if requested and validated, `'simd'` if baseline SIMD
 * validates, else null.
 */
export function selectWasmVariant(options: WasmOptions = {}): WasmVariant | null {
  if (options.relaxedSimd === true && validates(decode(RELAXED_SIMD_WASM_BASE64))) return 'relaxed-simd';
  return validates(decode(SIMD_WASM_BASE64)) ? 'simd' : null;
}

async function instantiate(variant: WasmVariant): Promise<WasmBackend> {
  const bytes = decode(variant === 'relaxed-simd' ? RELAXED_SIMD_WASM_BASE64 : SIMD_WASM_BASE64);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const arena = new Arena(asKernelExports(instance.exports));
  arenas.push(arena);
  return createWasmBackend(arena, variant);
}

/**
 * Instantiates the WebAssembly SIMD backend (asynchronously, so browsers accept it on
 * the main thread). Resolves to null, and never throws, where WebAssembly or its SIMD
 * extension is unavailable. Repeated calls share one instance per variant.
 *
 * @param options `relaxedSimd: true` opts in to the FMA build where the runtime validates it.
 * @returns a backend named `'wasm'` (its `variant` says which binary runs), or null.
 *
 * @example
 * ```ts
 * // Importing metagrad already selects the baseline build; this swaps in relaxed SIMD:
 * const wasm = await initWasm({ relaxedSimd: true });
 * if (wasm !== null) {
 *   registerBackend(wasm);          // replaces the 'wasm' entry
 *   setBackend('wasm');
 *   wasm.variant;                   // 'relaxed-simd' where validated, else 'simd'
 * }
 * ```
 */
export async function initWasm(options: WasmOptions = {}): Promise<WasmBackend | null> {
  let variant: WasmVariant | null;
  try {
    variant = selectWasmVariant(options);
  } catch {
    return null;
  }
  if (variant === null) return null;
  let pending = instances.get(variant);
  if (!pending) {
    pending = instantiate(variant);
    instances.set(variant, pending);
  }
  try {
    return await pending;
  } catch {
    instances.delete(variant); // a later call may retry
    return null;
  }
}

/**
 * Bytes of WebAssembly linear memory held by the wasm backend (summed over the
 * instantiated variants; normally one, 0 before `initWasm`). Stays flat once the
 * largest kernel call has run.
 *
 * @example
 * ```ts
 * matmul(ones([512, 512]), ones([512, 512]));
 * wasmMemoryBytes(); // grows to fit the largest call, then stays put
 * ```
 */
export function wasmMemoryBytes(): number {
  let total = 0;
  for (const arena of arenas) total += arena.memoryBytes;
  return total;
}
