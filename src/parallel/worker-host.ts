/**
 * Starting one worker in whatever runtime this is, behind one small handle: Node's
 * `worker_threads` (from TypeScript source under tsx, or from the built `.js`), and Web
 * Workers with `type: 'module'` in browsers and Deno.
 */
import type { FromWorker, ToWorker } from './messages.ts';

/** A started worker. `onFail` fires once, when it dies or reports an uncaught error. */
export interface WorkerHandle {
  post(message: ToWorker, transfer: ArrayBuffer[]): void;
  terminate(): void;
}

/** What a worker tells its owner. */
export interface WorkerEvents {
  message(message: FromWorker): void;
  /** The worker died or raised an uncaught error; it is unusable afterwards. */
  fail(reason: string): void;
}

const isNode = !('Deno' in globalThis) && typeof process !== 'undefined' && process.versions?.node !== undefined;

/** The default worker script: `worker-entry` next to this module, with this module's extension (`.ts` in source, `.js` in dist/). */
export function defaultWorkerUrl(): string {
  const ext = /\.([cm]?[jt]s)$/.exec(new URL(import.meta.url).pathname)?.[1] ?? 'js';
  return new URL(`./worker-entry.${ext}`, import.meta.url).href;
}

type NodeWorkerModule = typeof import('node:worker_threads');
let nodeWorkers: Promise<NodeWorkerModule> | undefined;

/** tsx's ESM API, when it can be resolved (a source checkout); null otherwise. */
function tsxApi(): string | null {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
}

/**
 * Starts a worker running `url`. In Node, a `.ts` script runs through tsx: the worker
 * boots from a tiny inline script that registers tsx's loader and then imports `url`
 * (loader hooks of the parent thread do not carry over to workers).
 */
export async function startWorker(url: string, events: WorkerEvents): Promise<WorkerHandle> {
  let failed = false;
  const fail = (reason: string): void => { if (!failed) { failed = true; events.fail(reason); } };
  if (isNode) {
    const id = 'node:worker_threads'; // a variable specifier: bundlers for browsers leave it alone
    nodeWorkers ??= import(/* @vite-ignore */ id) as Promise<NodeWorkerModule>;
    const { Worker } = await nodeWorkers;
    let worker: InstanceType<NodeWorkerModule['Worker']>;
    if (/\.[cm]?ts$/.test(new URL(url).pathname)) {
      const api = tsxApi();
      if (api === null) throw new Error(`cannot start a worker from TypeScript source ${url}: tsx is not installed (build with 'npm run build:ts' and use dist/, or install tsx)`);
      const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); }).catch((e) => { setImmediate(() => { throw e; }); });`;
      worker = new Worker(boot, { eval: true });
    } else {
      worker = new Worker(new URL(url));
    }
    worker.on('message', (m: FromWorker) => events.message(m));
    worker.on('error', (e: Error) => fail(`uncaught ${e.name}: ${e.message}`));
    worker.on('exit', (code: number) => fail(`the worker exited with code ${code}`));
    return {
      post: (m, transfer) => worker.postMessage(m, transfer),
      terminate: () => { failed = true; void worker.terminate(); },
    };
  }
  const WebWorker = (globalThis as { Worker?: new (url: string, options: { type: 'module' }) => Worker }).Worker;
  if (WebWorker === undefined) throw new Error('this runtime has no Worker: use workers: 1 to run jobs in-process');
  const worker = new WebWorker(url, { type: 'module' });
  worker.addEventListener('message', (e: MessageEvent<FromWorker>) => events.message(e.data));
  worker.addEventListener('error', (e: ErrorEvent) => { e.preventDefault?.(); fail(`uncaught error: ${e.message || 'the worker script failed to load'}`); });
  worker.addEventListener('messageerror', () => fail('a message from the worker could not be read'));
  return {
    post: (m, transfer) => worker.postMessage(m, transfer),
    terminate: () => { failed = true; worker.terminate(); },
  };
}
