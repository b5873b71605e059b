import { test } from 'uvu';
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';
import { Rng } from '../src/random/rng.ts';
import {
  Action, GridWorld, VecEnv, fourRooms, goalFamily, openRoom, type ObservationSpec, type Position, type Task,
} from '../src/rl/env/index.ts';
import { throwsGridWorldError } from './gridworld-helpers.ts';

const MAP = `
  S.#G
  .L..
  ...#
`;

const TASKS: Task[] = [
  { name: 'default' },
  { name: 'two starts', starts: [[0, 0], [2, 2]] },
  { name: 'goal right', goals: [[1, 3]], starts: [[2, 0], [0, 1], [1, 2]] },
];

/** Steps a VecEnv and B GridWorlds side by side with the same seeds and actions. */
function checkAgainstSingles(spec: ObservationSpec, allowStay: boolean): void {
  const B = 6;
  const tasks = Array.from({ length: B }, (_, i) => TASKS[i % TASKS.length]!);
  const config = { map: MAP, maxSteps: 6, observation: spec, allowStay };
  const vec = new VecEnv({ ...config, numEnvs: B, tasks });
  const singles = tasks.map((task) => new GridWorld({ ...config, task }));
  const master = new Rng(99);
  const obs0 = vec.reset(new Rng(99));
  singles.forEach((env, i) => {
    const first = env.reset(master.split());
    assert.equal([...obs0.subarray(i * vec.obsSize, (i + 1) * vec.obsSize)], [...first], `reset obs of copy ${i}`);
  });
  const actionRng = new Rng(5);
  const actions = new Int32Array(B);
  let episodesEnded = 0;
  for (let t = 0; t < 400; t++) {
    for (let i = 0; i < B; i++) actions[i] = actionRng.int(vec.numActions);
    const out = vec.step(actions);
    singles.forEach((env, i) => {
      const single = env.step(actions[i]!);
      const row = (buffer: Float32Array): number[] => [...buffer.subarray(i * vec.obsSize, (i + 1) * vec.obsSize)];
      assert.is(out.rewards[i], Math.fround(single.reward), `reward t=${t} copy ${i}`);
      assert.is(out.terminated[i], single.terminated ? 1 : 0);
      assert.is(out.truncated[i], single.truncated ? 1 : 0);
      if (single.terminated || single.truncated) {
        episodesEnded++;
        assert.equal(row(out.finalObs), [...single.obs], `final obs t=${t} copy ${i}`);
        assert.is(out.finalStates[i], single.state);
        const next = env.reset();
        assert.equal(row(out.obs), [...next], `auto-reset obs t=${t} copy ${i}`);
      } else {
        assert.equal(row(out.obs), [...single.obs], `obs t=${t} copy ${i}`);
      }
      assert.is(vec.states[i], env.state);
      assert.is(vec.episodeSteps[i], env.elapsedSteps);
    });
  }
  assert.ok(episodesEnded > 100, `episodes ended often enough to exercise auto-reset (${episodesEnded})`);
}

test('VecEnv equals B independent GridWorlds under the same seeds (per-copy tasks)', () => {
  checkAgainstSingles({ kind: 'stateIndex' }, false);
  checkAgainstSingles({ kind: 'oneHot' }, true);
  checkAgainstSingles({ kind: 'localView', size: 3 }, false);
  checkAgainstSingles({ kind: 'gridChannels' }, false);
});

test('auto-reset reports the final flags, then the new episode obs', () => {
  const vec = new VecEnv({ map: 'S.G', numEnvs: 2, maxSteps: 3 });
  vec.reset(0);
  let out = vec.step(new Int32Array([Action.Right, Action.Left]));
  assert.equal([...out.obs], [1, 0]);
  out = vec.step(new Int32Array([Action.Right, Action.Left]));
  assert.equal([...out.terminated], [1, 0]);
  assert.equal([...out.truncated], [0, 0]);
  assert.is(out.rewards[0], Math.fround(0.99));
  assert.is(out.finalObs[0], 2, 'the goal state the episode ended in');
  assert.is(out.obs[0], 0, 'copy 0 is back at the start');
  assert.equal([...vec.episodeSteps], [0, 2]);
  out = vec.step(new Int32Array([Action.Left, Action.Left]));
  assert.equal([...out.terminated], [0, 0]);
  assert.equal([...out.truncated], [0, 1], 'copy 1 hit maxSteps = 3');
  assert.equal([...vec.episodeSteps], [1, 0]);
});

test('VecEnv is deterministic under a seed and reset(seed) restarts the streams', () => {
  const starts: Position[] = [[7, 0], [0, 0], [7, 7], [3, 3]];
  const run = (seed: number): number[] => {
    const vec = new VecEnv({ map: openRoom(8), starts, numEnvs: 16, maxSteps: 5 });
    const trace = [...vec.reset(seed)];
    const actions = new Int32Array(16);
    const rng = new Rng(1);
    for (let t = 0; t < 50; t++) {
      for (let i = 0; i < 16; i++) actions[i] = rng.int(4);
      trace.push(...vec.step(actions).obs);
    }
    return trace;
  };
  assert.equal(run(3), run(3));
  assert.not.equal(run(3), run(4));
});

test('setTasks switches copies to new tasks, sharing models of the same task', () => {
  const family = goalFamily({ layout: 'fourRooms', size: 11, seed: 2 });
  const vec = new VecEnv({ map: fourRooms(11), numEnvs: 4, tasks: family.train[0]! });
  const tasks = [family.train[0]!, family.train[1]!, family.ood[0]!, family.train[1]!];
  vec.setTasks(tasks);
  assert.is(vec.modelOf(1), vec.modelOf(3));
  assert.is.not(vec.modelOf(0), vec.modelOf(1));
  throwsGridWorldError(() => vec.step(new Int32Array(4)), 'call reset() first');
  vec.reset(0);
  tasks.forEach((task, i) => {
    const goal = task.goals![0]!;
    assert.equal([...vec.modelOf(i).goalStates], [vec.modelOf(i).stateOfCell[goal[0] * 11 + goal[1]]]);
  });
});

test('setTasks reuses a task model across calls, rebuilds it for a task changed since, and one task for all copies steps as per-copy tasks do', () => {
  const family = goalFamily({ layout: 'fourRooms', size: 11, seed: 2 });
  const vec = new VecEnv({ map: fourRooms(11), numEnvs: 3, tasks: family.train[0]! });
  const task = { goals: [family.train[1]!.goals![0]!] };
  vec.setTasks(task);
  const first = vec.modelOf(0);
  vec.setTasks(family.train[2]!);
  vec.setTasks(task);
  assert.is(vec.modelOf(0), first, 'the same task object: the model built before');
  (task as { goals: unknown }).goals = [family.train[2]!.goals![0]!];
  vec.setTasks(task);
  assert.is.not(vec.modelOf(0), first, 'a changed task gets a new model');
  const goal = family.train[2]!.goals![0]!;
  assert.equal([...vec.modelOf(0).goalStates], [vec.modelOf(0).stateOfCell[goal[0] * 11 + goal[1]]]);
  // Shared tables (one task) and concatenated ones (the same task per copy, as distinct objects) step alike.
  const other = new VecEnv({ map: fourRooms(11), numEnvs: 3, tasks: [{ ...task }, { ...task }, { ...task }] });
  vec.reset(5);
  other.reset(5);
  const rng = new Rng(1), actions = new Int32Array(3);
  for (let t = 0; t < 60; t++) {
    for (let i = 0; i < 3; i++) actions[i] = rng.int(4);
    const a = vec.step(actions), b = other.step(actions);
    assert.equal([...a.obs], [...b.obs]);
    assert.equal([...a.rewards], [...b.rewards]);
    assert.equal([...a.terminated], [...b.terminated]);
  }
});

test('step returns the same preallocated buffers and allocates nothing', async () => {
  const B = 64;
  const vec = new VecEnv({ map: openRoom(8), numEnvs: B, maxSteps: 20, observation: { kind: 'localView', size: 3 } });
  const first = vec.reset(0);
  const actions = new Int32Array(B);
  const rng = new Rng(0);
  const actionTable = new Int32Array(B * 97);
  for (let i = 0; i < actionTable.length; i++) actionTable[i] = rng.int(4);
  const result = vec.step(actions);
  const buffers = [result.obs, result.rewards, result.terminated, result.truncated, result.finalObs, result.finalStates];
  assert.is(result.obs, first);
  const pregenerated = Array.from({ length: 97 }, (_, t) => actionTable.slice(t * B, (t + 1) * B));
  const stepMany = (n: number): void => {
    for (let t = 0; t < n; t++) {
      if (vec.step(pregenerated[t % 97]!) !== result) throw new Error('step returned a new result object');
    }
  };
  stepMany(20_000);
  assert.equal([result.obs, result.rewards, result.terminated, result.truncated, result.finalObs, result.finalStates], buffers);

  // Unoptimised code boxes numbers on the heap, so rounds run until the JIT settles;
  // then a round of 100k steps must neither grow the heap nor trigger a collection
  // (an allocation of even one byte per step would show as 100 KB).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const rounds: string[] = [];
  let steady = false;
  for (let round = 0; round < 12 && !steady; round++) {
    let collections = 0;
    const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
    observer.observe({ entryTypes: ['gc'] });
    gc();
    const before = process.memoryUsage().heapUsed;
    stepMany(100_000);
    const grown = process.memoryUsage().heapUsed - before;
    await new Promise((resolve) => setTimeout(resolve, 10)); // GC entries are delivered asynchronously
    observer.disconnect();
    rounds.push(`${grown} B / ${collections - 1} GCs`);
    steady = grown < 64 * 1024 && collections <= 1; // the forced gc() is the one allowed
  }
  assert.ok(steady, `the heap kept growing while stepping: ${rounds.join(', ')}`);
});

test('errors: VecEnv batch size, actions and options', () => {
  const vec = new VecEnv({ map: MAP, numEnvs: 3 });
  vec.reset(0);
  throwsGridWorldError(() => vec.step(new Int32Array(2)), 'wrong batch size', 'expected 3 actions (one per copy), got 2');
  throwsGridWorldError(() => vec.step(new Int32Array([0, 4, 1])), 'action 4 at index 1 is out of range', 'valid actions are 0..3');
  throwsGridWorldError(() => vec.step(new Int32Array([0, 1, -2])), 'action -2 at index 2 is out of range');
  throwsGridWorldError(() => vec.step([0, 1, 2] as unknown as Int32Array), 'actions must be an Int32Array of length 3', '[object Array]');
  throwsGridWorldError(() => vec.setTasks([{}, {}]), 'wrong batch size', 'expected 3 tasks (one per copy), got 2');
  throwsGridWorldError(() => vec.modelOf(3), 'copy index 3 is out of range 0..2');
  throwsGridWorldError(() => new VecEnv({ map: MAP, numEnvs: 0 }), 'numEnvs must be a positive integer, got 0');
  throwsGridWorldError(() => new VecEnv({ map: MAP, numEnvs: 2, tasks: [{}, { goals: [[0, 2]] }] }), 'goal (0, 2) is on a wall');
  // A rejected batch changes nothing.
  const states = [...vec.states];
  throwsGridWorldError(() => vec.step(new Int32Array([1, 1, 9])), 'action 9 at index 2');
  assert.equal([...vec.states], states);
});

test.run();
