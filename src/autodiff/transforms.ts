/**
 * Function transforms over trees of tensors: grad, valueAndGrad, vjp, jvp, hvp.
 *
 * Each call opens a fresh trace level, wraps its inputs as level tracers, runs the
 * function, then walks the recorded graph backwards. The rules compute with
 * differentiable ops on primal values, so the backward pass is recorded by any
 * enclosing transform: transforms nest to any order.
 */
import { Tensor } from '../tensor/tensor.ts';
import { GradError } from '../tensor/errors.ts';
import { fmt, sameShape } from '../tensor/shape.ts';
import { inBackwardOf, newLevel, outputOf, type OutputIndex, type VjpRule } from './primitive.ts';
import { treeLeaves, treeMap, treeZip, type Tree } from './tree.ts';
import { add, mul } from '../ops/elementwise.ts';
import { sum } from '../ops/reduce.ts';
import { sumTo } from '../ops/movement.ts';
import { empty, scalarOf } from '../ops/core.ts';

/** The value of `t` with tracing of `level` removed. */
function lower(t: Tensor, level: number): Tensor {
  return t.level === level ? t.primal! : t;
}

function traceInputs<T>(tree: T, level: number): T {
  return treeMap(tree, (x) => new Tensor(x.data, x.shape, level, x, null));
}

/** Reverse accumulation from `roots` (seeded with `cts`) down to `leaves` at `level`. */
function backward(roots: readonly Tensor[], cts: readonly Tensor[], leaves: readonly Tensor[], level: number): Tensor[] {
  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t);
    grads.set(t, prev === undefined ? g : add(prev, g));
  };
  roots.forEach((r, i) => { if (r.level === level) accumulate(r, cts[i]!); });

  // Iterative post-order DFS: deep graphs (long rollouts) must not overflow the stack.
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const r of roots) {
    if (r.level !== level || r.node === null || visited.has(r)) continue;
    visited.add(r);
    stack.push([r, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const inputs = top[0].node!.inputs;
      if (top[1] < inputs.length) {
        const x = inputs[top[1]++]!;
        if (x.level === level && x.node !== null && !visited.has(x)) {
          visited.add(x);
          stack.push([x, 0]);
        }
      } else {
        order.push(top[0]);
        stack.pop();
      }
    }
  }

  // Cotangents of a multi-output primitive's outputs, gathered at its vertex. Post-order
  // puts every output projection after the vertex, so all have arrived when it is reached.
  const outputCts = new Map<Tensor, (Tensor | null)[]>();
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const { prim, inputs, params } = t.node!;
    let g: Tensor | undefined, gs: (Tensor | null)[] | undefined;
    if ('multiOutput' in prim) {
      gs = outputCts.get(t);
      if (gs === undefined) continue;
      outputCts.delete(t);
    } else {
      g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // intermediates' cotangents are dead once pushed back
      if (prim === outputOf) {
        const vertex = inputs[0]!, { index, count } = params as OutputIndex;
        let slots = outputCts.get(vertex);
        if (slots === undefined) outputCts.set(vertex, (slots = new Array<Tensor | null>(count).fill(null)));
        slots[index] = g;
        continue;
      }
      if (prim.vjp === 'nondiff') continue;
    }
    const primals = inputs.map((x) => lower(x, level));
    const needs = inputs.map((x) => x.level === level);
    const cts = inBackwardOf(prim.name, () => ('multiOutput' in prim
      ? prim.vjp(gs!, primals, params, needs)
      : (prim.vjp as VjpRule<unknown>)(g!, primals, t.primal!, params, needs)));
    for (let k = 0; k < inputs.length; k++) {
      const ct = cts[k];
      if (!needs[k] || ct === null || ct === undefined) continue;
      const x = inputs[k]!;
      accumulate(x, sameShape(ct.shape, x.shape) ? ct : sumTo(ct, x.shape));
    }
  }
  return leaves.map((l) => grads.get(l) ?? empty(l.dtype, l.shape));
}

/**
 * Reverse-mode: returns `f(...primals)` and a function mapping an output cotangent
 * (a tree shaped like the output) to cotangents for every argument.
 *
 * @example
 * ```ts
 * const [y, back] = vjp((x: Tensor) => mul(x, x), tensor([3]));
 * back(tensor([1])); // [tensor([6])]
 * ```
 */
export function vjp<A extends unknown[], O>(f: (...args: A) => O, ...primals: A): [O, (cotangent: O) => A] {
  const level = newLevel();
  const traced = primals.map((p) => traceInputs(p, level)) as A;
  const out = f(...traced);
  const outLeaves = treeLeaves(out);
  const value = treeMap(out, (t) => lower(t, level));
  const inLeaves = traced.map((t) => treeLeaves(t));
  const back = (cotangent: O): A => {
    const ctLeaves = treeLeaves(treeZip(out, cotangent, (_o, c) => c, 'vjp cotangent'));
    outLeaves.forEach((o, i) => {
      if (o.dtype !== ctLeaves[i]!.dtype) throw new GradError(`vjp: cotangent ${i} is ${ctLeaves[i]!.dtype}, output is ${o.dtype}`);
    });
    const grads = backward(outLeaves, ctLeaves, inLeaves.flat(), level);
    let k = 0;
    return primals.map((p) => treeMap(p, () => grads[k++]!)) as A;
  };
  return [value, back];
}

/**
 * Options of {@link grad} and {@link valueAndGrad}, as in `jax.grad`.
 *
 * @example
 * ```ts
 * const [gw, gb] = grad((w: Tensor, b: Tensor) => sum(add(mul(w, 2), b)), { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4]));
 * // gw = [2, 2], gb = [1, 1]
 * ```
 */
export interface GradOptions {
  /** Which arguments to differentiate: one index (result is that gradient) or a list (result is a list). Default 0. */
  readonly argnums?: number | readonly number[];
  /** `f` returns `[loss, aux]`; `valueAndGrad` then returns `[[loss, aux], grads]`. */
  readonly hasAux?: boolean;
}

/** The list of differentiated argument indices, checked against the call's arity. @internal */
export function checkArgnums(argnums: number | readonly number[], nargs: number, name: string): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= nargs) {
      throw new GradError(`${name}: argnums ${JSON.stringify(argnums)} out of range for a call with ${nargs} argument(s)`);
    }
  }
  return list;
}

/**
 * `valueAndGrad(f)(...args)` returns `[f(...args), ∇f]`, the gradient with the
 * structure of the differentiated argument(s). `f` must return a one-element tensor.
 *
 * @example
 * ```ts
 * const [loss, g] = valueAndGrad((w: Tensor) => sum(square(w)))(tensor([1, 2]));
 * // loss = 5, g = [2, 4]
 * ```
 */
export function valueAndGrad<A extends unknown[]>(f: (...args: A) => unknown, options: GradOptions = {}) {
  const { argnums = 0, hasAux = false } = options;
  return (...args: A): [any, any] => {
    const list = checkArgnums(argnums, args.length, 'grad');
    const level = newLevel();
    const traced = args.map((a, i) => (list.includes(i) ? traceInputs(a, level) : a)) as A;
    const result = f(...traced);
    let loss: unknown = result, aux: unknown;
    if (hasAux) {
      if (!Array.isArray(result) || result.length !== 2) throw new GradError('grad: with hasAux, f must return [loss, aux]');
      [loss, aux] = result;
    }
    if (!(loss instanceof Tensor)) throw new GradError(`grad: f must return a Tensor, got ${typeof loss}`);
    if (loss.size !== 1) throw new GradError(`grad: f must return a scalar (one element), got shape ${fmt(loss.shape)}; reduce it (e.g. sum or mean) or use vjp`);
    const leavesPerArg = list.map((i) => treeLeaves(traced[i]));
    // The seed has the loss's shape ([1, 1] stays [1, 1]): rules expect g shaped like their output.
    const seed = new Tensor(scalarOf(1, loss.dtype).data, loss.shape);
    const grads = backward([loss], [seed], leavesPerArg.flat(), level);
    let k = 0;
    const perArg = list.map((i) => treeMap(args[i], () => grads[k++]!));
    const value = lower(loss, level);
    const auxValue = hasAux ? lowerTree(aux, level) : undefined;
    return [hasAux ? [value, auxValue] : value, typeof argnums === 'number' ? perArg[0] : perArg];
  };
}

function lowerTree(x: unknown, level: number): unknown {
  if (x instanceof Tensor) return lower(x, level);
  if (Array.isArray(x)) return x.map((v) => lowerTree(v, level));
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, lowerTree(v, level)]));
  }
  return x;
}

/**
 * The gradient of a scalar function, as a function. Nests to any order.
 *
 * @example
 * ```ts
 * const f = (x: Tensor) => sum(pow(x, 3));
 * grad((x: Tensor) => sum(grad((y: Tensor) => sum(grad(f)(y)))(x)))(tensor([1, 2])); // d³/dx³ x³ = [6, 6]
 * // MAML meta-gradient, second order: loss(p − 0.1·∇loss(p)) = loss(0.8p) = 0.64·Σp²
 * const loss = (p: Tensor) => sum(square(p));
 * grad((p: Tensor) => loss(sub(p, mul(grad(loss)(p), 0.1))))(tensor([1, 2])); // [1.28, 2.56]
 * ```
 */
export function grad<A extends unknown[]>(f: (...args: A) => unknown, options: GradOptions = {}) {
  const vg = valueAndGrad(f, options);
  return (...args: A): any => vg(...args)[1];
}

/**
 * Forward-mode product `J·t`: returns `[f(primals), J(primals)·tangents]`.
 * Computed as the transpose of the (linear) vjp, so it composes with every transform.
 *
 * @example
 * ```ts
 * const [y, dy] = jvp((x: Tensor) => mul(x, x), [tensor([1, 2, 3])], [ones([3])]);
 * // y = [1, 4, 9], dy = [2, 4, 6]
 * ```
 */
export function jvp<A extends unknown[], O>(f: (...args: A) => O, primals: A, tangents: A): [O, O] {
  treeZip(primals, tangents, (p, t, path) => {
    if (p.dtype !== t.dtype) throw new GradError(`jvp: tangent at ${path} is ${t.dtype}, primal is ${p.dtype}`);
    return p;
  }, 'jvp tangents');
  const [out, back] = vjp(f, ...primals);
  const zeroCt = treeMap(out, (o) => empty(o.dtype, o.shape));
  // u ↦ Jᵀu is linear; its vjp at any u maps t to (Jᵀ)ᵀt = J t.
  const [, backT] = vjp((u: O) => back(u), zeroCt);
  const [tangentOut] = backT(tangents) as unknown as [O];
  return [out, tangentOut];
}

/**
 * Σ over leaves of ⟨a, b⟩, a differentiable scalar: the inner product of two trees of
 * the same structure (how {@link hvp} contracts a gradient with a direction).
 *
 * @example
 * ```ts
 * treeVdot({ w: tensor([1, 2]), b: tensor([3]) }, { w: tensor([4, 5]), b: tensor([6]) }).item(); // 32
 * ```
 */
export function treeVdot(a: Tree, b: Tree): Tensor {
  let total: Tensor | null = null;
  treeZip(a, b, (x, y) => {
    const d = sum(mul(x, y));
    total = total === null ? d : add(total, d);
    return x;
  }, 'vdot');
  if (total === null) throw new GradError('vdot: empty trees');
  return total;
}

/**
 * Hessian-vector product `∇²f(x)·v` of a scalar function (reverse over reverse),
 * for tensors or trees.
 *
 * @example
 * ```ts
 * hvp((x: Tensor) => sum(pow(x, 3)), tensor([1, 2]), tensor([1, 1])); // 6·x·v = [6, 12]
 * ```
 */
export function hvp<T extends Tree>(f: (x: T) => Tensor, x: T, v: T): T {
  return grad((y: T) => treeVdot(grad(f)(y), v))(x);
}
