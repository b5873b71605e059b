/**
 * The sinusoid regression benchmark of MAML (Finn, Abbeel & Levine, ICML 2017, §5.1),
 * reproduced end to end: meta-train an MLP 1-40-40-1 (ReLU) with inner lr 0.01, meta-batch
 * 25, Adam outer lr 0.001 and one inner step; evaluate the adaptation curve (query MSE
 * after 0..10 SGD steps at the inner lr) on 600 held-out tasks with 100 query points
 * each; compare with a network pretrained on all tasks without meta-learning, fine-tuned
 * the same way. Prints one JSON object (results and wall times) on stdout; progress goes
 * to stderr.
 *
 *   node --import tsx scripts/sinusoid.ts --algo maml --K 10 --iters 70000 --seed 0
 *   node --import tsx scripts/sinusoid.ts --help     # every option, with its default
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { camelCase, type CommandSpec } from '../src/cli/args.ts';
import { scriptArgs, usageFailure } from './script-args.ts';
import { Rng, getBackend, tensor } from '../src/index.ts';
import { selectBackend, type BackendChoice } from '../src/cli/runtime.ts';
import { compareStructure, decodeState, encodeState } from '../src/io/codec.ts';
import { MLP, Linear, fanInUniform, glorotUniform, heNormal, truncatedNormalInit, zerosInit, type Initializer } from '../src/nn/index.ts';
import { adam, withGradientClipping } from '../src/optim/index.ts';
import {
  maml, metaSgd, uniformStepSizes, anil, reptile, pretraining, metaTrain, evaluateAdaptation, sinusoidSampler, sinusoidTasks,
  type MetaLearner, type SinusoidTaskBatch, type SinusoidTaskOptions,
} from '../src/meta/index.ts';

const SPEC: CommandSpec = {
  name: '',
  summary: 'The sinusoid benchmark of MAML (§5.1): meta-train, then the adaptation curve on held-out tasks, against a pretrained baseline.',
  options: [
    { name: 'algo', type: 'choice', choices: ['maml', 'fomaml', 'metasgd', 'anil', 'reptile', 'pretrained'], default: 'maml', description: 'the meta-learner' },
    { name: 'K', type: 'int', min: 1, default: 10, description: 'support points per task' },
    { name: 'iters', type: 'int', min: 0, default: 70000, description: 'meta-iterations' },
    { name: 'query-k', type: 'int', min: 1, description: 'training query points per task (default: K)' },
    { name: 'eval-k', type: 'int', min: 1, description: 'support points per held-out task (default: K; --K 10 --eval-k 5 scores a 10-shot network on 5-shot tasks)' },
    { name: 'init', type: 'choice', choices: ['torch', 'maml', 'glorot', 'he'], default: 'torch', description: 'MLP initialisation: torch U(±1/√fanIn) weights and biases as nn.Linear; maml truncated normal σ 0.01 and zero biases as cbfinn/maml; glorot, he with zero biases' },
    { name: 'lr-init', type: 'string', placeholder: 'LOW,HIGH', description: 'metasgd only: initial step sizes from U[low, high] instead of --inner-lr (the Meta-SGD paper: 0.005,0.1)' },
    { name: 'log-lr', type: 'boolean', description: 'metasgd only: meta-learn log α, so α = exp(·) stays positive' },
    { name: 'val-every', type: 'int', min: 0, default: 0, description: 'score every N iterations on --val-tasks validation tasks (a separate stream); report the best checkpoint as `best` (0: off)' },
    { name: 'val-tasks', type: 'int', min: 1, default: 600, description: 'validation tasks for --val-every' },
    { name: 'eval-sets', type: 'int', min: 1, default: 1, description: 'also score the final network on N − 1 further independent held-out sets; report mean and sd over all N' },
    { name: 'outer-lr-schedule', type: 'choice', choices: ['constant', 'cosine'], default: 'constant', description: "cosine: Adam's lr decays from --outer-lr to 0 over --iters" },
    { name: 'eval-support', type: 'choice', choices: ['uniform', 'stratified'], default: 'uniform', description: 'held-out support inputs uniform on [−5, 5], or the k-th uniform within the k-th of K equal slices (same tasks and query points)' },
    { name: 'save-meta', type: 'string', placeholder: 'FILE', description: 'write the trained meta-parameters (and the seed) as JSON' },
    { name: 'load-meta', type: 'string', placeholder: 'FILE', description: 'score meta-parameters saved with the same --algo and --init instead of training (no baseline)' },
    { name: 'seed', type: 'int', min: 0, default: 0, description: 'training seed' },
    { name: 'inner-lr', type: 'number', above: 0, default: 0.01, description: 'inner-loop step size, in training and evaluation' },
    { name: 'inner-steps', type: 'int', min: 1, default: 1, description: 'inner steps in training' },
    { name: 'meta-batch', type: 'int', min: 1, default: 25, description: 'tasks per meta-batch' },
    { name: 'outer-lr', type: 'number', above: 0, default: 0.001, description: 'Adam step size' },
    { name: 'eval-tasks', type: 'int', min: 1, default: 600, description: 'held-out tasks' },
    { name: 'eval-points', type: 'int', min: 1, default: 100, description: 'query points per held-out task' },
    { name: 'eval-steps', type: 'int', min: 0, default: 10, description: 'adaptation steps of the evaluation curve' },
    { name: 'log-every', type: 'int', min: 1, default: 1000, description: 'a progress line (stderr) every N iterations' },
    { name: 'baseline-iters', type: 'int', min: 0, description: 'iterations of the pretrained baseline (default: --iters; 0 skips it)' },
    { name: 'clip', type: 'number', above: 0, placeholder: 'NORM', description: "clip each task's inner-loop gradient to this global norm, in training and evaluation" },
    { name: 'outer-clip', type: 'number', above: 0, placeholder: 'NORM', description: 'clip the meta-gradient to this global norm before Adam' },
    { name: 'backend', type: 'choice', choices: ['wasm', 'wasm-relaxed', 'ts'], description: 'compute backend (default: wasm where WebAssembly SIMD works; wasm-relaxed: fused multiply-add kernels, Node 20 needs --experimental-wasm-relaxed-simd)' },
    { name: 'jit', type: 'boolean', default: true, description: 'compile the meta-gradient and adaptation curves with jit (--no-jit: eager, recycling memory; the same numbers on wasm)' },
    { name: 'fast-math', type: 'boolean', default: false, description: "with jit: compile with jit's fastMath (scales folded into products, task sums merged: faster, equal to float32 rounding rather than eager's bits)" },
    { name: 'write-eval-tasks', type: 'string', placeholder: 'FILE', description: 'write the held-out tasks as JSON and exit (scripts/reference/sinusoid_torch.py --eval-file scores the same tasks)' },
  ],
};
const parsed = scriptArgs('scripts/sinusoid.ts', SPEC);
// Keyed by the command-line names, as the rest of the script reads them.
const values = Object.fromEntries(SPEC.options.map((o) => [o.name, parsed[camelCase(o.name)]])) as Record<string, string | number | boolean | undefined>;
const file = (name: 'save-meta' | 'load-meta' | 'write-eval-tasks'): string | undefined => values[name] as string | undefined;
const saveMeta = file('save-meta'), loadMeta = file('load-meta'), writeEvalTasks = file('write-eval-tasks');
let backendName = getBackend().name;
if (values.backend !== undefined) {
  try {
    backendName = await selectBackend(values.backend as BackendChoice);
  } catch (e) {
    usageFailure((e as Error).message);
  }
}
const algo = values.algo as string;
const K = values.K as number, iterations = values.iters as number, seed = values.seed as number;
// Query points per task in meta-training (the support set always has K).
const trainQueryK = (values['query-k'] ?? K) as number;
// Support points per held-out (and validation) task.
const evalK = (values['eval-k'] ?? K) as number;
const INITS: Record<string, { weightInit: Initializer; biasInit: Initializer }> = {
  torch: { weightInit: fanInUniform, biasInit: fanInUniform },
  maml: { weightInit: truncatedNormalInit(0.01), biasInit: zerosInit },
  glorot: { weightInit: glorotUniform, biasInit: zerosInit },
  he: { weightInit: heNormal, biasInit: zerosInit },
};
const init = INITS[values.init as string]!;
let lrInitRange: [number, number] | null = null;
if (values['lr-init'] !== undefined) {
  const parts = (values['lr-init'] as string).split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) {
    usageFailure(`--lr-init: expected <low>,<high> with low < high, e.g. 0.005,0.1; got '${values['lr-init']}'`);
  }
  if (algo !== 'metasgd') usageFailure(`--lr-init: only applies to --algo metasgd, got --algo ${algo}`);
  lrInitRange = [parts[0]!, parts[1]!];
}
const outerSchedule = values['outer-lr-schedule'] as 'constant' | 'cosine';
const evalSupport = values['eval-support'] as 'uniform' | 'stratified';
const valEvery = values['val-every'] as number, valTasks = values['val-tasks'] as number, evalSets = values['eval-sets'] as number;
const innerLr = values['inner-lr'] as number, innerSteps = values['inner-steps'] as number;
const metaBatchSize = values['meta-batch'] as number, outerLr = values['outer-lr'] as number;
const evalSteps = values['eval-steps'] as number, logEvery = values['log-every'] as number;
const evalTaskCount = values['eval-tasks'] as number, evalPoints = values['eval-points'] as number;
const baselineIterations = (values['baseline-iters'] ?? iterations) as number;
const clipNorm = values.clip as number | undefined;
// jit, or eager with recycleMemory: the same numbers in less time (the script keeps no intermediate tensors).
const speed = values.jit === true ? { jit: true, fastMath: values['fast-math'] === true } : { recycleMemory: true };
if (values['fast-math'] === true && values.jit !== true) usageFailure('--fast-math needs jit (drop --no-jit)');
const innerOptions = clipNorm === undefined ? speed : { clipNorm, ...speed };
const outerClip = (values['outer-clip'] ?? null) as number | null;

const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu', ...init });
function learnerFor(name: string): MetaLearner<any> {
  switch (name) {
    case 'maml': return maml({ model, innerLr, innerSteps, ...innerOptions });
    case 'fomaml': return maml({ model, innerLr, innerSteps, firstOrder: true, ...innerOptions });
    case 'metasgd': return metaSgd({
      model, innerLr, innerSteps, ...innerOptions, logStepSizes: values['log-lr'] as boolean, ...(lrInitRange && { lrInit: uniformStepSizes(...lrInitRange) }),
    });
    case 'anil': return anil({
      body: MLP({ sizes: [1, 40, 40], activation: 'relu', activateOutput: true, ...init }),
      head: Linear({ inputSize: 40, outputSize: 1, ...init }), innerLr, innerSteps, ...innerOptions,
    });
    case 'reptile': return reptile({ model, innerLr, innerSteps, ...innerOptions });
    case 'pretrained': return pretraining({ model, innerLr, ...innerOptions });
    default: throw new RangeError(`--algo: unknown '${name}' (maml, fomaml, metasgd, anil, reptile, pretrained)`);
  }
}

// Held-out tasks from their own stream, the same for every algorithm and training seed.
/** Held-out tasks; with --eval-support stratified, the same tasks with stratified support inputs. */
function heldOut(rng: Rng, options: SinusoidTaskOptions): SinusoidTaskBatch {
  const tasks = sinusoidTasks(rng, options);
  if (evalSupport === 'uniform') return tasks;
  // x = −5 + 10u with u uniform: move the k-th support point into the k-th slice.
  const T = options.numTasks!, k = options.K!, xs = tasks.support.x.data;
  const sx = new Array<number>(T * k), sy = new Array<number>(T * k);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < k; j++) {
      const u = (xs[t * k + j]! + 5) / 10;
      sx[t * k + j] = -5 + (10 * (j + u)) / k;
      sy[t * k + j] = tasks.amplitude[t]! * Math.sin(sx[t * k + j]! - tasks.phase[t]!);
    }
  }
  return { ...tasks, support: { x: tensor(sx, [T, k, 1]), y: tensor(sy, [T, k, 1]) } };
}
const evalTasks = heldOut(new Rng(1_000_003), { numTasks: evalTaskCount, K: evalK, queryK: evalPoints });
// Validation tasks for --val-every, from a third stream (neither training nor held out).
const valSet = valEvery > 0 ? sinusoidTasks(new Rng(2_000_003), { numTasks: valTasks, K: evalK, queryK: evalPoints }) : null;
if (writeEvalTasks !== undefined) {
  const { support, query } = evalTasks;
  writeFileSync(writeEvalTasks, JSON.stringify({
    K: evalK, sx: Array.from(support.x.data), sy: Array.from(support.y.data), qx: Array.from(query.x.data), qy: Array.from(query.y.data),
  }));
  process.exit(0);
}

// --load-meta: meta-parameters saved by --save-meta (with the training seed, from 2026-12-02 on).
const saved = loadMeta === undefined ? null
  : JSON.parse(readFileSync(loadMeta, 'utf8')) as { algo: string; init: string; seed?: number; meta: unknown };

function run(name: string, iters: number) {
  const learner = learnerFor(name);
  const started = performance.now();
  const lr = outerSchedule === 'cosine' ? (step: number) => outerLr * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, iters) / Math.max(iters, 1))) : outerLr;
  const rng = new Rng(seed), optimizer = outerClip === null ? adam({ lr }) : withGradientClipping(adam({ lr }), outerClip), sampleTasks = sinusoidSampler({ K, queryK: trainQueryK });
  const onLog = (i: number, loss: number) => process.stderr.write(`${name} ${i}/${iters} meta-loss ${loss.toFixed(4)} ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  // Training in chunks of --val-every iterations, passing meta, optimiser state and rng on,
  // is the same computation as one metaTrain call (same task stream, same Adam state).
  const chunk = valSet !== null && name !== 'pretrained' ? valEvery : iters;
  let meta: any, optimizerState: any;
  const history: { iteration: number; loss: number }[] = [];
  const validation: { iteration: number; val1: number }[] = [];
  let best: { iteration: number; val1: number; meta: any } | null = null;
  if (saved !== null) {
    if (saved.algo !== name || saved.init !== values.init) {
      usageFailure(`--load-meta: ${loadMeta} holds --algo ${saved.algo} --init ${saved.init}, not --algo ${name} --init ${values.init}`);
    }
    // The checkpoint codec: typed, CRC-checked tensors; a structure mismatch names its path.
    meta = decodeState(saved.meta);
    const mismatch = compareStructure(learner.init(new Rng(0)), meta);
    if (mismatch) usageFailure(`--load-meta: ${loadMeta} does not fit this network (${mismatch})`);
  }
  for (let done = 0; saved === null && (done < iters || done === 0); ) {
    const n = Math.min(chunk, iters - done);
    const out = metaTrain({
      learner, optimizer, sampleTasks, metaBatchSize, iterations: n, rng, logEvery,
      ...(meta !== undefined && { meta, optimizerState }),
      onLog: (i, loss) => onLog(done + i, loss),
    });
    ({ meta, optimizerState } = out);
    history.push(...out.history.map((h) => ({ iteration: done + h.iteration, loss: h.loss })));
    done += n;
    if (chunk < iters) {
      const val1 = evaluateAdaptation(learner, meta, valSet!, 1)[1]!;
      validation.push({ iteration: done, val1: round(val1) });
      process.stderr.write(`${name} ${done}/${iters} validation MSE after 1 step ${val1.toFixed(4)}\n`);
      if (best === null || val1 < best.val1) best = { iteration: done, val1, meta };
    }
    if (n === 0) break;
  }
  const trainSeconds = (performance.now() - started) / 1000;
  if (saveMeta !== undefined && name !== 'pretrained') {
    writeFileSync(saveMeta, JSON.stringify({ algo: name, init: values.init, seed, meta: encodeState(meta) }));
  }
  const summary = (m: any) => {
    const curve = evaluateAdaptation(learner, m, evalTasks, evalSteps);
    return { mse: { steps0: round(curve[0]!), steps1: round(curve[1]!), steps10: round(curve[Math.min(10, evalSteps)]!) }, curve: curve.map(round) };
  };
  // Further held-out sets, each from its own stream (seeds 1_000_004, 1_000_005, …).
  let sets = null;
  if (evalSets > 1) {
    const per: { steps1: number; steps10: number }[] = [];
    for (let i = 0; i < evalSets; i++) {
      const tasks = i === 0 ? evalTasks : heldOut(new Rng(1_000_003 + i), { numTasks: evalTaskCount, K: evalK, queryK: evalPoints });
      const curve = evaluateAdaptation(learner, meta, tasks, Math.min(10, evalSteps));
      per.push({ steps1: curve[1]!, steps10: curve[curve.length - 1]! });
    }
    const stats = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { mean: round(m), sd: round(Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))), min: round(Math.min(...xs)), max: round(Math.max(...xs)) };
    };
    sets = { count: evalSets, steps1: stats(per.map((p) => p.steps1)), steps10: stats(per.map((p) => p.steps10)), perSet1: per.map((p) => round(p.steps1)) };
  }
  return {
    algo: name, iterations: iters, trainSeconds: round(trainSeconds), msPerIteration: round(1000 * trainSeconds / Math.max(iters, 1)),
    ...summary(meta), finalMetaLoss: history.length ? round(history[history.length - 1]!.loss) : null,
    ...(sets !== null && { evalSets: sets }),
    ...(best !== null && { best: { iteration: best.iteration, val1: round(best.val1), ...summary(best.meta) }, validation }),
  };
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}

const wallStart = performance.now();
const result = run(algo, iterations);
const baseline = algo !== 'pretrained' && baselineIterations > 0 && saved === null ? run('pretrained', baselineIterations) : null;
console.log(JSON.stringify({
  benchmark: 'sinusoid', K, trainQueryK, evalK, init: values.init, outerLrSchedule: outerSchedule, evalSupport, loadedFrom: loadMeta ?? null, lrInit: lrInitRange, logLr: values['log-lr'], valEvery,
  // The training seed: of this run, or as saved with the loaded meta-parameters (null if not saved).
  seed: saved === null ? seed : saved.seed ?? null, innerLr, innerSteps, metaBatchSize, outerLr, clipNorm: clipNorm ?? null, outerClip,
  evalTasks: evalTaskCount, evalPoints: evalPoints, backend: backendName, jit: values.jit === true, fastMath: values['fast-math'] === true, node: process.version,
  result, baseline, wallSeconds: round((performance.now() - wallStart) / 1000),
}, null, 2));
