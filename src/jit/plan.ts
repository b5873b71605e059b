/**
 * Static memory planning: every value of a program gets a byte offset in one arena,
 * chosen by liveness, so running the program allocates nothing. Inputs and
 * constants are placed first; an op's output is placed before its operands that die
 * at that op are released, so a kernel never writes over what it reads. Blocks are
 * 16-byte aligned and padded to whole 16-byte vectors (SIMD kernels may touch the
 * tail). A reshape is a view: it shares its operand's block. An elementwise op may
 * write in place over an operand that dies at it (the output inherits the block).
 */
import { sizeOfValue, type Graph } from './graph.ts';
import type { PrimitiveName } from '../ops/primitives.ts';

export interface MemoryPlan {
  /** Byte offset of each value's storage in the arena. */
  readonly offsets: readonly number[];
  /** Total arena bytes. */
  readonly bytes: number;
  /** For each value, the value whose block it views (itself unless a reshape). */
  readonly root: readonly number[];
  /** Bytes without reuse (the sum of every block): what planning saved. */
  readonly unplannedBytes: number;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Whether value `id` is a view of its operand (no storage, no step). */
export function isView(g: Graph, id: number): boolean {
  const v = g.values[id]!;
  return v.kind === 'op' && v.prim.name === 'reshape' && g.values[v.inputs[0]!]!.dtype === v.dtype;
}

/**
 * Primitives whose kernels read element i of every operand before writing element i of
 * the output (elementwise maps, `addScaled`, `activationGrad`): their output may take
 * the block of an operand of the same size that dies at that op.
 */
const ELEMENTWISE: ReadonlySet<string> = new Set<PrimitiveName | 'elementwiseChain'>([
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq',
  'neg', 'exp', 'log', 'sin', 'cos', 'tanh', 'sqrt', 'abs', 'sign', 'sigmoid', 'relu', 'step', 'square', 'reciprocal',
  'addScaled', 'activationGrad', 'elementwiseChain',
]);

export function planMemory(g: Graph): MemoryPlan {
  const n = g.values.length;
  const root = new Array<number>(n);
  for (let i = 0; i < n; i++) root[i] = isView(g, i) ? root[(g.values[i] as { inputs: readonly number[] }).inputs[0]!]! : i;
  // Last step reading each block (Infinity: lives to the end).
  const lastUse = new Array<number>(n).fill(-1);
  g.values.forEach((v, i) => {
    if (v.kind === 'op') for (const x of v.inputs) lastUse[root[x]!] = Math.max(lastUse[root[x]!]!, i);
    if (v.kind === 'const') lastUse[i] = Infinity;
  });
  for (const o of g.outputs) lastUse[root[o]!] = Infinity;
  const bytesOf = (i: number): number => align16(Math.max(1, sizeOfValue(g.values[i]!)) * (g.values[i]!.dtype === 'float64' ? 8 : 4));

  const free: { at: number; bytes: number }[] = [];
  let top = 0, unplanned = 0;
  const offsets = new Array<number>(n).fill(-1);
  const place = (i: number): void => {
    const bytes = bytesOf(i);
    unplanned += bytes;
    // Best fit among released blocks, else the top of the arena.
    let best = -1;
    for (let k = 0; k < free.length; k++) if (free[k]!.bytes >= bytes && (best < 0 || free[k]!.bytes < free[best]!.bytes)) best = k;
    if (best < 0) { offsets[i] = top; top += bytes; return; }
    const block = free[best]!;
    offsets[i] = block.at;
    if (block.bytes === bytes) free.splice(best, 1);
    else { block.at += bytes; block.bytes -= bytes; }
  };
  const release = (i: number): void => {
    const bytes = bytesOf(i);
    free.push({ at: offsets[i]!, bytes });
    free.sort((a, b) => a.at - b.at);
    for (let k = free.length - 1; k > 0; k--) {
      const a = free[k - 1]!, b = free[k]!;
      if (a.at + a.bytes === b.at) { a.bytes += b.bytes; free.splice(k, 1); }
    }
  };
  // Every input and constant exists before the first step.
  g.values.forEach((v, i) => { if (v.kind !== 'op') place(i); });
  const dying = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (root[i] !== i || lastUse[i] === Infinity) continue;
    const at = lastUse[i]! < 0 ? (g.values[i]!.kind === 'op' ? i : -1) : lastUse[i]!;
    if (at < 0) continue; // an unused input keeps its block
    let list = dying.get(at);
    if (list === undefined) dying.set(at, (list = []));
    list.push(i);
  }
  for (let i = 0; i < n; i++) {
    const v = g.values[i]!;
    if (v.kind !== 'op') continue;
    const dead = dying.get(i) ?? [];
    // In place: the output takes over the block of an operand that dies here (one
    // computed by an op, never an input or a constant, of the same byte size).
    const heir = root[i] === i && ELEMENTWISE.has(v.prim.name)
      ? dead.findIndex((d) => g.values[d]!.kind === 'op' && bytesOf(d) === bytesOf(i) && g.values[d]!.dtype === v.dtype && v.inputs.some((x) => root[x] === d && sizeOfValue(g.values[x]!) === sizeOfValue(v)))
      : -1;
    if (heir >= 0) {
      offsets[i] = offsets[dead[heir]!]!;
      dead.splice(heir, 1);
    } else if (root[i] === i) place(i);
    else offsets[i] = offsets[root[i]!]!;
    for (const d of dead) release(d);
  }
  // Views placed before their root's offset was known (none: roots precede views) are fixed up here.
  for (let i = 0; i < n; i++) offsets[i] = offsets[root[i]!]!;
  return { offsets, bytes: Math.max(16, top), root, unplannedBytes: unplanned };
}
