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
 *
 * Options: --algo maml|fomaml|metasgd|anil|reptile|pretrained  --K 10  --iters 70000
 *   --query-k <n> (training query points per task, default K)
 *   --seed 0  --inner-lr 0.01  --inner-steps 1  --meta-batch 25  --outer-lr 0.001
 *   --eval-tasks 600  --eval-points 100  --eval-steps 10  --clip <norm>  --log-every 1000
 *   --baseline-iters <n> (default: --iters; 0 skips the baseline)  --backend ts|wasm
 *   --write-eval-tasks <file> (write the held-out tasks as JSON and exit: the PyTorch
 *   reference, scripts/reference/sinusoid_torch.py --eval-file, then scores the same tasks)
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Rng, getBackend, setBackend } from '../src/index.ts';
import { MLP, Linear } from '../src/nn/index.ts';
import { adam } from '../src/optim/index.ts';
import {
  maml, metaSgd, anil, reptile, pretraining, metaTrain, evaluateAdaptation, sinusoidSampler, sinusoidTasks,
  type MetaLearner,
} from '../src/meta/index.ts';

const { values } = parseArgs({
  options: {
    algo: { type: 'string', default: 'maml' },
    K: { type: 'string', default: '10' },
    'query-k': { type: 'string' },
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
    backend: { type: 'string' },
    'write-eval-tasks': { type: 'string' },
  },
});

const num = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isFinite(v)) throw new RangeError(`--${name}: expected a number, got '${String(values[name])}'`);
  return v;
};
if (values.backend !== undefined) setBackend(values.backend);
const algo = values.algo!;
const K = num('K'), iterations = num('iters'), seed = num('seed');
// Query points per task in meta-training (the support set always has K).
const trainQueryK = values['query-k'] === undefined ? K : num('query-k');
const innerLr = num('inner-lr'), innerSteps = num('inner-steps'), metaBatchSize = num('meta-batch'), outerLr = num('outer-lr');
const evalSteps = num('eval-steps'), logEvery = num('log-every');
const baselineIterations = values['baseline-iters'] === undefined ? iterations : num('baseline-iters');
const clipNorm = values.clip === undefined ? undefined : num('clip');
const clip = clipNorm === undefined ? {} : { clipNorm };

const model = MLP({ sizes: [1, 40, 40, 1], activation: 'relu' });
function learnerFor(name: string): MetaLearner<any> {
  switch (name) {
    case 'maml': return maml({ model, innerLr, innerSteps, ...clip });
    case 'fomaml': return maml({ model, innerLr, innerSteps, firstOrder: true, ...clip });
    case 'metasgd': return metaSgd({ model, innerLr, innerSteps, ...clip });
    case 'anil': return anil({
      body: MLP({ sizes: [1, 40, 40], activation: 'relu', activateOutput: true }),
      head: Linear({ inputSize: 40, outputSize: 1 }), innerLr, innerSteps, ...clip,
    });
    case 'reptile': return reptile({ model, innerLr, innerSteps, ...clip });
    case 'pretrained': return pretraining({ model, innerLr, ...clip });
    default: throw new RangeError(`--algo: unknown '${name}' (maml, fomaml, metasgd, anil, reptile, pretrained)`);
  }
}

// Held-out tasks from their own stream, the same for every algorithm and training seed.
const evalTasks = sinusoidTasks(new Rng(1_000_003), { numTasks: num('eval-tasks'), K, queryK: num('eval-points') });
if (values['write-eval-tasks'] !== undefined) {
  const { support, query } = evalTasks;
  writeFileSync(values['write-eval-tasks'], JSON.stringify({
    K, sx: Array.from(support.x.data), sy: Array.from(support.y.data), qx: Array.from(query.x.data), qy: Array.from(query.y.data),
  }));
  process.exit(0);
}

function run(name: string, iters: number) {
  const learner = learnerFor(name);
  const started = performance.now();
  const { meta, history } = metaTrain({
    learner, optimizer: adam({ lr: outerLr }), sampleTasks: sinusoidSampler({ K, queryK: trainQueryK }), metaBatchSize,
    iterations: iters, rng: new Rng(seed), logEvery,
    onLog: (i, loss) => process.stderr.write(`${name} ${i}/${iters} meta-loss ${loss.toFixed(4)} ${((performance.now() - started) / 1000).toFixed(1)} s\n`),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const curve = evaluateAdaptation(learner, meta, evalTasks, evalSteps);
  return {
    algo: name, iterations: iters, trainSeconds: round(trainSeconds), msPerIteration: round(1000 * trainSeconds / Math.max(iters, 1)),
    mse: { steps0: round(curve[0]!), steps1: round(curve[1]!), steps10: round(curve[Math.min(10, evalSteps)]!) },
    curve: curve.map(round), finalMetaLoss: history.length ? round(history[history.length - 1]!.loss) : null,
  };
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}

const wallStart = performance.now();
const result = run(algo, iterations);
const baseline = algo !== 'pretrained' && baselineIterations > 0 ? run('pretrained', baselineIterations) : null;
console.log(JSON.stringify({
  benchmark: 'sinusoid', K, trainQueryK, seed, innerLr, innerSteps, metaBatchSize, outerLr, clipNorm: clipNorm ?? null,
  evalTasks: num('eval-tasks'), evalPoints: num('eval-points'), backend: getBackend().name, node: process.version,
  result, baseline, wallSeconds: round((performance.now() - wallStart) / 1000),
}, null, 2));
