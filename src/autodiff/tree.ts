/**
 * Trees of tensors (JAX "pytrees"): a tensor, or arrays / plain objects of trees,
 * nested. Transforms take and return trees with the same structure.
 */
import { Tensor } from '../tensor/tensor.ts';
import { TreeError } from '../tensor/errors.ts';
import { fmt } from '../tensor/shape.ts';

/** A tensor, or arrays / plain objects of trees: what `grad`, optimizers and models take as parameters. */
export type Tree = Tensor | readonly Tree[] | { readonly [key: string]: Tree };

/** Maps every tensor leaf of a tree to a tree of the same structure. */
export type MapTree<T, L> = T extends Tensor ? L
  : T extends readonly unknown[] ? { [K in keyof T]: MapTree<T[K], L> }
  : T extends object ? { [K in keyof T]: MapTree<T[K], L> }
  : never;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Applies `fn` to every leaf; throws a TreeError naming the path of a non-tensor leaf.
 * `fn` also gets the leaf's path (`$.w[0]`).
 * @example
 * ```ts
 * const params = { w: tensor([[1, 2]]), b: tensor([0]) };
 * treeMap(params, (t) => mul(t, 0.5)); // { w: [[0.5, 1]], b: [0] }
 * ```
 */
export function treeMap<T>(tree: T, fn: (leaf: Tensor, path: string) => Tensor, path = '$'): T {
  if (tree instanceof Tensor) return fn(tree, path) as T;
  if (Array.isArray(tree)) return tree.map((t, i) => treeMap(t, fn, `${path}[${i}]`)) as T;
  if (isPlainObject(tree)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(tree)) out[k] = treeMap(tree[k], fn, `${path}.${k}`);
    return out as T;
  }
  throw new TreeError(`tree leaf at ${path} is ${describe(tree)}, expected a Tensor (or an array / plain object of them)`);
}

/**
 * Leaves in a fixed order (array index order, object key insertion order).
 * @example
 * ```ts
 * treeLeaves({ w: tensor([1, 2]), layers: [tensor(3)] }).map((t) => t.size); // [2, 1]
 * ```
 */
export function treeLeaves(tree: unknown): Tensor[] {
  const out: Tensor[] = [];
  treeMap(tree, (t) => { out.push(t); return t; });
  return out;
}

/**
 * Maps two trees of identical structure and leaf shapes leaf by leaf, into a tree
 * shaped like `a`; `what` names the trees in the TreeError thrown on a mismatch.
 * @example
 * ```ts
 * const theta = { w: tensor([1, 2]) }, grads = { w: tensor([0.5, -1]) };
 * treeZip(theta, grads, (p, g) => sub(p, mul(g, 0.1))); // { w: [0.95, 2.1] }
 * ```
 */
export function treeZip<T>(a: T, b: unknown, fn: (x: Tensor, y: Tensor, path: string) => Tensor, what = 'tree'): T {
  const bl = treeLeaves(b);
  let i = 0;
  const out = treeMap(a, (x, path) => {
    const y = bl[i++];
    if (!y) throw new TreeError(`${what}: structure differs at ${path} (second tree has fewer leaves)`);
    if (x.shape.length !== y.shape.length || x.shape.some((d, k) => d !== y.shape[k])) {
      throw new TreeError(`${what}: shapes differ at ${path}: ${fmt(x.shape)} vs ${fmt(y.shape)}`);
    }
    return fn(x, y, path);
  });
  if (i !== bl.length) throw new TreeError(`${what}: structure differs (${i} vs ${bl.length} leaves)`);
  return out;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'unknown'}`;
  return `${typeof x} ${String(x)}`;
}
