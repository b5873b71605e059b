/**
 * The fused dense layer `act(x·W + b)` and the activation backward it uses.
 *
 * Both are primitives so that a backend can run each in one pass over memory (the
 * hot path of an MLP's meta-gradient); their rules are still written in
 * differentiable ops, so they nest to any order like every other op.
 */
import type { Activation, MatmulSpec } from '../backend/backend.ts';
import { getBackend } from '../backend/registry.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ShapeError } from '../tensor/errors.ts';
import { broadcastShapes, fmt, sameShape, sizeOf } from '../tensor/shape.ts';
import { coerce, uninitialized } from './core.ts';
import { mul, sub } from './elementwise.ts';
import { broadcastTo } from './movement.ts';
import { matmulT, sharedOperandGrad } from './matmul.ts';

const ACTIVATIONS: readonly Activation[] = ['identity', 'relu', 'tanh', 'sigmoid'];

// activationGrad(g, y) = g ⊙ act'(y). Linear in g; in y:
//   tanh: act'(y) = 1 − y²  → d/dy = −2y·g        sigmoid: y(1 − y) → d/dy = (1 − 2y)·g
//   relu, identity: act' is piecewise constant → no cotangent for y
export const activationGradPrim: PrimitiveDef<Activation> = {
  name: 'activationGrad',
  forward: ([g, y], act) => {
    const out = uninitialized(g!.dtype, g!.shape);
    getBackend().activationGrad(act, g!.data, y!.data, out.data);
    return out;
  },
  into: ([g, y], out, act) => getBackend().activationGrad(act, g!.data, y!.data, out.data),
  vjp: (h, [g, y], _out, act, needs) => [
    needs[0] ? activationGrad(act, h, y!) : null,
    needs[1] ? activationCurvature(act, mul(h, g!), y!) : null,
  ],
};

/** d(act'(y))/dy ⊙ hg, or null where act' is piecewise constant. */
function activationCurvature(act: Activation, hg: Tensor, y: Tensor): Tensor | null {
  if (act === 'tanh') return mul(hg, mul(y, -2));
  if (act === 'sigmoid') return mul(hg, sub(1, mul(y, 2)));
  return null;
}

/**
 * `g ⊙ act'(y)` from an activation's output `y` (the backward of a dense layer's
 * activation): tanh, sigmoid and relu derivatives are functions of their outputs, so the
 * pre-activation need not be kept.
 * @example
 * ```ts
 * activationGrad('tanh', ones([2]), tanh(tensor([0, 1]))).toArray(); // 1 − tanh²: [1, 0.41997…]
 * ```
 */
export function activationGrad(act: Activation, g: Tensor, y: Tensor): Tensor {
  if (!sameShape(g.shape, y.shape)) {
    throw new ShapeError(`activationGrad: cotangent ${fmt(g.shape)} and output ${fmt(y.shape)} shapes differ`);
  }
  return act === 'identity' ? g : bind(activationGradPrim, coerce('activationGrad', g, y), act);
}

/**
 * A dense layer's parameters: its activation, or the activation and a scale α of the
 * product, `act(α·x·W + b)` (what `jit` makes of `dense(x, α·W, b)` when the scaled W is
 * needed nowhere else: the scale is applied as the product's tiles are stored).
 */
export type DenseParams = Activation | { readonly act: Activation; readonly alpha: number };

/** The activation and product scale of {@link DenseParams}. */
export function denseParts(p: DenseParams): { act: Activation; alpha: number } {
  return typeof p === 'string' ? { act: p, alpha: 1 } : p;
}

// dense(x, W, b) = act(α·x·W + b) =: y, with dz = g ⊙ act'(y):
//   dx = α·dz·Wᵀ    dW = α·xᵀ·dz    db = dz (summed back to b's shape by the autodiff core)
export const densePrim: PrimitiveDef<DenseParams> = {
  name: 'dense',
  forward: (inputs, p) => {
    const [x, w, b] = inputs;
    const batch = broadcastShapes('dense', x!.shape.slice(0, -2), w!.shape.slice(0, -2), b!.shape.slice(0, -2));
    const out = uninitialized(x!.dtype, [...batch, x!.shape[x!.shape.length - 2]!, w!.shape[w!.shape.length - 1]!]);
    densePrim.into!(inputs, out, p);
    return out;
  },
  into: ([x, w, b], out, p) => {
    const { X, W, B, spec } = denseOperands(x!, w!, b!, out);
    const { act, alpha } = denseParts(p);
    getBackend().linear(X.t.data, W.t.data, B.t.data, out.data, spec, B.stride, act, alpha);
  },
  prepare: ([x, w, b], out, p) => {
    const { X, W, B, spec } = denseOperands(x!, w!, b!, out);
    const { act, alpha } = denseParts(p);
    if (X.t !== x || W.t !== w || B.t !== b) return () => densePrim.into!([x!, w!, b!], out, p);
    return () => getBackend().linear(x!.data, w!.data, b!.data, out.data, spec, B.stride, act, alpha);
  },
  vjp: (g, [x, w], y, p, needs) => {
    const { act, alpha } = denseParts(p);
    const dz = activationGrad(act, g, y);
    const dp = alpha === 1 ? dz : mul(dz, alpha);
    return [
      needs[0] ? matmulT(dp, w!, false, true) : null,
      needs[1] ? (w!.shape.length === 2 ? sharedOperandGrad(x!, dp, false) : null) ?? matmulT(x!, dp, true, false) : null,
      needs[2] ? dz : null,
    ];
  },
};

/** A kernel operand: the tensor (broadcast if its batch axes needed it) and its batch stride. */
interface Operand { readonly t: Tensor; readonly stride: number }

/** The kernel operands of a dense layer into `out`: each broadcast where the batch axes need it. */
function denseOperands(x: Tensor, w: Tensor, b: Tensor, out: Tensor): { X: Operand; W: Operand; B: Operand; spec: MatmulSpec } {
  const batch = out.shape.slice(0, -2);
  const m = x.shape[x.shape.length - 2]!, k = x.shape[x.shape.length - 1]!, n = w.shape[w.shape.length - 1]!;
  const full = (t: Tensor, rows: number, cols: number): Operand => {
    const own = t.shape.slice(0, -2);
    if (sizeOf(own) === 1) return { t, stride: 0 };
    const padded = [...new Array<number>(batch.length - own.length).fill(1), ...own];
    if (sameShape(padded, batch)) return { t, stride: rows * cols };
    return { t: broadcastTo(t, [...batch, rows, cols]), stride: rows * cols };
  };
  const X = full(x, m, k), W = full(w, k, n), B = full(b, 1, n);
  const spec: MatmulSpec = { batch: sizeOf(batch), m, k, n, transA: false, transB: false, aBatchStride: X.stride, bBatchStride: W.stride };
  return { X, W, B, spec };
}

/**
 * A fused dense layer `act(x·W + b)`: x `[..., K, I]`, W `[..., I, O]`, b `[O]` or
 * `[..., 1, O]`; batch axes broadcast as in `matmul`. Equal to the composition of
 * `matmul`, `add` and the activation, in one kernel pass.
 *
 * @example
 * ```ts
 * dense(tensor([[1, -1]]), tensor([[1, 0], [0, 1]]), tensor([0.5, 0.5]), 'relu').toArray(); // relu(matmul(x, w) + b) = [[1.5, 0]]
 * ```
 */
export function dense(x: Tensor, w: Tensor, b: Tensor, activation: Activation = 'identity'): Tensor {
  if (!ACTIVATIONS.includes(activation)) {
    throw new ShapeError(`dense: unknown activation '${String(activation)}' (use ${ACTIVATIONS.join(', ')})`);
  }
  [x, w] = coerce('dense', x, w);
  [x, b] = coerce('dense', x, b);
  const n = w.shape[w.shape.length - 1];
  const bOk = b.shape.length === 1 ? b.shape[0] === n : b.shape.length >= 2 && b.shape[b.shape.length - 2] === 1 && b.shape[b.shape.length - 1] === n;
  if (x.shape.length < 2 || w.shape.length < 2 || !bOk) {
    throw new ShapeError(`dense: expected x [..., K, I], W [..., I, O] and b [O] or [..., 1, O]; got x ${fmt(x.shape)}, W ${fmt(w.shape)}, b ${fmt(b.shape)}`);
  }
  const k = x.shape[x.shape.length - 1], kw = w.shape[w.shape.length - 2];
  if (k !== kw) throw new ShapeError(`dense: inner dimensions differ: x ${fmt(x.shape)} @ W ${fmt(w.shape)} (${k} vs ${kw})`);
  broadcastShapes('dense', x.shape.slice(0, -2), w.shape.slice(0, -2), b.shape.slice(0, -2));
  return bind(densePrim, [x, w, b], activation);
}
