/**
 * Meta-SGD: MAML with a learned step size for every parameter entry.
 */
import type { DType } from '../backend/backend.ts';
import { full, randomUniform } from '../tensor/create.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { exp, log } from '../ops/elementwise.ts';
import type { Rng } from '../random/rng.ts';
import { treeMap } from '../autodiff/tree.ts';
import type { Module } from '../nn/module.ts';
import type { AdaptOptions } from './adapt.ts';
import { differentiableLearner, type DifferentiableMetaLearner } from './learner.ts';
import { adaptationCurveTensor, innerLoopOf, type InnerLoopSettings } from './inner.ts';

/** Meta-SGD's meta-parameters: the initialisation and one step size per parameter entry. */
export interface MetaSGDParams<P> {
  readonly params: P;
  /** Same tree structure and shapes as `params`: the step sizes α (their logs with `logStepSizes`). */
  readonly lrs: P;
}

/** Draws the initial step sizes of one parameter leaf of `shape`. */
export type StepSizeInit = (rng: Rng, shape: readonly number[], dtype?: DType) => Tensor;

/**
 * Initial step sizes drawn independently per entry from U[low, high] (the Meta-SGD paper,
 * Li et al. 2017, initialises α at random in [0.005, 0.1] for its regression experiments).
 *
 * @example
 * ```ts
 * const learner = metaSgd({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01, lrInit: uniformStepSizes(0.005, 0.1) });
 * uniformStepSizes(0.005, 0.1)(new Rng(0), [40, 40]).shape; // [40, 40]: 1600 draws in [0.005, 0.1)
 * ```
 */
export function uniformStepSizes(low: number, high: number): StepSizeInit {
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    throw new RangeError(`uniformStepSizes: expected finite low < high, got low ${low}, high ${high}`);
  }
  return (rng, shape, dtype) => randomUniform(rng, shape, low, high, dtype);
}

/** `innerLr` is the initial value of every learned step size; `firstOrder` still trains the step sizes. */
export interface MetaSGDOptions<P> extends InnerLoopSettings, Pick<AdaptOptions, 'checkpointEvery'> {
  readonly model: Module<P>;
  /**
   * Draws the initial step sizes, one call per parameter leaf, from the `init` generator
   * after the model's parameters (so `params` are the same with or without it), e.g.
   * {@link uniformStepSizes}. Default: every step size equals `innerLr` (draws nothing).
   */
  readonly lrInit?: StepSizeInit;
  /**
   * Meta-learn log α instead of α: `lrs` holds the logs and the inner update uses exp(lrs),
   * so step sizes stay positive and the outer optimizer changes them by relative amounts
   * (as MAML-RL's `innerLrScale` does). Default false: `lrs` are the step sizes.
   */
  readonly logStepSizes?: boolean;
}

/**
 * Meta-SGD (Li, Zhou, Chen & Li, "Meta-SGD: Learning to Learn Quickly for Few-Shot
 * Learning", 2017, arXiv:1707.09835): the inner update is θ′ = θ − α ⊙ ∇L_support(θ) with
 * α a tree of per-entry step sizes (direction and magnitude), meta-learned jointly with θ
 * by the same outer optimizer. α starts at `innerLr` everywhere, or is drawn by `lrInit`.
 *
 * @example
 * ```ts
 * const learner = metaSgd({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
 * const meta = learner.init(new Rng(0));     // { params, lrs }
 * const { grads } = learner.metaGradient(meta, sinusoidTasks(new Rng(1), { numTasks: 25 }));
 * grads.lrs;                                 // step sizes receive gradients too
 * // The paper's initialisation: every α entry from U[0.005, 0.1]
 * metaSgd({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01, lrInit: uniformStepSizes(0.005, 0.1) });
 * ```
 */
export function metaSgd<P>(options: MetaSGDOptions<P>): DifferentiableMetaLearner<MetaSGDParams<P>> {
  const { model, innerLr, lrInit, logStepSizes = false } = options;
  if (lrInit !== undefined && typeof lrInit !== 'function') {
    throw new TypeError(`metaSgd: lrInit must be a function (rng, shape, dtype) => Tensor, got ${typeof lrInit}`);
  }
  const { inner, queryLoss } = innerLoopOf(options);
  const innerWith = (lrs: P) => ({ ...inner, lr: logStepSizes ? treeMap(lrs, (l) => exp(l)) : lrs });
  const stored = (alpha: Tensor): Tensor => {
    if (!logStepSizes) return alpha;
    if (alpha.data.some((v) => !(v > 0))) throw new RangeError('metaSgd: logStepSizes needs positive initial step sizes (innerLr, lrInit)');
    return log(alpha);
  };
  return differentiableLearner({
    name: 'metasgd',
    init: (rng) => {
      const params = model.init(rng);
      const lrs = lrInit === undefined
        ? treeMap(params, (p) => stored(full(p.shape, innerLr, p.dtype)))
        : treeMap(params, (p) => stored(checkedStepSizes(lrInit(rng, p.shape, p.dtype), p.shape)));
      return { params, lrs };
    },
    metaLoss: (meta: MetaSGDParams<P>, tasks) => queryLoss(model.apply, meta.params, tasks, innerWith(meta.lrs)),
    adaptationCurve: (meta, tasks, steps) => adaptationCurveTensor(model.apply, meta.params, tasks, steps, innerWith(meta.lrs)),
  }, options);
}

function checkedStepSizes(lrs: Tensor, shape: readonly number[]): Tensor {
  if (lrs.shape.length !== shape.length || lrs.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`metaSgd: lrInit returned shape [${lrs.shape.join(', ')}] for a parameter of shape [${shape.join(', ')}]`);
  }
  return lrs;
}
