/**
 * SGD (with momentum and Nesterov) and Adam/AdamW as pure functions over trees.
 *
 * The arithmetic runs in JS doubles over the flat storage of each leaf rather than
 * through tensor ops: an outer-loop update is never differentiated, and a plain loop
 * avoids a dozen op dispatches per leaf per step. Results are stored in each
 * parameter's dtype.
 */
import type { Storage } from '../backend/backend.ts';
import { Tensor } from '../tensor/tensor.ts';
import { TreeError } from '../tensor/errors.ts';
import { concreteOf } from '../autodiff/primitive.ts';
import { treeLeaves, treeMap } from '../autodiff/tree.ts';
import { checkState, zeroSlots, type Optimizer, type OptimizerState } from './state.ts';

/** A constant learning rate, or a schedule of the (1-based) step number. */
export type LearningRate = number | ((step: number) => number);

/** @internal The learning rate at a (1-based) step; a schedule must return a finite number. */
export function rateAt(lr: LearningRate, step: number): number {
  if (typeof lr === 'number') return lr;
  const rate = lr(step);
  if (typeof rate !== 'number' || !Number.isFinite(rate)) throw new RangeError(`learning-rate schedule returned ${String(rate)} at step ${step}; it must return a finite number`);
  return rate;
}

/**
 * Applies `updateLeaf(i, p, g, out)` to every leaf, writing fresh parameter storage.
 * Gradients are read as concrete values (a traced gradient is lowered first).
 */
function mapLeaves<P>(name: string, grads: P, params: P, updateLeaf: (leaf: number, p: Storage, g: Storage, out: Storage) => void): P {
  const gl = treeLeaves(grads);
  let i = 0;
  const out = treeMap(params, (p, path) => {
    const g = gl[i];
    if (!g) throw new TreeError(`${name}: gradient tree has fewer leaves than params (at ${path})`);
    if (g.size !== p.size) throw new TreeError(`${name}: gradient at ${path} has ${g.size} elements, parameter has ${p.size}`);
    const pc = concreteOf(p), gc = concreteOf(g);
    const data = pc.data instanceof Float64Array ? new Float64Array(p.size) : new Float32Array(p.size);
    updateLeaf(i++, pc.data, gc.data, data);
    return new Tensor(data, p.shape);
  });
  if (i !== gl.length) throw new TreeError(`${name}: gradient tree has ${gl.length} leaves, params have ${i}`);
  return out;
}

/** {@link sgd}'s step size (a number or schedule), momentum and L2 weight decay. */
export interface SGDOptions {
  readonly lr: LearningRate;
  /** Heavy-ball coefficient μ (default 0: plain SGD). */
  readonly momentum?: number;
  /** Nesterov momentum: step along g + μ·v instead of v. */
  readonly nesterov?: boolean;
  /** L2 penalty added to the gradient: g + λ·p. */
  readonly weightDecay?: number;
}

/** {@link sgd}'s plain-data state: the step count and one velocity array per parameter leaf (empty without momentum). */
export interface SGDState extends OptimizerState {
  readonly kind: 'sgd';
  readonly slots: { readonly velocity: readonly (readonly number[])[] };
}

/**
 * Stochastic gradient descent, PyTorch's formulation:
 * g ← g + λp;  v ← μv + g;  p ← p − lr·(nesterov ? g + μv : v).
 *
 * @example
 * ```ts
 * let params = { w: tensor([1, 2]) };
 * const grads = { w: tensor([1, 1]) };
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 * let state = opt.init(params);
 * ({ params, state } = opt.update(grads, state, params));
 * params.w.toArray(); // [0.9, 1.9]
 * ```
 */
export function sgd(options: SGDOptions): Optimizer<SGDState> {
  const { lr, momentum = 0, nesterov = false, weightDecay = 0 } = options;
  if (nesterov && momentum <= 0) throw new RangeError('sgd: nesterov needs momentum > 0');
  return {
    init: (params) => ({ kind: 'sgd', step: 0, slots: { velocity: momentum > 0 ? zeroSlots(params) : [] } }),
    update: (grads, state, params) => {
      const step = state.step + 1;
      const rate = rateAt(lr, step);
      const velocity: number[][] = [];
      const next = mapLeaves('sgd', grads, params, (leaf, p, g, out) => {
        const v = momentum > 0 ? state.slots.velocity[leaf]!.slice() : null;
        for (let j = 0; j < p.length; j++) {
          let d = g[j]! + weightDecay * p[j]!;
          if (v) {
            v[j] = momentum * v[j]! + d;
            d = nesterov ? d + momentum * v[j]! : v[j]!;
          }
          out[j] = p[j]! - rate * d;
        }
        if (v) velocity.push(v);
      });
      return { params: next, state: { kind: 'sgd', step, slots: { velocity } } };
    },
    restore: (data, params) => checkState<SGDState>(data, 'sgd', momentum > 0 ? ['velocity'] : [], params),
  };
}

/** Step size (a number or schedule), moment decay rates, ε and weight decay of {@link adam} and {@link adamw}. */
export interface AdamOptions {
  readonly lr: LearningRate;
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** Adam: L2 penalty added to the gradient; AdamW: decoupled decay p ← p(1 − lr·λ). Default 0 (Adam), 0.01 (AdamW). */
  readonly weightDecay?: number;
}

/** Adam's / AdamW's plain-data state: the step count and the first and second moments per parameter leaf. */
export interface AdamState extends OptimizerState {
  readonly kind: 'adam' | 'adamw';
  readonly slots: { readonly m: readonly (readonly number[])[]; readonly v: readonly (readonly number[])[] };
}

/** One Adam step's constants: the L2 term added to the gradient (Adam) and the decoupled decay factor (AdamW, else 1). */
interface AdamStep { beta1: number; beta2: number; rate: number; correction1: number; correction2: number; epsilon: number; l2: number | null; keep: number }

/**
 * The Adam update of one leaf, in place in the moments m, v (fresh copies) and into out.
 * Module level, so one optimised loop serves every leaf and step. The arithmetic is the
 * per-element formula in double precision, operation for operation (Adam adds l2·p to
 * the gradient even when l2 is 0, as before; AdamW's factor `keep` is 1 for Adam, and a
 * product with 1 is exact).
 */
function adamLeaf(p: Storage, g: Storage, m: number[], v: number[], out: Storage, s: AdamStep): void {
  const { beta1, beta2, rate, correction1, correction2, epsilon, l2, keep } = s;
  const b1 = 1 - beta1, b2 = 1 - beta2;
  for (let j = 0; j < p.length; j++) {
    const pj = p[j]! * keep;
    const gj = l2 === null ? g[j]! : g[j]! + l2 * p[j]!;
    const mj = beta1 * m[j]! + b1 * gj;
    const vj = beta2 * v[j]! + b2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    out[j] = pj - rate * (mj / correction1) / (Math.sqrt(vj / correction2) + epsilon);
  }
}

function adamFamily(kind: 'adam' | 'adamw', options: AdamOptions): Optimizer<AdamState> {
  const { lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = kind === 'adamw' ? 0.01 : 0 } = options;
  return {
    init: (params) => ({ kind, step: 0, slots: { m: zeroSlots(params), v: zeroSlots(params) } }),
    update: (grads, state, params) => {
      const step = state.step + 1;
      const rate = rateAt(lr, step);
      const correction1 = 1 - beta1 ** step, correction2 = 1 - beta2 ** step;
      const ms: number[][] = [], vs: number[][] = [];
      const constants: AdamStep = { beta1, beta2, rate, correction1, correction2, epsilon, l2: kind === 'adam' ? weightDecay : null, keep: kind === 'adam' ? 1 : 1 - rate * weightDecay };
      const next = mapLeaves(kind, grads, params, (leaf, p, g, out) => {
        const m = state.slots.m[leaf]!.slice(), v = state.slots.v[leaf]!.slice();
        adamLeaf(p, g, m, v, out, constants);
        ms.push(m);
        vs.push(v);
      });
      return { params: next, state: { kind, step, slots: { m: ms, v: vs } } };
    },
    restore: (data, params) => checkState<AdamState>(data, kind, ['m', 'v'], params),
  };
}

/**
 * Adam (Kingma & Ba, 2015) with bias correction:
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − lr·m̂ / (√v̂ + ε),
 * m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ). `weightDecay` adds λp to g (L2, coupled).
 *
 * @example
 * ```ts
 * const loss = (p: { w: Tensor }) => sum(square(p.w));
 * let params = { w: tensor([1, -2]) };
 * const opt = adam({ lr: 0.001 });
 * let state = opt.init(params);
 * ({ params, state } = opt.update(grad(loss)(params), state, params));
 * params.w.toArray(); // [0.999, -1.999]: Adam's first step is lr·sign(g)
 * const saved = JSON.stringify(state);            // plain data
 * state = opt.restore(JSON.parse(saved), params); // continues identically
 * ```
 */
export function adam(options: AdamOptions): Optimizer<AdamState> {
  return adamFamily('adam', options);
}

/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay,
 * p ← p(1 − lr·λ) before the Adam step (λ default 0.01, as in PyTorch).
 *
 * @example
 * ```ts
 * let params = { w: tensor([1, -2]) };
 * const opt = adamw({ lr: 0.001, weightDecay: 0.01 });
 * let state = opt.init(params);
 * ({ params, state } = opt.update({ w: tensor([1, -1]) }, state, params));
 * params.w.toArray(); // [0.99899, -1.99898]: decayed by 1 − 0.001·0.01, then Adam's step of lr
 * ```
 */
export function adamw(options: AdamOptions): Optimizer<AdamState> {
  return adamFamily('adamw', options);
}
