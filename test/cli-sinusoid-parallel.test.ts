/**
 * `metagrad sinusoid --seeds N` on the shared study runner: `--workers 2` gives the
 * serial run's results.json (apart from timings), 2 and 3 shards merged equal the
 * unsharded run, and the combined numbers are the means over the seeds' own runs. Each
 * seed runs as two units (meta-learner; baselines) that join into exactly the run the
 * seed gives in one piece.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, TINY_SINUSOID } from './cli-helpers.ts';
import { readResults, runOk, shardsMergeTo, workersAgree } from './study-helpers.ts';
import { jsonRoundTrip, type UnitResult } from '../src/cli/shard.ts';
import { studyUnits } from '../src/cli/study.ts';
import type { SeedRun } from '../src/cli/jobs/meta-unit.ts';
import { joinParts, seedRuns, SINUSOID_STUDY, type SinusoidStudyConfig } from '../src/cli/jobs/sinusoid-study.ts';
import { runSinusoidUnit, type SinusoidPartRun, type SinusoidUnitRun } from '../src/cli/jobs/sinusoid-unit.ts';
import { SINUSOID_DEFAULTS } from '../src/cli/jobs/sinusoid-config.ts';

const STUDY = [...TINY_SINUSOID, '--seeds', '3', '--progress', 'lines'];
const root = tempDir('sinusoid-parallel');
let reference: Record<string, unknown>;

/** The tiny CLI config as a study config (what TINY_SINUSOID's flags set). */
const TINY: SinusoidStudyConfig = { ...SINUSOID_DEFAULTS, iterations: 6, metaBatch: 4, shots: 5, hidden: [8], evalTasks: 3, evalSteps: 2, seed: 0, seeds: 3 };
const ctx = { index: 0, progress: () => {}, cancelled: false };
const unit = async (config: SinusoidStudyConfig, seed: number, part: 'all' | 'meta' | 'baseline'): Promise<SinusoidUnitRun> => {
  const { seeds: _s, ...single } = config;
  return jsonRoundTrip(await runSinusoidUnit({ seed, index: 0, backend: 'ts', config: { ...single, seed, part } }, ctx));
};

test('a seed run as its meta and baseline parts joins into the run of the whole seed (curves, metrics, tables, every figure)', async () => {
  for (const config of [TINY, { ...TINY, algorithm: 'metasgd' as const }]) {
    const whole = await unit(config, 1, 'all');
    const meta = await unit(config, 1, 'meta') as SinusoidPartRun;
    const baseline = await unit(config, 1, 'baseline') as SinusoidPartRun;
    assert.equal(Object.keys(meta.curves), ['loss']);
    assert.equal(Object.keys(baseline.curves), ['pretrainedLoss']);
    assert.equal(meta.evaluation.splits.map((s) => s.map((c) => c.name)), [[config.algorithm], [config.algorithm]]);
    assert.equal(baseline.evaluation.splits.map((s) => s.map((c) => c.name)), [['pretrained', 'scratch'], ['pretrained', 'scratch']]);
    const joined = jsonRoundTrip(joinParts(config, meta, baseline));
    assert.equal(joined, whole, `${config.algorithm}: joined parts = whole seed`);
    assert.equal(JSON.stringify(joined), JSON.stringify(whole), 'same key order too');
  }
});

test('units: every seed\'s meta-learner first (the longer units), then the baselines; one whole unit per seed without baselines', () => {
  const parts = (c: SinusoidStudyConfig): string[] => studyUnits(SINUSOID_STUDY, c).map((u) => `${u.seed}:${String(u.config['part'])}`);
  assert.equal(parts(TINY), ['0:meta', '1:meta', '2:meta', '0:baseline', '1:baseline', '2:baseline']);
  assert.equal(parts({ ...TINY, baselines: false }), ['0:all', '1:all', '2:all']);
});

test('a seed with only one part finished is left out; the others keep their seed\'s position', async () => {
  const config: SinusoidStudyConfig = { ...TINY, seeds: 2 };
  const all = studyUnits(SINUSOID_STUDY, config);
  const finished: UnitResult<SinusoidUnitRun>[] = [];
  for (const u of all) {
    if (u.seed === 0 && u.config['part'] === 'baseline') continue; // seed 0's baselines "interrupted"
    finished.push({ index: u.index, seed: u.seed, value: await unit(config, u.seed, u.config['part'] as 'meta' | 'baseline') });
  }
  const runs = seedRuns(config, finished);
  assert.equal(runs.map((r) => [r.index, r.seed]), [[1, 1]]);
  assert.equal(runs[0]!.value, (await unit(config, 1, 'all')) as SeedRun);
});

test('--workers 2 writes the same results.json as --workers 1; one bar over 3 seeds × 2 models × 6 iterations', async () => {
  reference = await workersAgree(STUDY, root, 'sinusoid', 36);
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
  // Every metric of every seed, not only the headline.
  study.runs.forEach((r, i) => assert.equal(r.metrics, single[i]!));
  const key = 'test/maml/step2';
  const mean = (single[0]![key]! + single[1]![key]! + single[2]![key]!) / 3;
  assert.is((reference['metrics'] as Record<string, number>)[key], mean);
});

test('2 and 3 shards merged equal the unsharded run', async () => {
  await shardsMergeTo(STUDY, root, reference);
});

test('--no-baselines: one unit per seed, 2 workers = 1 worker', async () => {
  const noBase = await workersAgree([...STUDY, '--no-baselines'], join(root, 'nobase'), 'sinusoid', 18);
  assert.equal(Object.keys(noBase['metrics'] as object).filter((k) => k.includes('pretrained')), []);
  assert.ok(Object.keys(noBase['metrics'] as object).includes('test/scratch/step2'));
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
