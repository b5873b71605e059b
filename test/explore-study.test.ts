import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateAgent, type SignTask } from '../src/explore/index.ts';
import { runExploreStudy } from '../src/explore/study.ts';
import {
  exploreSetup, trainExploreAgent, episodesToReach, signVisitRate, diagnoseDream, EXPLORE_VARIANT_OPTIONS, EXPLORE_VARIANTS,
  type TrainingCheckpoint,
} from '../src/explore/experiments.ts';

test('variants: the two-sign grid has 16 training tasks with two signs; the noisy grid lies 30% of the time', () => {
  const bits = exploreSetup(EXPLORE_VARIANT_OPTIONS.bits), noisy = exploreSetup(EXPLORE_VARIANT_OPTIONS.noisy);
  assert.equal(EXPLORE_VARIANTS, ['standard', 'bits', 'noisy']);
  assert.is(bits.splits.train.length, 16);
  assert.ok(bits.splits.train.every((t) => t.signs.length === 2));
  assert.is(noisy.config.noise, 0.3);
  assert.is(noisy.splits.train.length, exploreSetup().splits.train.length);
});

test('checkpoints: a meta-test every N iterations and after the last, counted in training episodes; deterministic', () => {
  const setup = exploreSetup();
  const run = () => trainExploreAgent('rl2', setup, { seed: 3, iterations: 5, checkpointEvery: 2, checkpointTrials: 8 });
  const a = run(), b = run();
  assert.equal(a.checkpoints.map((c) => c.iteration), [2, 4, 5]);
  assert.is(a.episodesPerIteration, 16 * 3);
  assert.equal(a.checkpoints.map((c) => c.episodes), [2, 4, 5].map((i) => i * 16 * 3));
  for (const c of a.checkpoints) assert.ok(c.fraction <= 1.0001 && Number.isFinite(c.fraction), JSON.stringify(c));
  assert.equal(a.checkpoints, b.checkpoints);
  assert.equal(a.history, b.history);
  const plain = trainExploreAgent('rl2', setup, { seed: 3, iterations: 5 });
  assert.equal(plain.checkpoints, [], 'no checkpoints unless asked');
  assert.equal(plain.history, a.history, 'checkpoint meta-tests do not change training');
  assert.throws(() => trainExploreAgent('rl2', setup, { seed: 3, iterations: 2, checkpointEvery: -1 }), /checkpointEvery must be a non-negative integer, got -1/);
});

test('episodesToReach: the first checkpoint at or above the threshold, null if none', () => {
  const cs: TrainingCheckpoint[] = [{ iteration: 1, episodes: 10, fraction: 0.5 }, { iteration: 2, episodes: 20, fraction: 0.95 }, { iteration: 3, episodes: 30, fraction: 0.8 }];
  assert.is(episodesToReach(cs), 20);
  assert.is(episodesToReach(cs, 0.5), 10);
  assert.is(episodesToReach(cs, 0.99), null);
});

test('signVisitRate: any sign or every sign of the task', () => {
  const task = (signs: [number, number][]): SignTask => ({ goals: [[0, 0], [0, 4], [4, 4], [4, 0]], correct: 0, signs, id: -1 });
  const two = task([[1, 2], [3, 2]]);
  const paths: [number, number][][] = [[[2, 2], [1, 2]], [[2, 2], [1, 2], [2, 2], [3, 2]], [[2, 2], [2, 3]]];
  assert.is(signVisitRate(paths, [two, two, two], 'any'), 2 / 3);
  assert.is(signVisitRate(paths, [two, two, two], 'all'), 1 / 3);
});

test('diagnoseDream: per split, the share of signs read, of goals decoded, and the score with the decoded and the correct z', () => {
  const setup = exploreSetup();
  const trained = trainExploreAgent('dream', setup, { seed: 1, iterations: 3 });
  const diagnosis = diagnoseDream(trained.dream!, setup, 1, 16);
  assert.equal(Object.keys(diagnosis), ['train', 'oodSign', 'oodGoal']);
  for (const [split, d] of Object.entries(diagnosis)) {
    for (const v of [d.signsRead, d.decodedGoal]) assert.ok(v >= 0 && v <= 1, `${split}: ${JSON.stringify(d)}`);
    for (const v of [d.exploitDecoded, d.exploitTrue]) assert.ok(Number.isFinite(v) && v <= 1.0001, `${split}: ${JSON.stringify(d)}`);
  }
  // The decoded-z score is the ordinary greedy meta-test on the same seed.
  assert.is(diagnosis.oodSign.exploitDecoded, evaluateAgent(trained.tester, setup.config, setup.splits.oodSign, { trials: 16, seed: 8001, greedy: true }).fractionOfOracle);
  assert.is(trainExploreAgent('rl2', setup, { seed: 1, iterations: 1 }).dream, undefined);
});

test('runExploreStudy: every requested variant and agent, with per-seed checkpoints and summaries over seeds', () => {
  const lines: string[] = [];
  const study = runExploreStudy({ seeds: 2, firstSeed: 4, scale: 1, variants: ['bits'], only: ['maml'], iterations: { maml: 2 }, checkpointEvery: 1, log: (l) => lines.push(l) });
  assert.equal(Object.keys(study.variants), ['bits']);
  assert.is(study.iterations.maml, 2);
  const part = study.variants.bits!;
  assert.is(part.config.readout, 'bits');
  assert.equal(part.results['maml']!.map((r) => r.seed), [4, 5]);
  for (const r of part.results['maml']!) assert.equal(r.checkpoints.map((c) => c.iteration), [1, 2]);
  const s = part.summary['maml']!;
  assert.is(s.seeds, 2);
  assert.equal(s.train.greedy.perSeed, part.results['maml']!.map((r) => r.fraction.train.greedy));
  assert.is(s.reached90, part.results['maml']!.filter((r) => r.episodesTo90 !== null).length);
  assert.is(study.sensitivity, null);
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^bits maml seed 4: /);
});

test.run();
