/**
 * `GridWorld`: one grid-world environment with a Gym-style `reset` / `step` API.
 *
 * Dynamics are deterministic and come from the tabular model (`./model.ts`): `step`
 * looks the transition up in `model.next` / `model.reward` / `model.terminal`, so the
 * environment and any oracle built on the model agree by construction. Only resets
 * are random (a uniform draw among the start states).
 */
import { Rng } from '../../random/rng.ts';
import { GridWorldError } from './errors.ts';
import { parseMap, type GridMap, type MapSource, type Position } from './map.ts';
import {
  ACTION_NAMES, positionOfState, sampleStartState, tabularModel,
  type DynamicsOptions, type TabularModel, type Task,
} from './model.ts';
import { createObservationEncoder, type ObservationEncoder, type ObservationSpec } from './observation.ts';
import { renderAscii, type AsciiOptions } from './render.ts';

/** Options of a grid-world environment (shared by `GridWorld` and `VecEnv`). */
export interface GridWorldConfig extends DynamicsOptions {
  /** The layout, as text (see `parseMap`) or parsed. */
  readonly map: MapSource;
  /** Start positions; override the map's `S` markers. */
  readonly starts?: readonly Position[];
  /** Goal positions; override the map's `G` markers. */
  readonly goals?: readonly Position[];
  /** A task; its fields override `map`, `starts` and `goals`. */
  readonly task?: Task;
  /** Episodes are truncated after this many steps. Default 100. */
  readonly maxSteps?: number;
  /** Default `{ kind: 'stateIndex' }`. */
  readonly observation?: ObservationSpec;
  /** Seeds resets until `reset` is given a seed or an `Rng`. Default 0. */
  readonly seed?: number;
}

/** What `GridWorld.step` returns. */
export interface StepResult {
  /** The observation after the move (a new array). */
  readonly obs: Float32Array;
  readonly reward: number;
  /** The agent entered a goal or lava: the episode is over. */
  readonly terminated: boolean;
  /** The episode hit `maxSteps` without terminating (never true together with `terminated`). */
  readonly truncated: boolean;
  /** The model state after the move. */
  readonly state: number;
}

/** The pieces of a config that do not depend on the task. */
export interface ResolvedConfig {
  readonly baseMap: GridMap;
  readonly maxSteps: number;
  readonly encoder: ObservationEncoder;
}

/** Validates the task-independent parts of `config`; `caller` names the class in errors. */
export function resolveConfig(config: GridWorldConfig, caller: string): ResolvedConfig {
  const baseMap = parseMap(config.map);
  const maxSteps = config.maxSteps ?? 100;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new GridWorldError(`${caller}: maxSteps must be a positive integer, got ${maxSteps}`);
  }
  const encoder = createObservationEncoder(config.observation ?? { kind: 'stateIndex' }, baseMap.height, baseMap.width);
  return { baseMap, maxSteps, encoder };
}

/**
 * The tabular model of `task` under `config`: task fields first, then the config's
 * `starts` / `goals`, then the map markers. Layouts must keep the base map's size so
 * that observation sizes stay fixed.
 */
export function modelForTask(config: GridWorldConfig, baseMap: GridMap, task: Task, caller: string): TabularModel {
  const layout = task.layout ?? baseMap;
  if (layout.height !== baseMap.height || layout.width !== baseMap.width) {
    throw new GridWorldError(
      `${caller}: task ${task.name ?? '(unnamed)'} has a ${layout.height}×${layout.width} layout, but the environment's map is ${baseMap.height}×${baseMap.width}; all layouts must have the same size`,
    );
  }
  return tabularModel(layout, {
    layout,
    starts: task.starts ?? config.starts,
    goals: task.goals ?? config.goals,
  }, config);
}

/**
 * The part of an error message that lists the valid actions.
 * @example
 * ```ts
 * describeActions(4); // 'valid actions are 0..3 (0 up, 1 right, 2 down, 3 left)'
 * ```
 */
export function describeActions(numActions: number): string {
  const names = ACTION_NAMES.slice(0, numActions).map((name, i) => `${i} ${name}`).join(', ');
  return `valid actions are 0..${numActions - 1} (${names})`;
}

/** Accepts a seed or an `Rng`; a number seeds a fresh generator, an `Rng` is used as is. */
export function toRng(seedOrRng: number | Rng, caller: string): Rng {
  if (seedOrRng instanceof Rng) return seedOrRng;
  if (typeof seedOrRng !== 'number' || !Number.isFinite(seedOrRng)) {
    throw new GridWorldError(`${caller}: expected a finite seed or an Rng, got ${String(seedOrRng)}`);
  }
  return new Rng(seedOrRng);
}

/**
 * A single grid-world environment.
 *
 * @example
 * ```ts
 * const env = new GridWorld({ map: `
 *   S..
 *   .#.
 *   ..G
 * `, maxSteps: 20 });
 * let obs = env.reset(0);
 * const { reward, terminated } = env.step(Action.Right);
 * console.log(env.render());
 * ```
 */
export class GridWorld {
  readonly config: GridWorldConfig;
  /** The map that tasks without a layout use. */
  readonly map: GridMap;
  readonly maxSteps: number;
  readonly observation: ObservationEncoder;
  private currentModel: TabularModel;
  private rng: Rng;
  private agentState = -1;
  private elapsed = 0;
  private episodeOver = true;

  constructor(config: GridWorldConfig) {
    const resolved = resolveConfig(config, 'GridWorld');
    this.config = config;
    this.map = resolved.baseMap;
    this.maxSteps = resolved.maxSteps;
    this.observation = resolved.encoder;
    this.currentModel = modelForTask(config, this.map, config.task ?? {}, 'GridWorld');
    this.rng = new Rng(config.seed ?? 0);
  }

  /** The tabular model of the current task (what `step` looks transitions up in). */
  get model(): TabularModel { return this.currentModel; }
  get numActions(): number { return this.currentModel.numActions; }
  /** Floats per observation. */
  get obsSize(): number { return this.observation.size; }
  /** The agent's current state, -1 before the first reset. */
  get state(): number { return this.agentState; }
  /** The agent's current `[row, col]`. */
  get position(): Position { return positionOfState(this.currentModel, this.requireStarted('position')); }
  /** Steps taken in the current episode. */
  get elapsedSteps(): number { return this.elapsed; }

  /** Switches to `task` (its layout must have the map's size). Ends the episode: call `reset` next. */
  setTask(task: Task): void {
    this.currentModel = modelForTask(this.config, this.map, task, 'GridWorld.setTask');
    this.agentState = -1;
    this.episodeOver = true;
  }

  /**
   * Starts an episode and returns its first observation. A number seeds a fresh
   * generator, an `Rng` is used (and advanced) as is, and no argument continues the
   * generator of the previous resets.
   */
  reset(seedOrRng?: number | Rng): Float32Array {
    if (seedOrRng !== undefined) this.rng = toRng(seedOrRng, 'GridWorld.reset');
    this.agentState = sampleStartState(this.currentModel, this.rng);
    this.elapsed = 0;
    this.episodeOver = false;
    return this.observation.encode(this.currentModel, this.agentState);
  }

  /** Applies `action` (see `Action`); throws once the episode is over until the next `reset`. */
  step(action: number): StepResult {
    const model = this.currentModel;
    const numActions = model.numActions;
    if (!Number.isInteger(action) || action < 0 || action >= numActions) {
      throw new GridWorldError(`GridWorld.step: action ${action} is out of range; ${describeActions(numActions)}`);
    }
    if (this.episodeOver) {
      throw new GridWorldError(
        this.agentState < 0
          ? 'GridWorld.step: no episode is running; call reset() first'
          : 'GridWorld.step: the episode has ended (terminated or truncated); call reset() first',
      );
    }
    const k = this.agentState * numActions + action;
    const state = model.next[k]!;
    const reward = model.reward[k]!;
    this.agentState = state;
    this.elapsed++;
    const terminated = model.terminal[state] === 1;
    const truncated = !terminated && this.elapsed >= this.maxSteps;
    this.episodeOver = terminated || truncated;
    return { obs: this.observation.encode(model, state), reward, terminated, truncated, state };
  }

  /** Writes the current observation into `out[offset .. offset + obsSize)` without allocating. */
  writeObservation(out: Float32Array, offset = 0): void {
    this.observation.write(this.currentModel, this.requireStarted('writeObservation'), out, offset);
  }

  /** ASCII picture of the current task with the agent (see `renderAscii`). */
  render(options: Omit<AsciiOptions, 'agent'> = {}): string {
    const agent = this.agentState >= 0 ? positionOfState(this.currentModel, this.agentState) : undefined;
    return renderAscii(this.currentModel, { ...options, ...(agent ? { agent } : {}) });
  }

  private requireStarted(what: string): number {
    if (this.agentState < 0) throw new GridWorldError(`GridWorld.${what}: no episode is running; call reset() first`);
    return this.agentState;
  }
}
