import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Cell, GridWorld, corridor, cliff, fourRooms, goalFamily, inQuadrant, layoutFamily, openRoom, startFamily,
  standardLayout, tabularModel, type Position, type Task, type TaskFamily,
} from '../src/rl/env/index.ts';
import { throwsGridWorldError } from './gridworld-helpers.ts';

const key = (p: Position): string => p.join(',');
const goalOf = (t: Task): Position => t.goals![0]!;
const startOf = (t: Task): Position => t.starts![0]!;

function assertDisjoint(family: TaskFamily): void {
  const names = [...family.train, ...family.test, ...family.ood].map((t) => t.name);
  assert.is(new Set(names).size, names.length, `${family.name}: a task appears in two splits`);
  assert.ok(family.train.length > 0 && family.test.length > 0 && family.ood.length > 0, `${family.name}: every split is non-empty`);
}

test('standard layouts', () => {
  assert.is(openRoom(3).cells.length, 9);
  assert.equal(openRoom(3).startMarkers, [[2, 0]]);
  const rooms = fourRooms(7);
  assert.is(rooms.cells.filter((c) => c === Cell.Wall).length, 13 - 4, 'a cross of 13 cells with 4 doorways');
  assert.equal(rooms.goalMarkers, [[0, 6]]);
  assert.is(corridor(5).width, 5);
  assert.is(cliff(5).cells.filter((c) => c === Cell.Lava).length, 3);
  for (const layout of [openRoom(4), fourRooms(11), corridor(6), cliff(6), fourRooms(9, { up: 0, down: 3, left: 2, right: 1 })]) {
    tabularModel(layout); // default markers form a valid task
  }
  assert.is(standardLayout('S.G').width, 3, 'map text passes through');
});

test('goalFamily: splits are disjoint, OOD goals are in the top-right quadrant and nowhere else', () => {
  const family = goalFamily({ layout: 'open', size: 8, seed: 1 });
  assertDisjoint(family);
  const all = [...family.train, ...family.test, ...family.ood];
  assert.is(all.length, 63, 'every cell but the start');
  for (const t of family.ood) assert.ok(inQuadrant(8, 8, goalOf(t), 'top-right'), `${t.name} is OOD`);
  for (const t of [...family.train, ...family.test]) assert.not.ok(inQuadrant(8, 8, goalOf(t), 'top-right'), `${t.name} is in distribution`);
  for (const t of all) assert.equal(startOf(t), [7, 0]);
  assert.is(family.ood.length, 16);
  assert.is(family.test.length, 12, 'a quarter of the 47 in-distribution goals');
  for (const t of all) tabularModel(t.layout!, t); // every task is valid
});

test('task splits are deterministic under a seed and change with it', () => {
  const names = (f: TaskFamily): string[] => f.test.map((t) => t.name!);
  assert.equal(names(goalFamily({ seed: 4 })), names(goalFamily({ seed: 4 })));
  assert.not.equal(names(goalFamily({ seed: 4 })), names(goalFamily({ seed: 5 })));
  assert.equal(goalFamily({ seed: 4 }).ood.map((t) => t.name), goalFamily({ seed: 5 }).ood.map((t) => t.name), 'OOD depends only on the region');
});

test('goalFamily on four rooms skips walls and respects a custom start and quadrant', () => {
  const family = goalFamily({ layout: 'fourRooms', size: 11, start: [0, 0], oodQuadrant: 'bottom-right' });
  assertDisjoint(family);
  const layout = family.train[0]!.layout!;
  for (const t of [...family.train, ...family.test, ...family.ood]) {
    const [r, c] = goalOf(t);
    assert.is(layout.cells[r * 11 + c], Cell.Free);
    assert.equal(startOf(t), [0, 0]);
  }
  for (const t of family.ood) assert.ok(inQuadrant(11, 11, goalOf(t), 'bottom-right'));
  for (const t of family.train) assert.not.ok(inQuadrant(11, 11, goalOf(t), 'bottom-right'));
});

test('startFamily: OOD starts in the top-left quadrant; the goal is fixed', () => {
  const family = startFamily({ layout: 'open', size: 8, seed: 2 });
  assertDisjoint(family);
  for (const t of family.ood) assert.ok(inQuadrant(8, 8, startOf(t), 'top-left'));
  for (const t of [...family.train, ...family.test]) assert.not.ok(inQuadrant(8, 8, startOf(t), 'top-left'));
  const goals = new Set([...family.train, ...family.test, ...family.ood].map((t) => key(goalOf(t))));
  assert.equal([...goals], ['0,7']);
  // A task runs in an environment: the agent starts where the task says.
  const env = new GridWorld({ map: openRoom(8), task: family.ood[0]! });
  env.reset(0);
  assert.equal(env.position, startOf(family.ood[0]!));
});

test('a corridor splits along its length', () => {
  const family = startFamily({ layout: 'corridor', size: 10 });
  assert.equal(family.ood.map((t) => startOf(t)[1]), [0, 1, 2, 3, 4]);
  assert.ok([...family.train, ...family.test].every((t) => startOf(t)[1] >= 5));
});

test('layoutFamily: OOD layouts have a doorway at an outer end, training layouts never do', () => {
  const family = layoutFamily({ size: 9, seed: 3 });
  assertDisjoint(family);
  assert.is(family.train.length + family.test.length, 81);
  assert.is(family.ood.length, 256 - 81);
  // Outer-end doorway cells of a 9×9 four-rooms map: (0, 4), (8, 4), (4, 0), (4, 8).
  const outerDoorOpen = (t: Task): boolean => [[0, 4], [8, 4], [4, 0], [4, 8]].some(([r, c]) => t.layout!.cells[r! * 9 + c!] === Cell.Free);
  assert.ok(family.ood.every(outerDoorOpen));
  assert.not.ok([...family.train, ...family.test].some(outerDoorOpen));
  for (const t of family.train) tabularModel(t.layout!, t);
  assert.match(family.describe(), 'ood layouts');
});

test('describe() summarises the split with a map', () => {
  const text = goalFamily({ layout: 'open', size: 4 }).describe();
  const lines = text.split('\n');
  assert.match(lines[0]!, 'goalFamily(open 4×4)');
  assert.match(lines[0]!, 'ood = goals in the top-right quadrant');
  assert.is(lines.length, 2 + 4);
  assert.equal([lines[2]!.slice(2), lines[3]!.slice(2)], ['oo', 'oo'], 'the top-right quadrant is OOD');
  assert.not.match(lines.slice(4).join(''), 'o');
  assert.is(lines[5]![0], 'S');
});

test('errors: task families', () => {
  throwsGridWorldError(() => goalFamily({ start: [0, 9] }), 'goalFamily: start (0, 9) is outside the 8×8 map');
  throwsGridWorldError(() => goalFamily({ layout: 'fourRooms', size: 11, start: [5, 0] }), 'start (5, 0) is on a wall');
  throwsGridWorldError(() => startFamily({ layout: 'cliff', size: 6, goal: [3, 2] }), 'goal (3, 2) is on lava');
  throwsGridWorldError(() => goalFamily({ testFraction: 1 }), 'testFraction must be in [0, 1), got 1');
  throwsGridWorldError(() => goalFamily({ layout: 'fourRooms', size: 8 }), 'fourRooms: size must be odd', 'got 8');
  throwsGridWorldError(() => openRoom(1), 'openRoom: size must be an integer ≥ 2, got 1');
  throwsGridWorldError(() => fourRooms(9, { up: 4, down: 0, left: 0, right: 0 }), 'doorway up must be an integer in 0..3');
});

test.run();
