/**
 * `VecEnv`: B grid worlds stepped at once over typed arrays, with auto-reset and no
 * allocation per step.
 *
 * Auto-reset convention (as in Stable-Baselines3's `VecEnv`): when copy `i`'s episode
 * ends during `step`, `rewards[i]`, `terminated[i]` and `truncated[i]` describe that
 * final transition, while `obs` row `i` already holds the first observation of the
 * copy's next episode. The observation the ended episode finished on is in `finalObs`
 * row `i` (and its state in `finalStates[i]`), needed to bootstrap truncated episodes;
 * rows of copies whose episode did not end are left stale.
 *
 * Every copy runs its own task (start set, goal set and layout of the map's size).
 * The transition tables of the distinct tasks are concatenated into one flat set of
 * arrays so that the step loop is a handful of typed-array reads per copy.
 *
 * Randomness: `reset(seedOrRng)` splits one generator into B per-copy generators, in
 * copy order; copy `i` draws all its start states (first and auto-resets) from
 * generator `i`. So copy `i` behaves exactly like a `GridWorld` reset with the `i`-th
 * split of the same seed.
 */
import { Rng } from '../../random/rng.ts';
import { GridWorldError } from './errors.ts';
import type { GridMap } from './map.ts';
import { sampleStartState, type TabularModel, type Task } from './model.ts';
import type { ObservationEncoder } from './observation.ts';
import { describeActions, modelForTask, resolveConfig, toRng, type GridWorldConfig } from './gridworld.ts';

/** A {@link GridWorldConfig} plus the number of copies and their tasks: what `new VecEnv` takes. */
export interface VecEnvConfig extends GridWorldConfig {
  /** B, the number of copies. */
  readonly numEnvs: number;
  /** One task for every copy, or one task per copy (length B). Overrides `task`. */
  readonly tasks?: Task | readonly Task[];
}

/**
 * The buffers `step` writes. The same object, holding the same arrays, is returned by
 * every call: read (or copy) it before the next `step`.
 */
export interface VecStepResult {
  /** `[B, obsSize]`, row-major; after auto-reset, the new episode's first observation. */
  readonly obs: Float32Array;
  /** `[B]`: reward of the transition just made. */
  readonly rewards: Float32Array;
  /** `[B]`: 1 where the copy entered a goal or lava. */
  readonly terminated: Uint8Array;
  /** `[B]`: 1 where the copy hit `maxSteps` without terminating. */
  readonly truncated: Uint8Array;
  /** `[B, obsSize]`: the last observation of episodes that ended this step (other rows stale). */
  readonly finalObs: Float32Array;
  /** `[B]`: the last state of episodes that ended this step (other entries stale). */
  readonly finalStates: Int32Array;
}

/**
 * B grid-world copies stepped together.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(8), numEnvs: 64, maxSteps: 50 });
 * const rng = new Rng(0);
 * const actions = new Int32Array(64);
 * let obs = env.reset(1); // [64, obsSize]: what a policy reads
 * for (let t = 0; t < 100; t++) {
 *   for (let i = 0; i < 64; i++) actions[i] = rng.int(4); // a uniform random policy
 *   const { rewards, terminated, truncated } = env.step(actions); // same buffers each call
 * }
 * ```
 */
export class VecEnv {
  readonly numEnvs: number;
  readonly maxSteps: number;
  readonly numActions: number;
  readonly obsSize: number;
  readonly observation: ObservationEncoder;
  /** The map that tasks without a layout use. */
  readonly map: GridMap;
  /** `[B]`: each copy's current state (in its own task's model). Read it; never write it. */
  readonly states: Int32Array;
  /** `[B]`: steps taken in each copy's current episode. Read it; never write it. */
  readonly episodeSteps: Int32Array;
  private readonly config: VecEnvConfig;
  private readonly result: VecStepResult;
  private readonly obs: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly finalObs: Float32Array;
  private readonly finalStates: Int32Array;
  // Flat transition tables of the distinct task models, and each copy's row base in them.
  private next: Int32Array = new Int32Array(0);
  private reward: Float32Array = new Float32Array(0);
  private terminal: Uint8Array = new Uint8Array(0);
  private readonly stateBase: Int32Array;
  private copyModels: TabularModel[] = [];
  private readonly modelCache = new WeakMap<Task, { readonly key: string; readonly model: TabularModel }>();
  private copyRngs: Rng[] = [];
  private running = false;

  constructor(config: VecEnvConfig) {
    const numEnvs = config.numEnvs;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new GridWorldError(`VecEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    }
    const resolved = resolveConfig(config, 'VecEnv');
    this.config = config;
    this.numEnvs = numEnvs;
    this.map = resolved.baseMap;
    this.maxSteps = resolved.maxSteps;
    this.observation = resolved.encoder;
    this.obsSize = resolved.encoder.size;
    this.numActions = config.allowStay ? 5 : 4;
    this.states = new Int32Array(numEnvs);
    this.episodeSteps = new Int32Array(numEnvs);
    this.stateBase = new Int32Array(numEnvs);
    this.obs = new Float32Array(numEnvs * this.obsSize);
    this.finalObs = new Float32Array(numEnvs * this.obsSize);
    this.rewards = new Float32Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.finalStates = new Int32Array(numEnvs);
    this.result = {
      obs: this.obs, rewards: this.rewards, terminated: this.terminated, truncated: this.truncated,
      finalObs: this.finalObs, finalStates: this.finalStates,
    };
    this.setTasks(config.tasks ?? config.task ?? {});
    this.seedCopies(new Rng(config.seed ?? 0));
  }

  /** The tabular model copy `i` runs. */
  modelOf(i: number): TabularModel {
    const model = this.copyModels[i];
    if (!model) throw new GridWorldError(`VecEnv.modelOf: copy index ${i} is out of range 0..${this.numEnvs - 1}`);
    return model;
  }

  /**
   * Assigns tasks: one for all copies or one per copy (length B). Ends all episodes:
   * call `reset` next. Models are built once per distinct task object.
   */
  setTasks(tasks: Task | readonly Task[]): void {
    const perCopy = Array.isArray(tasks) ? (tasks as readonly Task[]) : null;
    if (perCopy && perCopy.length !== this.numEnvs) {
      throw new GridWorldError(`VecEnv.setTasks: wrong batch size: expected ${this.numEnvs} tasks (one per copy), got ${perCopy.length}`);
    }
    const modelOfTask = new Map<Task, TabularModel>();
    const models: TabularModel[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const task = perCopy ? perCopy[i]! : (tasks as Task);
      let model = modelOfTask.get(task);
      if (!model) {
        model = this.modelFor(task);
        modelOfTask.set(task, model);
      }
      models.push(model);
    }
    this.copyModels = models;
    this.buildFlatTables([...modelOfTask.values()]);
    this.running = false;
  }

  /**
   * The task's model, built once per task object (training loops set the same few tasks
   * every iteration); the task's JSON, compared on every hit, catches a task object
   * changed since. A WeakMap, so tasks that are dropped take their models with them.
   */
  private modelFor(task: Task): TabularModel {
    const key = JSON.stringify(task);
    const hit = this.modelCache.get(task);
    if (hit !== undefined && hit.key === key) return hit.model;
    const model = modelForTask(this.config, this.map, task, 'VecEnv.setTasks');
    this.modelCache.set(task, { key, model });
    return model;
  }

  private buildFlatTables(distinct: TabularModel[]): void {
    if (distinct.length === 1) {
      // One task for every copy: its tables as they are (step only reads them).
      const model = distinct[0]!;
      this.next = model.next;
      this.reward = model.reward;
      this.terminal = model.terminal;
      this.stateBase.fill(0);
      return;
    }
    const A = this.numActions;
    const totalStates = distinct.reduce((n, m) => n + m.numStates, 0);
    const next = new Int32Array(totalStates * A);
    const reward = new Float32Array(totalStates * A);
    const terminal = new Uint8Array(totalStates);
    const baseOf = new Map<TabularModel, number>();
    let base = 0;
    for (const model of distinct) {
      // `next` keeps each model's own (local) state ids: copies index it as (base + s) * A + a.
      next.set(model.next, base * A);
      reward.set(model.reward, base * A);
      terminal.set(model.terminal, base);
      baseOf.set(model, base);
      base += model.numStates;
    }
    this.next = next;
    this.reward = reward;
    this.terminal = terminal;
    this.copyModels.forEach((model, i) => { this.stateBase[i] = baseOf.get(model)!; });
  }

  private seedCopies(rng: Rng): void {
    const rngs: Rng[] = [];
    for (let i = 0; i < this.numEnvs; i++) rngs.push(rng.split());
    this.copyRngs = rngs;
  }

  /**
   * Starts a new episode in every copy and returns `obs` (`[B, obsSize]`). A number or
   * an `Rng` re-derives the per-copy generators (see the module comment); no argument
   * continues them.
   */
  reset(seedOrRng?: number | Rng): Float32Array {
    if (seedOrRng !== undefined) this.seedCopies(toRng(seedOrRng, 'VecEnv.reset'));
    for (let i = 0; i < this.numEnvs; i++) {
      const model = this.copyModels[i]!;
      const state = sampleStartState(model, this.copyRngs[i]!);
      this.states[i] = state;
      this.episodeSteps[i] = 0;
      this.observation.write(model, state, this.obs, i * this.obsSize);
    }
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.running = true;
    return this.obs;
  }

  /**
   * Applies `actions[i]` to copy `i` for every copy, auto-resetting copies whose
   * episode ends. Returns the same preallocated {@link VecStepResult} every call.
   */
  step(actions: Int32Array): VecStepResult {
    this.checkActions(actions);
    const B = this.numEnvs;
    const A = this.numActions;
    const obsSize = this.obsSize;
    const maxSteps = this.maxSteps;
    const { next, reward, terminal, states, stateBase, episodeSteps, observation, obs } = this;
    const { rewards, terminated, truncated, finalObs, finalStates, copyModels, copyRngs } = this;
    for (let i = 0; i < B; i++) {
      const base = stateBase[i]!;
      const k = (base + states[i]!) * A + actions[i]!;
      let state = next[k]!;
      rewards[i] = reward[k]!;
      const steps = episodeSteps[i]! + 1;
      const isTerminal = terminal[base + state]!;
      const isTruncated = isTerminal === 0 && steps >= maxSteps ? 1 : 0;
      terminated[i] = isTerminal;
      truncated[i] = isTruncated;
      const model = copyModels[i]!;
      if ((isTerminal | isTruncated) !== 0) {
        finalStates[i] = state;
        observation.write(model, state, finalObs, i * obsSize);
        state = sampleStartState(model, copyRngs[i]!);
        episodeSteps[i] = 0;
      } else {
        episodeSteps[i] = steps;
      }
      states[i] = state;
      observation.write(model, state, obs, i * obsSize);
    }
    return this.result;
  }

  /** Validates the whole batch before any copy moves, so a bad action changes nothing. */
  private checkActions(actions: Int32Array): void {
    if (!(actions instanceof Int32Array)) {
      throw new GridWorldError(`VecEnv.step: actions must be an Int32Array of length ${this.numEnvs}, got ${Object.prototype.toString.call(actions)}`);
    }
    if (actions.length !== this.numEnvs) {
      throw new GridWorldError(`VecEnv.step: wrong batch size: expected ${this.numEnvs} actions (one per copy), got ${actions.length}`);
    }
    if (!this.running) throw new GridWorldError('VecEnv.step: no episodes are running; call reset() first');
    const A = this.numActions;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      // Unsigned compare: negative actions wrap to huge values and fail too.
      if (a >>> 0 >= A) {
        throw new GridWorldError(`VecEnv.step: action ${a} at index ${i} is out of range; ${describeActions(A)}`);
      }
    }
  }
}
