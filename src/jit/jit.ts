/**
 * `jit`: trace a function of tensor trees once per input signature, optimise the
 * graph, plan its memory and run the compiled program on later calls.
 */
import { Tensor } from '../tensor/tensor.ts';
import { getBackend } from '../backend/registry.ts';
import { activeStager, bindMulti, type MultiPrimitiveDef } from '../autodiff/primitive.ts';
import { vjp } from '../autodiff/transforms.ts';
import { empty } from '../ops/core.ts';
import { JitError } from './errors.ts';
import { SignatureMatcher, flattenArgs, flattenOutput, identity, rebuildArgs } from './signature.ts';
import { trace } from './trace.ts';
import { optimize } from './passes.ts';
import { formatGraph } from './graph.ts';
import { Program, type ProgramStats } from './program.ts';

/**
 * Options of {@link jit}.
 *
 * @example
 * ```ts
 * const step = jit((w: Tensor, g: Tensor) => sub(w, mul(g, 0.1)), { cacheSize: 4, name: 'sgdStep' });
 * step(tensor([1, 2]), tensor([10, 10])).toArray(); // [0, 1]
 * ```
 */
export interface JitOptions {
  /** Compiled programs kept (least recently used evicted). Default 8. */
  readonly cacheSize?: number;
  /**
   * Return the same output tensors, in the same result tree, on every call with one
   * signature (they are overwritten by the next call): a call then allocates nothing
   * at all (test/jit-alloc.test.ts). Default false.
   */
  readonly reuseOutputs?: boolean;
  /** Name used in errors and listings. Default `jit(<f.name>)`. */
  readonly name?: string;
  /**
   * Move a constant scale that only products read into their α (`x·(s·W)` computed as
   * `s·(x·W)`), saving a pass over the scaled operand (the inner step's −α·θ̄ of a
   * second-order meta-gradient). Off by default: results then equal eager execution to
   * float32 rounding, not bit for bit (test/jit-fold.test.ts bounds the difference).
   */
  readonly foldScales?: boolean;
  /**
   * Sum a batch of products over the batch as one longer product (Σ_t A_tᵀB_t =
   * [A_1; …]ᵀ[B_1; …]): the meta-gradient of a weight every task shares, one product
   * instead of one per task and a pass over them. Off by default: another summation
   * order, so results equal eager execution to float32 rounding (test/jit-fold.test.ts).
   */
  readonly mergeBatchSums?: boolean;
  /**
   * Every rewrite that changes rounding: `foldScales` and `mergeBatchSums` (each can still
   * be set on its own). 12–24% off a compiled second-order MAML meta-gradient
   * measured alone, 2% end to end on the sinusoid run (BENCHMARKS.md); results equal eager execution to float32 rounding. Default false.
   */
  readonly fastMath?: boolean;
}

/**
 * What a compiled program costs, from {@link Jitted.lower}.
 *
 * @example
 * ```ts
 * const low = jit((x: Tensor) => sum(square(x))).lower(tensor([1, 2]));
 * console.log(low.ops, low.arenaBytes, low.listing);
 * ```
 */
export interface Lowered extends ProgramStats {
  /** Values traced before optimisation (ops, inputs and constants). */
  readonly tracedValues: number;
  /** Ops the compiler fused from several (e.g. a bias add into its matmul); ops fused by construction, as `dense`, are not counted. */
  readonly fusedGroups: number;
  /** Traces this jitted function has run so far, over all signatures (a count that keeps growing means retracing). */
  readonly traces: number;
  /** Milliseconds to trace, and to optimise and plan. */
  readonly traceMs: number;
  readonly compileMs: number;
  /** The optimised program, one value per line. */
  readonly listing: string;
}

/**
 * A jitted function: same signature as the original, plus introspection.
 *
 * @example
 * ```ts
 * const f = jit((x: Tensor) => sum(square(x)));
 * f(tensor([1, 2])); f(tensor([3, 4]));
 * f.traceCount; // 1: the second call ran the cached program
 * ```
 */
export interface Jitted<A extends unknown[], R> {
  (...args: A): R;
  /** Compiles (or fetches) the program for these arguments without running it, and describes it. */
  lower(...args: A): Lowered;
  /** How many times `f` has been traced (one per new signature, plus re-traces after eviction). */
  readonly traceCount: number;
  /** Programs currently cached. */
  readonly cacheSize: number;
  /** Drops every cached program and gives back its memory. */
  clear(): void;
}

interface Entry {
  readonly program: Program;
  readonly rebuild: (leaves: readonly Tensor[]) => unknown;
  readonly tracedValues: number;
  readonly traceMs: number;
  readonly compileMs: number;
  /** Recognises this signature's arguments without building the key (the fast path). */
  readonly matcher: SignatureMatcher;
  readonly backend: object;
  calibrated: boolean;
  outputs: Tensor[] | undefined;
  /** With `reuseOutputs`: the result tree over `outputs`, returned again on every call. */
  tree: unknown;
}

/** The key prefix naming the current backend (a program is compiled for one backend). */
const backendTexts = new WeakMap<object, string>();
function backendText(): string {
  const backend = getBackend();
  let text = backendTexts.get(backend);
  if (text === undefined) backendTexts.set(backend, (text = `b${identity(backend)}`));
  return text;
}

/** No leaf is being differentiated (else the call goes through `runDifferentiated`). */
function allConcrete(leaves: readonly Tensor[]): boolean {
  for (let i = 0; i < leaves.length; i++) if (leaves[i]!.level !== 0) return false;
  return true;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Compiles `f`, a function of tensors and trees of tensors (arrays, plain objects),
 * into a program run without per-op allocation. The first call with a given
 * signature — tree structure, shapes, dtypes, plain numbers/strings/booleans (static
 * values), the backend — traces `f` through every nested `grad`, `vjp`, `hvp`,
 * `checkpoint`, … into one flat graph of primitives; dead code and duplicates are
 * removed, identities simplified, transposes folded into matmul flags, and every
 * intermediate given a planned place in one arena (in wasm memory on the wasm
 * backend). Later calls with the same signature only copy the inputs in, run the
 * kernels and copy the outputs out (into one new buffer that the call's output tensors
 * share as views). Results equal eager execution bit for bit (the same kernels run in
 * the same order).
 *
 * The rules, as in JAX: inside `f`, reading a traced value (`toArray`, `item`,
 * `toTypedArray`, tensor indices) throws a `JitError` — branch with `where`, or pass
 * the value as a static number; side effects (logging, pushing to arrays) happen once,
 * at trace time; random numbers come in as tensor arguments; tensors `f` captures
 * from its closure are constants frozen at trace time. `jit` composes with the
 * transforms both ways: `jit(grad(f))` compiles the gradient, `grad(jit(f))`
 * differentiates through the compiled program (its backward pass is jitted too).
 *
 * @example
 * ```ts
 * const loss = (w: Tensor, x: Tensor, y: Tensor) => mean(square(sub(matmul(x, w), y)));
 * const step = jit((w: Tensor, x: Tensor, y: Tensor, lr: number) => sub(w, mul(grad(loss)(w, x, y), lr)));
 * const x = tensor([[1, 0], [0, 1], [1, 1]]), y = tensor([[1], [2], [3]]);
 * let w = zeros([2, 1]);
 * for (let i = 0; i < 100; i++) w = step(w, x, y, 0.1); // traced once, then compiled
 * step.traceCount; // 1
 * console.log(step.lower(w, x, y, 0.1).listing);
 * ```
 */
export function jit<A extends unknown[], R>(f: (...args: A) => R, options: JitOptions = {}): Jitted<A, R> {
  const { cacheSize = 8, reuseOutputs = false } = options;
  const name = options.name ?? (f.name ? `jit(${f.name})` : 'jit');
  const fastMath = options.fastMath ?? false;
  if (typeof fastMath !== 'boolean') throw new JitError(`${name}: fastMath must be true or false, got ${JSON.stringify(options.fastMath)}`);
  const foldScales = options.foldScales ?? fastMath;
  const mergeBatchSums = options.mergeBatchSums ?? fastMath;
  if (typeof foldScales !== 'boolean') throw new JitError(`${name}: foldScales must be true or false, got ${JSON.stringify(options.foldScales)}`);
  if (typeof mergeBatchSums !== 'boolean') throw new JitError(`${name}: mergeBatchSums must be true or false, got ${JSON.stringify(options.mergeBatchSums)}`);
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new JitError(`${name}: cacheSize must be a positive integer, got ${cacheSize}`);
  const cache = new Map<string, Entry>();
  // The entry of the latest call: a call with its signature skips key building and the LRU shuffle.
  let latest: Entry | undefined;
  const vjps = new Map<string, Jitted<[Tensor[], Tensor[]], Tensor[]>>();
  let traces = 0;

  const compile = (args: A, leaves: readonly Tensor[], key: string): Entry => {
    const t0 = now();
    const traced = trace(name, (staged) => f(...rebuildArgs(args, staged)), leaves);
    traces++;
    const t1 = now();
    const graph = optimize(traced.graph, { foldScales, mergeBatchSums });
    const program = new Program(graph, getBackend());
    const entry: Entry = {
      program, rebuild: traced.rebuild, tracedValues: traced.graph.values.length,
      traceMs: t1 - t0, compileMs: now() - t1, matcher: new SignatureMatcher(args), backend: getBackend(),
      calibrated: false, outputs: undefined, tree: undefined,
    };
    cache.set(key, entry);
    while (cache.size > cacheSize) {
      const [oldKey, old] = cache.entries().next().value as [string, Entry];
      cache.delete(oldKey);
      vjps.delete(oldKey);
      if (latest === old) latest = undefined;
      old.program.release();
    }
    return entry;
  };

  const entryFor = (args: A, leaves: readonly Tensor[], key: string): Entry => {
    let entry = cache.get(key);
    if (entry === undefined) entry = compile(args, leaves, key);
    else if (entry !== latest) { cache.delete(key); cache.set(key, entry); }
    return latest = entry;
  };

  const runEntry = (entry: Entry, leaves: readonly Tensor[]): R => {
    if (!entry.calibrated) {
      const out = entry.program.calibrate(leaves);
      entry.calibrated = true;
      if (!reuseOutputs) return entry.rebuild(out) as R;
      entry.outputs = out;
      return (entry.tree = entry.rebuild(out)) as R;
    }
    if (!reuseOutputs) return entry.rebuild(entry.program.run(leaves)) as R;
    entry.program.run(leaves, entry.outputs);
    return entry.tree as R;
  };

  // grad(jit(f)): the compiled program is one multi-output primitive whose rule runs
  // the jitted vjp of f, so every order of differentiation stays compiled.
  const runDifferentiated = (args: A, leaves: readonly Tensor[], key: string): R => {
    let rebuildOut: ((l: readonly Tensor[]) => unknown) | null = null;
    let outMeta: { shape: readonly number[]; dtype: Tensor['dtype'] }[] = [];
    const prim: MultiPrimitiveDef<null> = {
      multiOutput: true,
      name,
      forward: (concrete) => {
        const result = flattenOutput(jitted(...rebuildArgs(args, concrete)));
        rebuildOut = result.rebuild;
        outMeta = result.leaves.map((t) => ({ shape: t.shape, dtype: t.dtype }));
        return result.leaves;
      },
      vjp: (gs, primals) => {
        let back = vjps.get(key);
        if (back === undefined) {
          back = jit((ls: Tensor[], cts: Tensor[]) => {
            const [, pull] = vjp((...xs: Tensor[]) => flattenOutput(f(...rebuildArgs(args, xs))).leaves, ...ls);
            return pull(cts);
          }, { name: `${name}.vjp`, cacheSize, foldScales, mergeBatchSums });
          vjps.set(key, back);
        }
        const cts = gs.map((g, k) => g ?? empty(outMeta[k]!.dtype, outMeta[k]!.shape));
        return back([...primals], cts);
      },
    };
    const outputs = bindMulti(prim, leaves, null);
    return rebuildOut!(outputs) as R;
  };

  const jitted = ((...args: A): R => {
    // Called while another jit traces: f becomes part of that trace.
    if (activeStager() !== null) return f(...args);
    const recent = latest;
    if (recent !== undefined && recent.backend === getBackend()) {
      const matched = recent.matcher.match(args);
      if (matched !== null) {
        try {
          if (allConcrete(matched)) return runEntry(recent, matched);
        } finally {
          recent.matcher.forget();
        }
      }
    }
    const { leaves, key } = flattenArgs(args, name, backendText());
    if (!allConcrete(leaves)) return runDifferentiated(args, leaves, key);
    return runEntry(entryFor(args, leaves, key), leaves);
  }) as Jitted<A, R>;

  Object.defineProperties(jitted, {
    traceCount: { get: () => traces },
    cacheSize: { get: () => cache.size },
  });
  (jitted as { lower: Jitted<A, R>['lower'] }).lower = (...args: A): Lowered => {
    const { leaves, key } = flattenArgs(args, name, backendText());
    if (leaves.some((t) => t.level !== 0)) throw new JitError(`${name}.lower: call it on concrete tensors, not inside a transform`);
    const entry = entryFor(args, leaves, key);
    return {
      ...entry.program.stats(),
      tracedValues: entry.tracedValues,
      fusedGroups: entry.program.graph.values.filter((v) => v.kind === 'op' && v.fusedFrom !== undefined).length,
      traces,
      traceMs: entry.traceMs,
      compileMs: entry.compileMs,
      listing: formatGraph(entry.program.graph),
    };
  };
  (jitted as { clear: () => void }).clear = (): void => {
    for (const e of cache.values()) e.program.release();
    cache.clear();
    latest = undefined;
    vjps.clear();
  };
  unreachableJits.register(jitted, cache);
  return jitted;
}

/**
 * Gives a compiled function's arenas back once the function itself is garbage: without
 * it, every learner or study that builds its own jitted functions would keep their wasm
 * memory for good. Results never alias an arena (they are copied out), so nothing a
 * caller still holds is freed.
 */
const unreachableJits = new FinalizationRegistry<Map<string, Entry>>((cache) => {
  for (const e of cache.values()) e.program.release();
});
