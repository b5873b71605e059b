/**
 * Functional modules: a module is a pair `init(rng) -> params` and
 * `apply(params, x) -> y`. Parameters are plain trees of tensors, so an adapted copy
 * (MAML's fast weights) is just another tree passed to the same `apply`.
 *
 * Batching over tasks: when every parameter carries a leading task axis T
 * (weight [T, I, O], bias [T, O]) and x is [T, K, I], `apply` computes all T tasks in
 * one pass through broadcast batch matmul. Unbatched parameters with batched x
 * ([T, K, I] @ [I, O]) share the parameters across tasks.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import type { Rng } from '../random/rng.ts';
import type { Activation as FusedActivation, DType } from '../backend/backend.ts';
import { dense } from '../ops/dense.ts';
import { broadcastTo, expandDims } from '../ops/movement.ts';
import { treeMap } from '../autodiff/tree.ts';
import { fanInUniform, type Initializer } from './init.ts';

/** A parameterised function of one tensor. */
export interface Module<P> {
  /** Fresh parameters drawn from `rng`. */
  init(rng: Rng): P;
  /** The output for input `x` under `params` (which may carry a leading task axis). */
  apply(params: P, x: Tensor): Tensor;
}

/** Parameters of a dense layer: weight [I, O] and bias [O] (with a leading [T] when batched). */
export interface LinearParams {
  readonly weight: Tensor;
  readonly bias: Tensor;
}

/** Sizes, initialisers and dtype of a {@link Linear} layer. */
export interface LinearOptions {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Default {@link fanInUniform} (PyTorch's `nn.Linear`). */
  readonly weightInit?: Initializer;
  /** Default {@link fanInUniform} (PyTorch's `nn.Linear`). */
  readonly biasInit?: Initializer;
  readonly dtype?: DType;
}

/**
 * `act(x · weight + bias)` for parameters that may be batched over tasks, as one fused
 * `dense` op (one kernel pass forward, and in each backward pass).
 */
function denseLayer({ weight, bias }: LinearParams, x: Tensor, act: FusedActivation = 'identity'): Tensor {
  // A task-batched bias [T, O] must become [T, 1, O] to broadcast over the K rows of
  // [T, K, O]; an unbatched bias [O] (or an explicit [T, 1, O]) already broadcasts.
  const b = bias.rank === weight.rank - 1 && bias.rank >= 2 ? expandDims(bias, -2) : bias;
  return dense(x, weight, b, act);
}

/**
 * A dense layer `y = x·W + b`.
 *
 * @example
 * ```ts
 * const layer = Linear({ inputSize: 3, outputSize: 2 });
 * const params = layer.init(new Rng(0));          // { weight, bias }
 * params.weight.shape;                            // [3, 2]
 * layer.apply(params, ones([5, 3])).shape;        // [5, 2]
 * ```
 */
export function Linear(options: LinearOptions): Module<LinearParams> {
  const { inputSize, outputSize, weightInit = fanInUniform, biasInit = fanInUniform, dtype } = options;
  for (const [name, v] of [['inputSize', inputSize], ['outputSize', outputSize]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Linear: ${name} must be a positive integer, got ${v}`);
  }
  const fans = { fanIn: inputSize, fanOut: outputSize };
  return {
    init: (rng) => ({
      weight: weightInit(rng, [inputSize, outputSize], fans, dtype),
      bias: biasInit(rng, [outputSize], fans, dtype),
    }),
    apply: (params, x) => {
      const w = params.weight;
      if (x.shape[x.rank - 1] !== inputSize || w.shape[w.rank - 2] !== inputSize) {
        throw new ShapeError(`Linear: input [${x.shape.join(', ')}] and weight [${w.shape.join(', ')}] do not match inputSize ${inputSize}`);
      }
      return denseLayer(params, x);
    },
  };
}

/** A nonlinearity by name, or any elementwise function. */
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'identity' | ((x: Tensor) => Tensor);

const NAMED_ACTIVATIONS: readonly string[] = ['relu', 'tanh', 'sigmoid', 'identity'];

/** Layer widths, activation, initialisers and dtype of an {@link MLP}. */
export interface MLPOptions {
  /** Layer widths from input to output, e.g. [1, 40, 40, 1]: three dense layers. */
  readonly sizes: readonly number[];
  /** Applied after every layer but the last (default 'relu'). */
  readonly activation?: Activation;
  /** Also apply the activation after the last layer (a feature extractor, e.g. ANIL's body). */
  readonly activateOutput?: boolean;
  readonly weightInit?: Initializer;
  readonly biasInit?: Initializer;
  readonly dtype?: DType;
}

/**
 * A multilayer perceptron: dense layers with an activation between them. Its parameters
 * are an array of {@link LinearParams}, one per layer.
 *
 * @example
 * ```ts
 * const net = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
 * const params = net.init(new Rng(0));
 * net.apply(params, zeros([10, 1])).shape;                    // [10, 1]
 * // 25 tasks at once: parameters [25, ...] and inputs [25, 10, 1]
 * net.apply(batchOverTasks(params, 25), zeros([25, 10, 1])).shape; // [25, 10, 1]
 * ```
 */
export function MLP(options: MLPOptions): Module<LinearParams[]> {
  const { sizes, activation = 'relu', activateOutput = false } = options;
  if (sizes.length < 2) throw new RangeError(`MLP: sizes needs at least an input and an output width, got [${sizes.join(', ')}]`);
  if (typeof activation !== 'function' && !NAMED_ACTIVATIONS.includes(activation)) {
    throw new RangeError(`MLP: unknown activation '${String(activation)}' (use relu, tanh, sigmoid, identity or a function)`);
  }
  const layers = sizes.slice(1).map((outputSize, i) => Linear({
    inputSize: sizes[i]!, outputSize,
    ...(options.weightInit && { weightInit: options.weightInit }),
    ...(options.biasInit && { biasInit: options.biasInit }),
    ...(options.dtype && { dtype: options.dtype }),
  }));
  return {
    init: (rng) => layers.map((layer) => layer.init(rng)),
    apply: (params, x) => {
      if (params.length !== layers.length) throw new ShapeError(`MLP: expected ${layers.length} layers of parameters, got ${params.length}`);
      let h = x;
      layers.forEach((_, i) => {
        const activated = i < layers.length - 1 || activateOutput;
        if (typeof activation === 'function') {
          h = denseLayer(params[i]!, h);
          if (activated) h = activation(h);
        } else {
          // Named activations fuse into the dense op.
          h = denseLayer(params[i]!, h, activated ? activation : 'identity');
        }
      });
      return h;
    },
  };
}

/**
 * Copies every parameter along a new leading task axis of size `numTasks`
 * (`broadcastTo`): the result feeds {@link Module.apply} with task-batched inputs, and
 * the gradient of anything computed from it sums back over tasks to `params`.
 *
 * @example
 * ```ts
 * const params = MLP({ sizes: [1, 40, 1] }).init(new Rng(0));
 * batchOverTasks(params, 25)[0]!.weight.shape; // [25, 1, 40]
 * ```
 */
export function batchOverTasks<P>(params: P, numTasks: number): P {
  if (!Number.isInteger(numTasks) || numTasks <= 0) throw new RangeError(`batchOverTasks: numTasks must be a positive integer, got ${numTasks}`);
  return treeMap(params, (p) => broadcastTo(expandDims(p, 0), [numTasks, ...p.shape]));
}
