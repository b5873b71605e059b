import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { combineExperimentSeeds, runExperiment, runExperimentSeed, type ExperimentConfig } from '../src/rl/evaluate.ts';
import { runExperimentParallel } from '../src/rl/experiment-parallel.ts';

const withoutTimings = (result: unknown): string => JSON.stringify(result, (k, v) => (k === 'seconds' ? undefined : v));

const config: ExperimentConfig = {
  family: 'goal', size: 5, innerLr: 20, metaIterations: 3, metaBatchSize: 3, pretrainIterations: 2, seeds: [3, 4, 5],
  adaptationSteps: 2, maxTasksPerSplit: 3, adaptationDraws: 2, entropyBonus: 0.1,
};

test('runExperimentParallel on 2 workers: the serial runExperiment, timings apart; one log line per seed', async () => {
  const serial = runExperiment(config);
  const lines: string[] = [];
  const parallel = await runExperimentParallel(config, { workers: 2, log: (l) => lines.push(l) });
  assert.is(withoutTimings(parallel), withoutTimings(serial));
  assert.equal(lines.map((l) => /seed (\d+):/.exec(l)?.[1]).sort(), ['3', '4', '5']);
});

test('runExperimentSeed + combineExperimentSeeds: seeds computed alone combine to runExperiment', () => {
  const spatial: ExperimentConfig = { ...config, policy: 'spatial', innerLr: 0.5, seeds: [7, 8], adaptationSteps: 1, crossFit: 2 };
  const runs = [8, 7].map((seed) => runExperimentSeed(spatial, seed)).reverse(); // computed out of order
  assert.is(withoutTimings(combineExperimentSeeds(spatial, runs)), withoutTimings(runExperiment(spatial)));
  assert.throws(() => combineExperimentSeeds(spatial, [runs[1]!, runs[0]!]), /runs of seeds \[8,7\] do not match the config's seeds \[7,8\]/);
});

test('runExperimentParallel: a bad config is refused before any worker starts, naming the option', async () => {
  let error: unknown;
  try {
    await runExperimentParallel({ ...config, size: 2 }, { workers: 2 });
  } catch (e) { error = e; }
  assert.match(String(error), /runExperiment: size/);
});

test.run();
