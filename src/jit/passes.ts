/**
 * Graph-to-graph rewrites run before memory planning, each a pure function:
 * algebraic simplification (identities, size-1 broadcasts an elementwise op can
 * splat, batch broadcasts a matmul shares instead, transposes folded into matmul's flags), common-subexpression elimination,
 * product epilogues and elementwise chains (all keeping eager's bits; the two passes that
 * do not, scale folding and merged batch sums, run only on request) and dead-code elimination. Constant folding needs no pass: an op on constants only
 * is never staged, so tracing already computed it.
 */
import type { PrimitiveDef } from '../autodiff/primitive.ts';
import { densePrim } from '../ops/dense.ts';
import type { PrimitiveName } from '../ops/primitives.ts';
import { gemmPrim, isSharedMatrix, type GemmParams } from '../ops/gemm.ts';
import { sumPrim } from '../ops/reduce.ts';
import { reshapePrim } from '../ops/movement.ts';
import { chainPrim, type ChainParams, type ChainStep } from './chain.ts';
import { sizeOfValue, stableKey, type ConstValue, type Graph, type OpValue, type Value } from './graph.ts';

/** Elementwise binary primitives whose kernel broadcasts a one-element operand itself. */
const BINARY_NAMES: readonly PrimitiveName[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq'];
const BINARY: ReadonlySet<string> = new Set(BINARY_NAMES);

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

function constEquals(v: Value, x: number): boolean {
  if (v.kind !== 'const') return false;
  for (let i = 0; i < v.data.length; i++) if (v.data[i] !== x) return false;
  return true;
}

/** Whether `perm` swaps the last two axes and keeps the others. */
function swapsLastTwo(perm: readonly number[]): boolean {
  const n = perm.length;
  if (n < 2 || perm[n - 1] !== n - 2 || perm[n - 2] !== n - 1) return false;
  for (let i = 0; i < n - 2; i++) if (perm[i] !== i) return false;
  return true;
}

/**
 * Rewrites every value once, in order, through `rewrite`, which returns either the id
 * of an equivalent existing value (an alias) or a value to append. The result keeps
 * every value (dead ones included: `eliminateDeadCode` drops them).
 */
function rebuild(g: Graph, rewrite: (v: Value, out: Value[], id: (old: number) => number) => number | Value): Graph {
  const values: Value[] = [];
  const map = new Array<number>(g.values.length);
  const id = (old: number): number => map[old]!;
  g.values.forEach((v, old) => {
    const r = rewrite(v, values, id);
    if (typeof r === 'number') map[old] = r;
    else { map[old] = values.length; values.push(r); }
  });
  return { values, outputs: g.outputs.map(id) };
}

/** Identities (x·1, x+0, x−0), splatted size-1 broadcasts, matmul of a transpose. */
export function simplify(g: Graph): Graph {
  return rebuild(g, (v, values, id) => {
    if (v.kind !== 'op') return v;
    const inputs = v.inputs.map(id);
    const ins = inputs.map((i) => values[i]!);
    const name = v.prim.name;
    if (name === 'reshape' && sameShape(ins[0]!.shape, v.shape)) return inputs[0]!;
    if (BINARY.has(name)) {
      const [a, b] = ins as [Value, Value];
      const keepsShape = (x: Value): boolean => sameShape(x.shape, v.shape) && x.dtype === v.dtype;
      if (name === 'mul' && constEquals(b, 1) && keepsShape(a)) return inputs[0]!;
      if (name === 'mul' && constEquals(a, 1) && keepsShape(b)) return inputs[1]!;
      if ((name === 'add' || name === 'sub') && constEquals(b, 0) && keepsShape(a)) return inputs[0]!;
      if (name === 'add' && constEquals(a, 0) && keepsShape(b)) return inputs[1]!;
      // broadcastTo of one element feeding a binary op: the kernel splats it, no copy.
      const splat = (x: Value): number | null =>
        x.kind === 'op' && x.prim.name === 'broadcastTo' && sizeOfValue(values[x.inputs[0]!]!) === 1 ? x.inputs[0]! : null;
      const sa = splat(a), sb = splat(b);
      if (sa !== null && sameShape(b.shape, v.shape)) return { ...v, inputs: [sa, inputs[1]!] };
      if (sb !== null && sameShape(a.shape, v.shape)) return { ...v, inputs: [inputs[0]!, sb] };
    }
    // A broadcast that only adds batch axes to a matmul/dense operand: the kernel shares
    // the one matrix across the batch (batch stride 0), so the copy is never made.
    const matrixOperands = name === 'matmul' || name === 'dense' ? 2 : 0;
    for (let k = 0; k < matrixOperands; k++) {
      const x = ins[k]!;
      if (x.kind !== 'op' || x.prim.name !== 'broadcastTo') continue;
      const src = values[x.inputs[0]!]!;
      const r = src.shape.length;
      if (r < 2 || src.shape[r - 1] !== x.shape[x.shape.length - 1] || src.shape[r - 2] !== x.shape[x.shape.length - 2]) continue;
      if (src.shape.slice(0, -2).some((d) => d !== 1)) continue;
      inputs[k] = x.inputs[0]!;
      ins[k] = src;
    }
    // addScaled(broadcastTo(θ), g): the kernel repeats θ over g's leading axes itself.
    if (name === 'addScaled') {
      const x = ins[0]!;
      if (x.kind === 'op' && x.prim.name === 'broadcastTo') {
        const src = values[x.inputs[0]!]!;
        let lead = 0;
        while (lead < src.shape.length && src.shape[lead] === 1) lead++;
        const core = src.shape.slice(lead);
        if (sameShape(core, v.shape.slice(v.shape.length - core.length))) inputs[0] = x.inputs[0]!;
      }
    }
    if (name === 'matmul') {
      const p = v.params as { transA: boolean; transB: boolean };
      const unT = (x: Value): number | null =>
        x.kind === 'op' && x.prim.name === 'transpose' && swapsLastTwo(x.params as readonly number[]) ? x.inputs[0]! : null;
      const ta = unT(ins[0]!), tb = unT(ins[1]!);
      if (ta !== null || tb !== null) {
        return {
          ...v,
          inputs: [ta ?? inputs[0]!, tb ?? inputs[1]!],
          params: { transA: ta !== null ? !p.transA : p.transA, transB: tb !== null ? !p.transB : p.transB },
        };
      }
    }
    return { ...v, inputs };
  });
}

/** Small constants are deduplicated by value; larger ones by identity only. */
const CONST_BY_VALUE = 64;

/** Merges values computed by the same primitive with equal parameters from the same operands. */
export function eliminateCommonSubexpressions(g: Graph): Graph {
  const seen = new Map<string, number>();
  const paramKeys = new Map<unknown, string>();
  const primIds = new Map<PrimitiveDef<unknown>, number>();
  const keyOfParams = (p: unknown): string => {
    if (p === null || typeof p !== 'object') return stableKey(p);
    let k = paramKeys.get(p);
    if (k === undefined) paramKeys.set(p, (k = stableKey(p)));
    return k;
  };
  return rebuild(g, (v, values, id) => {
    let key: string | null = null;
    if (v.kind === 'const' && v.data.length <= CONST_BY_VALUE) {
      key = `c${v.dtype}[${v.shape.join(',')}]${Array.from(v.data).join(',')}`;
    } else if (v.kind === 'op') {
      let pid = primIds.get(v.prim);
      if (pid === undefined) primIds.set(v.prim, (pid = primIds.size));
      key = `p${pid}|${keyOfParams(v.params)}|${v.inputs.map(id).join(',')}`;
    }
    const out: Value = v.kind === 'op' ? { ...v, inputs: v.inputs.map(id) } : v;
    if (key === null) return out;
    const prev = seen.get(key);
    if (prev !== undefined) return prev;
    seen.set(key, values.length);
    return out;
  });
}

/** Drops values no output depends on; inputs are kept (they are the signature). */
export function eliminateDeadCode(g: Graph): Graph {
  const live = new Uint8Array(g.values.length);
  for (const o of g.outputs) live[o] = 1;
  for (let i = g.values.length - 1; i >= 0; i--) {
    const v = g.values[i]!;
    if (v.kind === 'input') live[i] = 1;
    if (live[i] && v.kind === 'op') for (const x of v.inputs) live[x] = 1;
  }
  return compact(g, live);
}

function compact(g: Graph, live: Uint8Array): Graph {
  const map = new Int32Array(g.values.length).fill(-1);
  const values: Value[] = [];
  g.values.forEach((v, i) => {
    if (!live[i]) return;
    map[i] = values.length;
    values.push(v.kind === 'op' ? { ...v, inputs: v.inputs.map((x) => map[x]!) } : v);
  });
  return { values, outputs: g.outputs.map((o) => map[o]!) };
}

/** How many ops read each value (outputs count once more). */
function useCounts(g: Graph): Int32Array {
  const uses = new Int32Array(g.values.length);
  for (const v of g.values) if (v.kind === 'op') for (const x of v.inputs) uses[x]!++;
  for (const o of g.outputs) uses[o]!++;
  return uses;
}

/**
 * `add(broadcastTo(b), matmul(x, w))`, with b one row `[..., 1, n]` per batch element
 * and a product used only here, is a dense layer without activation: one kernel adds the
 * bias to the product while it is in cache (the pattern every second-order backward
 * through a dense layer produces). The product is rounded before the bias is added,
 * as the unfused pair rounds it, so the results are the same bits.
 */
export function fuseBiasAdd(g: Graph): Graph {
  const uses = useCounts(g);
  return rebuild(g, (v, values, id) => {
    if (v.kind !== 'op') return v;
    const inputs = v.inputs.map(id);
    if (v.prim.name !== 'add' || v.dtype !== 'float32') return { ...v, inputs };
    for (let k = 0; k < 2; k++) {
      const bias = values[inputs[k]!]!, product = values[inputs[1 - k]!]!;
      if (bias.kind !== 'op' || bias.prim.name !== 'broadcastTo' || product.kind !== 'op' || product.prim.name !== 'matmul') continue;
      if (uses[v.inputs[1 - k]!] !== 1 || !sameShape(product.shape, v.shape) || !sameShape(bias.shape, v.shape)) continue;
      const p = product.params as { transA: boolean; transB: boolean };
      const row = values[bias.inputs[0]!]!, r = row.shape.length;
      if (p.transA || p.transB || r !== v.shape.length || row.shape[r - 2] !== 1 || !sameShape(row.shape.slice(0, -2), v.shape.slice(0, -2))) continue;
      return { kind: 'op', prim: densePrim as PrimitiveDef<unknown>, params: 'identity', inputs: [product.inputs[0]!, product.inputs[1]!, bias.inputs[0]!], shape: v.shape, dtype: v.dtype, fusedFrom: ['matmul', 'broadcastTo', 'add'] };
    }
    return { ...v, inputs };
  });
}

/**
 * Matmul epilogues: `mul(P, α)` with α a one-element constant, and `add(C, P)` with C of
 * P's shape (or one matrix, possibly through a `broadcastTo`, repeated over P's batch),
 * where P is a float32 product (or an already fused `gemm` without addend) read only
 * there, become one `gemm` computing `C + α·P` as the product's tiles are stored — the
 * scaled weight gradients and summed contributions of a second-order backward. The
 * kernel rounds P, α·P and the sum separately, so the bits do not change.
 */
export function fuseMatmulEpilogue(g: Graph): Graph {
  const uses = useCounts(g);
  return rebuild(g, (v, values, id) => {
    if (v.kind !== 'op') return v;
    const inputs = v.inputs.map(id);
    const name = v.prim.name;
    if (name === 'addScaled' && v.dtype === 'float32' && typeof v.params === 'number') return addScaledEpilogue(v, inputs, values, uses) ?? { ...v, inputs };
    if ((name !== 'mul' && name !== 'add') || v.dtype !== 'float32') return { ...v, inputs };
    for (let k = 0; k < 2; k++) {
      const product = values[inputs[k]!]!, other = values[inputs[1 - k]!]!;
      if (product.kind !== 'op' || uses[v.inputs[k]!] !== 1 || !sameShape(product.shape, v.shape)) continue;
      const p = product.prim.name === 'matmul'
        ? { ...(product.params as { transA: boolean; transB: boolean }), alpha: 1 }
        : product.prim.name === 'gemm' && product.inputs.length === 2 ? product.params as GemmParams : null;
      if (p === null) continue;
      const fusedFrom = [...(product.fusedFrom ?? [product.prim.name]), name];
      if (name === 'mul') {
        if (p.alpha !== 1 || other.kind !== 'const' || other.data.length !== 1) continue;
        return { ...product, prim: gemmPrim as PrimitiveDef<unknown>, params: { ...p, alpha: other.data[0]! }, shape: v.shape, fusedFrom };
      }
      const addend = addendOf(inputs[1 - k]!, v, values);
      if (addend === null) continue;
      return { ...product, prim: gemmPrim as PrimitiveDef<unknown>, params: p, inputs: [...product.inputs, addend], shape: v.shape, fusedFrom };
    }
    return { ...v, inputs };
  });
}

/**
 * The id of the float32 addend a `gemm` into `v` can read for value `c`: c itself when it
 * has v's shape or is one of v's matrices repeated over v's batch (the kernel reads it
 * with batch stride 0), the source of a `broadcastTo` that repeats one matrix; else null.
 */
function addendOf(c: number, v: Value, values: readonly Value[]): number | null {
  const x = values[c]!;
  if (x.dtype !== 'float32') return null;
  if (x.kind === 'op' && x.prim.name === 'broadcastTo' && isSharedMatrix(values[x.inputs[0]!]!.shape, v.shape)) return x.inputs[0]!;
  if (sameShape(x.shape, v.shape) || isSharedMatrix(x.shape, v.shape)) return c;
  return null;
}

/**
 * `addScaled(C, P, α)` = C + α·P (an inner step θ − lr·g whose gradient g is a product
 * read only there): the same `gemm`, which rounds α·P and the sum as the axpy kernel
 * does. C has g's shape (from the second inner step on), or is the one θ the first step
 * shares across the tasks' gradients, read by the kernel with batch stride 0.
 */
function addScaledEpilogue(v: OpValue, inputs: number[], values: readonly Value[], uses: Int32Array): Value | null {
  const product = values[inputs[1]!]!;
  if (product.kind !== 'op' || uses[v.inputs[1]!] !== 1 || !sameShape(product.shape, v.shape)) return null;
  const addend = addendOf(inputs[0]!, v, values);
  if (addend === null) return null;
  const p = product.prim.name === 'matmul'
    ? product.params as { transA: boolean; transB: boolean }
    : product.prim.name === 'gemm' && product.inputs.length === 2 && (product.params as GemmParams).alpha === 1 ? product.params as GemmParams : null;
  if (p === null) return null;
  return {
    ...product, prim: gemmPrim as PrimitiveDef<unknown>, params: { transA: p.transA, transB: p.transB, alpha: v.params as number },
    inputs: [...product.inputs, addend], shape: v.shape, fusedFrom: [...(product.fusedFrom ?? [product.prim.name]), 'addScaled'],
  };
}

/** The operand slots of a product consumer that a scale of the operand can move to its α. */
function scalableSlots(v: OpValue): readonly number[] {
  const name = v.prim.name;
  if (name === 'matmul') return [0, 1];
  if (name === 'gemm' && (v.params as GemmParams).alpha === 1) return [0, 1];
  if (name === 'dense' && typeof v.params === 'string') return [0, 1];
  return [];
}

/**
 * `mul(X, s)` with s a one-element float32 constant, read only as a matrix operand of
 * products (`matmul`, `gemm` with α = 1, `dense`; one operand of each) and not returned:
 * every consumer takes X and α = s instead, so the scaled copy of X is never written (the
 * inner learning rate times a weight gradient that both the backward's `dense` and `gemm`
 * read, when the gradient itself is also needed unscaled and no epilogue could absorb the
 * scale). Kept if any consumer cannot absorb it. NOT the same bits: the consumers compute
 * s·(op(A)·op(B)) instead of op(A)·op(s·B), equal up to float32 rounding (s·W rounded
 * once per element, against the product rounded once more: about one ulp of each
 * product element's Σ|terms|; test/jit-fold.test.ts bounds it), so {@link optimize} runs
 * it only when asked (`foldScales`).
 */
export function foldScalarIntoProducts(g: Graph): Graph {
  const uses = useCounts(g);
  const consumers: number[][] = g.values.map(() => []);
  g.values.forEach((v, i) => { if (v.kind === 'op') for (const x of new Set(v.inputs)) consumers[x]!.push(i); });
  const returned = new Set(g.outputs);
  // scaled[id] = [X, s] for every mul every consumer of which can absorb s.
  const scaled = new Map<number, readonly [number, number]>();
  g.values.forEach((v, id) => {
    if (v.kind !== 'op' || v.prim.name !== 'mul' || v.dtype !== 'float32' || returned.has(id) || consumers[id]!.length === 0) return;
    for (let k = 0; k < 2; k++) {
      const x = g.values[v.inputs[k]!]!, s = g.values[v.inputs[1 - k]!]!;
      if (s.kind !== 'const' || s.data.length !== 1 || !Number.isFinite(s.data[0]!) || !sameShape(x.shape, v.shape) || x.dtype !== 'float32') continue;
      const absorbs = consumers[id]!.every((c) => {
        const cv = g.values[c] as OpValue;
        const slots = cv.inputs.flatMap((x2, j) => (x2 === id ? [j] : []));
        return slots.length === 1 && scalableSlots(cv).includes(slots[0]!);
      });
      if (absorbs && uses[id] === consumers[id]!.length) scaled.set(id, [v.inputs[k]!, s.data[0]!]);
      return;
    }
  });
  if (scaled.size === 0) return g;
  return rebuild(g, (v, _values, id) => {
    if (v.kind !== 'op') return v;
    const inputs = v.inputs.map(id);
    const k = v.inputs.findIndex((x) => scaled.has(x));
    if (k < 0 || !scalableSlots(v).includes(k)) return { ...v, inputs };
    const [x, s] = scaled.get(v.inputs[k]!)!;
    inputs[k] = id(x);
    const fusedFrom = ['mul', ...(v.fusedFrom ?? [v.prim.name])];
    if (v.prim.name === 'dense') return { ...v, inputs, params: { act: v.params as string, alpha: s }, fusedFrom };
    const p = v.params as { transA: boolean; transB: boolean };
    return { ...v, prim: gemmPrim as PrimitiveDef<unknown>, inputs, params: { transA: p.transA, transB: p.transB, alpha: s }, fusedFrom };
  });
}

/**
 * `sum(P, axis 0)` of a batch of products P_t = C_t + α·A_tᵀ·B_t (a `matmul` or `gemm`
 * with transA and not transB, rank 3, each read only by the next link of the chain):
 * the batch's products summed are one product over the concatenated reduction axis,
 * Σ_t A_tᵀ B_t = [A_1; …; A_T]ᵀ [B_1; …; B_T] — a reshape of A and B, no copy — plus
 * the summed addends, merged the same way while they are such products. The meta-
 * gradient of a weight shared by every task is such a sum (per task 40×10·10×40, summed
 * over 25 tasks: one 40×250·250×40 product instead of 25 short ones and a pass over
 * all of them). NOT the same bits: the terms are added in another order (equal to
 * float32 rounding of Σ|terms|; test/jit-fold.test.ts bounds it), so {@link optimize}
 * runs it only when asked (`mergeBatchSums`).
 */
export function mergeBatchSums(g: Graph): Graph {
  const uses = useCounts(g);
  return rebuild(g, (v, values, id) => {
    if (v.kind !== 'op') return v;
    const inputs = v.inputs.map(id);
    const plain = { ...v, inputs };
    const p = v.params as { axes?: readonly number[]; keepDims?: boolean };
    if (v.prim.name !== 'sum' || v.dtype !== 'float32' || p.axes?.length !== 1 || p.axes[0] !== 0) return plain;
    const push = (x: Value): number => { values.push(x); return values.length - 1; };
    // The merged form of sum(x) over axis 0 (x an old id), or null when x is not a mergeable product.
    const merged = (x: number): Value | null => {
      const u = g.values[x]!;
      if (u.kind !== 'op' || uses[x] !== 1 || u.dtype !== 'float32' || u.shape.length !== 3) return null;
      const isProduct = u.prim.name === 'matmul' || (u.prim.name === 'gemm' && u.inputs.length <= 3);
      const q = u.params as { transA: boolean; transB: boolean; alpha?: number };
      if (!isProduct || !q.transA || q.transB) return null;
      const [T, m, n] = u.shape as [number, number, number];
      const [a, b] = [g.values[u.inputs[0]!]!, g.values[u.inputs[1]!]!];
      if (a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== T || b.shape[0] !== T) return null;
      const c = u.inputs[2];
      if (c !== undefined && !sameShape(g.values[c]!.shape, u.shape)) return null;
      const flat = (old: number, cols: number): number =>
        push({ kind: 'op', prim: reshapePrim as PrimitiveDef<unknown>, params: [1, T * a.shape[1]!, cols], inputs: [id(old)], shape: [1, T * a.shape[1]!, cols], dtype: 'float32' });
      const ins = [flat(u.inputs[0]!, m), flat(u.inputs[1]!, n)];
      if (c !== undefined) ins.push(push(merged(c) ?? { kind: 'op', prim: sumPrim as PrimitiveDef<unknown>, params: { axes: [0], keepDims: true }, inputs: [id(c)], shape: [1, m, n], dtype: 'float32' }));
      return {
        kind: 'op', prim: gemmPrim as PrimitiveDef<unknown>, params: { transA: true, transB: false, alpha: q.alpha ?? 1 }, inputs: ins,
        shape: [1, m, n], dtype: 'float32', fusedFrom: [...(u.fusedFrom ?? [u.prim.name]), 'sum'],
      };
    };
    const m = merged(v.inputs[0]!);
    if (m === null) return plain;
    if (p.keepDims) return m;
    const mid = push(m);
    return { kind: 'op', prim: reshapePrim as PrimitiveDef<unknown>, params: v.shape, inputs: [mid], shape: v.shape, dtype: 'float32' };
  });
}

/** Elementwise primitives a chain may hold: one output element from the same element of each operand (or a scalar). */
const CHAINABLE: ReadonlySet<string> = new Set<PrimitiveName>([
  ...BINARY_NAMES, 'neg', 'exp', 'log', 'sin', 'cos', 'tanh', 'sqrt', 'abs', 'sign', 'sigmoid', 'relu', 'step', 'square', 'reciprocal',
  'activationGrad',
]);

function chainable(v: Value): v is OpValue {
  return v.kind === 'op' && CHAINABLE.has(v.prim.name);
}

/**
 * Elementwise chains: an elementwise op whose elementwise operands of its shape are read
 * only by it joins them into one `elementwiseChain`, which runs every member's kernel
 * block by block (so the bits are unchanged) with the intermediates in a small register
 * file: the add → activation-backward pairs of every second-order backward, an Adam
 * update's dozen ops per parameter.
 */
export function fuseElementwiseChains(g: Graph): Graph {
  const uses = useCounts(g);
  const n = g.values.length;
  // consumer[x]: the op a member x is fused into (x is read there only), or −1.
  const consumer = new Int32Array(n).fill(-1);
  // Blocks of a chain walk every operand in step: each is of the chain's size, or one element.
  const eligible = (v: Value): v is OpValue => chainable(v) && v.inputs.every((x) => {
    const u = g.values[x]!, size = sizeOfValue(u);
    return u.dtype === v.dtype && (size === 1 || sameShape(u.shape, v.shape));
  });
  g.values.forEach((v, id) => {
    if (!eligible(v)) return;
    for (const x of v.inputs) {
      const u = g.values[x]!;
      if (eligible(u) && uses[x] === 1 && consumer[x]! < 0 && sameShape(u.shape, v.shape)) consumer[x] = id;
    }
  });
  const rootOf = (id: number): number => { while (consumer[id]! >= 0) id = consumer[id]!; return id; };
  const members = new Map<number, number[]>();
  for (let id = 0; id < n; id++) {
    if (consumer[id]! < 0) continue;
    const r = rootOf(id);
    let list = members.get(r);
    if (list === undefined) members.set(r, (list = []));
    list.push(id);
  }
  const values: Value[] = [];
  const map = new Array<number>(n);
  g.values.forEach((v, old) => {
    const group = members.get(old);
    let out: Value;
    if (v.kind !== 'op') out = v;
    else if (group === undefined) out = { ...v, inputs: v.inputs.map((x) => map[x]!) };
    else {
      const order = [...group, old]; // ascending ids: topological
      const memberIndex = new Map(order.map((m, j) => [m, j]));
      const inputs: number[] = [];
      const inputIndex = new Map<number, number>();
      const refs = order.map((m) => (g.values[m] as OpValue).inputs.map((x) => {
        const j = memberIndex.get(x);
        if (j !== undefined) return { member: j };
        let k = inputIndex.get(x);
        if (k === undefined) { k = inputs.length; inputs.push(x); inputIndex.set(x, k); }
        return { input: k };
      }));
      const steps: ChainStep[] = order.map((m, j) => {
        const mv = g.values[m] as OpValue;
        return { prim: mv.prim, params: mv.params, args: refs[j]!.map((r) => ('member' in r ? inputs.length + r.member! : r.input!)) };
      });
      const params: ChainParams = { steps, registers: steps.length - 1 };
      out = {
        kind: 'op', prim: chainPrim as PrimitiveDef<unknown>, params, inputs: inputs.map((x) => map[x]!),
        shape: v.shape, dtype: v.dtype, fusedFrom: order.map((m) => (g.values[m] as OpValue).prim.name),
      };
    }
    map[old] = values.length;
    values.push(out);
  });
  return { values, outputs: g.outputs.map((o) => map[o]!) };
}

/** Options of {@link optimize}. */
export interface OptimizeOptions {
  /**
   * Run {@link foldScalarIntoProducts}: faster, but the results are no longer eager's bits
   * (equal to float32 rounding), so off by default — `jit` promises eager's bits.
   */
  readonly foldScales?: boolean;
  /** Run {@link mergeBatchSums}: faster, equal to float32 rounding (another summation order), so off by default. */
  readonly mergeBatchSums?: boolean;
}

/** The standard pipeline: simplify, merge duplicates, fuse, drop the dead. */
export function optimize(g: Graph, options: OptimizeOptions = {}): Graph {
  let fused = eliminateDeadCode(fuseMatmulEpilogue(fuseBiasAdd(eliminateCommonSubexpressions(simplify(g)))));
  if (options.mergeBatchSums) fused = eliminateDeadCode(mergeBatchSums(fused));
  // After the epilogues: a scale that one product reads alone is fused there, bit for bit.
  if (options.foldScales) fused = eliminateDeadCode(foldScalarIntoProducts(fused));
  return eliminateDeadCode(fuseElementwiseChains(fused));
}

export type { ConstValue, OpValue };
