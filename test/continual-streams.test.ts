import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { taskStream, streamStatistics, streamString } from '../src/continual/index.ts';

test('periodic switching, an arrival and an OOD burst give the hand-written schedule', () => {
  const stream = taskStream({
    length: 60, types: [0, 1], switching: { kind: 'periodic', period: 10 },
    arrivals: [{ at: 40, type: 2 }], ood: { types: [3], at: [25], length: 2 }, seed: 1,
  });
  assert.is(streamString(stream), '000000000011111111110000033000111111111122222222220000000000');
  assert.equal(stream.types, [0, 1, 3, 2]);
  assert.equal(stream.segments.map((s) => [s.type, s.start, s.length, s.returning, s.ood]), [
    [0, 0, 10, false, false], [1, 10, 10, false, false], [0, 20, 5, true, false], [3, 25, 2, false, true],
    [0, 27, 3, true, false], [1, 30, 10, true, false], [2, 40, 10, false, false], [0, 50, 10, true, false],
  ]);
  const steps = stream.steps;
  assert.ok(steps[0]!.switched && steps[0]!.firstVisit);
  assert.ok(steps[10]!.switched && steps[10]!.firstVisit && !steps[11]!.switched);
  assert.ok(steps[20]!.switched && !steps[20]!.firstVisit);
  assert.ok(steps[25]!.ood && steps[26]!.ood && !steps[27]!.ood);
  assert.is(steps[41]!.segment, 6);
});

test('streams are reproducible from the seed; the seed changes the task seeds', () => {
  const options = { length: 200, switching: { kind: 'random', stayProbability: 0.8 } as const, ood: { types: [5], probability: 0.02 }, seed: 7 };
  const a = taskStream(options), b = taskStream(options);
  assert.equal(a.steps, b.steps);
  const c = taskStream({ ...options, seed: 8 });
  assert.not.equal(a.steps.map((s) => s.seed), c.steps.map((s) => s.seed));
  assert.not.equal(streamString(a), streamString(c));
  // Every step's task seed differs (32-bit draws, 200 of them).
  assert.is(new Set(a.steps.map((s) => s.seed)).size, 200);
});

test('random switching: mean visit length 1/(1 − p), balanced occupancy, never a self-switch', () => {
  for (const p of [0.5, 0.9]) {
    const stream = taskStream({ length: 20000, types: [0, 1, 2], switching: { kind: 'random', stayProbability: p }, seed: 3 });
    const stats = streamStatistics(stream);
    const expected = 1 / (1 - p);
    assert.ok(Math.abs(stats.meanSegmentLength - expected) / expected < 0.05, `p ${p}: mean segment ${stats.meanSegmentLength} vs ${expected}`);
    for (const type of [0, 1, 2]) assert.ok(Math.abs(stats.occupancy.get(type)! - 1 / 3) < 0.03, `occupancy of ${type}`);
    for (let i = 1; i < stream.segments.length; i++) assert.is.not(stream.segments[i]!.type, stream.segments[i - 1]!.type);
    assert.is(stats.switches, stream.segments.length - 1);
  }
});

test('minStay lengthens every visit; OOD probability sets the burst rate', () => {
  const stream = taskStream({ length: 5000, switching: { kind: 'random', stayProbability: 0.5, minStay: 4 }, seed: 1 });
  assert.ok(stream.segments.slice(0, -1).every((s) => s.length >= 4));
  assert.ok(Math.abs(streamStatistics(stream).meanSegmentLength - 5) < 0.3);
  const bursts = taskStream({ length: 20000, switching: { kind: 'periodic', period: 50 }, ood: { types: [9], probability: 0.01, length: 3 }, seed: 2 });
  const oodSegments = bursts.segments.filter((s) => s.ood).length;
  // Bursts start with probability 0.01 per step outside bursts (some merge with neighbours).
  assert.ok(oodSegments > 120 && oodSegments < 230, `${oodSegments} OOD bursts`);
  assert.ok(bursts.steps.filter((s) => s.ood).every((s) => s.type === 9));
});

test('bad options are rejected with a message', () => {
  assert.throws(() => taskStream({ length: 0 }), /length/);
  assert.throws(() => taskStream({ length: 10, switching: { kind: 'periodic', period: 0 } }), /period/);
  assert.throws(() => taskStream({ length: 10, switching: { kind: 'random', stayProbability: 1 } }), /stayProbability/);
  assert.throws(() => taskStream({ length: 10, arrivals: [{ at: 3, type: 1 }] }), /already in the pool/);
  assert.throws(() => taskStream({ length: 10, types: [] }), /at least one/);
});

test.run();
