import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectionOf } from '../src/continual/experiments.ts';
import type { RunResult } from '../src/continual/experiment.ts';
import {
  averagePerformance, backwardTransfer, forwardTransfer, forgetting, retentionAfterSwitch, timeToRecover, clusterPurity,
  updateClusterStats, acceptsScore, chooseCluster, spreadOf, EMPTY_STATS, pageHinkley, detectChanges, scoreDetections, taskStream,
} from '../src/continual/index.ts';

const close = (a: number, b: number, what = '') => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

// GEM's square case: stage i trains task i.
const square = [
  [0.9, 0.1, 0.0],
  [0.7, 0.8, 0.1],
  [0.6, 0.5, 0.9],
];

test('GEM metrics on a hand-computed square matrix', () => {
  close(averagePerformance(square), (0.6 + 0.5 + 0.9) / 3, 'ACC');
  close(backwardTransfer(square), ((0.6 - 0.9) + (0.5 - 0.8)) / 2, 'BWT');
  close(forwardTransfer(square, [0, 0.05, 0]), ((0.1 - 0.05) + (0.1 - 0)) / 2, 'FWT');
  close(forgetting(square), ((0.9 - 0.6) + (0.8 - 0.5)) / 2, 'forgetting');
  close(forgetting(square, undefined, [1]), 0.8 - 0.5, 'forgetting over type 1 only');
  assert.ok(Number.isNaN(forgetting(square, undefined, [2])), 'the type trained last has no forgetting');
});

// A stream revisiting types: stages train A, B, A, B.
const stream = [
  [0.8, 0.1],
  [0.4, 0.9],
  [0.9, 0.3],
  [0.5, 0.95],
];
const stages = [0, 1, 0, 1];

test('metrics with revisited types use each type\'s first and last training stage', () => {
  close(averagePerformance(stream, stages), (0.5 + 0.95) / 2, 'ACC');
  // B is trained in the final stage, so only A counts: last trained at stage 2.
  close(backwardTransfer(stream, stages), 0.5 - 0.9, 'BWT');
  // B first trained at stage 1: R[0][1] − b_B.
  close(forwardTransfer(stream, [0.05, 0.02], stages), 0.1 - 0.02, 'FWT');
  close(forgetting(stream, stages), Math.max(0.8, 0.4, 0.9) - 0.5, 'forgetting');
  const retention = retentionAfterSwitch(stream, stages);
  assert.equal(retention.map((r) => [r.stage, r.type, r.before, r.after]), [[1, 0, 0.8, 0.4], [2, 1, 0.9, 0.3], [3, 0, 0.9, 0.5]]);
  close(retention[0]!.ratio, 0.5);
  close(retention[1]!.ratio, 1 / 3);
});

test('metric argument errors', () => {
  assert.throws(() => backwardTransfer([[1], [2]]), /square/);
  assert.throws(() => forgetting(stream, [0, 1]), /stage types/);
  assert.throws(() => forwardTransfer(square, [0]), /baseline/);
});

test('time to recover: inner steps until 90% of the earlier performance', () => {
  const record = [
    { type: 0, curve: [0.2, 1.0] }, { type: 0, curve: [0.5, 0.8] }, // A: reference mean(1.0, 0.8) = 0.9
    { type: 1, curve: [0.1, 0.6] },                                   // B
    { type: 0, curve: [0.3, 0.5] }, { type: 0, curve: [0.6, 0.85] }, // back to A: 0.85 ≥ 0.81 at step 1, inner step 1
    { type: 1, curve: [0.0, 0.2] },                                   // back to B (reference 0.6): never reaches 0.54
    { type: 2, curve: [-0.5, -0.2] },
    { type: 1, curve: [0.7, 0.9] },                                   // back to B (reference 0.2): at once
    { type: 2, curve: [0, 0] },                                       // back to a type never learnt: skipped
  ];
  const out = timeToRecover(record, { window: 2 });
  assert.equal(out, [
    { t: 3, type: 0, reference: 0.9, recovered: true, innerSteps: 2, taskSteps: 1 },
    { t: 5, type: 1, reference: 0.6, recovered: false, innerSteps: Infinity, taskSteps: Infinity },
    { t: 7, type: 1, reference: 0.2, recovered: true, innerSteps: 0, taskSteps: 0 },
  ]);
  // Three inner steps per task: recovery on the second task after 2 steps is 1·3 + 2 = 5.
  const longer = timeToRecover([
    { type: 0, curve: [0, 0, 0, 1] }, { type: 1, curve: [0, 0, 0, 1] },
    { type: 0, curve: [0, 0.1, 0.2, 0.3] }, { type: 0, curve: [0.5, 0.8, 0.95, 1] },
  ], { window: 1 });
  assert.is(longer[0]!.innerSteps, 5);
  assert.is(longer[0]!.taskSteps, 1);
});

test('cluster purity', () => {
  close(clusterPurity([0, 0, 1, 1, 1], ['A', 'A', 'B', 'B', 'A']), 0.8);
  close(clusterPurity([0, 1, 2, 3], [0, 0, 1, 1]), 1, 'a split label is still pure');
  close(clusterPurity([0, 0, 0, 0], [0, 1, 0, 1]), 0.5);
});

test('cluster statistics: exact running mean at first, moving-range spread', () => {
  let s = updateClusterStats(EMPTY_STATS, 0.8);
  s = updateClusterStats(s, 0.6);
  close(s.mean, 0.7);
  close(s.movingRange, 0.2);
  // A steady upward trend has a small moving range (no spread from the trend itself).
  let trend = EMPTY_STATS;
  for (let i = 0; i < 30; i++) trend = updateClusterStats(trend, i / 30);
  close(spreadOf(trend), (1 / 30) / 1.128, 'spread of a linear trend');
  assert.ok(acceptsScore({ count: 2, mean: 0.9, movingRange: 0, last: 0.9 }, -5), 'young stats accept anything');
  assert.not.ok(acceptsScore({ count: 20, mean: 0.9, movingRange: 0.01, last: 0.9 }, 0.6), 'below mean − margin');
  assert.ok(acceptsScore({ count: 20, mean: 0.9, movingRange: 0.01, last: 0.9 }, 0.75));
  assert.ok(acceptsScore({ count: 20, mean: 0.9, movingRange: 0.3, last: 0.9 }, 0.3), 'a wide spread widens the range');
});

test('chooseCluster: best if familiar, else a young cluster, else new', () => {
  const mature = [{ count: 50, mean: 0.9, movingRange: 0.02, last: 0.9 }];
  assert.equal(chooseCluster([[0.88], [0.5]], [mature, mature]), { cluster: 0, best: 0, familiar: true });
  assert.equal(chooseCluster([[0.3], [0.2]], [mature, mature]), { cluster: null, best: 0, familiar: false });
  assert.is(chooseCluster([[0.3], [0.2]], [mature, []], [false, true]).cluster, 1);
  // Every feature must be familiar: a good adapted score with a bad zero-shot score is novel.
  const two = [{ count: 50, mean: 0.8, movingRange: 0.02, last: 0.8 }, { count: 50, mean: 0.9, movingRange: 0.02, last: 0.9 }];
  assert.is(chooseCluster([[-2, 0.9]], [two]).cluster, null);
  assert.is(chooseCluster([[0.75, 0.9]], [two]).cluster, 0);
  assert.is(chooseCluster([[0.3], [0.2]], [mature, mature], [], { maxClusters: 2 }).cluster, 0, 'at the cap the best takes it');
  assert.is(chooseCluster([[0.3], [0.2]], [mature, mature], [], {}, false).cluster, 0, 'no growth when evaluating');
  assert.is(chooseCluster([], []).cluster, null);
});

test('Page-Hinkley detects a drop and a rise, not a steady signal', () => {
  const detector = pageHinkley({ threshold: 0.5 });
  assert.equal([0.9, 0.92, 0.88, 0.91, 0.2].map((x) => detector.update(x)), [false, false, false, false, true]);
  assert.equal(detectChanges([1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1], pageHinkley()), [4, 9]);
  assert.equal(detectChanges([0, 0, 0, 0, 1, 1, 1], pageHinkley({ direction: 'down' })), []);
  assert.equal(detectChanges(Array.from({ length: 100 }, (_, i) => 0.5 + 0.02 * Math.sin(i)), pageHinkley()), []);
  assert.equal(scoreDetections([10, 20], [11, 15, 40], 3), { detected: 1, missed: 1, falseAlarms: 2, meanDelay: 1 });
});

test('detection: a new type is novel until its cluster opens; later flags are false alarms', () => {
  const stream = taskStream({ length: 12, switching: { kind: 'periodic', period: 4 }, seed: 0 });
  assert.equal(stream.steps.map((s) => s.type), [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
  const runWith = (novel: number[], opened: number[]) => ({
    record: stream.steps.map((s) => ({ t: s.t, type: s.type, curve: [0], novel: novel.includes(s.t), opened: opened.includes(s.t) })),
  }) as unknown as RunResult;
  // B arrives at 4, waits for 3 novel tasks and opens at 6: those flags are right.
  assert.is(detectionOf(runWith([4, 5, 6], [0, 6]), stream).novelFlagsOnInDistribution, 0);
  // After its cluster opened, and on A's return, a flag is a false alarm.
  assert.is(detectionOf(runWith([4, 5, 6, 7, 9], [0, 6]), stream).novelFlagsOnInDistribution, 2);
  // A learner that never opens a cluster for B: its flags on B's first visit stay detections.
  assert.is(detectionOf(runWith([4, 5, 6, 7], [0]), stream).novelFlagsOnInDistribution, 0);
});

test.run();
