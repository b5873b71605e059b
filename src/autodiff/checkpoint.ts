/**
 * Gradient checkpointing (JAX's `checkpoint` / `remat`): recompute instead of store.
 *
 * `checkpoint(f)` is one primitive whose forward runs `f` on concrete values, so no
 * transform records any of `f`'s intermediates, and whose derivative rule runs `f`
 * again under `vjp` when the backward pass reaches it. The rule is written with the
 * library's own `vjp`, so the recomputation is recorded by every enclosing transform:
 * checkpointed code still nests to any order (`grad` of `grad`, `hvp`, second-order MAML).
 */
import type { Shape } from '../backend/backend.ts';
import { Tensor } from '../tensor/tensor.ts';
import { GradError } from '../tensor/errors.ts';
import { sizeOf } from '../tensor/shape.ts';
import { concat, pad, reshape } from '../ops/movement.ts';
import { bind, type PrimitiveDef } from './primitive.ts';
import { vjp } from './transforms.ts';
import { treeLeaves, treeMap } from './tree.ts';

// One leaf of a checkpoint's flat output, as a view of its storage (no copy: tensors
// are immutable), so a stored checkpoint costs its values once.
// d(view) = the cotangent placed at the leaf's offset of the flat vector.
const leafViewPrim: PrimitiveDef<{ readonly offset: number; readonly shape: Shape }> = {
  name: 'checkpointLeaf',
  forward: ([flat], { offset, shape }) => new Tensor(flat!.data.subarray(offset, offset + sizeOf(shape)), shape),
  vjp: (g, [flat], _out, { offset, shape }) => {
    const n = sizeOf(shape);
    return [pad(reshape(g, [n]), [offset], [flat!.size - offset - n])];
  },
};

/** The leaves of a tree, flattened and joined into one vector (one leaf: no copy). */
function flatten(tree: unknown, name: string): Tensor {
  const leaves = treeLeaves(tree);
  if (leaves.length === 0) throw new GradError(`${name}: f returned a tree with no tensors`);
  return concat(leaves.map((leaf) => reshape(leaf, [leaf.size])));
}

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
 * const step = checkpoint((p: Tensor) => sub(p, mul(grad(loss)(p), 0.1)));
 * const metaGrad = grad((p: Tensor) => loss(step(step(p))))(theta);
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
    // The result's structure and shapes, known once the forward pass has run.
    let structure: O | undefined;
    const prim: PrimitiveDef<null> = {
      name,
      forward: (concrete) => {
        const out = f(...rebuild(concrete));
        for (const leaf of treeLeaves(out)) {
          if (leaf.level !== 0) {
            throw new GradError(`${name}: f's result depends on a traced tensor it captures from an enclosing scope; pass every tensor f is differentiated through as an argument`);
          }
        }
        structure = out;
        return flatten(out, name);
      },
      vjp: (g, primals) => {
        const [, back] = vjp((...leaves: Tensor[]) => flatten(f(...rebuild(leaves)), name), ...primals);
        return back(g);
      },
    };
    const flat = bind(prim, inputs, null);
    // The graph keeps `prim`: drop its reference to f's result, or every checkpoint is stored twice.
    const result = structure!;
    structure = undefined;
    let offset = 0;
    return treeMap(result, (leaf) => {
      const view = bind(leafViewPrim, [flat], { offset, shape: leaf.shape });
      offset += leaf.size;
      return view;
    });
  };
}
