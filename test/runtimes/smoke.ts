/**
 * The runtime smoke suite: shared by Node, Deno and Chromium, it loads the library
 * through a caller-supplied importer (source `.ts` files or the `dist/` build), checks
 * a few closed forms and backend selection, and runs fixed-seed workloads on every
 * backend, returning hashes of their Float32 results.
 *
 * It uses only what all three runtimes have (no `process`, `Deno` or DOM), so the
 * same file runs everywhere; the runners compare the reports: *same seed, same bits*.
 *
 * NOTE: the workloads set the backend explicitly and restore the previous one, since
 * in Node the source modules are shared with other test files in the same process.
 */
import { fnv64, Fnv64 } from './hash.ts';

type IndexModule = typeof import('../../src/index.ts');
type WasmModule = typeof import('../../src/backend/wasm/index.ts');
type NnModule = typeof import('../../src/nn/index.ts');
type MetaModule = typeof import('../../src/meta/index.ts');
type OptimModule = typeof import('../../src/optim/index.ts');
type EnvModule = typeof import('../../src/rl/env/index.ts');
type PolicyModule = typeof import('../../src/rl/policy.ts');
type MamlRlModule = typeof import('../../src/rl/mamlrl.ts');
type Tensor = InstanceType<IndexModule['Tensor']>;

/** The library's modules, loaded from one place (source or build). */
export interface Library {
  readonly index: IndexModule;
  readonly wasm: WasmModule;
  readonly nn: NnModule;
  readonly meta: MetaModule;
  readonly optim: OptimModule;
  readonly env: EnvModule;
  readonly policy: PolicyModule;
  readonly mamlrl: MamlRlModule;
}

/** Lines around the JSON reports that a child process prints on stdout. */
export const REPORT_BEGIN = '--- smoke report begin ---';
export const REPORT_END = '--- smoke report end ---';

/** Module paths relative to the library root, without extension. */
const MODULES = {
  index: 'index', wasm: 'backend/wasm/index', nn: 'nn/index', meta: 'meta/index', optim: 'optim/index',
  env: 'rl/env/index', policy: 'rl/policy', mamlrl: 'rl/mamlrl',
} as const;

/**
 * Loads every module the suite needs. `root` is a URL (or a path the runtime's
 * `import()` accepts) ending in `/`, `ext` `.ts` for sources or `.js` for the build.
 * `index` is imported first, so its top-level initialisation runs before anything else.
 */
export async function loadLibrary(root: string, ext: '.ts' | '.js', importer: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<Library> {
  const load = (path: string) => importer(`${root}${path}${ext}`);
  const index = await load(MODULES.index);
  const rest = await Promise.all(Object.values(MODULES).slice(1).map(load));
  const names = Object.keys(MODULES).slice(1);
  return Object.fromEntries([['index', index], ...names.map((n, i) => [n, rest[i]])]) as unknown as Library;
}

/**
 * The library from one bundled file whose exports are the {@link Library} namespaces
 * (`out/bundle/metagrad-all.min.js`, written by `scripts/bundle.mjs`).
 */
export async function loadBundle(url: string, importer: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<Library> {
  const bundle = await importer(url) as Record<string, unknown>;
  const missing = Object.keys(MODULES).filter((name) => typeof bundle[name] !== 'object');
  if (missing.length > 0) throw new Error(`loadBundle: ${url} lacks the namespaces ${missing.join(', ')}`);
  return bundle as unknown as Library;
}

/** One workload's fingerprint on one backend. */
export interface WorkloadResult {
  /** FNV-1a 64 of every Float32Array (and float64 number) the workload produced, in order. */
  readonly hash: string;
  /** A few of the numbers, to print when hashes differ. */
  readonly sample: readonly number[];
  readonly ms: number;
}

export interface Check { readonly name: string; readonly ok: boolean; readonly detail: string }

export interface SmokeReport {
  readonly runtime: string;
  readonly source: string;
  /** The backend selected right after `index` was imported (before this suite touched anything). */
  readonly defaultBackend: string;
  readonly backends: readonly string[];
  /** Whether the runtime validates WebAssembly SIMD at all. */
  readonly simd: boolean;
  /** The wasm variant the suite ran, or null where the ts fallback was the only backend. */
  readonly wasmVariant: string | null;
  readonly checks: readonly Check[];
  /** results[backend][workload]. */
  readonly results: Readonly<Record<string, Readonly<Record<string, WorkloadResult>>>>;
  readonly ms: number;
}

export interface SmokeOptions {
  readonly runtime: string;
  readonly source: string;
  /** Workload names to run (default: all). */
  readonly workloads?: readonly string[];
  /** Backends to run on (default: `ts` and, where it loaded, `wasm`). */
  readonly backends?: readonly string[];
}

/** A name for the current runtime, from globals only. */
export function runtimeName(): string {
  const g = globalThis as { Deno?: { version?: { deno?: string } }; process?: { versions?: { node?: string } }; navigator?: { userAgent?: string } };
  if (g.Deno) return `deno ${g.Deno.version?.deno ?? '?'}`;
  if (g.process?.versions?.node) return `node ${g.process.versions.node}`;
  const ua = g.navigator?.userAgent ?? 'unknown';
  const chrome = /(?:Headless)?Chrome\/([\d.]+)/.exec(ua);
  return chrome ? `chromium ${chrome[1]}` : ua;
}

/** Minimal SIMD module (`v128.const` + `drop`): validates iff the runtime has wasm SIMD. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 11,
]);

function hasWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Collects the Float32 outputs of a workload into one hash and a short sample. */
class Digest {
  private readonly h = new Fnv64();
  readonly sample: number[] = [];

  tensors(tree: unknown, lib: Library): this {
    for (const leaf of lib.index.treeLeaves(tree as never) as Tensor[]) this.array(leaf.data);
    return this;
  }

  array(data: Float32Array | Float64Array | Int32Array): this {
    this.h.update(data);
    if (this.sample.length < 6 && data.length > 0) this.sample.push(data[0]!, data[data.length - 1]!);
    return this;
  }

  number(x: number): this {
    this.h.updateNumber(x);
    if (this.sample.length < 8) this.sample.push(x);
    return this;
  }

  hex(): string {
    return this.h.hex();
  }
}

type Workload = (lib: Library, digest: Digest) => void;

function mamlWorkload(lib: Library, digest: Digest, speed: { recycleMemory?: boolean; jit?: boolean }): void {
  const { Rng } = lib.index;
  const learner = lib.meta.maml({ model: lib.nn.MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01, ...speed });
  const rng = new Rng(20170703);
  let theta = learner.init(rng);
  const outer = lib.optim.adam({ lr: 0.001 });
  let state = outer.init(theta);
  for (let step = 0; step < 2; step++) {
    const tasks = lib.meta.sinusoidTasks(rng, { numTasks: 25, K: 10 });
    const { loss, grads } = learner.metaGradient(theta, tasks);
    digest.number(loss).tensors(grads, lib);
    ({ params: theta, state } = outer.update(grads, state, theta));
  }
  digest.tensors(theta, lib);
  const evalTasks = lib.meta.sinusoidTasks(rng, { numTasks: 10, K: 10 });
  for (const x of learner.adaptationCurve(theta, evalTasks, 2)) digest.number(x);
}

function gridMlpWorkload(lib: Library, digest: Digest, jit: boolean): void {
  const { env: E, policy: P, mamlrl: M } = lib;
  const family = E.goalFamily({ layout: 'open', size: 5, seed: 1 });
  const env = new E.VecEnv({ map: E.openRoom(5), numEnvs: 6, maxSteps: 10, observation: { kind: 'oneHot' } });
  const policy = P.mlpPolicy({ obsSize: env.obsSize, numActions: 4, hidden: [16], outputScale: 0.5 });
  const { params, history } = M.metaTrain({
    policy, env, tasks: family.train, iterations: 2, metaBatchSize: 3, outerLr: 0.05, seed: 3,
    innerLr: 0.5, estimator: 'lvc', baseline: 'observation', jit,
  });
  for (const r of history) digest.number(r.preReturn).number(r.postReturn);
  digest.tensors(params, lib);
}

/**
 * Fixed-seed workloads. Each must be deterministic given the backend: any difference
 * between runtimes is a real portability bug (a Math.* function, an iteration order,
 * an uninitialised buffer, a relaxed-SIMD instruction).
 */
export const WORKLOADS: Readonly<Record<string, Workload>> = {
  /** Second-order MAML on sinusoids: MLP 1-40-40-1, 25 tasks batched, one inner step, two Adam steps. */
  maml: (lib, digest) => mamlWorkload(lib, digest, {}),
  /** The same with `recycleMemory`: its digest must equal `maml`'s. */
  mamlRecycled: (lib, digest) => mamlWorkload(lib, digest, { recycleMemory: true }),
  /** The same compiled by `jit` (traced, optimised, run on a planned arena): its digest must equal `maml`'s. */
  mamlJit: (lib, digest) => mamlWorkload(lib, digest, { jit: true }),

  /** Meta-SGD (the fused θ − α⊙g update), two inner steps checkpointed every step (multi-output primitives). */
  metaSgdCheckpointed: (lib, digest) => {
    const learner = lib.meta.metaSgd({ model: lib.nn.MLP({ sizes: [1, 16, 16, 1] }), innerLr: 0.01, innerSteps: 2, checkpointEvery: 1 });
    const rng = new lib.index.Rng(20191009);
    const theta = learner.init(rng);
    const { loss, grads } = learner.metaGradient(theta, lib.meta.sinusoidTasks(rng, { numTasks: 8, K: 5 }));
    digest.number(loss).tensors(grads, lib);
  },

  /** MAML-RL (DiCE) on a 5×5 goal family with a tabular policy: 3 meta-iterations, then test-time adaptation. */
  gridTabular: (lib, digest) => {
    const { env: E, policy: P, mamlrl: M, index } = lib;
    const family = E.goalFamily({ layout: 'open', size: 5, seed: 0 });
    const env = new E.VecEnv({ map: E.openRoom(5), numEnvs: 8, maxSteps: 12 });
    const policy = P.tabularPolicy({ numStates: 25, numActions: 4 });
    const options = { innerLr: 2, estimator: 'dice', baseline: 'state' } as const;
    const { params, history } = M.metaTrain({ policy, env, tasks: family.train, iterations: 3, metaBatchSize: 4, outerLr: 0.2, seed: 7, ...options });
    for (const r of history) digest.number(r.preReturn).number(r.postReturn);
    digest.tensors(params, lib);
    env.setTasks(family.ood[0]!);
    const path = M.adaptationPath(policy, params, env, 1, new index.Rng(11), options);
    digest.tensors(path, lib);
  },

  /** MAML-RL (LVC) with an MLP policy over one-hot observations: exercises matmul, tanh and their second derivatives. */
  gridMlp: (lib, digest) => gridMlpWorkload(lib, digest, false),
  /** The same with `jit` (compiled inner step and meta-gradient; eager rollouts): its digest must equal `gridMlp`'s. */
  gridMlpJit: (lib, digest) => gridMlpWorkload(lib, digest, true),
};

function runChecks(lib: Library, backends: readonly string[]): Check[] {
  const { index: mg } = lib;
  const checks: Check[] = [];
  const check = (name: string, fn: () => string | true): void => {
    try {
      const r = fn();
      checks.push({ name, ok: r === true, detail: r === true ? '' : r });
    } catch (e) {
      checks.push({ name, ok: false, detail: `threw ${(e as Error)?.stack ?? String(e)}` });
    }
  };
  for (const backend of backends) {
    check(`${backend}: third derivative of x^3 is 6`, () => onBackend(mg, backend, () => {
      const f = (x: Tensor) => mg.sum(mg.pow(x, 3));
      const g3 = mg.grad((x: Tensor) => mg.sum(mg.grad((y: Tensor) => mg.sum(mg.grad(f)(y)))(x)))(mg.tensor([1, 2]));
      const got = Array.from(g3.toArray() as number[]);
      return got.length === 2 && got.every((v) => v === 6) || `got [${got.join(', ')}]`;
    }));
    check(`${backend}: matmul of 2×3 by 3×2`, () => onBackend(mg, backend, () => {
      const got = Array.from(mg.matmul(mg.tensor([[1, 2, 3], [4, 5, 6]]), mg.tensor([[1, 0], [0, 1], [1, 1]])).data);
      return got.join(',') === '4,5,10,11' || `got [${got.join(', ')}]`;
    }));
  }
  check('grid render: SVG of a 5×5 room', () => {
    const model = lib.env.tabularModel(lib.env.openRoom(5), { starts: [[4, 0]], goals: [[0, 4]] });
    const svg = lib.env.renderSvg(model, { trajectory: [[4, 0], [3, 0], [3, 1]] });
    return (svg.startsWith('<svg') && svg.includes('<polyline')) || `got ${svg.slice(0, 80)}`;
  });
  return checks;
}

function onBackend<T>(mg: IndexModule, name: string, fn: () => T): T {
  const previous = mg.getBackend().name;
  mg.setBackend(name);
  try {
    return fn();
  } finally {
    mg.setBackend(previous);
  }
}

/**
 * Runs the suite. Initialises the wasm backend (if `index` has not) and registers it,
 * then every check and every workload on every backend.
 */
export async function runSmoke(lib: Library, options: SmokeOptions): Promise<SmokeReport> {
  const started = performance.now();
  const mg = lib.index;
  const defaultBackend = mg.getBackend().name;
  const simd = hasWasmSimd();
  const wasm = await lib.wasm.initWasm();
  if (wasm && !mg.listBackends().includes(wasm.name)) mg.registerBackend(wasm);
  const backends = options.backends ?? ['ts', 'wasm'].filter((name) => mg.listBackends().includes(name));
  const checks = runChecks(lib, backends);
  if (wasm) {
    // Other code in this process (Node runs all test files in one) could have registered another instance as 'wasm'.
    const registered = onBackend(mg, wasm.name, () => mg.getBackend());
    checks.push({ name: 'wasm: the registered backend is the baseline SIMD instance', ok: registered === wasm, detail: registered === wasm ? '' : `registered: ${(registered as { variant?: string }).variant ?? registered.name}` });
  }
  const names = options.workloads ?? Object.keys(WORKLOADS);
  const results: Record<string, Record<string, WorkloadResult>> = {};
  for (const backend of backends) {
    results[backend] = {};
    for (const name of names) {
      const workload = WORKLOADS[name];
      if (!workload) throw new Error(`smoke: unknown workload '${name}'; known: ${Object.keys(WORKLOADS).join(', ')}`);
      const t0 = performance.now();
      const digest = new Digest();
      onBackend(mg, backend, () => workload(lib, digest));
      results[backend][name] = { hash: digest.hex(), sample: digest.sample, ms: Math.round(performance.now() - t0) };
    }
  }
  for (const backend of backends) {
    for (const [base, variant, what] of [['maml', 'mamlRecycled', 'recycleMemory'], ['maml', 'mamlJit', 'jit'], ['gridMlp', 'gridMlpJit', 'jit']] as const) {
      const plain = results[backend]![base], other = results[backend]![variant];
      if (plain && other) {
        checks.push({ name: `${backend}: ${what} changes no bit of the ${base} workload`, ok: plain.hash === other.hash, detail: plain.hash === other.hash ? '' : `${plain.hash} vs ${other.hash}` });
      }
    }
  }
  return {
    runtime: options.runtime, source: options.source, defaultBackend, backends: mg.listBackends(), simd,
    wasmVariant: wasm?.variant ?? null, checks, results, ms: Math.round(performance.now() - started),
  };
}

/** A one-line summary per backend and workload, for logs. */
export function formatReport(r: SmokeReport): string {
  const lines = [`${r.runtime} [${r.source}] default=${r.defaultBackend} backends=${r.backends.join(',')} simd=${r.simd} wasm=${r.wasmVariant} (${r.ms} ms)`];
  for (const [backend, byName] of Object.entries(r.results)) {
    for (const [name, w] of Object.entries(byName)) lines.push(`  ${backend.padEnd(4)} ${name.padEnd(12)} ${w.hash}  ${w.ms} ms`);
  }
  for (const c of r.checks) if (!c.ok) lines.push(`  FAILED check ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

/**
 * Differences between two reports' results (empty when bit-identical), each naming the
 * backend, workload, both hashes and both samples.
 */
export function compareReports(a: SmokeReport, b: SmokeReport): string[] {
  const problems: string[] = [];
  const label = (r: SmokeReport) => `${r.runtime} [${r.source}]`;
  for (const [backend, byName] of Object.entries(a.results)) {
    for (const [name, wa] of Object.entries(byName)) {
      const wb = b.results[backend]?.[name];
      if (!wb) {
        problems.push(`${backend}/${name}: missing from ${label(b)}`);
      } else if (wa.hash !== wb.hash) {
        problems.push(`${backend}/${name}: ${label(a)} ${wa.hash} [${wa.sample.join(', ')}] vs ${label(b)} ${wb.hash} [${wb.sample.join(', ')}]`);
      }
    }
  }
  for (const backend of Object.keys(b.results)) if (!a.results[backend]) problems.push(`${backend}: missing from ${label(a)}`);
  return problems;
}

export { fnv64 };
