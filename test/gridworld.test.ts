import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../src/random/rng.ts';
import {
  Action, Cell, GridWorld, createObservationEncoder, mapToText, parseMap, positionOfState, stateOfPosition,
  tabularModel, renderAscii, renderSvg, cliff, type Position, type TabularModel,
} from '../src/rl/env/index.ts';
import { throwsGridWorldError } from './gridworld-helpers.ts';

// A hand-drawn map with every cell kind. States (non-wall cells, reading order):
//   row 0: S(0) .(1) #   G(2)
//   row 1: .(3) L(4) .(5) .(6)
//   row 2: .(7) .(8) .(9) #
const MAP = `
  S.#G
  .L..
  ...#
`;
const f32 = Math.fround;

test('parseMap reads cells and markers, ignoring indentation and blank edge lines', () => {
  const map = parseMap(MAP);
  assert.is(map.height, 3);
  assert.is(map.width, 4);
  assert.equal(map.startMarkers, [[0, 0]]);
  assert.equal(map.goalMarkers, [[0, 3]]);
  assert.is(map.cells[2], Cell.Wall);
  assert.is(map.cells[5], Cell.Lava);
  assert.is(map.cells[0], Cell.Free);
  assert.is(mapToText(map), 'S.#G\n.L..\n...#');
  assert.equal(parseMap(['S.#G', '.L..', '...#']), map);
});

test('tabularModel numbers non-wall cells and marks goal and lava terminal', () => {
  const model = tabularModel(MAP);
  assert.is(model.numStates, 10);
  assert.is(model.numActions, 4);
  assert.equal([...model.terminal], [0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  assert.equal([...model.startStates], [0]);
  assert.equal([...model.goalStates], [2]);
  assert.equal([...model.startDistribution], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(positionOfState(model, 6), [1, 3]);
  assert.is(stateOfPosition(model, [2, 2]), 9);
});

/** An independent restatement of the rules, to check the model against. */
function referenceTransition(text: string, [row, col]: Position, action: number): { to: Position; reward: number } {
  const rows = text.trim().split('\n').map((r) => r.trim());
  const at = (r: number, c: number): string => rows[r]![c]!;
  if ('GL'.includes(at(row, col))) return { to: [row, col], reward: 0 };
  const [dr, dc] = ([[-1, 0], [0, 1], [1, 0], [0, -1], [0, 0]] as const)[action]!;
  let [r, c] = [row + dr, col + dc];
  if (r < 0 || r >= rows.length || c < 0 || c >= rows[0]!.length || at(r, c) === '#') [r, c] = [row, col];
  const reward = -0.01 + (at(r, c) === 'G' ? 1 : 0) + (at(r, c) === 'L' ? -1 : 0);
  return { to: [r, c], reward };
}

test('tabularModel matches an independent statement of the rules for every state and action', () => {
  const model = tabularModel(MAP, {}, { allowStay: true });
  assert.is(model.numActions, 5);
  for (let s = 0; s < model.numStates; s++) {
    for (let a = 0; a < 5; a++) {
      const expected = referenceTransition(MAP, positionOfState(model, s), a);
      const k = s * 5 + a;
      assert.equal(positionOfState(model, model.next[k]!), expected.to, `state ${s} action ${a}`);
      assert.is(model.reward[k], f32(expected.reward), `reward of state ${s} action ${a}`);
    }
  }
});

test('walls and the map edge block moves; the step penalty applies', () => {
  const env = new GridWorld({ map: MAP });
  env.reset(0);
  let result = env.step(Action.Up); // edge
  assert.equal(env.position, [0, 0]);
  assert.is(result.reward, f32(-0.01));
  assert.is(result.terminated, false);
  env.step(Action.Right);
  result = env.step(Action.Right); // wall at (0, 2)
  assert.equal(env.position, [0, 1]);
  assert.is(result.state, 1);
});

test('entering the goal terminates with the goal reward; stepping on throws until reset', () => {
  const env = new GridWorld({ map: MAP, rewards: { goal: 5, step: -0.5 } });
  env.reset(0);
  for (const a of [Action.Down, Action.Down, Action.Right, Action.Right, Action.Up, Action.Right]) {
    assert.is(env.step(a).terminated, false);
  }
  const result = env.step(Action.Up);
  assert.equal(env.position, [0, 3]);
  assert.is(result.terminated, true);
  assert.is(result.truncated, false);
  assert.is(result.reward, 4.5);
  throwsGridWorldError(() => env.step(Action.Up), 'episode has ended', 'reset()');
  env.reset();
  assert.equal(env.position, [0, 0]);
});

test('lava terminates with the lava penalty', () => {
  const env = new GridWorld({ map: MAP, rewards: { lava: -3, step: 0 } });
  env.reset(0);
  env.step(Action.Right);
  const result = env.step(Action.Down);
  assert.equal(env.position, [1, 1]);
  assert.equal([result.reward, result.terminated, result.truncated], [-3, true, false]);
});

test('episodes truncate at maxSteps', () => {
  const env = new GridWorld({ map: MAP, maxSteps: 3 });
  env.reset(0);
  assert.is(env.step(Action.Up).truncated, false);
  assert.is(env.step(Action.Up).truncated, false);
  const last = env.step(Action.Up);
  assert.equal([last.truncated, last.terminated], [true, false]);
  assert.is(env.elapsedSteps, 3);
  throwsGridWorldError(() => env.step(Action.Up), 'episode has ended');
});

test('stay keeps the agent in place when allowed', () => {
  const env = new GridWorld({ map: MAP, allowStay: true });
  env.reset(0);
  assert.is(env.numActions, 5);
  env.step(Action.Stay);
  assert.equal(env.position, [0, 0]);
});

test('step() agrees with the tabular model along random episodes', () => {
  const env = new GridWorld({ map: MAP, starts: [[0, 0], [2, 0], [1, 3]], maxSteps: 7 });
  const model = env.model;
  const rng = new Rng(3);
  const visited = new Set<number>();
  env.reset(11);
  for (let t = 0; t < 3000; t++) {
    const before = env.state;
    visited.add(before);
    const a = rng.int(4);
    const result = env.step(a);
    const k = before * 4 + a;
    assert.is(result.state, model.next[k]);
    assert.is(result.reward, model.reward[k]);
    assert.is(result.terminated, model.terminal[result.state] === 1);
    if (result.terminated || result.truncated) env.reset();
  }
  const nonTerminal = [...model.terminal].filter((t) => t === 0).length;
  assert.is(visited.size, nonTerminal, 'every non-terminal state was visited');
});

test('resets draw uniformly among the starts and are deterministic under a seed', () => {
  const starts: Position[] = [[0, 0], [2, 0], [2, 2]];
  const run = (seed: number): number[] => {
    const env = new GridWorld({ map: MAP, starts });
    const out = [env.reset(seed)[0]!];
    for (let i = 0; i < 200; i++) out.push(env.reset()[0]!);
    return out;
  };
  assert.equal(run(5), run(5));
  assert.not.equal(run(5), run(6));
  const counts = new Map<number, number>();
  for (const s of run(5)) counts.set(s, (counts.get(s) ?? 0) + 1);
  assert.equal([...counts.keys()].sort((a, b) => a - b), [0, 7, 9]);
  for (const n of counts.values()) assert.ok(n > 40, `each start drawn often, got ${n}`);
  const model = tabularModel(MAP, { starts });
  assert.equal([...model.startDistribution].filter((p) => p > 0), [1 / 3, 1 / 3, 1 / 3]);
});

test('start and goal sets override the markers; tasks override the config', () => {
  const env = new GridWorld({ map: MAP, starts: [[2, 1]], goals: [[1, 3]] });
  env.reset(0);
  assert.equal(env.position, [2, 1]);
  assert.equal([...env.model.goalStates], [6]);
  env.setTask({ name: 'other', goals: [[2, 0]] });
  throwsGridWorldError(() => env.step(0), 'call reset() first');
  env.reset(0);
  assert.equal(env.position, [2, 1]);
  assert.is(env.step(Action.Left).terminated, true);
});

test('observations: stateIndex and oneHot', () => {
  const model = tabularModel(MAP);
  const index = createObservationEncoder({ kind: 'stateIndex' }, 3, 4);
  assert.equal([...index.encode(model, 6)], [6]);
  const oneHot = createObservationEncoder({ kind: 'oneHot' }, 3, 4);
  assert.is(oneHot.size, 12);
  const expected = new Array(12).fill(0);
  expected[7] = 1; // state 6 is cell (1, 3)
  assert.equal([...oneHot.encode(model, 6)], expected);
});

test('observations: egocentric local view with out-of-map as wall', () => {
  const model = tabularModel(MAP);
  const view = createObservationEncoder({ kind: 'localView', size: 3 }, 3, 4);
  assert.equal(view.shape, [3, 3, 3]);
  const obs = view.encode(model, 1); // agent at (0, 1)
  const wall = [...obs.subarray(0, 9)];
  const goal = [...obs.subarray(9, 18)];
  const lava = [...obs.subarray(18, 27)];
  assert.equal(wall, [1, 1, 1, 0, 0, 1, 0, 0, 0]);
  assert.equal(goal, [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(lava, [0, 0, 0, 0, 0, 0, 0, 1, 0]);
  const atRight = view.encode(model, 6); // agent at (1, 3): goal above, wall below, edge to the right
  assert.equal([...atRight.subarray(0, 9)], [1, 0, 1, 0, 0, 1, 0, 1, 1]);
  assert.equal([...atRight.subarray(9, 18)], [0, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal([...atRight.subarray(18, 27)], [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const wide = createObservationEncoder({ kind: 'localView', size: 5 }, 3, 4).encode(model, 0);
  assert.is(wide[0], 1, 'corner of a 5×5 view from (0, 0) is off the map');
  assert.is(wide[12], 0, 'centre is the agent cell, free');
});

test('observations: full-grid channels', () => {
  const model = tabularModel(MAP);
  const grid = createObservationEncoder({ kind: 'gridChannels' }, 3, 4);
  assert.equal(grid.shape, [4, 3, 4]);
  const obs = grid.encode(model, 8); // agent at (2, 1)
  const plane = (c: number): string => [...obs.subarray(c * 12, c * 12 + 12)].join('');
  assert.is(plane(0), '001000000001');
  assert.is(plane(1), '000000000100');
  assert.is(plane(2), '000100000000');
  assert.is(plane(3), '000001000000');
});

test('observations write in place at an offset without touching neighbours', () => {
  const env = new GridWorld({ map: MAP, observation: { kind: 'oneHot' } });
  env.reset(0);
  const out = new Float32Array(30).fill(7);
  env.writeObservation(out, 10);
  assert.equal([...out.subarray(0, 10)], new Array(10).fill(7));
  assert.equal([...out.subarray(22)], new Array(8).fill(7));
  assert.is(out[10], 1);
  assert.is(out.subarray(10, 22).reduce((a, b) => a + b, 0), 1);
});

test('renderAscii draws walls, lava, start, goal, agent and a trajectory', () => {
  const model = tabularModel(MAP);
  assert.is(renderAscii(model), 'S.#G\n.L..\n...#');
  const trajectory: Position[] = [[0, 0], [1, 0], [2, 0], [2, 1], [2, 2], [1, 2], [1, 3], [1, 3]];
  assert.is(renderAscii(model, { trajectory, agent: [1, 3] }), 'S.#G\nvL>A\n>>^#');
  assert.is(renderAscii(model, { trajectory, trajectoryStyle: 'dots' }), 'S.#G\n*L**\n***#');
  throwsGridWorldError(() => renderAscii(model, { agent: [0, 2] }), 'agent (0, 2) is on a wall');
  const env = new GridWorld({ map: cliff(4) });
  env.reset(0);
  assert.is(env.render(), '....\n....\n....\nALLG');
});

test('renderSvg is a standalone document with grid, walls, goal, start and trajectory', () => {
  const svg = renderSvg(tabularModel(MAP), { trajectory: [[0, 0], [1, 0]], agent: [1, 0], cellSize: 10 });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30" viewBox="0 0 40 30">'));
  assert.ok(svg.endsWith('</svg>'));
  assert.is(svg.match(/<rect /g)!.length, 12 + 1, 'one rect per cell plus the goal');
  assert.ok(svg.includes('<polyline points="5,5 5,15"'));
  assert.is(svg.match(/<circle /g)!.length, 2, 'start ring and agent');
  assert.not.ok(/href|<image|url\(/.test(svg), 'no external assets');
});

test('errors: invalid maps name what is wrong', () => {
  throwsGridWorldError(() => parseMap('S..\n..\n..G'), 'ragged rows', 'row 1 has 2 columns', 'row 0 has 3');
  throwsGridWorldError(() => parseMap('S..\n.x.\n..G'), 'unknown character "x" at row 1, column 1', "'#' wall");
  throwsGridWorldError(() => parseMap('\n  \n'), 'the map is empty');
  throwsGridWorldError(() => tabularModel('...\n..G'), 'no start available');
  throwsGridWorldError(() => tabularModel('S..\n...'), 'no goal available');
  throwsGridWorldError(() => tabularModel('S#G'), 'unreachable goal', 'no goal can be reached from start (0, 0)');
  throwsGridWorldError(() => tabularModel('S.G#.', { goals: [[0, 2], [0, 4]] }), 'unreachable goal', 'goal (0, 4) cannot be reached');
  throwsGridWorldError(() => tabularModel('SLG'), 'unreachable goal');
  throwsGridWorldError(() => tabularModel('S#G', { starts: [[0, 1]] }), 'start (0, 1) is on a wall');
  throwsGridWorldError(() => tabularModel('S#G', { goals: [[0, 1]] }), 'goal (0, 1) is on a wall');
  throwsGridWorldError(() => tabularModel('S.G', { starts: [[3, 0]] }), 'start (3, 0) is outside the 1×3 map');
  throwsGridWorldError(() => tabularModel('S.G', { starts: [[0, 2]] }), 'start (0, 2) is also a goal');
  throwsGridWorldError(() => tabularModel('SLG.', { starts: [[0, 1]] }), 'start (0, 1) is on lava');
  throwsGridWorldError(() => tabularModel('S.G', {}, { rewards: { goal: NaN } }), 'rewards.goal must be a finite number');
});

test('errors: actions, options and misuse', () => {
  const env = new GridWorld({ map: MAP });
  throwsGridWorldError(() => env.step(0), 'no episode is running', 'reset()');
  throwsGridWorldError(() => env.position, 'call reset() first');
  env.reset(0);
  throwsGridWorldError(() => env.step(4), 'GridWorld.step: action 4 is out of range', 'valid actions are 0..3 (0 up, 1 right, 2 down, 3 left)');
  throwsGridWorldError(() => env.step(-1), 'action -1 is out of range');
  throwsGridWorldError(() => env.step(1.5), 'action 1.5 is out of range');
  throwsGridWorldError(() => new GridWorld({ map: MAP, maxSteps: 0 }), 'maxSteps must be a positive integer, got 0');
  throwsGridWorldError(() => new GridWorld({ map: MAP, observation: { kind: 'localView', size: 4 } }), 'size must be an odd positive integer', 'got 4');
  throwsGridWorldError(() => new GridWorld({ map: MAP, observation: { kind: 'pixels' } as never }), 'unknown observation kind "pixels"');
  throwsGridWorldError(() => env.setTask({ name: 'big', layout: parseMap('S...G') }), 'task big has a 1×5 layout', '3×4');
  throwsGridWorldError(() => env.reset(NaN), 'expected a finite seed or an Rng');
  throwsGridWorldError(() => stateOfPosition(env.model, [0, 2]), 'stateOfPosition: position (0, 2) is on a wall');
  throwsGridWorldError(() => stateOfPosition(env.model, [5, 0]), 'position (5, 0) is outside the 3×4 map');
  throwsGridWorldError(() => renderSvg(env.model, { cellSize: 0 }), 'cellSize must be a positive number, got 0');
});

test('the tabular model is the same object the env steps with', () => {
  const env = new GridWorld({ map: MAP });
  const model: TabularModel = env.model;
  assert.is(env.model, model);
  assert.is(model.numStates, tabularModel(MAP).numStates);
});

test.run();
