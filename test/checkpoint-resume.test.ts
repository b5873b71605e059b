import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeLeaves } from '../src/autodiff/tree.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.ts';
import type { State } from '../src/io/codec.ts';
import { createSinusoidJob, SINUSOID_DEFAULTS, type SinusoidConfig } from '../src/cli/jobs/sinusoid.ts';
import type { MetaJob, TrainState } from '../src/cli/job.ts';

const dir = mkdtempSync(join(tmpdir(), 'metagrad-resume-'));
const tiny: SinusoidConfig = { ...SINUSOID_DEFAULTS, iterations: 6, metaBatch: 4, shots: 5, hidden: [8], evalTasks: 2, evalSteps: 1 };

function train(job: MetaJob, state: TrainState, until: number): TrainState {
  while (state.iteration < until) state = job.step(state).state;
  return state;
}

/** Every parameter leaf's bytes, and the optimiser state as JSON (its slots are doubles). */
function fingerprint(state: TrainState): { bytes: number[][]; optimizer: string; rng: number[] } {
  const bytes = treeLeaves(state.params).map((t) => [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);
  return { bytes, optimizer: JSON.stringify(state.optimizer, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)), rng: state.rng.state() };
}

function checkpointOf(job: MetaJob, state: TrainState) {
  return { kind: job.kind, iteration: state.iteration, config: job.config, rng: state.rng.state(), params: state.params, optimizer: state.optimizer };
}

const resume = suite('checkpoint: resume equals an uninterrupted run');

for (const algorithm of ['maml', 'metasgd'] as const) {
  resume(`${algorithm}: N straight vs N/2 + save + load + N/2, bit for bit`, () => {
    const config = { ...tiny, algorithm };
    const straightJob = createSinusoidJob(config);
    const straight = train(straightJob, straightJob.init(), config.iterations);

    const firstJob = createSinusoidJob(config);
    const half = train(firstJob, firstJob.init(), config.iterations / 2);
    const file = join(dir, `${algorithm}.json`);
    saveCheckpoint(file, checkpointOf(firstJob, half));

    // A new job object, as after a restart: nothing survives but the file.
    const secondJob = createSinusoidJob(config);
    const restored = secondJob.restore(loadCheckpoint(file, { kind: 'sinusoid' }), file);
    assert.is(restored.iteration, config.iterations / 2);
    const resumed = train(secondJob, restored, config.iterations);

    assert.equal(fingerprint(resumed), fingerprint(straight));
  });
}

resume('restore rejects a checkpoint of another architecture, naming the file', () => {
  const job = createSinusoidJob(tiny);
  const file = join(dir, 'arch.json');
  saveCheckpoint(file, checkpointOf(job, job.init()));
  const other = createSinusoidJob({ ...tiny, hidden: [9] });
  assert.throws(
    () => other.restore(loadCheckpoint(file), file),
    (e: Error) => e.message.startsWith(`checkpoint ${file}: parameters do not match a maml model with hidden sizes [9]`) && /shape \[1, 8\], expected \[1, 9\]/.test(e.message),
  );
});

resume('the state is plain data: params are tensors, the optimiser state numbers', () => {
  const job = createSinusoidJob(tiny);
  const s = job.step(job.init()).state;
  assert.ok(treeLeaves(s.params as State).length > 0);
  assert.is((s.optimizer as { meta: { step: number } }).meta.step, 1);
});

resume.after(() => rmSync(dir, { recursive: true, force: true }));
resume.run();
