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
 * A tree of fresh copies of every leaf's values (concrete tensors, no graph): what
 * `keep` returns for tensors that must outlive a `recycling` scope.
 * @example
 * ```ts
 * const params = { w: tensor([1, 2]) };
 * const grads = recycling(() => grad((p: typeof params) => sum(square(p.w)))(params), treeCopy);
 * grads.w.toArray(); // [2, 4]
 * ```
 */
export function treeCopy<T>(tree: T): T {
  return treeMap(tree, (t) => new Tensor(t.toTypedArray(), t.shape));
}

/**
 * Maps two trees of the same structure (the same arrays' lengths, the same objects'
 * keys, matched by key) and leaf shapes leaf by leaf, into a tree shaped like `a`;
 * `what` names the trees in the TreeError thrown at the first mismatch, with its path.
 * @example
 * ```ts
 * const theta = { w: tensor([1, 2]) }, grads = { w: tensor([0.5, -1]) };
 * treeZip(theta, grads, (p, g) => sub(p, mul(g, 0.1))); // { w: [0.95, 2.1] }
 * ```
 */
export function treeZip<T>(a: T, b: unknown, fn: (x: Tensor, y: Tensor, path: string) => Tensor, what = 'tree', path = '$'): T {
  const differs = (detail: string): TreeError => new TreeError(`${what}: structure differs at ${path}: ${detail}`);
  if (a instanceof Tensor) {
    if (!(b instanceof Tensor)) throw differs(`a Tensor against ${describe(b)}`);
    if (a.shape.length !== b.shape.length || a.shape.some((d, k) => d !== b.shape[k])) {
      throw new TreeError(`${what}: shapes differ at ${path}: ${fmt(a.shape)} vs ${fmt(b.shape)}`);
    }
    return fn(a, b, path) as T;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) throw differs(`an array of ${a.length} against ${describe(b)}`);
    if (b.length !== a.length) throw differs(`arrays of ${a.length} and ${b.length} entries`);
    return a.map((x, i) => treeZip(x, b[i], fn, what, `${path}[${i}]`)) as T;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) throw differs(`an object against ${describe(b)}`);
    const keys = Object.keys(a), other = Object.keys(b);
    const missing = keys.filter((k) => !(k in b)), extra = other.filter((k) => !(k in a));
    if (missing.length > 0 || extra.length > 0) {
      throw differs(`keys ${missing.length > 0 ? `missing from the second tree: ${missing.join(', ')}` : ''}${missing.length > 0 && extra.length > 0 ? '; ' : ''}${extra.length > 0 ? `only in the second tree: ${extra.join(', ')}` : ''}`);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = treeZip(a[k], b[k], fn, what, `${path}.${k}`);
    return out as T;
  }
  return treeMap(a, (x) => x, path); // throws the TreeError naming the non-tensor leaf
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x instanceof Tensor) return `a Tensor of shape ${fmt(x.shape)}`;
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'unknown'}`;
  return `${typeof x} ${String(x)}`;
}
