/**
 * `metagrad explore` on the shared study runner (every training run — seed × agent — a
 * unit on the pool): `--workers 2` gives the serial run's results.json (apart from
 * timings) and 2 and 3 shards merged equal the unsharded run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { tempDir } from './cli-helpers.ts';
import { shardsMergeTo, workersAgree } from './study-helpers.ts';

const STUDY = ['explore', '--agents', 'maml,rl2', '--seeds', '3', '--iterations', '2', '--trials', '4', '--backend', 'ts', '--progress', 'lines'];
const root = tempDir('explore-parallel');
let reference: Record<string, unknown>;

test('--workers 2 writes the same results.json as --workers 1; one bar over every training run', async () => {
  // 3 seeds × 2 agents × 2 iterations.
  reference = await workersAgree(STUDY, root, 'explore', 12);
  const explore = reference['explore'] as { seeds: number[]; agents: { agent: string; runs: { seed: number }[]; samples: unknown[] }[] };
  assert.equal(explore.seeds, [0, 1, 2]);
  assert.equal(explore.agents.map((a) => a.agent), ['maml', 'rl2']);
  for (const a of explore.agents) {
    assert.equal(a.runs.map((r) => r.seed), [0, 1, 2]);
    assert.is(a.samples.length, 4);
  }
  assert.ok((reference['figures'] as Record<string, { type: string }>)['trajectories/maml']?.type === 'grid');
});

test('2 and 3 shards merged equal the unsharded run', async () => {
  await shardsMergeTo(STUDY, root, reference);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
