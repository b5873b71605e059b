/**
 * Parameter initialisers: seeded draws whose scale depends on a layer's fan-in and fan-out.
 *
 * An initialiser is a plain function `(rng, shape, fans, dtype) => Tensor`, so a custom
 * one is a lambda. `fans` is computed by the layer (for a dense weight [I, O]: fanIn = I,
 * fanOut = O; biases receive the fans of their layer).
 */
import type { DType } from '../backend/backend.ts';
import { full, randomNormal, randomUniform, tensor } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random/rng.ts';

/** Fan-in and fan-out of the layer a parameter belongs to. */
export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/** Draws a parameter of `shape`. */
export type Initializer = (rng: Rng, shape: readonly number[], fans: Fans, dtype?: DType) => Tensor;

/**
 * Glorot/Xavier uniform (Glorot & Bengio, 2010): U(−a, a) with a = √(6 / (fanIn + fanOut)).
 * @example glorotUniform(new Rng(0), [40, 40], { fanIn: 40, fanOut: 40 })
 */
export const glorotUniform: Initializer = (rng, shape, { fanIn, fanOut }, dtype) => {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return randomUniform(rng, shape, -limit, limit, dtype);
};

/**
 * Glorot/Xavier normal: N(0, σ²) with σ = √(2 / (fanIn + fanOut)).
 * @example glorotNormal(new Rng(0), [40, 40], { fanIn: 40, fanOut: 40 })
 */
export const glorotNormal: Initializer = (rng, shape, { fanIn, fanOut }, dtype) =>
  randomNormal(rng, shape, 0, Math.sqrt(2 / (fanIn + fanOut)), dtype);

/**
 * He/Kaiming uniform for ReLU layers (He et al., 2015): U(−a, a) with a = √(6 / fanIn).
 * @example heUniform(new Rng(0), [40, 40], { fanIn: 40, fanOut: 40 })
 */
export const heUniform: Initializer = (rng, shape, { fanIn }, dtype) => {
  const limit = Math.sqrt(6 / fanIn);
  return randomUniform(rng, shape, -limit, limit, dtype);
};

/**
 * He/Kaiming normal: N(0, σ²) with σ = √(2 / fanIn).
 * @example heNormal(new Rng(0), [40, 40], { fanIn: 40, fanOut: 40 })
 */
export const heNormal: Initializer = (rng, shape, { fanIn }, dtype) =>
  randomNormal(rng, shape, 0, Math.sqrt(2 / fanIn), dtype);

/**
 * U(−1/√fanIn, 1/√fanIn): PyTorch's default for both the weight and the bias of
 * `nn.Linear` (kaiming_uniform with a = √5 reduces to this bound), and our `Linear` default,
 * so that results compare with PyTorch references.
 * @example fanInUniform(new Rng(0), [40], { fanIn: 40, fanOut: 1 })
 */
export const fanInUniform: Initializer = (rng, shape, { fanIn }, dtype) => {
  const limit = 1 / Math.sqrt(fanIn);
  return randomUniform(rng, shape, -limit, limit, dtype);
};

/**
 * All zeros (draws nothing from `rng`).
 * @example zerosInit(new Rng(0), [40], { fanIn: 1, fanOut: 40 })
 */
export const zerosInit: Initializer = (_rng, shape, _fans, dtype) => full(shape, 0, dtype);

/**
 * Every entry equal to `value`.
 * @example constantInit(0.01)(new Rng(0), [40], { fanIn: 1, fanOut: 40 })
 */
export function constantInit(value: number): Initializer {
  return (_rng, shape, _fans, dtype) => full(shape, value, dtype);
}

/**
 * N(0, std²) regardless of the fans (the original MAML code uses std 0.01).
 * @example normalInit(0.01)(new Rng(0), [40, 40], { fanIn: 40, fanOut: 40 })
 */
export function normalInit(std: number): Initializer {
  return (rng, shape, _fans, dtype) => randomNormal(rng, shape, 0, std, dtype);
}

/**
 * N(0, std²) truncated at ±2·std by redrawing (TensorFlow's `truncated_normal`), regardless
 * of the fans. The original MAML code (cbfinn/maml) initialises its sinusoid MLP's weights
 * with std 0.01 and its biases with zeros.
 * @example truncatedNormalInit(0.01)(new Rng(0), [40, 40], { fanIn: 40, fanOut: 40 })
 */
export function truncatedNormalInit(std: number): Initializer {
  if (!Number.isFinite(std) || !(std > 0)) throw new RangeError(`truncatedNormalInit: std must be a positive number, got ${std}`);
  return (rng, shape, _fans, dtype) => {
    const values = new Array<number>(shape.reduce((n, d) => n * d, 1));
    for (let i = 0; i < values.length; i++) {
      let z = rng.normal();
      while (Math.abs(z) > 2) z = rng.normal();
      values[i] = std * z;
    }
    return tensor(values, shape, dtype);
  };
}
