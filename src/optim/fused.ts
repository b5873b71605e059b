/**
 * Adam/AdamW as one compiled program over the whole parameter tree, with the moments
 * kept as float32 tensor trees (as optax and PyTorch keep them) instead of the plain
 * optimizers' JS-number slots: `jit` traces the update once and runs it as a few
 * fused elementwise chains per leaf. The plain-data state stays the format for saving:
 * `toState` / `fromState` convert.
 */
import { Tensor } from '../tensor/tensor.ts';
import { TreeError } from '../tensor/errors.ts';
import { scalar, zeros } from '../tensor/create.ts';
import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.ts';
import { treeLeaves, treeMap } from '../autodiff/tree.ts';
import { concreteOf } from '../autodiff/primitive.ts';
import { jit, type Lowered } from '../jit/jit.ts';
import { adam, adamw, rateAt, type AdamOptions, type AdamState } from './optimizers.ts';

/**
 * {@link fusedAdam}'s options: Adam's, plus the variant and whether to compile.
 * @example fusedAdam({ lr: 1e-3, kind: 'adamw', weightDecay: 0.01 })
 */
export interface FusedAdamOptions extends AdamOptions {
  /** 'adam' (L2 decay added to the gradient, default) or 'adamw' (decoupled decay). */
  readonly kind?: 'adam' | 'adamw';
  /** Compile with `jit` (default true); false runs the same ops eagerly (the reference). */
  readonly jit?: boolean;
}

/**
 * The moments of {@link fusedAdam} as tensor trees shaped like the parameters.
 * @example
 * ```ts
 * const state: FusedAdamState<Tensor[]> = fusedAdam({ lr: 1e-3 }).init([tensor([1, 2])]);
 * state.step; // 0
 * ```
 */
export interface FusedAdamState<P> {
  readonly step: number;
  readonly m: P;
  readonly v: P;
}

/**
 * Adam/AdamW compiled over the whole tree; see {@link fusedAdam}.
 * @example const opt: FusedAdam = fusedAdam({ lr: 1e-3 });
 */
export interface FusedAdam {
  readonly kind: 'adam' | 'adamw';
  init<P>(params: P): FusedAdamState<P>;
  /** One step: new parameters and moments (fresh tensors; the inputs are not modified). */
  update<P>(grads: P, state: FusedAdamState<P>, params: P): { params: P; state: FusedAdamState<P> };
  /** The compiled update's program (ops, fused groups, arena). */
  lower<P>(grads: P, state: FusedAdamState<P>, params: P): Lowered;
  /** The plain-data state of the plain optimizer (`JSON.stringify` it to save). */
  toState<P>(state: FusedAdamState<P>): AdamState;
  /** Back from plain data, checked against `params` as the plain optimizer's `restore` checks it. */
  fromState<P>(data: unknown, params: P): FusedAdamState<P>;
}

/** The step's scalars come in as tensors, so one program serves every step. */
interface StepScalars { rate: Tensor; correction1: Tensor; correction2: Tensor }

/**
 * Adam (`kind` 'adam', L2 weight decay added to the gradient) or AdamW ('adamw',
 * decoupled decay), the same update as {@link adam} / {@link adamw}, compiled with
 * {@link jit} over the whole parameter tree: one program per tree structure, traced on
 * the first step. The moments are float32 tensors, so the numbers agree with the plain
 * optimizers (which keep float64 moments) to float32 rounding, not bit for bit.
 *
 * @example
 * ```ts
 * const loss = (p: Tensor[]) => sum(square(p[0]!));
 * let params = [tensor([1, -2])];
 * const opt = fusedAdam({ lr: 1e-3 });
 * let state = opt.init(params);
 * ({ params, state } = opt.update(grad(loss)(params), state, params));
 * params[0]!.toArray(); // [0.999, -1.999]
 * const saved = JSON.stringify(opt.toState(state));          // the plain optimizer's format
 * state = opt.fromState(JSON.parse(saved), params);
 * ```
 */
export function fusedAdam(options: FusedAdamOptions): FusedAdam {
  const { kind = 'adam', jit: compiled = true } = options;
  if (kind !== 'adam' && kind !== 'adamw') throw new TypeError(`fusedAdam: kind must be 'adam' or 'adamw', got '${String(kind)}'`);
  const plain = kind === 'adam' ? adam(options) : adamw(options);
  const { lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = kind === 'adamw' ? 0.01 : 0 } = options;
  const leafStep = (p: Tensor, g: Tensor, m: Tensor, v: Tensor, s: StepScalars): [Tensor, Tensor, Tensor] => {
    const gd = kind === 'adam' && weightDecay !== 0 ? add(g, mul(p, weightDecay)) : g;
    const pd = kind === 'adamw' && weightDecay !== 0 ? mul(p, sub(1, mul(s.rate, weightDecay))) : p;
    const m1 = add(mul(m, beta1), mul(gd, 1 - beta1));
    const v1 = add(mul(v, beta2), mul(square(gd), 1 - beta2));
    const step = div(mul(s.rate, div(m1, s.correction1)), add(sqrt(div(v1, s.correction2)), epsilon));
    return [sub(pd, step), m1, v1];
  };
  const whole = (ps: Tensor[], gs: Tensor[], ms: Tensor[], vs: Tensor[], s: StepScalars): Tensor[][] => {
    const out = ps.map((p, i) => leafStep(p, gs[i]!, ms[i]!, vs[i]!, s));
    return [out.map((o) => o[0]), out.map((o) => o[1]), out.map((o) => o[2])];
  };
  const program = jit(whole, { name: `fused ${kind}` });
  const run = compiled ? program : whole;

  const args = <P>(grads: P, state: FusedAdamState<P>, params: P) => {
    const ps = treeLeaves(params).map(concreteOf), gs = treeLeaves(grads).map(concreteOf);
    const ms = treeLeaves(state.m), vs = treeLeaves(state.v);
    if (gs.length !== ps.length || ms.length !== ps.length || vs.length !== ps.length) {
      throw new TreeError(`fused ${kind}: params have ${ps.length} leaves, gradients ${gs.length}, moments ${ms.length} and ${vs.length}`);
    }
    ps.forEach((p, i) => {
      for (const [what, t] of [['gradient', gs[i]!], ['m', ms[i]!], ['v', vs[i]!]] as const) {
        if (t.size !== p.size || t.dtype !== p.dtype) {
          throw new TreeError(`fused ${kind}: ${what} of leaf ${i} is ${t.dtype}[${t.shape.join(', ')}], the parameter ${p.dtype}[${p.shape.join(', ')}]`);
        }
      }
    });
    const step = state.step + 1;
    const scalars: StepScalars = {
      rate: scalar(rateAt(lr, step), ps[0]?.dtype), correction1: scalar(1 - beta1 ** step, ps[0]?.dtype), correction2: scalar(1 - beta2 ** step, ps[0]?.dtype),
    };
    return { ps, gs, ms: ms.map((m, i) => reshapeLike(m, ps[i]!)), vs: vs.map((v, i) => reshapeLike(v, ps[i]!)), scalars, step };
  };
  const rebuild = <P>(params: P, leaves: Tensor[]): P => {
    let i = 0;
    return treeMap(params, () => leaves[i++]!);
  };

  return {
    kind,
    init: (params) => ({ step: 0, m: treeMap(params, (p) => zeros(p.shape, p.dtype)), v: treeMap(params, (p) => zeros(p.shape, p.dtype)) }),
    update: (grads, state, params) => {
      const a = args(grads, state, params);
      const [ps, ms, vs] = run(a.ps, a.gs, a.ms, a.vs, a.scalars);
      return { params: rebuild(params, ps!), state: { step: a.step, m: rebuild(params, ms!), v: rebuild(params, vs!) } };
    },
    lower: (grads, state, params) => {
      const a = args(grads, state, params);
      return program.lower(a.ps, a.gs, a.ms, a.vs, a.scalars);
    },
    toState: (state) => ({
      kind, step: state.step,
      slots: { m: treeLeaves(state.m).map((t) => Array.from(t.toTypedArray())), v: treeLeaves(state.v).map((t) => Array.from(t.toTypedArray())) },
    }),
    fromState: (data, params) => {
      const s = plain.restore(data, params);
      const slot = (arrays: readonly (readonly number[])[]) => {
        let i = 0;
        return treeMap(params, (p) => new Tensor(p.dtype === 'float64' ? Float64Array.from(arrays[i++]!) : Float32Array.from(arrays[i++]!), p.shape));
      };
      return { step: s.step, m: slot(s.slots.m), v: slot(s.slots.v) };
    },
  };
}

function reshapeLike(t: Tensor, like: Tensor): Tensor {
  return t.shape.length === like.shape.length && t.shape.every((d, i) => d === like.shape[i]) ? t : new Tensor(t.data, like.shape);
}
