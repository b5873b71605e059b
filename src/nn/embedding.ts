/**
 * An embedding table as a functional module: `init(rng)` draws a `[V, D]` table,
 * `apply(params, ids)` looks up rows with {@link embedding}, so the gradient
 * scatter-adds into the rows that were used.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import type { DType } from '../backend/backend.ts';
import { embedding } from '../ops/activations.ts';
import { normalInit, type Initializer } from './init.ts';
import type { Module } from './module.ts';

/** An {@link Embedding}'s parameters: the table, one row per id. */
export interface EmbeddingParams {
  /** `[numEmbeddings, embeddingDim]`. */
  readonly table: Tensor;
}

/** Vocabulary size, row width, initialiser and dtype of an {@link Embedding}. */
export interface EmbeddingOptions {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Default N(0, 1), as PyTorch's `nn.Embedding`. */
  readonly init?: Initializer;
  readonly dtype?: DType;
}

/**
 * A lookup table of `numEmbeddings` rows of width `embeddingDim`: `apply(params, ids)`
 * maps integer ids (a tensor or array of any shape) to `[...ids.shape, embeddingDim]`.
 *
 * @example
 * ```ts
 * const emb = Embedding({ numEmbeddings: 10, embeddingDim: 4 });
 * const params = emb.init(new Rng(0));              // { table }
 * params.table.shape;                               // [10, 4]
 * emb.apply(params, tensor([[1, 2, 3], [0, 0, 9]])).shape; // [2, 3, 4]
 * ```
 */
export function Embedding(options: EmbeddingOptions): Module<EmbeddingParams> {
  const { numEmbeddings, embeddingDim, init = normalInit(1), dtype } = options;
  for (const [name, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Embedding: ${name} must be a positive integer, got ${v}`);
  }
  return {
    init: (rng) => ({ table: init(rng, [numEmbeddings, embeddingDim], { fanIn: numEmbeddings, fanOut: embeddingDim }, dtype) }),
    apply: (params, ids) => {
      const s = params.table.shape;
      if (s.length !== 2 || s[0] !== numEmbeddings || s[1] !== embeddingDim) {
        throw new ShapeError(`Embedding: table [${s.join(', ')}] is not [${numEmbeddings}, ${embeddingDim}]`);
      }
      return embedding(params.table, ids);
    },
  };
}
