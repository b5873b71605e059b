/**
 * The script every pool worker runs (Node `worker_threads`, Web Workers, Deno workers):
 * imports the job modules named in the first message, then runs jobs one at a time and
 * posts back progress, values and errors. Typed arrays in values are transferred.
 */
import { useBackend } from './backend-sync.ts';
import { executeJob } from './execute.ts';
import type { FromWorker, ToWorker } from './messages.ts';
import { transferablesOf } from './transfer.ts';

type Post = (message: FromWorker, transfer: ArrayBuffer[]) => void;

function serve(post: Post, listen: (handler: (message: ToWorker) => void) => void): void {
  let modules: readonly string[] = [];
  let backendError: string | null = null;
  // Jobs run one after another, in the order they arrive.
  let queue: Promise<void> = Promise.resolve();
  listen((message) => {
    if (message.type === 'init') {
      modules = message.modules;
      const backend = message.backend;
      // Every job waits for the caller's backend; failing to select it fails each job, saying why.
      queue = queue.then(() => useBackend(backend)).then(() => { backendError = null; }, (e: unknown) => { backendError = (e as Error).message ?? String(e); });
      return;
    }
    const { id, index, name, args } = message;
    queue = queue.then(async () => {
      const ctx = { index, cancelled: false, progress: (value: unknown) => post({ type: 'progress', id, value }, []) };
      const r = backendError !== null
        ? { ok: false as const, error: { kind: 'threw' as const, message: backendError } }
        : await executeJob(modules, name, args, ctx);
      if (r.ok) {
        let transfer: ArrayBuffer[] = [];
        try { transfer = transferablesOf(r.value); } catch { transfer = []; }
        try {
          post({ type: 'done', id, value: r.value }, transfer);
        } catch (e) {
          post({ type: 'failed', id, error: { kind: 'threw', message: `the job's value cannot be sent back (${(e as Error).message})` } }, []);
        }
      } else {
        post({ type: 'failed', id, error: r.error }, []);
      }
    });
  });
}

const isNode = !('Deno' in globalThis) && typeof process !== 'undefined' && process.versions?.node !== undefined;
if (isNode) {
  // A variable specifier: bundlers for browsers leave it alone.
  const id = 'node:worker_threads';
  const { parentPort } = (await import(/* @vite-ignore */ id)) as typeof import('node:worker_threads');
  if (parentPort !== null) {
    serve((m, transfer) => parentPort.postMessage(m, transfer), (handler) => parentPort.on('message', handler));
  }
} else if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' || 'Deno' in globalThis) {
  const scope = globalThis as unknown as { postMessage(m: unknown, t: ArrayBuffer[]): void; addEventListener(type: 'message', h: (e: MessageEvent<ToWorker>) => void): void };
  serve((m, transfer) => scope.postMessage(m, transfer), (handler) => scope.addEventListener('message', (e) => handler(e.data)));
}
