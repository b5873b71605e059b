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
import { createGridworldJob } from '../src/cli/jobs/gridworld.ts';
import { GRIDWORLD_ABSENT_KEYS, GRIDWORLD_DEFAULTS, type GridworldConfig } from '../src/cli/jobs/gridworld-config.ts';
import { loadResume } from '../src/cli/command.ts';

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

const tinyGrid: GridworldConfig = { ...GRIDWORLD_DEFAULTS, size: 4, horizon: 8, iterations: 4, metaBatch: 2, episodes: 4, evalTasks: 2, evalSteps: 1 };

for (const learnInnerLr of [false, true]) {
  resume(`gridworld (learnInnerLr ${learnInnerLr}, weight decay, entropy bonus): N straight vs N/2 + save + load + N/2, bit for bit`, () => {
    const config = { ...tinyGrid, learnInnerLr, weightDecay: 0.1, entropyBonus: 0.4 };
    const straightJob = createGridworldJob(config);
    const straight = train(straightJob, straightJob.init(), config.iterations);
    const firstJob = createGridworldJob(config);
    const file = join(dir, `grid-${learnInnerLr}.json`);
    saveCheckpoint(file, checkpointOf(firstJob, train(firstJob, firstJob.init(), config.iterations / 2)));
    const secondJob = createGridworldJob(config);
    const resumed = train(secondJob, secondJob.restore(loadCheckpoint(file, { kind: 'gridworld' }), file), config.iterations);
    assert.equal(fingerprint(resumed), fingerprint(straight));
    // Meta-SGD's log step multipliers are part of the state and are trained.
    const logScale = (straight.params as { logScale?: State }).logScale;
    assert.is(logScale !== undefined, learnInnerLr);
    if (logScale) assert.ok(treeLeaves(logScale).some((t) => t.data.some((v) => v !== 0)));
    // The fresh state names the optimiser that will run: AdamW for MAML, Adam for the baseline.
    const freshOpt = straightJob.init().optimizer as unknown as { meta: { kind: string }; pretrained: { kind: string } };
    assert.equal([freshOpt.meta.kind, freshOpt.pretrained.kind], ['adamw', 'adam']);
    const trainedOpt = straight.optimizer as unknown as { meta: { kind: string }; pretrained: { kind: string } };
    assert.equal([trainedOpt.meta.kind, trainedOpt.pretrained.kind], ['adamw', 'adam']);
  });
}

resume('gridworld: a checkpoint written before learnInnerLr / entropyBonus / weightDecay existed resumes as plain MAML', () => {
  const plain = { ...tinyGrid, ...GRIDWORLD_ABSENT_KEYS } as GridworldConfig;
  const job = createGridworldJob(plain);
  const state = job.step(job.init()).state;
  const { learnInnerLr: _a, entropyBonus: _b, weightDecay: _c, ...oldConfig } = plain;
  const file = join(dir, 'grid-old.json');
  saveCheckpoint(file, { ...checkpointOf(job, state), config: oldConfig });
  const args = { values: {}, positionals: [], given: new Set<string>(), help: false };
  const { job: resumedJob, resume: r } = loadResume('gridworld', file, tinyGrid, args, createGridworldJob, GRIDWORLD_ABSENT_KEYS);
  assert.equal({ ...(resumedJob.config as GridworldConfig) }, { ...plain });
  assert.equal(fingerprint(resumedJob.step(r.state).state), fingerprint(job.step(state).state));
  // Without the absent-key values the new defaults (Meta-SGD) would not match the saved parameters.
  assert.throws(() => loadResume('gridworld', file, tinyGrid, args, createGridworldJob), /parameters do not match/);
});

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
