/**
 * The tabular model of a grid world: the single source of truth for its dynamics.
 *
 * `tabularModel(map, task)` enumerates every transition once into flat tables.
 * `GridWorld.step` and `VecEnv.step` only look transitions up in these tables, so an
 * exact dynamic-programming oracle built on the same tables cannot disagree with the
 * environments.
 *
 * States are the non-wall cells, numbered in reading order (walls are not states:
 * the agent can never stand on one). Goal and lava states are terminal; as usual for
 * dynamic programming they are absorbing, with every action looping back for reward 0.
 * The time limit (`maxSteps`) is not part of the model: it truncates episodes in the
 * environments only.
 */
import { GridWorldError } from './errors.ts';
import { Cell, formatPosition, inBounds, parseMap, type GridMap, type MapSource, type Position } from './map.ts';

/** Action ids. `Stay` exists only when the environment is built with `allowStay`. */
export const Action = { Up: 0, Right: 1, Down: 2, Left: 3, Stay: 4 } as const;
/** A value of {@link Action}: 0 up, 1 right, 2 down, 3 left, 4 stay. */
export type ActionId = (typeof Action)[keyof typeof Action];

/** Human-readable action names, indexed by action id. */
export const ACTION_NAMES = ['up', 'right', 'down', 'left', 'stay'] as const;

// Row and column offsets of each action, indexed by action id.
const ROW_DELTA = [-1, 0, 1, 0, 0] as const;
const COL_DELTA = [0, 1, 0, -1, 0] as const;

/**
 * Rewards added on each transition; use negative values for penalties.
 * The reward of a transition is `step` plus `goal` if it enters a goal, plus `lava`
 * if it enters lava.
 */
export interface RewardSpec {
  /** Added when the agent enters a goal cell. Default 1. */
  readonly goal: number;
  /** Added on every step, including the last one. Default -0.01. */
  readonly step: number;
  /** Added when the agent enters lava (which ends the episode). Default -1. */
  readonly lava: number;
}

/** The rewards used where a configuration gives none; partial `rewards` options override these. */
export const DEFAULT_REWARDS: RewardSpec = { goal: 1, step: -0.01, lava: -1 };

/**
 * A task fixes what varies between episodes of a meta-learning problem: the start
 * set, the goal set and optionally the layout. Unset fields fall back to the
 * environment's configuration, then to the map's `S` / `G` markers.
 *
 * @example
 * ```ts
 * const task: Task = { name: 'goal top-right', goals: [[0, 7]] };
 * ```
 */
export interface Task {
  readonly name?: string;
  readonly layout?: GridMap;
  /** Episodes start at one of these, chosen uniformly at random. */
  readonly starts?: readonly Position[];
  /** Entering any of these ends the episode with the goal reward. */
  readonly goals?: readonly Position[];
}

/** Dynamics options shared by every task of an environment. */
export interface DynamicsOptions {
  /** Partial overrides of {@link DEFAULT_REWARDS}. */
  readonly rewards?: Partial<RewardSpec>;
  /** Adds a fifth action, `Stay` (id 4). Default false. */
  readonly allowStay?: boolean;
}

/** The complete finite MDP of one (map, task) pair. See the module comment. */
export interface TabularModel {
  readonly map: GridMap;
  readonly numStates: number;
  readonly numActions: number;
  /** `next[state * numActions + action]`: the successor state. */
  readonly next: Int32Array;
  /**
   * `reward[state * numActions + action]`: the reward of that transition, stored as
   * float32 because that is what the vectorised environment emits.
   */
  readonly reward: Float32Array;
  /** `terminal[state]` is 1 for goal and lava states. */
  readonly terminal: Uint8Array;
  /** `startDistribution[state]`: probability that an episode starts there (uniform over starts). */
  readonly startDistribution: Float64Array;
  /** The start states, in reading order; resets draw uniformly from them. */
  readonly startStates: Int32Array;
  /** The goal states, in reading order. */
  readonly goalStates: Int32Array;
  /** Cell index (`row * width + col`) of each state. */
  readonly cellOfState: Int32Array;
  /** State of each cell, -1 for walls. */
  readonly stateOfCell: Int32Array;
  /** Per state: bit 1 goal, bit 2 lava (what observations show beyond walls). */
  readonly stateFlags: Uint8Array;
  readonly rewards: RewardSpec;
}

/** Bits of {@link TabularModel.stateFlags}. */
export const StateFlag = { Goal: 1, Lava: 2 } as const;

/**
 * Builds the tabular model of `map` under `task`, validating starts, goals and
 * reachability (a breadth-first search from the starts over the model's own
 * transitions).
 *
 * @example
 * ```ts
 * const model = tabularModel('S..G');
 * model.numStates;                      // 4
 * model.next[0 * model.numActions + Action.Right]; // 1
 * model.reward[2 * model.numActions + Action.Right]; // 1 - 0.01 (enters the goal), as float32
 * ```
 */
export function tabularModel(map: MapSource, task: Task = {}, options: DynamicsOptions = {}): TabularModel {
  const layout = task.layout ?? parseMap(map);
  const rewards = resolveRewards(options.rewards);
  const numActions = options.allowStay ? 5 : 4;
  const { height, width, cells } = layout;

  const stateOfCell = new Int32Array(height * width).fill(-1);
  const cellList: number[] = [];
  for (let cell = 0; cell < cells.length; cell++) {
    if (cells[cell] !== Cell.Wall) {
      stateOfCell[cell] = cellList.length;
      cellList.push(cell);
    }
  }
  const numStates = cellList.length;
  const cellOfState = Int32Array.from(cellList);

  const starts = task.starts ?? layout.startMarkers;
  const goals = task.goals ?? layout.goalMarkers;
  if (starts.length === 0) {
    throw new GridWorldError("tabularModel: no start available: the map has no 'S' marker and no starts were given");
  }
  if (goals.length === 0) {
    throw new GridWorldError("tabularModel: no goal available: the map has no 'G' marker and no goals were given");
  }
  const goalStates = uniqueSorted(goals.map((p) => checkedState(layout, stateOfCell, p, 'goal', 'tabularModel')));
  const startStates = uniqueSorted(starts.map((p) => checkedState(layout, stateOfCell, p, 'start', 'tabularModel')));

  const stateFlags = new Uint8Array(numStates);
  for (let s = 0; s < numStates; s++) if (cells[cellOfState[s]!] === Cell.Lava) stateFlags[s] = StateFlag.Lava;
  for (const g of goalStates) stateFlags[g] = StateFlag.Goal;
  for (const s of startStates) {
    const where = formatPosition(positionOfCell(layout, cellOfState[s]!));
    if (stateFlags[s] === StateFlag.Goal) throw new GridWorldError(`tabularModel: start ${where} is also a goal`);
    if (stateFlags[s] === StateFlag.Lava) throw new GridWorldError(`tabularModel: start ${where} is on lava`);
  }

  const terminal = new Uint8Array(numStates);
  for (let s = 0; s < numStates; s++) terminal[s] = stateFlags[s] !== 0 ? 1 : 0;

  const next = new Int32Array(numStates * numActions);
  const reward = new Float32Array(numStates * numActions);
  for (let s = 0; s < numStates; s++) {
    const cell = cellOfState[s]!;
    const row = Math.floor(cell / width);
    const col = cell % width;
    for (let a = 0; a < numActions; a++) {
      const k = s * numActions + a;
      if (terminal[s]) {
        next[k] = s;
        continue;
      }
      const target = moveTarget(layout, row, col, a);
      const s2 = stateOfCell[target]!;
      next[k] = s2;
      const flags = stateFlags[s2]!;
      reward[k] = rewards.step
        + ((flags & StateFlag.Goal) !== 0 ? rewards.goal : 0)
        + ((flags & StateFlag.Lava) !== 0 ? rewards.lava : 0);
    }
  }

  const startDistribution = new Float64Array(numStates);
  for (const s of startStates) startDistribution[s] = 1 / startStates.length;

  const model: TabularModel = {
    map: layout, numStates, numActions, next, reward, terminal, startDistribution,
    startStates: Int32Array.from(startStates), goalStates: Int32Array.from(goalStates),
    cellOfState, stateOfCell, stateFlags, rewards,
  };
  checkReachability(model);
  return model;
}

/** The cell the agent ends up in: its own when the move would leave the map or hit a wall. */
function moveTarget(map: GridMap, row: number, col: number, action: number): number {
  const r = row + ROW_DELTA[action as ActionId];
  const c = col + COL_DELTA[action as ActionId];
  if (r < 0 || r >= map.height || c < 0 || c >= map.width) return row * map.width + col;
  const target = r * map.width + c;
  return map.cells[target] === Cell.Wall ? row * map.width + col : target;
}

function resolveRewards(overrides: Partial<RewardSpec> = {}): RewardSpec {
  const rewards = { ...DEFAULT_REWARDS, ...overrides };
  for (const [key, value] of Object.entries(rewards)) {
    if (!Number.isFinite(value)) throw new GridWorldError(`tabularModel: rewards.${key} must be a finite number, got ${value}`);
  }
  return rewards;
}

function checkedState(map: GridMap, stateOfCell: Int32Array, position: Position, what: string, caller: string): number {
  if (!Array.isArray(position) || position.length !== 2 || !inBounds(map, position)) {
    const shown = Array.isArray(position) ? `(${position.join(', ')})` : String(position);
    throw new GridWorldError(
      `${caller}: ${what} ${shown} is outside the ${map.height}×${map.width} map (rows 0..${map.height - 1}, columns 0..${map.width - 1})`,
    );
  }
  const state = stateOfCell[position[0] * map.width + position[1]]!;
  if (state < 0) throw new GridWorldError(`${caller}: ${what} ${formatPosition(position)} is on a wall`);
  return state;
}

function uniqueSorted(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * Breadth-first search from the start states over the model's transitions, never
 * leaving terminal states (an episode ends there). Every goal must be reached from
 * some start, and every start must reach some goal.
 */
function checkReachability(model: TabularModel): void {
  const goalReached = new Uint8Array(model.numStates);
  for (const start of model.startStates) {
    const seen = reachableStates(model, start);
    let reachesAnyGoal = false;
    for (const g of model.goalStates) {
      if (seen[g]) {
        goalReached[g] = 1;
        reachesAnyGoal = true;
      }
    }
    if (!reachesAnyGoal) {
      throw new GridWorldError(
        `tabularModel: unreachable goal: no goal can be reached from start ${formatPosition(positionOfState(model, start))} (BFS through non-wall, non-lava cells)`,
      );
    }
  }
  for (const g of model.goalStates) {
    if (!goalReached[g]) {
      throw new GridWorldError(
        `tabularModel: unreachable goal: goal ${formatPosition(positionOfState(model, g))} cannot be reached from any start (BFS through non-wall, non-lava cells)`,
      );
    }
  }
}

/**
 * States reachable from `from` (1 in the returned mask), not expanding terminal states.
 *
 * @example
 * ```ts
 * const model = tabularModel('S.G.');
 * reachableStates(model, 0); // [1, 1, 1, 0]: the cell behind the goal is never reached
 * ```
 */
export function reachableStates(model: TabularModel, from: number): Uint8Array {
  const seen = new Uint8Array(model.numStates);
  const queue = new Int32Array(model.numStates);
  let head = 0;
  let tail = 0;
  seen[from] = 1;
  queue[tail++] = from;
  while (head < tail) {
    const s = queue[head++]!;
    if (model.terminal[s]) continue;
    for (let a = 0; a < model.numActions; a++) {
      const s2 = model.next[s * model.numActions + a]!;
      if (!seen[s2]) {
        seen[s2] = 1;
        queue[tail++] = s2;
      }
    }
  }
  return seen;
}

/**
 * The `[row, col]` of a cell index.
 *
 * @example
 * ```ts
 * positionOfCell(parseMap('S..\n..G'), 4); // [1, 1]
 * ```
 */
export function positionOfCell(map: GridMap, cell: number): Position {
  return [Math.floor(cell / map.width), cell % map.width];
}

/**
 * The `[row, col]` of a state of `model` (walls are not states, so states and cells differ).
 *
 * @example
 * ```ts
 * positionOfState(tabularModel('S#G\n...'), 1); // [0, 2]
 * ```
 */
export function positionOfState(model: TabularModel, state: number): Position {
  return positionOfCell(model.map, model.cellOfState[state]!);
}

/**
 * The state at `position`; throws a {@link GridWorldError} outside the map or on a wall.
 *
 * @example
 * ```ts
 * stateOfPosition(tabularModel('S#G\n...'), [1, 0]); // 2
 * ```
 */
export function stateOfPosition(model: TabularModel, position: Position): number {
  return checkedState(model.map, model.stateOfCell, position, 'position', 'stateOfPosition');
}

/**
 * Draws a start state uniformly with `rng.int`, consuming no randomness when there is
 * a single start. `GridWorld` and `VecEnv` both reset through this function, which is
 * why they agree under the same seeds.
 *
 * @example
 * ```ts
 * sampleStartState(tabularModel('S.S\n.G.'), new Rng(0)); // 0 or 2
 * ```
 */
export function sampleStartState(model: TabularModel, rng: { int(n: number): number }): number {
  const starts = model.startStates;
  return starts.length === 1 ? starts[0]! : starts[rng.int(starts.length)]!;
}
