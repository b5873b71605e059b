/**
 * The traced program: a flat list of values in topological order. A value is a
 * program input, a constant captured at trace time, or the output of one primitive
 * applied to earlier values. Every nested transform (grad of grad, vjp, checkpoint)
 * has already been unfolded into primitives by the time a graph exists.
 */
import type { DType, Storage } from '../backend/backend.ts';
import type { PrimitiveDef } from '../autodiff/primitive.ts';

export interface InputValue {
  readonly kind: 'input';
  /** Position among the flattened argument leaves. */
  readonly index: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface ConstValue {
  readonly kind: 'const';
  /** A private copy of the value seen at trace time. */
  readonly data: Storage;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface OpValue {
  readonly kind: 'op';
  readonly prim: PrimitiveDef<unknown>;
  readonly params: unknown;
  /** Ids of the operand values, all smaller than this value's id. */
  readonly inputs: readonly number[];
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Set by a fusion pass: the primitives this op replaces. */
  readonly fusedFrom?: readonly string[];
}

export type Value = InputValue | ConstValue | OpValue;

/** A program: values indexed by id (their position), and the ids of its results. */
export interface Graph {
  readonly values: readonly Value[];
  readonly outputs: readonly number[];
}

/** Element count of a value. */
export function sizeOfValue(v: Value): number {
  let n = 1;
  for (const d of v.shape) n *= d;
  return n;
}

/** One line per value, as `lower().listing` prints it. */
export function formatGraph(g: Graph): string {
  const lines: string[] = [];
  const type = (v: Value): string => `${v.dtype === 'float64' ? 'f64' : 'f32'}[${v.shape.join(',')}]`;
  g.values.forEach((v, id) => {
    if (v.kind === 'input') lines.push(`%${id} = input ${v.index} : ${type(v)}`);
    else if (v.kind === 'const') lines.push(`%${id} = const${v.data.length === 1 ? ` ${v.data[0]}` : ''} : ${type(v)}`);
    else {
      // A chain's parameters are its members: list them instead.
      const chain = v.prim.name === 'elementwiseChain' && v.fusedFrom !== undefined;
      const params = chain ? ` [${v.fusedFrom!.join(' → ')}]` : paramsText(v.params);
      lines.push(`%${id} = ${v.prim.name}(${v.inputs.map((i) => `%${i}`).join(', ')})${params} : ${type(v)}`);
    }
  });
  lines.push(`return ${g.outputs.map((i) => `%${i}`).join(', ')}`);
  return lines.join('\n');
}

function paramsText(p: unknown): string {
  if (p === null || p === undefined) return '';
  const s = stableKey(p);
  return s.length > 80 ? ` {${s.slice(0, 77)}...}` : ` {${s}}`;
}

/** A deterministic string for primitive parameters (CSE keys, listings). */
export function stableKey(p: unknown): string {
  if (p === null || p === undefined) return String(p);
  if (typeof p === 'number') return Object.is(p, -0) ? '-0' : String(p);
  if (typeof p === 'string') return JSON.stringify(p);
  if (typeof p === 'boolean') return String(p);
  if (ArrayBuffer.isView(p)) return `<${Array.from(p as unknown as ArrayLike<number>).join(',')}>`;
  if (Array.isArray(p)) return `[${p.map(stableKey).join(',')}]`;
  if (typeof p === 'object') {
    return `{${Object.keys(p as object).sort().map((k) => `${k}:${stableKey((p as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return `?${typeof p}`;
}
