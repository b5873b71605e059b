// The worker pool on Web Workers in a browser page (test/runtime-browser-pool.test.ts):
// jobs in order, a float32 gradient computed in workers, a named failure, and a
// task-parallel meta-gradient whose bits must not depend on the number of workers.
import { Rng, createPool, getBackend } from '../../src/index.ts';
import { META_JOBS, parallelMetaGradient, type LearnerSpec } from '../../src/meta/parallel.ts';
import { sinusoidTasks } from '../../src/meta/tasks.ts';
import { learnerFromSpec } from '../../src/meta/parallel.ts';
import { treeLeaves } from '../../src/autodiff/tree.ts';

declare global { interface Window { __pool?: { result?: unknown; error?: string } } }

const hex = (a: Float32Array): string => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (u) => u.toString(16)).join(',');

try {
  const jobs = new URL('../fixtures/parallel-jobs.ts', import.meta.url).href;
  const pool = createPool({ workers: 2, modules: [jobs, META_JOBS] });
  const outcomes = await pool.run([
    ...[1, 2, 3].map((x) => ({ name: 'square', args: { x } })),
    { name: 'gradBits', args: { seed: 7 } },
    { name: 'throw', args: { message: 'boom' } },
  ]);
  const spec: LearnerSpec = { name: 'fomaml', options: { sizes: [1, 8, 1], innerLr: 0.01 } };
  const meta = (await learnerFromSpec(spec)).init(new Rng(0));
  const tasks = sinusoidTasks(new Rng(1), { numTasks: 6, K: 5 });
  const inWorkers = await parallelMetaGradient(pool, spec, meta, tasks, 3);
  pool.terminate();
  const serialPool = createPool({ workers: 1, modules: [META_JOBS] });
  const inPage = await parallelMetaGradient(serialPool, spec, meta, tasks, 3);
  serialPool.terminate();
  const bits = (g: unknown) => treeLeaves(g as never).map((t) => hex(t.data as Float32Array)).join('|');
  window.__pool = {
    result: {
      backend: getBackend().name,
      values: outcomes.map((o) => (o.ok ? (o.value as { grad?: Float32Array }).grad !== undefined ? hex((o.value as { grad: Float32Array }).grad) : o.value : o.error.message)),
      sameMetaGradient: bits(inWorkers.grads) === bits(inPage.grads) && inWorkers.loss === inPage.loss,
    },
  };
} catch (e) {
  window.__pool = { error: (e as Error).stack ?? String(e) };
}
document.getElementById('out')!.textContent = JSON.stringify(window.__pool);
