/**
 * Observation encodings. Each encoder writes one observation into a caller-provided
 * `Float32Array` at an offset (the zero-allocation path used by `VecEnv`) and can also
 * allocate one (`encode`, for convenience).
 *
 * | kind           | size        | layout                                                    |
 * |----------------|-------------|-----------------------------------------------------------|
 * | `stateIndex`   | 1           | the model's state index as a float                        |
 * | `oneHot`       | H·W         | 1 at the agent's cell `row * W + col`                     |
 * | `localView`    | 3·k·k       | channels [wall, goal, lava] × k rows × k columns, centred on the agent; outside the map counts as wall |
 * | `gridChannels` | 4·H·W       | channels [wall, agent, goal, lava] × H × W                |
 *
 * Sizes depend only on the map's height and width, so copies of a `VecEnv` running
 * different layouts of the same size share one observation size.
 */
import { GridWorldError } from './errors.ts';
import { Cell } from './map.ts';
import { StateFlag, type TabularModel } from './model.ts';

/** Which observation encoding (see the module comment's table) an environment emits; `localView` carries its side length. */
export type ObservationSpec =
  | { readonly kind: 'stateIndex' }
  | { readonly kind: 'oneHot' }
  | { readonly kind: 'localView'; /** Odd side length k of the view. */ readonly size: number }
  | { readonly kind: 'gridChannels' };

/** Writes observations of one encoding for maps of one height and width. */
export interface ObservationEncoder {
  readonly spec: ObservationSpec;
  /** Floats per observation. */
  readonly size: number;
  /** The logical shape of one observation, e.g. `[3, k, k]`. */
  readonly shape: readonly number[];
  /** Writes the observation of `state` into `out[offset .. offset + size)`. Allocates nothing. */
  write(model: TabularModel, state: number, out: Float32Array, offset: number): void;
  /** The observation of `state` in a new array. */
  encode(model: TabularModel, state: number): Float32Array;
}

/**
 * Creates the encoder for `spec` on maps of `height × width`.
 *
 * @example
 * ```ts
 * const model = tabularModel('S.\n.G');
 * const view = createObservationEncoder({ kind: 'localView', size: 3 }, 2, 2);
 * const out = new Float32Array(view.size);
 * view.write(model, model.startStates[0]!, out, 0); // wall channel marks the out-of-map ring
 * ```
 */
export function createObservationEncoder(spec: ObservationSpec, height: number, width: number): ObservationEncoder {
  switch (spec.kind) {
    case 'stateIndex': return new StateIndexEncoder(spec);
    case 'oneHot': return new OneHotEncoder(spec, height, width);
    case 'localView': return new LocalViewEncoder(spec);
    case 'gridChannels': return new GridChannelsEncoder(spec, height, width);
    default:
      throw new GridWorldError(
        `createObservationEncoder: unknown observation kind ${JSON.stringify((spec as { kind: unknown }).kind)}; expected 'stateIndex', 'oneHot', 'localView' or 'gridChannels'`,
      );
  }
}

/** The allocating `encode`, shared by all encoders. */
abstract class BaseEncoder implements ObservationEncoder {
  abstract readonly spec: ObservationSpec;
  abstract readonly size: number;
  abstract readonly shape: readonly number[];
  abstract write(model: TabularModel, state: number, out: Float32Array, offset: number): void;

  encode(model: TabularModel, state: number): Float32Array {
    const out = new Float32Array(this.size);
    this.write(model, state, out, 0);
    return out;
  }
}

class StateIndexEncoder extends BaseEncoder {
  readonly size = 1;
  readonly shape = [1] as const;
  constructor(readonly spec: ObservationSpec) { super(); }

  write(_model: TabularModel, state: number, out: Float32Array, offset: number): void {
    out[offset] = state;
  }
}

class OneHotEncoder extends BaseEncoder {
  readonly size: number;
  readonly shape: readonly number[];
  constructor(readonly spec: ObservationSpec, height: number, width: number) {
    super();
    this.size = height * width;
    this.shape = [this.size];
  }

  write(model: TabularModel, state: number, out: Float32Array, offset: number): void {
    out.fill(0, offset, offset + this.size);
    out[offset + model.cellOfState[state]!] = 1;
  }
}

/**
 * Local views and grid channels are the same for every visit of a state, so both
 * encoders build a per-model table once (lazily, held weakly by the model) and then
 * only copy floats per step.
 */
abstract class TabledEncoder extends BaseEncoder {
  private readonly tables = new WeakMap<TabularModel, Float32Array>();
  // Consecutive writes usually share a model; skipping the WeakMap lookup then is a large
  // part of the per-step cost.
  private lastModel: TabularModel | null = null;
  private lastTable: Float32Array = new Float32Array(0);

  protected tableFor(model: TabularModel): Float32Array {
    if (model === this.lastModel) return this.lastTable;
    let table = this.tables.get(model);
    if (!table) {
      table = this.buildTable(model);
      this.tables.set(model, table);
    }
    this.lastModel = model;
    this.lastTable = table;
    return table;
  }

  protected abstract buildTable(model: TabularModel): Float32Array;
}

class LocalViewEncoder extends TabledEncoder {
  readonly size: number;
  readonly shape: readonly number[];
  private readonly k: number;
  constructor(readonly spec: ObservationSpec & { kind: 'localView' }) {
    super();
    const k = spec.size;
    if (!Number.isInteger(k) || k < 1 || k % 2 === 0) {
      throw new GridWorldError(`localView observation: size must be an odd positive integer (the agent sits in the centre), got ${k}`);
    }
    this.k = k;
    this.size = 3 * k * k;
    this.shape = [3, k, k];
  }

  write(model: TabularModel, state: number, out: Float32Array, offset: number): void {
    const table = this.tableFor(model);
    const size = this.size;
    const from = state * size;
    for (let i = 0; i < size; i++) out[offset + i] = table[from + i]!;
  }

  /** Row `s` holds the view from state `s`. */
  protected buildTable(model: TabularModel): Float32Array {
    const { map, stateOfCell, stateFlags } = model;
    const k = this.k;
    const plane = k * k;
    const half = (k - 1) >> 1;
    const table = new Float32Array(model.numStates * this.size);
    for (let state = 0; state < model.numStates; state++) {
      const cell = model.cellOfState[state]!;
      const row0 = Math.floor(cell / map.width) - half;
      const col0 = (cell % map.width) - half;
      const base = state * this.size;
      for (let dy = 0; dy < k; dy++) {
        for (let dx = 0; dx < k; dx++) {
          const r = row0 + dy;
          const c = col0 + dx;
          const i = base + dy * k + dx;
          const onMap = r >= 0 && r < map.height && c >= 0 && c < map.width;
          const target = r * map.width + c;
          if (!onMap || map.cells[target] === Cell.Wall) {
            table[i] = 1;
            continue;
          }
          const flags = stateFlags[stateOfCell[target]!]!;
          table[i + plane] = (flags & StateFlag.Goal) !== 0 ? 1 : 0;
          table[i + 2 * plane] = (flags & StateFlag.Lava) !== 0 ? 1 : 0;
        }
      }
    }
    return table;
  }
}

class GridChannelsEncoder extends TabledEncoder {
  readonly size: number;
  readonly shape: readonly number[];
  private readonly cells: number;
  constructor(readonly spec: ObservationSpec, height: number, width: number) {
    super();
    this.cells = height * width;
    this.size = 4 * this.cells;
    this.shape = [4, height, width];
  }

  write(model: TabularModel, state: number, out: Float32Array, offset: number): void {
    out.set(this.tableFor(model), offset);
    out[offset + this.cells + model.cellOfState[state]!] = 1;
  }

  /** The static channels (wall, goal, lava) with an empty agent channel. */
  protected buildTable(model: TabularModel): Float32Array {
    const n = this.cells;
    const table = new Float32Array(this.size);
    for (let cell = 0; cell < n; cell++) {
      const s = model.stateOfCell[cell]!;
      if (s < 0) {
        table[cell] = 1;
        continue;
      }
      const flags = model.stateFlags[s]!;
      table[2 * n + cell] = (flags & StateFlag.Goal) !== 0 ? 1 : 0;
      table[3 * n + cell] = (flags & StateFlag.Lava) !== 0 ? 1 : 0;
    }
    return table;
  }
}
