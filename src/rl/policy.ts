/**
 * Categorical policies over grid-world observations: a tabular softmax policy
 * (logits `[S, A]`, read by the `stateIndex` observation) and an MLP policy over any
 * observation encoding. Parameters are plain trees of tensors, so `grad`, `treeMap`
 * and the MAML inner step treat them like any other model's parameters.
 *
 * Sampling never records a graph: {@link CategoricalPolicy.sampler} works on the
 * concrete values (also of traced parameters inside `grad`). Log-probabilities for
 * learning are computed afterwards, batched, with differentiable ops
 * ({@link actionLogProbs}).
 */
import { add, cast, dense, gather, logSoftmax, mul, relu, reshape, take, takeAlongAxis, tanh } from '../ops/index.ts';
import { tensor, zeros } from '../tensor/create.ts';
import { Tensor } from '../tensor/tensor.ts';
import { noGrad } from '../autodiff/primitive.ts';
import type { Rng } from '../random/rng.ts';
import type { LinearParams } from '../nn/module.ts';
import type { ObservationEncoder, TabularModel } from './env/index.ts';
import { checkChoice, checkInteger, RlError } from './errors.ts';

/**
 * Writes the action probabilities of `count` observations (rows of `obs`, each
 * `obsSize` floats) into `out[i * numActions + a]`. Records no graph.
 */
export type ActionSampler = (obs: Float32Array, count: number, out: Float64Array) => void;

/**
 * A categorical policy `π(a | o)` with parameters of type `P`.
 */
export interface CategoricalPolicy<P> {
  /** A label for reports, e.g. `'tabular 64×4'`. */
  readonly name: string;
  readonly numActions: number;
  /** Floats per observation the policy reads. */
  readonly obsSize: number;
  /** Fresh parameters drawn from `rng`. */
  init(rng: Rng): P;
  /** Logits `[N, numActions]` of observations `[N, obsSize]`, differentiable in `params`. */
  logits(params: P, obs: Tensor): Tensor;
  /** A fast, graph-free probability function for rollouts (parameters read once). */
  sampler(params: P): ActionSampler;
  /**
   * Logits `[numStates, numActions]` of every state of `model` (observed through
   * `encoder`), differentiable in `params`: what the exact oracle evaluates.
   */
  stateLogits(params: P, model: TabularModel, encoder: ObservationEncoder): Tensor;
  /**
   * The policy split for `jit` (MAML-RL's `jit: true`): what it computes from the
   * observations' values in plain JS, and the differentiable rest, which only applies
   * ops to tensors and so can be traced. Absent: the policy cannot be jitted.
   */
  readonly traceable?: TraceableForm<P>;
}

/**
 * A policy's logits as `logits(params, features(obs))`, where `features` may read the
 * observations' values (state ids, input transforms) and `logits` applies ops only:
 * reading a traced tensor's values there would bake one batch into a compiled program.
 * `logits(params, tensor(features(obs, n), [n, featureSize]))` equals
 * `policy.logits(params, obs)` in value.
 *
 * @example
 * ```ts
 * const policy = tabularPolicy({ numStates: 4, numActions: 2 });
 * const params = policy.init(new Rng(0));
 * const form = policy.traceable!;
 * const rows = form.features(Float32Array.of(3, 0), 2); // the state ids, checked
 * form.logits(params, tensor(rows, [2, form.featureSize])).shape; // [2, 2], gathered by an operand
 * form.table!(params).shape; // [4, 2]: every state's logits
 * ```
 */
export interface TraceableForm<P> {
  /** Floats per feature row. */
  readonly featureSize: number;
  /** Feature rows `[count, featureSize]` of `count` observations (rows of `obs`, `obsSize` floats each). */
  features(obs: Float32Array, count: number): Float32Array;
  /** Logits `[N, numActions]` of features `[N, featureSize]`: ops only, so traceable. */
  logits(params: P, features: Tensor): Tensor;
  /**
   * Present when each feature row is one id (`featureSize` 1) whose logits are a row of
   * a table: the table `[ids, numActions]`, so that `logits(params, f)` is its rows `f`.
   * Per-row work (a log-softmax, an entropy) can then be done once per id and gathered.
   */
  table?(params: P): Tensor;
}

/** Parameters of {@link tabularPolicy}. */
export interface TabularParams { readonly logits: Tensor }

/** Options of {@link tabularPolicy}. */
export interface TabularPolicyOptions {
  readonly numStates: number;
  readonly numActions: number;
  /** Scale of the initial random logits; default 0 (the uniform policy). */
  readonly initScale?: number;
}

/**
 * A tabular softmax policy: one row of logits per state. It reads the `stateIndex`
 * observation (one float, the model's state id), so use it with environments built
 * with `observation: { kind: 'stateIndex' }` (the default) and tasks sharing a layout.
 *
 * @example
 * ```ts
 * const policy = tabularPolicy({ numStates: 64, numActions: 4 });
 * const params = policy.init(new Rng(0));             // { logits: zeros [64, 4] }
 * policy.logits(params, tensor([[3], [5]]));          // rows 3 and 5, shape [2, 4]
 * ```
 */
export function tabularPolicy(options: TabularPolicyOptions): CategoricalPolicy<TabularParams> {
  const numStates = checkInteger('tabularPolicy', 'numStates', options.numStates);
  const numActions = checkInteger('tabularPolicy', 'numActions', options.numActions);
  const initScale = options.initScale ?? 0;
  const stateIds = (obs: ArrayLike<number>, count: number): Int32Array => {
    const ids = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const s = obs[i]!;
      if (!Number.isInteger(s) || s < 0 || s >= numStates) {
        throw new RlError(
          `tabularPolicy: observation ${i} is ${s}, not a state index in 0..${numStates - 1}; the tabular policy reads the 'stateIndex' observation`,
        );
      }
      ids[i] = s;
    }
    return ids;
  };
  return {
    name: `tabular ${numStates}×${numActions}`,
    numActions,
    obsSize: 1,
    init(rng) {
      if (initScale === 0) return { logits: zeros([numStates, numActions]) };
      const values = new Float32Array(numStates * numActions);
      for (let i = 0; i < values.length; i++) values[i] = initScale * rng.normal();
      return { logits: tensor(values, [numStates, numActions]) };
    },
    logits(params, obs) {
      checkObsShape('tabularPolicy.logits', obs, 1);
      checkTabularParams(params, numStates, numActions);
      return take(params.logits, stateIds(obs.data, obs.shape[0]!), 0);
    },
    sampler(params) {
      checkTabularParams(params, numStates, numActions);
      const table = softmaxRows(params.logits.data, numStates, numActions);
      return (obs, count, out) => {
        const ids = stateIds(obs, count);
        // A plain copy: a subarray per row allocated a view per step of every copy.
        for (let i = 0; i < count; i++) {
          const from = ids[i]! * numActions, to = i * numActions;
          for (let a = 0; a < numActions; a++) out[to + a] = table[from + a]!;
        }
      };
    },
    stateLogits(params, model) {
      checkTabularParams(params, numStates, numActions);
      if (model.numStates !== numStates || model.numActions !== numActions) {
        throw new RlError(
          `tabularPolicy.stateLogits: the policy has ${numStates} states × ${numActions} actions, the model ${model.numStates} × ${model.numActions}`,
        );
      }
      return params.logits;
    },
    // `take` would bake a trace's state ids into the program; `gather` reads them as an operand.
    traceable: {
      featureSize: 1,
      features: (obs, count) => Float32Array.from(stateIds(obs, count)),
      logits(params, features) {
        checkTabularParams(params, numStates, numActions);
        return gather(params.logits, reshape(features, [features.shape[0]!]), 0);
      },
      table(params) {
        checkTabularParams(params, numStates, numActions);
        return params.logits;
      },
    },
  };
}

function checkTabularParams(params: TabularParams, numStates: number, numActions: number): void {
  const logits = params?.logits;
  if (!(logits instanceof Tensor) || logits.shape[0] !== numStates || logits.shape[1] !== numActions || logits.shape.length !== 2) {
    const got = logits instanceof Tensor ? `[${logits.shape.join(', ')}]` : String(logits);
    throw new RlError(`tabularPolicy: params.logits must be a [${numStates}, ${numActions}] tensor, got ${got}`);
  }
}

/** One dense layer's parameters: the same as `Linear`'s ({@link LinearParams}). */
export type DenseParams = LinearParams;
/** Parameters of {@link mlpPolicy}: dense layers, input first. */
export interface MlpParams { readonly layers: readonly DenseParams[] }

/** Options of {@link mlpPolicy}. */
export interface MlpPolicyOptions {
  readonly obsSize: number;
  readonly numActions: number;
  /** Hidden layer widths. Default `[64, 64]`. */
  readonly hidden?: readonly number[];
  /** Default `'tanh'`. */
  readonly activation?: 'tanh' | 'relu';
  /** Multiplies the last layer's initial weights so the initial policy is near uniform. Default 0.01. */
  readonly outputScale?: number;
  /** Computes the network's input from the raw observations (e.g. {@link oneHotCoordinates}). Default: none. */
  readonly inputTransform?: InputTransform;
}

/** A fixed (non-learned) map from raw observations to network inputs. */
export interface InputTransform {
  readonly name: string;
  /** Floats per raw observation it reads. */
  readonly inputSize: number;
  /** Floats per transformed row. */
  readonly outputSize: number;
  /** Transforms `count` rows of `obs` into a new `[count, outputSize]` array. */
  apply(obs: ArrayLike<number>, count: number): Float32Array;
}

/** The agent's cell in row `i` of `oneHot` observations (`size` floats a row). */
function oneHotCell(caller: string, obs: ArrayLike<number>, i: number, size: number): number {
  for (let c = 0; c < size; c++) if (obs[i * size + c] === 1) return c;
  throw new RlError(`${caller}: observation ${i} has no 1 among its ${size} floats; use the 'oneHot' observation`);
}

/**
 * An input transform of `oneHot` observations of an `height × width` map that writes
 * `outputSize` features of the agent's cell with `write(row, col, cell, out, offset)`.
 */
function cellTransform(
  name: string, caller: string, height: number, width: number, outputSize: number,
  write: (row: number, col: number, cell: number, out: Float32Array, offset: number) => void,
): InputTransform {
  const inputSize = height * width;
  return {
    name,
    inputSize,
    outputSize,
    apply(obs, count) {
      const out = new Float32Array(count * outputSize);
      for (let i = 0; i < count; i++) {
        const cell = oneHotCell(caller, obs, i, inputSize);
        write(Math.floor(cell / width), cell % width, cell, out, i * outputSize);
      }
      return out;
    },
  };
}

/** Maps row (or column) `i` of `n` into [−1, 1]. */
function unitCoordinate(i: number, n: number): number {
  return n === 1 ? 0 : (2 * i) / (n - 1) - 1;
}

/**
 * Reads `oneHot` observations of an `height × width` map as the agent's coordinates,
 * `[y, x]` in [−1, 1], plus `sin(kπy), cos(kπy), sin(kπx), cos(kπx)` for
 * k = 1..`frequencies`: smooth features under which one policy-gradient step
 * generalises to neighbouring cells (as the coordinates of MAML's 2-D navigation do).
 *
 * @example
 * ```ts
 * const policy = mlpPolicy({ obsSize: 64, numActions: 4, hidden: [64, 64], inputTransform: oneHotCoordinates(8, 8) });
 * ```
 */
export function oneHotCoordinates(height: number, width: number, frequencies = 2): InputTransform {
  checkInteger('oneHotCoordinates', 'height', height);
  checkInteger('oneHotCoordinates', 'width', width);
  checkInteger('oneHotCoordinates', 'frequencies', frequencies, 0);
  return cellTransform(`coordinates ${height}×${width}`, 'oneHotCoordinates', height, width, 2 + 4 * frequencies, (row, col, _cell, out, o) => {
    const y = unitCoordinate(row, height);
    const x = unitCoordinate(col, width);
    out[o] = y;
    out[o + 1] = x;
    for (let k = 1; k <= frequencies; k++) {
      const j = o + 2 + 4 * (k - 1);
      out[j] = Math.sin(k * Math.PI * y);
      out[j + 1] = Math.cos(k * Math.PI * y);
      out[j + 2] = Math.sin(k * Math.PI * x);
      out[j + 3] = Math.cos(k * Math.PI * x);
    }
  });
}

/**
 * Feature groups of {@link positionFeatures}: `'coordinates'` `[y, x]` in [−1, 1],
 * `'rows'` and `'columns'` one-hots of the agent's row and column, `'cells'` a one-hot
 * of its cell (a tabular term).
 */
export type PositionFeature = 'coordinates' | 'rows' | 'columns' | 'cells';
/** Every {@link PositionFeature} group, in the order of the type. */
export const POSITION_FEATURES: readonly PositionFeature[] = ['coordinates', 'rows', 'columns', 'cells'];

/**
 * Reads `oneHot` observations of an `height × width` map as the concatenation of the
 * chosen {@link PositionFeature} groups, in the order given. Row and column one-hots
 * are shared by every cell of a row or column, so a policy-gradient step on a few
 * visited cells also moves the policy in the unvisited cells of the same rows and
 * columns; `'cells'` adds a per-cell residual.
 *
 * @example
 * ```ts
 * const features = positionFeatures(5, 5, ['rows', 'columns']);
 * const oneHotObservation = new Float32Array(25);
 * oneHotObservation[7] = 1; // the agent at (1, 2)
 * features.apply(oneHotObservation, 1); // [0, 1, 0, 0, 0, 0, 0, 1, 0, 0]: row one-hot, then column one-hot
 * ```
 */
export function positionFeatures(height: number, width: number, groups: readonly PositionFeature[] = POSITION_FEATURES): InputTransform {
  checkInteger('positionFeatures', 'height', height);
  checkInteger('positionFeatures', 'width', width);
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new RlError(`positionFeatures: groups must be a non-empty array of ${POSITION_FEATURES.map((g) => `'${g}'`).join(', ')}, got ${JSON.stringify(groups)}`);
  }
  const chosen = groups.map((g: PositionFeature, i: number) => checkChoice('positionFeatures', `groups[${i}]`, g, POSITION_FEATURES));
  if (new Set(chosen).size !== chosen.length) throw new RlError(`positionFeatures: groups must not repeat, got ${JSON.stringify(groups)}`);
  const sizes: Record<PositionFeature, number> = { coordinates: 2, rows: height, columns: width, cells: height * width };
  const outputSize = chosen.reduce((total, g) => total + sizes[g], 0);
  return cellTransform(`${chosen.join('+')} ${height}×${width}`, 'positionFeatures', height, width, outputSize, (row, col, cell, out, offset) => {
    let o = offset;
    for (const group of chosen) {
      if (group === 'coordinates') {
        out[o] = unitCoordinate(row, height);
        out[o + 1] = unitCoordinate(col, width);
      } else {
        out[o + (group === 'rows' ? row : group === 'columns' ? col : cell)] = 1;
      }
      o += sizes[group];
    }
  });
}

/** Options of {@link spatialPolicy}. */
export interface SpatialPolicyOptions {
  readonly height: number;
  readonly width: number;
  readonly numActions: number;
  /** Default all of {@link POSITION_FEATURES}: coordinates, rows, columns and a per-cell residual. */
  readonly features?: readonly PositionFeature[];
}

/**
 * A softmax policy linear in features of the agent's position (see
 * {@link positionFeatures}): `logits(s) = φ(s) W + b`, starting at the uniform policy
 * (`W = 0`, `b = 0`). It reads the `oneHot` observation. With the default features it
 * can represent any tabular policy (the `'cells'` residual), but the shared row,
 * column and coordinate weights give it a spatial prior: one inner policy-gradient step
 * on a few episodes also changes the states those episodes did not visit, which a
 * tabular policy cannot. Its parameters are those of a one-layer {@link mlpPolicy}.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(5), numEnvs: 20, maxSteps: 14, observation: { kind: 'oneHot' } });
 * const policy = spatialPolicy({ height: 5, width: 5, numActions: 4, features: ['rows', 'columns', 'cells'] });
 * const params = policy.init(new Rng(0));          // { layers }
 * params.layers[0]!.weight.shape;                  // [35, 4]: 5 rows + 5 columns + 25 cells → 4 actions
 * const batch = collectEpisodes(env, policy, params, 1);
 * ```
 */
export function spatialPolicy(options: SpatialPolicyOptions): CategoricalPolicy<MlpParams> {
  const height = checkInteger('spatialPolicy', 'height', options.height);
  const width = checkInteger('spatialPolicy', 'width', options.width);
  const numActions = checkInteger('spatialPolicy', 'numActions', options.numActions);
  const features = positionFeatures(height, width, options.features ?? POSITION_FEATURES);
  const linear = mlpPolicy({ obsSize: height * width, numActions, hidden: [], outputScale: 0, inputTransform: features });
  return { ...linear, name: `spatial linear over ${features.name}` };
}

/**
 * An MLP categorical policy over any observation encoding (Glorot-uniform init, small
 * output layer). The same network doubles as a value function with `numActions: 1`
 * (see `pg.ts`).
 *
 * @example
 * ```ts
 * const policy = mlpPolicy({ obsSize: 27, numActions: 4, hidden: [32] }); // localView 3×3
 * const params = policy.init(new Rng(0));
 * policy.logits(params, zeros([5, 27])).shape; // [5, 4]
 * ```
 */
export function mlpPolicy(options: MlpPolicyOptions): CategoricalPolicy<MlpParams> {
  const obsSize = checkInteger('mlpPolicy', 'obsSize', options.obsSize);
  const numActions = checkInteger('mlpPolicy', 'numActions', options.numActions);
  const hidden = options.hidden ?? [64, 64];
  hidden.forEach((h, i) => checkInteger('mlpPolicy', `hidden[${i}]`, h));
  const activation = checkChoice('mlpPolicy', 'activation', options.activation ?? 'tanh', ['tanh', 'relu']);
  const outputScale = options.outputScale ?? 0.01;
  const transform = options.inputTransform;
  if (transform && transform.inputSize !== obsSize) {
    throw new RlError(`mlpPolicy: inputTransform '${transform.name}' reads ${transform.inputSize} floats but obsSize is ${obsSize}`);
  }
  const sizes = [transform ? transform.outputSize : obsSize, ...hidden, numActions];
  const act = activation === 'tanh' ? tanh : relu;
  /** The network on its (transformed) input rows. */
  const network = (params: MlpParams, input: Tensor): Tensor => {
    if (!Array.isArray(params?.layers) || params.layers.length !== sizes.length - 1) {
      throw new RlError(`mlpPolicy: params.layers must hold ${sizes.length - 1} layers, got ${String(params?.layers?.length)}`);
    }
    let x = input;
    // Observations are float32; float64 parameters (e.g. under checkGrad) need float64 inputs.
    const dtype = params.layers[0]?.weight?.dtype;
    if (dtype !== undefined && x.dtype !== dtype) x = cast(x, dtype);
    params.layers.forEach((layer, i) => {
      x = dense(x, layer.weight, layer.bias);
      if (i < params.layers.length - 1) x = act(x);
    });
    return x;
  };
  const forward = (params: MlpParams, obs: Tensor): Tensor => {
    const count = obs.shape[0]!;
    return network(params, transform ? tensor(transform.apply(obs.data, count), [count, transform.outputSize]) : obs);
  };
  return {
    name: `mlp ${sizes.join('-')} ${activation}${transform ? ` over ${transform.name}` : ''}`,
    numActions,
    obsSize,
    init(rng) {
      const layers: DenseParams[] = [];
      for (let i = 0; i + 1 < sizes.length; i++) {
        const fanIn = sizes[i]!;
        const fanOut = sizes[i + 1]!;
        const limit = Math.sqrt(6 / (fanIn + fanOut)) * (i + 2 === sizes.length ? outputScale : 1);
        const w = new Float32Array(fanIn * fanOut);
        for (let k = 0; k < w.length; k++) w[k] = (2 * rng.uniform() - 1) * limit;
        layers.push({ weight: tensor(w, [fanIn, fanOut]), bias: zeros([fanOut]) });
      }
      return { layers };
    },
    ...observationPolicy('mlpPolicy', obsSize, numActions, forward),
    // The input transform reads values: it runs on the features' side.
    ...(transform ? { traceable: { featureSize: transform.outputSize, features: (obs, count) => transform.apply(obs, count), logits: network } } : {}),
  };
}

/**
 * @internal The observation-reading methods of a policy, from its differentiable
 * `forward(params, obs [N, obsSize]) → logits [N, numActions]`: checked `logits`, a
 * graph-free `sampler`, the oracle's `stateLogits` (every state encoded, one batch) and
 * the `traceable` form (features: the observations themselves).
 */
export function observationPolicy<P>(
  name: string, obsSize: number, numActions: number, forward: (params: P, obs: Tensor) => Tensor,
): Pick<CategoricalPolicy<P>, 'logits' | 'sampler' | 'stateLogits' | 'traceable'> {
  return {
    // `forward` applies ops only (a policy whose forward reads values overrides this).
    traceable: { featureSize: obsSize, features: (obs, count) => obs.slice(0, count * obsSize), logits: forward },
    logits(params, obs) {
      checkObsShape(`${name}.logits`, obs, obsSize);
      return forward(params, obs);
    },
    sampler(params) {
      return (obs, count, out) => {
        const logits = noGrad(() => forward(params, tensor(obs.subarray(0, count * obsSize), [count, obsSize])));
        out.set(softmaxRows(logits.data, count, numActions).subarray(0, count * numActions));
      };
    },
    stateLogits(params, model, encoder) {
      if (encoder.size !== obsSize) {
        throw new RlError(`${name}.stateLogits: the encoder writes ${encoder.size} floats, the policy reads obsSize ${obsSize}`);
      }
      const all = new Float32Array(model.numStates * obsSize);
      for (let s = 0; s < model.numStates; s++) encoder.write(model, s, all, s * obsSize);
      return forward(params, tensor(all, [model.numStates, obsSize]));
    },
  };
}

/** @internal Throws an RlError unless `obs` is an `[N, obsSize]` tensor. */
export function checkObsShape(caller: string, obs: Tensor, obsSize: number): void {
  if (!(obs instanceof Tensor) || obs.shape.length !== 2 || obs.shape[1] !== obsSize) {
    const got = obs instanceof Tensor ? `[${obs.shape.join(', ')}]` : String(obs);
    throw new RlError(`${caller}: observations must be a [N, ${obsSize}] tensor, got ${got}`);
  }
}

/**
 * Row-wise softmax of a flat `[rows, cols]` array, in float64: action probabilities
 * for sampling, with no tensors or graph.
 * @example
 * ```ts
 * softmaxRows([0, 0, Math.log(3), 0], 2, 2); // [0.5, 0.5, 0.75, 0.25]
 * ```
 */
export function softmaxRows(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, values[r * cols + c]!);
    let total = 0;
    for (let c = 0; c < cols; c++) total += out[r * cols + c] = Math.exp(values[r * cols + c]! - max);
    for (let c = 0; c < cols; c++) out[r * cols + c]! /= total;
  }
  return out;
}

/**
 * `log π(a_i | o_i)` for a batch: observations `[N, obsSize]`, actions `[N]`.
 * Differentiable in `params`; validates the batch and every action.
 *
 * @example
 * ```ts
 * const policy = tabularPolicy({ numStates: 2, numActions: 4 });
 * const params = policy.init(new Rng(0));
 * const lp = actionLogProbs(policy, params, tensor([[0], [1]]), Int32Array.of(2, 3));
 * lp.toArray(); // ≈ [-1.3863, -1.3863]: log ¼ under the uniform policy
 * ```
 */
export function actionLogProbs<P>(policy: CategoricalPolicy<P>, params: P, obs: Tensor, actions: Int32Array): Tensor {
  const n = obs.shape[0] ?? 0;
  if (!(actions instanceof Int32Array) || actions.length !== n) {
    throw new RlError(`actionLogProbs: wrong batch size: ${n} observations but ${actions?.length} actions (need an Int32Array of ${n})`);
  }
  for (let i = 0; i < n; i++) {
    const a = actions[i]!;
    if (a < 0 || a >= policy.numActions) {
      throw new RlError(`actionLogProbs: action ${a} at index ${i} is out of range 0..${policy.numActions - 1}`);
    }
  }
  const logProbs = logSoftmax(policy.logits(params, obs), 1);
  return reshape(takeAlongAxis(logProbs, tensor(actions, [n, 1]), 1), [n]);
}

/**
 * The mean entropy of the policy over observations `[N, obsSize]` (differentiable),
 * used as an exploration bonus.
 *
 * @example
 * ```ts
 * const policy = tabularPolicy({ numStates: 2, numActions: 4 });
 * meanEntropy(policy, policy.init(new Rng(0)), tensor([[0], [1]])).item(); // ln 4 ≈ 1.386: uniform
 * ```
 */
export function meanEntropy<P>(policy: CategoricalPolicy<P>, params: P, obs: Tensor): Tensor {
  const logProbs = logSoftmax(policy.logits(params, obs), 1);
  const n = obs.shape[0]!;
  const probs = logProbs.exp();
  return mul(probs.mul(logProbs).sum(), -1 / n);
}
