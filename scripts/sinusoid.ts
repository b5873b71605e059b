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
 *   node --import tsx scripts/sinusoid.ts --help     # this text
 *
 * Options: --algo maml|fomaml|metasgd|anil|reptile|pretrained  --K 10  --iters 70000
 *   --query-k <n> (training query points per task, default K)
 *   --eval-k <n> (support points per held-out task, default K: `--K 10 --eval-k 5` scores a
 *   network meta-trained with 10 shots on the 5-shot held-out tasks)
 *   --init torch|maml|glorot|he (MLP initialisation, default torch: U(±1/√fanIn) weights and
 *   biases like nn.Linear; maml: truncated normal σ 0.01 weights and zero biases like
 *   cbfinn/maml; glorot: Glorot uniform weights, zero biases; he: He normal weights, zero biases)
 *   --lr-init <low>,<high> (metasgd only: initial step sizes drawn from U[low, high] instead
 *   of all equal to --inner-lr; the Meta-SGD paper uses 0.005,0.1)
 *   --log-lr (metasgd only: meta-learn log α, so α = exp(·) stays positive)
 *   --val-every <n> (also score the network every n iterations on --val-tasks 600 validation
 *   tasks, a stream separate from the held-out tasks, and report the held-out figures of the
 *   checkpoint with the lowest one-step validation MSE as `best`; default 0: off)
 *   --outer-lr-schedule constant|cosine (default constant; cosine: Adam's lr decays from
 *   --outer-lr to 0 over --iters as lr·(1 + cos(π·step/iters))/2)
 *   --eval-support uniform|stratified (default uniform: each held-out task's K support
 *   inputs uniform on [−5, 5]; stratified: the k-th one uniform within the k-th of K equal
 *   slices of [−5, 5], the same tasks and query points otherwise)
 *   --save-meta <file> (write the trained meta-parameters as JSON)  --load-meta <file> (score
 *   meta-parameters saved with the same --algo and --init instead of training; no baseline)
 *   --eval-sets <n> (also score the final network after 1 and 10 steps on n − 1 further
 *   independent sets of --eval-tasks tasks and report the mean and sd over all n sets, which
 *   separates the network's expected MSE from the luck of one fixed set; default 1)
 *   --seed 0  --inner-lr 0.01  --inner-steps 1  --meta-batch 25  --outer-lr 0.001
 *   --eval-tasks 600  --eval-points 100  --eval-steps 10  --log-every 1000
 *   --clip <norm> (clip each task's inner-loop gradient to this global norm, in training and
 *   evaluation)  --outer-clip <norm> (clip the meta-gradient to this global norm before Adam)
 *   --baseline-iters <n> (default: --iters; 0 skips the baseline)  --backend ts|wasm
 *   --write-eval-tasks <file> (write the held-out tasks as JSON and exit: the PyTorch
 *   reference, scripts/reference/sinusoid_torch.py --eval-file, then scores the same tasks)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { docCommentHelp, usageFailure } from './script-args.ts';
import { Rng, getBackend, setBackend, tensor } from '../src/index.ts';
import { compareStructure, decodeState, encodeState } from '../src/io/codec.ts';
import { MLP, Linear, fanInUniform, glorotUniform, heNormal, truncatedNormalInit, zerosInit, type Initializer } from '../src/nn/index.ts';
import { adam, withGradientClipping } from '../src/optim/index.ts';
import {
  maml, metaSgd, uniformStepSizes, anil, reptile, pretraining, metaTrain, evaluateAdaptation, sinusoidSampler, sinusoidTasks,
  type MetaLearner, type SinusoidTaskBatch, type SinusoidTaskOptions,
} from '../src/meta/index.ts';

docCommentHelp(import.meta.url);
const { values } = (() => { try { return parseArgs({
  options: {
    algo: { type: 'string', default: 'maml' },
    K: { type: 'string', default: '10' },
    'query-k': { type: 'string' },
    'eval-k': { type: 'string' },
    init: { type: 'string', default: 'torch' },
    'lr-init': { type: 'string' },
    'log-lr': { type: 'boolean', default: false },
    'val-every': { type: 'string', default: '0' },
    'val-tasks': { type: 'string', default: '600' },
    'eval-sets': { type: 'string', default: '1' },
    'outer-lr-schedule': { type: 'string', default: 'constant' },
    'eval-support': { type: 'string', default: 'uniform' },
    'save-meta': { type: 'string' },
    'load-meta': { type: 'string' },
    iters: { type: 'string', default: '70000' },
    seed: { type: 'string', default: '0' },
    'inner-lr': { type: 'string', default: '0.01' },
    'inner-steps': { type: 'string', default: '1' },
    'meta-batch': { type: 'string', default: '25' },
    'outer-lr': { type: 'string', default: '0.001' },
    'eval-tasks': { type: 'string', default: '600' },
    'eval-points': { type: 'string', default: '100' },
    'eval-steps': { type: 'string', default: '10' },
    'log-every': { type: 'string', default: '1000' },
    'baseline-iters': { type: 'string' },
    clip: { type: 'string' },
    'outer-clip': { type: 'string' },
    backend: { type: 'string' },
    'write-eval-tasks': { type: 'string' },
  },
}); } catch (e) {
  // node:util's parse errors (unknown option, missing value) as one line, like the other checks.
  return usageFailure(`${(e as Error).message} (see --help)`);
} })();

const num = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isFinite(v)) throw new RangeError(`--${name}: expected a number, got '${String(values[name])}'`);
  return v;
};
const count = (name: keyof typeof values, min = 1): number => {
  const v = num(name);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`--${name}: expected an integer ≥ ${min}, got '${String(values[name])}'`);
  return v;
};
if (values.backend !== undefined) setBackend(values.backend);
const algo = values.algo!;
const K = num('K'), iterations = num('iters'), seed = num('seed');
// Query points per task in meta-training (the support set always has K).
const trainQueryK = values['query-k'] === undefined ? K : num('query-k');
// Support points per held-out (and validation) task.
const evalK = values['eval-k'] === undefined ? K : count('eval-k');
const INITS: Record<string, { weightInit: Initializer; biasInit: Initializer }> = {
  torch: { weightInit: fanInUniform, biasInit: fanInUniform },
  maml: { weightInit: truncatedNormalInit(0.01), biasInit: zerosInit },
  glorot: { weightInit: glorotUniform, biasInit: zerosInit },
  he: { weightInit: heNormal, biasInit: zerosInit },
};
const init = INITS[values.init!];
if (init === undefined) throw new RangeError(`--init: unknown '${values.init}' (${Object.keys(INITS).join(', ')})`);
let lrInitRange: [number, number] | null = null;
if (values['lr-init'] !== undefined) {
  const parts = values['lr-init'].split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) {
    throw new RangeError(`--lr-init: expected <low>,<high> with low < high, e.g. 0.005,0.1; got '${values['lr-init']}'`);
  }
  if (values.algo !== 'metasgd') throw new RangeError(`--lr-init: only applies to --algo metasgd, got --algo ${values.algo}`);
  lrInitRange = [parts[0]!, parts[1]!];
}
const outerSchedule = values['outer-lr-schedule']!;
if (outerSchedule !== 'constant' && outerSchedule !== 'cosine') {
  throw new RangeError(`--outer-lr-schedule: unknown '${outerSchedule}' (constant, cosine)`);
}
const evalSupport = values['eval-support']!;
if (evalSupport !== 'uniform' && evalSupport !== 'stratified') {
  throw new RangeError(`--eval-support: unknown '${evalSupport}' (uniform, stratified)`);
}
const valEvery = count('val-every', 0), valTasks = count('val-tasks'), evalSets = count('eval-sets');
const innerLr = num('inner-lr'), innerSteps = num('inner-steps'), metaBatchSize = num('meta-batch'), outerLr = num('outer-lr');
const evalSteps = num('eval-steps'), logEvery = num('log-every');
const baselineIterations = values['baseline-iters'] === undefined ? iterations : num('baseline-iters');
const positive = (name: 'clip' | 'outer-clip'): number => {
  const v = num(name);
  if (!(v > 0)) throw new RangeError(`--${name}: expected a positive norm, got '${String(values[name])}'`);
  return v;
};
const clipNorm = values.clip === undefined ? undefined : positive('clip');
// recycleMemory: the same numbers in less time (the script keeps no intermediate tensors).
const innerOptions = clipNorm === undefined ? { recycleMemory: true } : { clipNorm, recycleMemory: true };
const outerClip = values['outer-clip'] === undefined ? null : positive('outer-clip');

const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu', ...init });
function learnerFor(name: string): MetaLearner<any> {
  switch (name) {
    case 'maml': return maml({ model, innerLr, innerSteps, ...innerOptions });
    case 'fomaml': return maml({ model, innerLr, innerSteps, firstOrder: true, ...innerOptions });
    case 'metasgd': return metaSgd({
      model, innerLr, innerSteps, ...innerOptions, logStepSizes: values['log-lr']!, ...(lrInitRange && { lrInit: uniformStepSizes(...lrInitRange) }),
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
const evalTasks = heldOut(new Rng(1_000_003), { numTasks: num('eval-tasks'), K: evalK, queryK: num('eval-points') });
// Validation tasks for --val-every, from a third stream (neither training nor held out).
const valSet = valEvery > 0 ? sinusoidTasks(new Rng(2_000_003), { numTasks: valTasks, K: evalK, queryK: num('eval-points') }) : null;
if (values['write-eval-tasks'] !== undefined) {
  const { support, query } = evalTasks;
  writeFileSync(values['write-eval-tasks'], JSON.stringify({
    K: evalK, sx: Array.from(support.x.data), sy: Array.from(support.y.data), qx: Array.from(query.x.data), qy: Array.from(query.y.data),
  }));
  process.exit(0);
}

// --load-meta: meta-parameters saved by --save-meta (with the training seed, from 2026-12-02 on).
const saved = values['load-meta'] === undefined ? null
  : JSON.parse(readFileSync(values['load-meta'], 'utf8')) as { algo: string; init: string; seed?: number; meta: unknown };

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
      throw new RangeError(`--load-meta: ${values['load-meta']} holds --algo ${saved.algo} --init ${saved.init}, not --algo ${name} --init ${values.init}`);
    }
    // The checkpoint codec: typed, CRC-checked tensors; a structure mismatch names its path.
    meta = decodeState(saved.meta);
    const mismatch = compareStructure(learner.init(new Rng(0)), meta);
    if (mismatch) throw new RangeError(`--load-meta: ${values['load-meta']} does not fit this network (${mismatch})`);
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
  if (values['save-meta'] !== undefined && name !== 'pretrained') {
    writeFileSync(values['save-meta'], JSON.stringify({ algo: name, init: values.init, seed, meta: encodeState(meta) }));
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
      const tasks = i === 0 ? evalTasks : heldOut(new Rng(1_000_003 + i), { numTasks: num('eval-tasks'), K: evalK, queryK: num('eval-points') });
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
  benchmark: 'sinusoid', K, trainQueryK, evalK, init: values.init, outerLrSchedule: outerSchedule, evalSupport, loadedFrom: values['load-meta'] ?? null, lrInit: lrInitRange, logLr: values['log-lr'], valEvery,
  // The training seed: of this run, or as saved with the loaded meta-parameters (null if not saved).
  seed: saved === null ? seed : saved.seed ?? null, innerLr, innerSteps, metaBatchSize, outerLr, clipNorm: clipNorm ?? null, outerClip,
  evalTasks: num('eval-tasks'), evalPoints: num('eval-points'), backend: getBackend().name, node: process.version,
  result, baseline, wallSeconds: round((performance.now() - wallStart) / 1000),
}, null, 2));
