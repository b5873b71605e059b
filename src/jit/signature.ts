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

/** Key text of each shape array seen (shapes are immutable), so a call builds no strings per tensor. */
const shapeTexts = new WeakMap<readonly number[], { f32: string; f64: string }>();

function tensorText(x: Tensor): string {
  let text = shapeTexts.get(x.shape);
  if (text === undefined) {
    const dims = `[${x.shape.join(',')}]`;
    shapeTexts.set(x.shape, (text = { f32: `Tf${dims}`, f64: `Td${dims}` }));
  }
  return x.dtype === 'float64' ? text.f64 : text.f32;
}

/** `[n` for the array lengths trees usually have. */
const ARRAY_OPEN = Array.from({ length: 64 }, (_, n) => `[${n}`);

/**
 * Splits `args` into tensor leaves (depth-first, object keys in insertion order) and a
 * key, which starts with `prefix` (e.g. what names the backend).
 */
export function flattenArgs(args: readonly unknown[], name: string, prefix = ''): Flattened {
  const leaves: Tensor[] = [];
  const parts: string[] = [prefix];
  // The path to the current node, turned into text only for an error message.
  const path: (string | number)[] = [];
  const walk = (x: unknown): void => {
    if (x instanceof Tensor) {
      leaves.push(x);
      parts.push(tensorText(x));
    } else if (Array.isArray(x)) {
      parts.push(ARRAY_OPEN[x.length] ?? `[${x.length}`);
      for (let i = 0; i < x.length; i++) { path.push(i); walk(x[i]); path.pop(); }
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
      parts.push('{');
      const record = x as Record<string, unknown>;
      for (const k in record) {
        parts.push(keyText(k));
        path.push(k); walk(record[k]); path.pop();
      }
      parts.push('}');
    } else if (typeof x === 'function' || typeof x === 'object') {
      // A function or class instance is static by identity: a different one retraces.
      parts.push(`o${identity(x as object)}`);
    } else {
      const where = '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
      throw new JitError(`${name}: argument at ${where} is a ${typeof x}; pass tensors, numbers, strings, booleans or trees of them`);
    }
  };
  for (let i = 0; i < args.length; i++) { path.push(i); walk(args[i]); path.pop(); }
  return { leaves, key: parts.join(' ') };
}

/** Key text of object keys (few distinct names: learners' parameter trees). */
const keyTexts = new Map<string, string>();
function keyText(k: string): string {
  let text = keyTexts.get(k);
  if (text === undefined) {
    text = `${JSON.stringify(k)}:`;
    if (keyTexts.size < 4096) keyTexts.set(k, text);
  }
  return text;
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

/** One node of a signature, in `flattenArgs` order. */
type Check =
  | { readonly kind: 'tensor'; readonly shape: readonly number[]; readonly dtype: Tensor['dtype'] }
  | { readonly kind: 'array'; readonly length: number }
  | { readonly kind: 'object'; readonly keys: readonly string[] }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'typed'; readonly values: readonly number[] }
  | { readonly kind: 'identity'; readonly id: number };

/**
 * Recognises arguments with one known signature without building its key: a walk that
 * compares each node with the recorded one and collects the tensor leaves into a
 * reused array, so the common call (same signature as last time) allocates nothing.
 * Accepts exactly the arguments whose `flattenArgs` key equals the recorded one's.
 */
export class SignatureMatcher {
  private readonly checks: Check[] = [];
  private readonly leaves: Tensor[] = [];
  private pos = 0;
  private count = 0;

  /** Records the signature of `args` (arguments `flattenArgs` accepted). */
  constructor(args: readonly unknown[]) {
    const record = (x: unknown): void => {
      if (x instanceof Tensor) { this.checks.push({ kind: 'tensor', shape: x.shape.slice(), dtype: x.dtype }); this.leaves.push(x); }
      else if (Array.isArray(x)) { this.checks.push({ kind: 'array', length: x.length }); x.forEach(record); }
      else if (ArrayBuffer.isView(x)) this.checks.push({ kind: 'typed', values: Array.from(x as unknown as ArrayLike<number>) });
      else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
        const keys: string[] = [];
        for (const k in x as Record<string, unknown>) keys.push(k);
        this.checks.push({ kind: 'object', keys });
        for (const k of keys) record((x as Record<string, unknown>)[k]);
      } else if (typeof x === 'function' || (x !== null && typeof x === 'object')) this.checks.push({ kind: 'identity', id: identity(x as object) });
      else this.checks.push({ kind: 'value', value: x });
    };
    args.forEach(record);
    this.leaves.fill(undefined as unknown as Tensor);
  }

  /**
   * The tensor leaves of `args` if they have the recorded signature, else null. The
   * array is reused by the next call: copy it to keep it.
   */
  match(args: readonly unknown[]): Tensor[] | null {
    this.pos = 0;
    this.count = 0;
    for (let i = 0; i < args.length; i++) if (!this.node(args[i])) return this.fail();
    return this.pos === this.checks.length ? this.leaves : this.fail();
  }

  /** Drops the leaves of the last match, so the matcher keeps no caller tensor alive. */
  forget(): void {
    this.leaves.fill(undefined as unknown as Tensor);
  }

  private fail(): null {
    this.forget();
    return null;
  }

  private node(x: unknown): boolean {
    const c = this.checks[this.pos++];
    if (c === undefined) return false;
    switch (c.kind) {
      case 'tensor': {
        if (!(x instanceof Tensor) || x.dtype !== c.dtype) return false;
        const shape = x.shape;
        if (shape.length !== c.shape.length) return false;
        for (let d = 0; d < shape.length; d++) if (shape[d] !== c.shape[d]) return false;
        this.leaves[this.count++] = x;
        return true;
      }
      case 'array': {
        if (!Array.isArray(x) || x.length !== c.length) return false;
        for (let i = 0; i < x.length; i++) if (!this.node(x[i])) return false;
        return true;
      }
      case 'object': {
        if (x === null || typeof x !== 'object' || Object.getPrototypeOf(x) !== Object.prototype) return false;
        const record = x as Record<string, unknown>, keys = c.keys;
        let n = 0;
        for (const k in record) { if (k !== keys[n]) return false; n++; }
        if (n !== keys.length) return false;
        for (let i = 0; i < keys.length; i++) if (!this.node(record[keys[i]!])) return false;
        return true;
      }
      case 'typed': {
        if (!ArrayBuffer.isView(x)) return false;
        const values = x as unknown as ArrayLike<number>;
        if (values.length !== c.values.length) return false;
        for (let i = 0; i < values.length; i++) if (!Object.is(values[i], c.values[i])) return false;
        return true;
      }
      case 'identity':
        return (typeof x === 'function' || (x !== null && typeof x === 'object')) && !(x instanceof Tensor) && !Array.isArray(x)
          && !ArrayBuffer.isView(x) && Object.getPrototypeOf(x) !== Object.prototype && identity(x as object) === c.id;
      case 'value':
        return Object.is(x, c.value);
    }
  }
}
