/**
 * ANIL: MAML that adapts only the head; the body's features are shared by all tasks.
 */
import type { Module } from '../nn/module.ts';
import { differentiableLearner, type DifferentiableMetaLearner } from './learner.ts';
import type { TaskBatch } from './tasks.ts';
import { adaptationCurveTensor, innerLoopOf, type InnerLoopSettings } from './inner.ts';

/** ANIL's meta-parameters: the shared feature extractor and the head's initialisation. */
export interface ANILParams<B, H> {
  readonly body: B;
  readonly head: H;
}

/** No `checkpointEvery`: the head's inner loop is cheap, and its support loss captures the traced features. */
export interface ANILOptions<B, H> extends InnerLoopSettings {
  /** Feature extractor, meta-learned but never adapted (e.g. an MLP with `activateOutput`). */
  readonly body: Module<B>;
  /** Output layer, adapted per task in the inner loop. */
  readonly head: Module<H>;
}

/** The support and query inputs replaced by the body's features (one pass for all tasks). */
function featuresOf<B>(body: Module<B>, bodyParams: B, tasks: TaskBatch): TaskBatch {
  return {
    support: { x: body.apply(bodyParams, tasks.support.x), y: tasks.support.y },
    query: { x: body.apply(bodyParams, tasks.query.x), y: tasks.query.y },
  };
}

/**
 * ANIL, "Almost No Inner Loop" (Raghu, Raghu, Bengio & Vinyals, "Rapid Learning or
 * Feature Reuse? Towards Understanding the Effectiveness of MAML", ICLR 2020,
 * arXiv:1909.09157): the inner loop adapts only the head on top of body features, which
 * are computed once per batch; the meta-gradient reaches the body through those features
 * (and, in second order, through the head's inner gradients).
 *
 * @example
 * ```ts
 * const learner = anil({
 *   body: MLP({ sizes: [1, 40, 40], activateOutput: true }),
 *   head: Linear({ inputSize: 40, outputSize: 1 }),
 *   innerLr: 0.01,
 * });
 * const meta = learner.init(new Rng(0));   // { body, head }
 * learner.metaGradient(meta, sinusoidTasks(new Rng(1), { numTasks: 25 }));
 * ```
 */
export function anil<B, H>(options: ANILOptions<B, H>): DifferentiableMetaLearner<ANILParams<B, H>> {
  const { body, head } = options;
  const { inner, queryLoss } = innerLoopOf(options);
  return differentiableLearner({
    name: options.firstOrder ? 'foanil' : 'anil',
    init: (rng) => ({ body: body.init(rng), head: head.init(rng) }),
    metaLoss: (meta: ANILParams<B, H>, tasks) => queryLoss(head.apply, meta.head, featuresOf(body, meta.body, tasks), inner),
    adaptationCurve: (meta, tasks, steps) => adaptationCurveTensor(head.apply, meta.head, featuresOf(body, meta.body, tasks), steps, inner),
  }, options);
}
