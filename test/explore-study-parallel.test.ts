import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleExploreStudy, exploreStudyUnits, runExploreStudy, type ExploreStudyOptions } from '../src/explore/study.ts';
import { runExploreStudyParallel } from '../src/explore/study-parallel.ts';

// Timings are the only numbers allowed to differ between runs.
const withoutTimings = (study: unknown): string => JSON.stringify(study, (k, v) => (k === 'trainSeconds' || k === 'seconds' ? undefined : v));

const options: ExploreStudyOptions = {
  seeds: 2, firstSeed: 1, scale: 1, variants: ['bits'], only: ['dream', 'maml', 'sensitivity'],
  iterations: { dream: 4, maml: 2, transformer: 2 }, checkpointEvery: 2, log: () => {},
};

test('exploreStudyUnits: seed by seed, every agent, per variant; then scheme × min(seeds, 3) harness runs', () => {
  const units = exploreStudyUnits({ ...options, variants: ['standard', 'bits'], seeds: 4 });
  const agents = units.filter((u) => u.kind === 'agent');
  assert.is(agents.length, 2 * 4 * 2);
  assert.equal(agents.slice(0, 4).map((u) => u.kind === 'agent' && `${u.variant} ${u.agent} ${u.seed}`), ['standard dream 1', 'standard maml 1', 'standard dream 2', 'standard maml 2']);
  assert.is(units.filter((u) => u.kind === 'sensitivity').length, 3 * 3);
});

test('runExploreStudyParallel on 2 workers: the serial study, timings apart, and every unit logged once', async () => {
  const serial = runExploreStudy(options);
  const lines: string[] = [];
  const parallel = await runExploreStudyParallel({ ...options, workers: 2, log: (l) => lines.push(l) });
  assert.is(withoutTimings(parallel), withoutTimings(serial));
  const units = exploreStudyUnits(options);
  assert.is(lines.filter((l) => /seed \d+:/.test(l)).length, units.length);
  assert.ok(parallel.sensitivity !== null && parallel.variants.bits!.results['dream']!.length === 2);
});

test('assembleExploreStudy: refuses results that do not match the units', () => {
  assert.throws(() => assembleExploreStudy(options, []), /0 results for the study's 10 units/);
});

test.run();
