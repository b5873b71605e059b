/**
 * `metagrad continual` on the shared study runner (every replay — experiment × seed ×
 * learner — a unit on the pool): `--workers 2` gives the serial run's results.json
 * (apart from timings), 2 and 3 shards merged equal the unsharded run, and a replay
 * run alone is the replay of the whole experiment.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { tempDir } from './cli-helpers.ts';
import { shardsMergeTo, workersAgree, withoutTimings } from './study-helpers.ts';
import { continualExperiment, experimentRecord, runExperiment } from '../src/continual/experiments.ts';
import { getBackend, setBackend } from '../src/backend/registry.ts';

const STUDY = ['continual', '--steps', '12', '--period', '3', '--seeds', '2', '--learners', 'sequential,clustered', '--backend', 'ts', '--progress', 'lines'];
const root = tempDir('continual-parallel');
let reference: Record<string, unknown>;

test('--workers 2 writes the same results.json as --workers 1; one bar over every replay', async () => {
  // 2 problems × 2 seeds × 2 learners × 12 steps.
  reference = await workersAgree(STUDY, root, 'continual', 96);
  assert.equal(reference['training'], { iterations: 96, completed: 96, unit: 'stream steps (all seeds and learners)' });
  const continual = reference['continual'] as { seeds: number[]; experiments: { name: string; runs: Record<string, { seed: number }[]> }[] };
  assert.equal(continual.seeds, [0, 1]);
  assert.equal(continual.experiments.map((e) => e.name), ['regression', 'gridworld']);
  assert.equal(continual.experiments[0]!.runs['clustered']!.map((r) => r.seed), [0, 1]);
});

test('the replays regrouped are the serial runExperiment over every seed', async () => {
  const previous = getBackend().name;
  setBackend('ts');
  // The backend is the one piece of global state: give it back to the files after this one.
  const result = await runExperiment(continualExperiment('gridworld', { steps: 12, period: 3 }), { seeds: [0, 1], learners: ['sequential', 'clustered'] })
    .finally(() => setBackend(previous));
  // As results.json holds it (NaN as null).
  const { seeds: _s, ...record } = JSON.parse(JSON.stringify(experimentRecord(result))) as ReturnType<typeof experimentRecord>;
  const experiments = (reference['continual'] as { experiments: Record<string, unknown>[] }).experiments;
  const { runs, seeds: _n, ...ours } = experiments[1]!;
  const { runs: serialRuns, ...rest } = record;
  assert.equal(withoutTimings(ours), withoutTimings(rest));
  const plain = Object.fromEntries(Object.entries(runs as Record<string, Record<string, unknown>[]>).map(([k, rs]) => [k, rs.map(({ seed: _seed, ...r }) => r)]));
  assert.equal(withoutTimings(plain), withoutTimings(serialRuns));
});

test('2 and 3 shards merged equal the unsharded run', async () => {
  await shardsMergeTo(STUDY, root, reference);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
