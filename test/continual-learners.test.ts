import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adam, adamw, sgd } from '../src/optim/index.ts';
import { scalar, type Tensor } from '../src/index.ts';
import type { ContinualProblem } from '../src/continual/index.ts';
import { openRoom } from '../src/rl/env/index.ts';
import {
  taskStream, runStream, clusteredLearner, sequentialLearner, gridProblem, gridTasks, cornerGoals, purityOver,
} from '../src/continual/index.ts';
import { gridworldExperiment, runExperiment } from '../src/continual/experiments.ts';

// A small fast setting: 5×5 room, start in the centre, goals near opposite corners
// (A top-right, B bottom-left), C top-left arriving later; exact policy gradients.
const layout = openRoom(5);
const starts: [number, number][] = [[2, 2]];
const types = [
  cornerGoals(layout, 'top-right', { starts }), cornerGoals(layout, 'bottom-left', { starts }), cornerGoals(layout, 'top-left', { starts }),
];
const horizon = 8;
const sampleTask = gridTasks(types, { horizon });
const problem = gridProblem({ layout, horizon, innerLr: 10 });
const stream = taskStream({ length: 50, switching: { kind: 'periodic', period: 10 }, arrivals: [{ at: 40, type: 2 }], seed: 0 });
const makeClustered = () => clusteredLearner({ problem, optimizer: adam({ lr: 0.3 }), newCluster: 'fresh', seed: 0 });

test('clustered learner: A and B get different clusters, A returns to its cluster, C opens a new one', () => {
  const result = runStream(makeClustered(), { stream, sampleTask, numTypes: 3, evalTasks: 2 });
  const clusterOf = (from: number, to: number) => new Set(result.record.slice(from, to).map((r) => r.cluster));
  // After the first few steps of a visit (novel tasks wait for 3 of 4 before a cluster opens).
  const a1 = clusterOf(0, 10), b1 = clusterOf(13, 20), a2 = clusterOf(20, 30), b2 = clusterOf(30, 40), c = clusterOf(43, 50);
  assert.equal([...a1], [0]);
  assert.is(b1.size, 1);
  assert.ok(!b1.has(0), 'B is not in A\'s cluster');
  assert.equal([...a2], [0], 'A back in its own cluster');
  assert.equal([...b2], [...b1], 'B back in its own cluster');
  assert.is(c.size, 1);
  assert.ok(![...c].some((k) => a1.has(k) || b1.has(k)), 'the new type C opened a new cluster');
  assert.ok(result.record[40]!.novel, 'the first C task is flagged novel');
  assert.ok(result.record.slice(40, 44).some((r) => r.opened));
  // The two B tasks before B's cluster opens are reported under A's cluster: 38/40.
  assert.ok(purityOver(result, [0, 1]) >= 0.95);
  // A's performance survives the B visit, and returning to A needs no relearning.
  const [afterA1, afterB1] = [result.R[0]!, result.R[1]!];
  assert.ok(afterB1[0]! >= 0.95 * afterA1[0]!, `A retained: ${afterB1[0]} vs ${afterA1[0]}`);
  const recoveryA = result.metrics.recoveries.find((r) => r.type === 0)!;
  assert.ok(recoveryA.recovered && recoveryA.innerSteps <= 1, `recovered in ${recoveryA.innerSteps} inner steps`);
  assert.is(result.R.length, stream.segments.length);
});

test('replaying a stream is deterministic and every learner reports a curve per step', () => {
  const one = runStream(makeClustered(), { stream, sampleTask, numTypes: 3, evalTasks: 1 });
  const two = runStream(makeClustered(), { stream, sampleTask, numTypes: 3, evalTasks: 1 });
  assert.equal(one.R, two.R);
  assert.equal(one.record.map((r) => r.cluster), two.record.map((r) => r.cluster));
  const sequential = runStream(sequentialLearner({ problem, optimizer: adam({ lr: 0.3 }) }), { stream, sampleTask, numTypes: 3, evalTasks: 1 });
  assert.is(sequential.record.length, 50);
  assert.ok(sequential.record.every((r) => r.curve.length === 2 && r.cluster === 0));
  assert.throws(() => runStream(makeClustered(), { stream, sampleTask, numTypes: 2 }), /numTypes/);
});

test('sequential fine-tuning on the grid world: plain Adam never learns B after A; decoupled weight decay does, and forgets A', () => {
  const run = (optimizer: ReturnType<typeof adam>) => runStream(sequentialLearner({ problem, optimizer }), { stream, sampleTask, numTypes: 3, evalTasks: 2 }).R;
  // Stages A, B, A, B, C; R[stage][type].
  const plain = run(adam({ lr: 0.3 }));
  assert.ok(plain[0]![0]! > 0.9 && plain[1]![0]! > 0.9, 'A learnt and kept');
  assert.ok(plain[1]![1]! < 0, `B never learnt: ${plain[1]![1]}`);
  const decayed = run(adamw({ lr: 2, weightDecay: 0.3 }));
  assert.ok(decayed[0]![0]! > 0.9 && decayed[1]![1]! > 0.9, `A then B learnt: ${decayed[0]![0]}, ${decayed[1]![1]}`);
  assert.ok(decayed[1]![0]! < 0, `A forgotten after B: ${decayed[1]![0]}`);
  assert.ok(decayed[2]![0]! > 0.9 && decayed[4]![2]! > 0.9, 'A relearnt, then C learnt');
});

test('gridworld experiment: the sequential baseline learns B and forgets A', async () => {
  const { result } = (await runExperiment(gridworldExperiment(), { seeds: [0], learners: ['sequential'] })).runs['sequential']![0]!;
  // Stages 0 and 1 are the first full visits to A and B.
  assert.equal(result.stageTypes.slice(0, 2), [0, 1]);
  assert.ok(result.R[0]![0]! > 0.9, `A after A: ${result.R[0]![0]}`);
  assert.ok(result.R[1]![1]! > 0.9, `B after B: ${result.R[1]![1]}`);
  assert.ok(result.R[1]![0]! < 0.1, `A after B: ${result.R[1]![0]}`);
  assert.ok(result.metrics.forgetting > 0.3, `forgetting ${result.metrics.forgetting}`);
});

// A problem whose meta-gradient always says "add 1" and whose every score is the
// parameter itself: what the clustered learner reports shows which iterate it uses.
const counting: ContinualProblem<Tensor, { type: number }> = {
  name: 'counting',
  init: () => scalar(5),
  adaptationCurve: (p) => [p.item()],
  selectionCurve: () => [1],
  metaGradient: () => scalar(-1),
  taskGradient: () => scalar(-1),
};
const countingRun = (averaging?: number) => {
  const learner = clusteredLearner({ problem: counting, optimizer: sgd({ lr: 1 }), ...(averaging !== undefined && { averaging }) });
  const reported = Array.from({ length: 4 }, () => learner.observe({ type: 0 }).curve[0]!);
  return { reported, evaluated: learner.evaluate({ type: 0 }, 0)[0]! };
};

test('clustered learner: averaging reports the running average of the meta-iterates', () => {
  // Iterates 5, 6, 7, 8, 9 (one SGD step per task); each step reports before its update.
  assert.equal(countingRun(), { reported: [5, 6, 7, 8], evaluated: 9 }, 'averaging 0: the latest iterate');
  // Rate max(0.5, 1/n): 5, then 5.5, 5.5 + (7 − 5.5)/2 = 6.25, 6.25 + (8 − 6.25)/2 = 7.125, then 8.0625.
  assert.equal(countingRun(0.5), { reported: [5, 5.5, 6.25, 7.125], evaluated: 8.0625 });
  // A small rate averages uniformly at first: mean(5..6), mean(5..7), mean(5..8), mean(5..9).
  assert.equal(countingRun(0.1), { reported: [5, 5.5, 6, 6.5], evaluated: 7 });
  for (const bad of [-0.1, 1, NaN]) {
    assert.throws(() => clusteredLearner({ problem: counting, optimizer: sgd({ lr: 1 }), averaging: bad }), new RegExp(`clusteredLearner: averaging must be in \\[0, 1\\), got ${bad}`));
  }
});

test.run();
