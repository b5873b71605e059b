/**
 * Keeping a worker on its caller's backend: the pool sends the caller's backend (name and
 * wasm variant) and the worker selects the same one before its first job, so a job gives
 * the same bits in a worker as in the calling thread.
 */
import { getBackend, listBackends, registerBackend, setBackend } from '../backend/registry.ts';

/** Which backend a thread computes on. */
export interface BackendChoice {
  readonly name: string;
  /** The wasm binary (`'simd'` or `'relaxed-simd'`), for the wasm backend. */
  readonly variant?: string;
}

/** The calling thread's backend. */
export function currentBackend(): BackendChoice {
  const b = getBackend() as { name: string; variant?: string };
  return { name: b.name, ...(b.variant !== undefined && { variant: b.variant }) };
}

/** Selects `choice` in this thread, loading the wasm kernels if needed; throws if it cannot. */
export async function useBackend(choice: BackendChoice): Promise<void> {
  const now = currentBackend();
  if (now.name === choice.name && now.variant === choice.variant) return;
  if (choice.name === 'wasm') {
    const { initWasm } = await import('../backend/wasm/index.ts');
    const wasm = await initWasm({ relaxedSimd: choice.variant === 'relaxed-simd' });
    if (wasm === null || wasm.variant !== (choice.variant ?? wasm.variant)) {
      throw new Error(`the caller computes on the wasm backend (${choice.variant ?? 'simd'}), which does not load in this worker`);
    }
    registerBackend(wasm);
  }
  if (!listBackends().includes(choice.name)) {
    throw new Error(`the caller computes on backend '${choice.name}', which is not registered in the worker (available: ${listBackends().join(', ')}); register it in a job module`);
  }
  setBackend(choice.name);
}
