/**
 * Sign grids: grid worlds where the task must be discovered before it can be solved.
 *
 * A map holds K goal cells and one or more *sign* cells. Exactly one goal pays off in a
 * given task; entering any other goal gives a penalty and ends the episode. Standing on
 * a sign shows, in the observation, what it knows about the correct goal:
 *
 * - `'index'` signs show the goal index one-hot (all signs agree);
 * - `'bits'` signs each show one bit of the index (±1), so the information is spread
 *   over ⌈log₂K⌉ cells and every one of them must be read;
 * - `noise > 0` makes each reading wrong (a uniformly drawn index or bit) with that
 *   probability, so a careful agent reads more than once.
 *
 * Where the signs and the goals are is visible (as offsets from the agent); what the
 * sign says is not. A task is played as a *trial* of `episodes` episodes of exactly
 * `horizon` ticks each: when an episode ends early (a goal was entered), its remaining
 * ticks are *dead* (the observation's last float is 1, actions are ignored, reward 0),
 * so every trial of a batch has the same length `episodes × horizon` and sequence
 * models can process a whole batch in lockstep. The agent's memory is its own business:
 * the environment only resets the position at each episode start.
 *
 * Maps are parsed by the shared grid-world parser (`src/rl/env`); moves follow the same
 * rule as its tabular model (a move into a wall or off the map stays put). Lava is
 * treated as free floor here.
 */
import type { Rng } from '../random/rng.ts';
import {
  Cell, parseMap, formatPosition, inBounds, type GridMap, type MapSource, type Position,
} from '../rl/env/index.ts';

/** One sign-grid task: where the goals and signs are and which goal pays. */
export interface SignTask {
  /** Goal cells; the agent sees all of them. */
  readonly goals: readonly Position[];
  /** Index into `goals` of the goal that pays off. */
  readonly correct: number;
  /** Sign cells. */
  readonly signs: readonly Position[];
  /** A training-task id (for agents that embed task identity); -1 for held-out tasks. */
  readonly id: number;
}

/** Rewards of a sign grid. */
export interface SignRewards {
  /** Entering the correct goal (ends the episode). Default 1. */
  readonly goal: number;
  /** Entering a wrong goal (ends the episode). Default -1. */
  readonly wrongGoal: number;
  /** Every live tick, including the last. Default -0.01. */
  readonly step: number;
}

/** The rewards a {@link SignGridConfig} without `rewards` gets; a partial `rewards` overrides these. */
export const DEFAULT_SIGN_REWARDS: SignRewards = { goal: 1, wrongGoal: -1, step: -0.01 };

/** Configuration shared by every task of a sign grid. */
export interface SignGridConfig {
  readonly map: MapSource;
  /** Every episode starts here. */
  readonly start: Position;
  /** Number of goals K (tasks must have this many). */
  readonly numGoals: number;
  /** Number of sign cells (tasks must have this many). */
  readonly numSigns: number;
  /** Default `'index'`. With `'bits'`, `numSigns` must be ≥ ⌈log₂ numGoals⌉. */
  readonly readout?: 'index' | 'bits';
  /** Probability that a reading is replaced by a uniformly random one. Default 0. */
  readonly noise?: number;
  /** Ticks per episode. */
  readonly horizon: number;
  /** Episodes per trial. */
  readonly episodes: number;
  readonly rewards?: Partial<SignRewards>;
}

/** What {@link SignGrid.step} reports for each trial of the batch, for the tick just taken. */
export interface SignStep {
  /** `[B]` reward of the tick (0 on dead ticks). */
  readonly rewards: Float32Array;
  /** `[B]` 1 when the agent was alive (its action counted) on that tick. */
  readonly alive: Uint8Array;
  /** `[B]` 1 when the tick ended an episode on a goal (correct or not). */
  readonly terminated: Uint8Array;
  /** `[B]` index of the goal entered on that tick, -1 if none. */
  readonly entered: Int32Array;
}

/**
 * A batch of sign-grid trials run in lockstep (plain typed arrays, no tensors).
 *
 * Observation layout (floats, see {@link SignGrid.obsSize}): row one-hot (H), column
 * one-hot (W), per sign its offset `[(r_s − r)/D, (c_s − c)/D]`, per goal its offset,
 * per sign its reading (K floats for `'index'`, 1 for `'bits'`; zeros unless the agent
 * stands on it), then a dead flag. `D = max(H, W) − 1`.
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * const env = new SignGrid(family.config);
 * env.reset(family.train.slice(0, 4));
 * const obs = new Float32Array(4 * env.obsSize);
 * env.observe(obs);
 * const { rewards } = env.step(Int32Array.of(0, 1, 2, 3), new Rng(1));
 * ```
 */
export class SignGrid {
  readonly config: SignGridConfig;
  readonly map: GridMap;
  readonly rewards: SignRewards;
  readonly numActions = 4;
  readonly obsSize: number;
  /** Ticks per trial: `episodes × horizon`. */
  readonly trialLength: number;
  readonly readoutSize: number;
  private readonly nextCell: Int32Array;
  private readonly norm: number;
  private tasks: readonly SignTask[] = [];
  private cell = new Int32Array(0);
  private dead = new Uint8Array(0);
  private tick = 0;
  private readings = new Float32Array(0);

  constructor(config: SignGridConfig) {
    this.config = config;
    this.map = parseMap(config.map);
    this.rewards = { ...DEFAULT_SIGN_REWARDS, ...config.rewards };
    const { numGoals, numSigns, horizon, episodes } = config;
    for (const [name, v] of [['numGoals', numGoals], ['numSigns', numSigns], ['horizon', horizon], ['episodes', episodes]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`SignGrid: ${name} must be a positive integer, got ${v}`);
    }
    if (numGoals < 2) throw new RangeError(`SignGrid: numGoals must be at least 2, got ${numGoals}`);
    const noise = config.noise ?? 0;
    if (!(noise >= 0 && noise <= 1)) throw new RangeError(`SignGrid: noise must be in [0, 1], got ${noise}`);
    const readout = config.readout ?? 'index';
    const bits = Math.ceil(Math.log2(numGoals));
    if (readout === 'bits' && numSigns < bits) {
      throw new RangeError(`SignGrid: 'bits' readout of ${numGoals} goals needs at least ${bits} signs, got ${numSigns}`);
    }
    this.readoutSize = readout === 'index' ? numGoals : 1;
    const { height: H, width: W } = this.map;
    this.obsSize = H + W + 2 * numSigns + 2 * numGoals + numSigns * this.readoutSize + 1;
    this.trialLength = episodes * horizon;
    this.norm = Math.max(H, W) - 1;
    checkCell(this.map, config.start, 'start');
    this.nextCell = new Int32Array(H * W * 4);
    for (let cell = 0; cell < H * W; cell++) {
      for (let a = 0; a < 4; a++) this.nextCell[cell * 4 + a] = moveCell(this.map, cell, a);
    }
  }

  /** The task of each trial in the current batch. */
  get currentTasks(): readonly SignTask[] {
    return this.tasks;
  }

  /**
   * `[B]` the cell (`row · width + column`) each trial's agent stands on now: the model
   * state a rollout records with each action. A live view; copy it to keep it.
   */
  get cells(): Readonly<Int32Array> {
    return this.cell;
  }

  /** Ticks taken in the current trial. */
  get ticks(): number {
    return this.tick;
  }

  /** Starts a trial per task (batch size = `tasks.length`). */
  reset(tasks: readonly SignTask[]): void {
    tasks.forEach((t) => this.checkTask(t));
    this.tasks = tasks;
    const B = tasks.length;
    this.cell = new Int32Array(B).fill(this.cellOf(this.config.start));
    this.dead = new Uint8Array(B);
    this.readings = new Float32Array(B * this.config.numSigns * this.readoutSize);
    this.tick = 0;
  }

  /** Writes the current observations `[B, obsSize]` into `out`. */
  observe(out: Float32Array): void {
    const { height: H, width: W } = this.map;
    const { numSigns } = this.config;
    const size = this.obsSize;
    out.fill(0, 0, this.tasks.length * size);
    this.tasks.forEach((task, b) => {
      const o = b * size;
      if (this.dead[b]) { out[o + size - 1] = 1; return; }
      const cell = this.cell[b]!;
      const r = Math.floor(cell / W), c = cell % W;
      out[o + r] = 1;
      out[o + H + c] = 1;
      let k = o + H + W;
      for (const [sr, sc] of task.signs) { out[k++] = (sr - r) / this.norm; out[k++] = (sc - c) / this.norm; }
      for (const [gr, gc] of task.goals) { out[k++] = (gr - r) / this.norm; out[k++] = (gc - c) / this.norm; }
      const rs = this.readoutSize;
      for (let s = 0; s < numSigns; s++) {
        for (let j = 0; j < rs; j++) out[k + s * rs + j] = this.readings[(b * numSigns + s) * rs + j]!;
      }
    });
  }

  /**
   * Applies one action per trial and advances the tick. `rng` draws sign noise only
   * (no randomness is consumed when `noise` is 0). Episode boundaries are at multiples
   * of `horizon`: at those ticks every trial is moved back to the start and revived.
   */
  step(actions: Int32Array, rng?: Rng): SignStep {
    const B = this.tasks.length;
    if (this.tick >= this.trialLength) throw new RangeError(`SignGrid.step: the trial is over (${this.trialLength} ticks); call reset`);
    const rewards = new Float32Array(B), alive = new Uint8Array(B), terminated = new Uint8Array(B);
    const entered = new Int32Array(B).fill(-1);
    const W = this.map.width;
    const R = this.rewards;
    for (let b = 0; b < B; b++) {
      if (this.dead[b]) continue;
      const a = actions[b]!;
      if (!Number.isInteger(a) || a < 0 || a >= 4) throw new RangeError(`SignGrid.step: action ${a} of trial ${b} is not in 0..3`);
      alive[b] = 1;
      const task = this.tasks[b]!;
      const cell = this.nextCell[this.cell[b]! * 4 + a]!;
      this.cell[b] = cell;
      let reward = R.step;
      const goal = task.goals.findIndex(([gr, gc]) => gr * W + gc === cell);
      if (goal >= 0) {
        reward += goal === task.correct ? R.goal : R.wrongGoal;
        terminated[b] = 1;
        entered[b] = goal;
        this.dead[b] = 1;
      }
      rewards[b] = reward;
      this.read(b, cell, rng);
    }
    this.tick++;
    if (this.tick % this.config.horizon === 0 && this.tick < this.trialLength) {
      this.cell.fill(this.cellOf(this.config.start));
      this.dead.fill(0);
      for (let b = 0; b < B; b++) this.read(b, this.cell[b]!, rng);
    }
    return { rewards, alive, terminated, entered };
  }

  /** Sets trial b's readings for standing on `cell` (zeros off the signs). */
  private read(b: number, cell: number, rng: Rng | undefined): void {
    const task = this.tasks[b]!;
    const { numSigns, numGoals } = this.config;
    const rs = this.readoutSize;
    const noise = this.config.noise ?? 0;
    const W = this.map.width;
    const base = b * numSigns * rs;
    this.readings.fill(0, base, base + numSigns * rs);
    task.signs.forEach(([sr, sc], s) => {
      if (sr * W + sc !== cell) return;
      let value = task.correct;
      if (noise > 0) {
        if (!rng) throw new RangeError('SignGrid.step: a noisy sign grid needs an rng');
        if (rng.uniform() < noise) value = rng.int(numGoals);
      }
      if (rs === 1) {
        const bit = (value >> s) & 1;
        this.readings[base + s] = bit ? 1 : -1;
      } else {
        this.readings[base + s * rs + value] = 1;
      }
    });
  }

  private cellOf([r, c]: Position): number {
    return r * this.map.width + c;
  }

  private checkTask(task: SignTask): void {
    const { numGoals, numSigns } = this.config;
    if (task.goals.length !== numGoals) throw new RangeError(`SignGrid: task has ${task.goals.length} goals, the grid expects ${numGoals}`);
    if (task.signs.length !== numSigns) throw new RangeError(`SignGrid: task has ${task.signs.length} signs, the grid expects ${numSigns}`);
    if (!Number.isInteger(task.correct) || task.correct < 0 || task.correct >= numGoals) {
      throw new RangeError(`SignGrid: task.correct must be an index in 0..${numGoals - 1}, got ${task.correct}`);
    }
    task.goals.forEach((g) => checkCell(this.map, g, 'goal'));
    task.signs.forEach((s) => checkCell(this.map, s, 'sign'));
  }
}

function checkCell(map: GridMap, p: Position, what: string): void {
  if (!inBounds(map, p)) throw new RangeError(`SignGrid: ${what} ${formatPosition(p)} is outside the ${map.height}×${map.width} map`);
  if (map.cells[p[0] * map.width + p[1]] === Cell.Wall) throw new RangeError(`SignGrid: ${what} ${formatPosition(p)} is on a wall`);
}

const DR = [-1, 0, 1, 0] as const;
const DC = [0, 1, 0, -1] as const;

function moveCell(map: GridMap, cell: number, a: number): number {
  const r = Math.floor(cell / map.width) + DR[a as 0]!, c = (cell % map.width) + DC[a as 0]!;
  if (r < 0 || c < 0 || r >= map.height || c >= map.width) return cell;
  const target = r * map.width + c;
  return map.cells[target] === Cell.Wall ? cell : target;
}

/**
 * Shortest number of moves from `from` to `to`, never passing through `blocked` cells
 * (other goals end the episode) or walls; `Infinity` when unreachable.
 *
 * @example
 * ```ts
 * const map = parseMap(['...', '.#.', '...']);
 * shortestPath(map, [0, 0], [2, 2]);            // 4
 * shortestPath(map, [0, 0], [2, 2], [[0, 1]]);  // 4 (around the other side)
 * shortestPath(map, [0, 0], [2, 2], [[0, 1], [1, 0]]); // Infinity
 * ```
 */
export function shortestPath(map: GridMap, from: Position, to: Position, blocked: readonly Position[] = []): number {
  const W = map.width;
  const target = to[0] * W + to[1];
  const block = new Set(blocked.map(([r, c]) => r * W + c));
  block.delete(target);
  const dist = new Int32Array(map.cells.length).fill(-1);
  const start = from[0] * W + from[1];
  dist[start] = 0;
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const cell = queue[head]!;
    if (cell === target) return dist[cell]!;
    if (block.has(cell) && cell !== start) continue;
    for (let a = 0; a < 4; a++) {
      const next = moveCell(map, cell, a);
      if (dist[next]! < 0) { dist[next] = dist[cell]! + 1; queue.push(next); }
    }
  }
  return Infinity;
}

/**
 * The oracle: the best return of one episode by an agent that knows the task (it walks
 * the shortest path to the correct goal, avoiding the others; BFS), and of a whole trial.
 *
 * @example
 * ```ts
 * const { config, train } = signGridFamily();
 * oracleReturn(config, train[0]!).episode; // 1 − 0.01 × 4 on the default 5×5 room
 * ```
 */
export function oracleReturn(config: SignGridConfig, task: SignTask): { episode: number; trial: number; steps: number } {
  const map = parseMap(config.map);
  const R = { ...DEFAULT_SIGN_REWARDS, ...config.rewards };
  const goal = task.goals[task.correct]!;
  const d = shortestPath(map, config.start, goal, task.goals);
  // Reaching the goal is worth it only if it beats wandering for the whole horizon.
  const episode = d <= config.horizon ? Math.max(R.goal + R.step * d, R.step * config.horizon) : R.step * config.horizon;
  return { episode, trial: episode * config.episodes, steps: d };
}

/** Options of {@link signGridFamily}. */
export interface SignFamilyOptions {
  /** Side of the open square room (odd). Default 5. */
  readonly size?: number;
  /** Default `'index'` (one sign). `'bits'` uses two signs for the four goals. */
  readonly readout?: 'index' | 'bits';
  readonly noise?: number;
  /** Default 8. */
  readonly horizon?: number;
  /** Default 3. */
  readonly episodes?: number;
  readonly rewards?: Partial<SignRewards>;
}

/** The tasks of a sign-grid family, split for meta-training and out-of-distribution tests. */
export interface SignFamily {
  readonly config: SignGridConfig;
  /** Every (sign placement, correct goal) of meta-training; `id` is the index here. */
  readonly train: readonly SignTask[];
  /** Sign placements never seen in training (goals as in training). */
  readonly oodSign: readonly SignTask[];
  /** Goal placements never seen in training (sign placements from training). */
  readonly oodGoal: readonly SignTask[];
}

/**
 * The standard family: an open `size × size` room, start in the centre, four goals in
 * the corners (index 0 top-left, clockwise). Training sign placements are the cells at
 * Manhattan distance 1 or 2 from the start other than the wall midpoints (8 placements ×
 * 4 goals = 32 tasks at size 5, 12 × 4 = 48 at size 7); OOD sign placements are the
 * midpoints of the four walls (never seen in training);
 * OOD goal placements move each goal one cell along its wall, clockwise.
 *
 * With `'bits'` readout there are two signs, placed at distance 1–2 from the start on
 * opposite sides; each tells one bit of the goal index.
 *
 * @example
 * ```ts
 * const family = signGridFamily();
 * family.train.length; // 32
 * ```
 */
export function signGridFamily(options: SignFamilyOptions = {}): SignFamily {
  const size = options.size ?? 5;
  if (!Number.isInteger(size) || size < 5 || size % 2 === 0) throw new RangeError(`signGridFamily: size must be an odd integer ≥ 5, got ${size}`);
  const readout = options.readout ?? 'index';
  const m = (size - 1) / 2, e = size - 1;
  const start: Position = [m, m];
  const goals: Position[] = [[0, 0], [0, e], [e, e], [e, 0]];
  const oodGoals: Position[] = [[0, 1], [1, e], [e, e - 1], [e - 1, 0]];
  const near: Position[] = [];
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const d = Math.abs(r - m) + Math.abs(c - m);
      const onWall = (r === 0 || r === e || c === 0 || c === e) && (r === m || c === m);
      if ((d === 1 || d === 2) && !onWall) near.push([r, c]);
    }
  }
  const walls: Position[] = [[0, m], [m, e], [e, m], [m, 0]];
  const numSigns = readout === 'bits' ? 2 : 1;
  // Sign sets: one cell each, or (for bits) a near cell and its mirror through the start.
  const signSets = (cells: readonly Position[]): Position[][] =>
    numSigns === 1 ? cells.map((p) => [p]) : cells.filter(([r, c]) => r < m || (r === m && c < m)).map(([r, c]) => [[r, c], [2 * m - r, 2 * m - c]]);
  const config: SignGridConfig = {
    map: Array.from({ length: size }, () => '.'.repeat(size)),
    start, numGoals: 4, numSigns, readout, noise: options.noise ?? 0,
    horizon: options.horizon ?? 8, episodes: options.episodes ?? 3,
    ...(options.rewards && { rewards: options.rewards }),
  };
  const build = (sets: Position[][], goalCells: Position[], withIds: boolean): SignTask[] => {
    const out: SignTask[] = [];
    for (const signs of sets) for (let g = 0; g < 4; g++) out.push({ goals: goalCells, correct: g, signs, id: withIds ? out.length : -1 });
    return out;
  };
  return {
    config,
    train: build(signSets(near), goals, true),
    oodSign: build(signSets(walls), goals, false),
    oodGoal: build(signSets(near), oodGoals, false),
  };
}
