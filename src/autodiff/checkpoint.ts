/**
 * Gradient checkpointing (JAX's `checkpoint` / `remat`): recompute instead of store.
 *
 * `checkpoint(f)` is one primitive whose forward runs `f` on concrete values, so no
 * transform records any of `f`'s intermediates, and whose derivative rule runs `f`
 * again under `vjp` when the backward pass reaches it. The rule is written with the
 * library's own `vjp`, so the recomputation is recorded by every enclosing transform:
 * checkpointed code still nests to any order (`grad` of `grad`, `hvp`, second-order MAML).
 */
import { Tensor } from '../tensor/tensor.ts';
import { GradError } from '../tensor/errors.ts';
import { empty } from '../ops/core.ts';
import { bindMulti, type MultiPrimitiveDef } from './primitive.ts';
import { vjp } from './transforms.ts';
import { treeLeaves, treeMap } from './tree.ts';

/**
 * Wraps `f` so that every enclosing transform stores only its arguments and result,
 * not its intermediates; the backward pass recomputes `f` when it needs them. Same
 * values and derivatives of every order as `f`, for about one more forward pass of
 * `f` per backward pass: the memory/time trade-off of a long inner loop.
 *
 * `f` takes and returns trees of tensors. Every tensor it should be differentiated
 * with respect to must be an argument: a traced tensor captured from an enclosing
 * scope throws (data constants may be captured).
 *
 * @example
 * ```ts
 * // An inner-loop step whose activations and inner backward pass are not kept:
 * const loss = (p: Tensor) => sum(square(p));
 * const step = checkpoint((p: Tensor) => sub(p, mul(grad(loss)(p), 0.1)));
 * // two steps scale p by 0.8², so the meta-gradient is 2·0.8⁴·p
 * grad((p: Tensor) => loss(step(step(p))))(tensor([1])); // ≈ [0.8192]
 * ```
 */
export function checkpoint<A extends unknown[], O>(f: (...args: A) => O, name = 'checkpoint'): (...args: A) => O {
  return (...args: A): O => {
    const inputs = treeLeaves(args);
    if (inputs.length === 0) throw new GradError(`${name}: needs at least one tensor argument`);
    const rebuild = (leaves: readonly Tensor[]): A => {
      let i = 0;
      return treeMap(args, () => leaves[i++]!) as A;
    };
    // The result's structure, known once the forward pass has run.
    let structure: O | undefined;
    const leavesOf = (out: O): Tensor[] => {
      const leaves = treeLeaves(out);
      if (leaves.length === 0) throw new GradError(`${name}: f returned a tree with no tensors`);
      return leaves;
    };
    // One multi-output primitive: its outputs are f's result leaves, and its rule gets
    // all their cotangents at once (zeros only for leaves that received none).
    const prim: MultiPrimitiveDef<null> = {
      multiOutput: true,
      name,
      forward: (concrete) => {
        const out = f(...rebuild(concrete));
        const leaves = leavesOf(out);
        for (const leaf of leaves) {
          if (leaf.level !== 0) {
            throw new GradError(`${name}: f's result depends on a traced tensor it captures from an enclosing scope; pass every tensor f is differentiated through as an argument`);
          }
        }
        structure = out;
        return leaves;
      },
      vjp: (gs, primals) => {
        const [outs, back] = vjp((...leaves: Tensor[]) => leavesOf(f(...rebuild(leaves))), ...primals);
        return back(outs.map((o, k) => gs[k] ?? empty(o.dtype, o.shape)));
      },
    };
    const outputs = bindMulti(prim, inputs, null);
    // The graph keeps `prim`: drop its reference to f's result, or every checkpoint is stored twice.
    const result = structure!;
    structure = undefined;
    let k = 0;
    return treeMap(result, () => outputs[k++]!);
  };
}
