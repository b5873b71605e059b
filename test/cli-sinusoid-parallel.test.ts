/**
 * `metagrad sinusoid --seeds N` on the shared study runner: `--workers 2` gives the
 * serial run's results.json (apart from timings), 2 and 3 shards merged equal the
 * unsharded run, and the combined numbers are the means over the seeds' own runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, TINY_SINUSOID } from './cli-helpers.ts';
import { readResults, runOk, shardsMergeTo, workersAgree } from './study-helpers.ts';

const STUDY = [...TINY_SINUSOID, '--seeds', '3', '--progress', 'lines'];
const root = tempDir('sinusoid-parallel');
let reference: Record<string, unknown>;

test('--workers 2 writes the same results.json as --workers 1; one bar over 3 seeds × 6 iterations', async () => {
  reference = await workersAgree(STUDY, root, 'sinusoid', 18);
  const study = reference['study'] as { seeds: number[]; completed: number; runs: { seed: number; metrics: Record<string, number> }[] };
  assert.equal(study.seeds, [0, 1, 2]);
  assert.is(study.completed, 3);
  assert.equal(study.runs.map((r) => r.seed), [0, 1, 2]);
  assert.equal(Object.keys(reference['figures'] as object).sort(), ['adaptation-ood', 'adaptation-test', 'fit', 'meta-training']);
  // The study's metric is the mean of the seeds' own single runs.
  const single = await Promise.all([0, 1, 2].map(async (seed) => {
    await runOk([...TINY_SINUSOID, '--seed', String(seed), '--out', join(root, `single${seed}`)]);
    return readResults(join(root, `single${seed}`))['metrics'] as Record<string, number>;
  }));
  const key = 'test/maml/step2';
  study.runs.forEach((r, i) => assert.is(r.metrics[key], single[i]![key]));
  const mean = (single[0]![key]! + single[1]![key]! + single[2]![key]!) / 3;
  assert.is((reference['metrics'] as Record<string, number>)[key], mean);
});

test('2 and 3 shards merged equal the unsharded run', async () => {
  await shardsMergeTo(STUDY, root, reference);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
