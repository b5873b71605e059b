/**
 * What a jitted function is keyed on: the arguments split into tensor leaves (traced)
 * and a skeleton (tree structure, plain numbers, strings, booleans: static values).
 * Two calls with the same key run the same compiled program.
 */
import { Tensor } from '../tensor/tensor.ts';
import { JitError } from './errors.ts';

/** The arguments as tensor leaves plus a key describing everything else. */
export interface Flattened {
  readonly leaves: Tensor[];
  /** Structure, shapes, dtypes and static values: equal keys, same program. */
  readonly key: string;
}

/** Identities of non-data objects passed as static arguments (functions, class instances). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

/** A number naming `x` for as long as it lives (keys for static objects and backends). */
export function identity(x: object): number {
  let id = objectIds.get(x);
  if (id === undefined) objectIds.set(x, (id = ++nextObjectId));
  return id;
}

/** Splits `args` into tensor leaves (depth-first, object keys in insertion order) and a key. */
export function flattenArgs(args: readonly unknown[], name: string): Flattened {
  const leaves: Tensor[] = [];
  const parts: string[] = [];
  const walk = (x: unknown, path: string): void => {
    if (x instanceof Tensor) {
      leaves.push(x);
      parts.push(`T${x.dtype === 'float64' ? 'd' : 'f'}[${x.shape.join(',')}]`);
    } else if (Array.isArray(x)) {
      parts.push(`[${x.length}`);
      x.forEach((v, i) => walk(v, `${path}[${i}]`));
      parts.push(']');
    } else if (typeof x === 'number') {
      parts.push(Object.is(x, -0) ? 'n-0' : `n${x}`);
    } else if (typeof x === 'string') {
      parts.push(`s${JSON.stringify(x)}`);
    } else if (typeof x === 'boolean' || x === null || x === undefined) {
      parts.push(String(x));
    } else if (ArrayBuffer.isView(x)) {
      // Index arrays and the like are static by value, as JAX's hashable static arguments.
      parts.push(`a${(x as unknown as { length: number }).length}:${Array.from(x as unknown as ArrayLike<number>).join(',')}`);
    } else if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
      const entries = Object.entries(x as Record<string, unknown>);
      parts.push('{');
      for (const [k, v] of entries) {
        parts.push(`${JSON.stringify(k)}:`);
        walk(v, `${path}.${k}`);
      }
      parts.push('}');
    } else if (typeof x === 'function' || typeof x === 'object') {
      // A function or class instance is static by identity: a different one retraces.
      parts.push(`o${identity(x as object)}`);
    } else {
      throw new JitError(`${name}: argument at ${path} is a ${typeof x}; pass tensors, numbers, strings, booleans or trees of them`);
    }
  };
  args.forEach((a, i) => walk(a, `$[${i}]`));
  return { leaves, key: parts.join(' ') };
}

/** `args` with every tensor leaf replaced, in `flattenArgs` order, by `leaves[i]`. */
export function rebuildArgs<A extends unknown[]>(args: A, leaves: readonly Tensor[]): A {
  let i = 0;
  const walk = (x: unknown): unknown => {
    if (x instanceof Tensor) return leaves[i++]!;
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x as Record<string, unknown>)) out[k] = walk(v);
      return out;
    }
    return x;
  };
  return args.map(walk) as A;
}

/** A function's result as tensor leaves and a template that rebuilds it from new leaves. */
export interface OutputTree {
  readonly leaves: Tensor[];
  readonly rebuild: (leaves: readonly Tensor[]) => unknown;
}

const LEAF = Symbol('leaf');

/**
 * Splits a result tree like `flattenArgs`; non-tensor leaves are returned as they were.
 * The template keeps no tensor, so a cached program does not hold trace-time values.
 */
export function flattenOutput(out: unknown): OutputTree {
  const leaves: Tensor[] = [];
  const strip = (x: unknown): unknown => {
    if (x instanceof Tensor) { leaves.push(x); return LEAF; }
    if (Array.isArray(x)) return x.map(strip);
    if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x as Record<string, unknown>)) o[k] = strip(v);
      return o;
    }
    return x;
  };
  const skeleton = strip(out);
  const rebuild = (fresh: readonly Tensor[]): unknown => {
    let i = 0;
    const fill = (x: unknown): unknown => {
      if (x === LEAF) return fresh[i++]!;
      if (Array.isArray(x)) return x.map(fill);
      if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
        const o: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(x as Record<string, unknown>)) o[k] = fill(v);
        return o;
      }
      return x;
    };
    return fill(skeleton);
  };
  return { leaves, rebuild };
}
