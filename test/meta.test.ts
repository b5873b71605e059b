import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, Tensor, checkGrad, grad, mse, sub, mul, add, div, treeLeaves } from '../src/index.ts';
import { MLP, Linear, perTaskMse, type LinearParams } from '../src/nn/index.ts';
import { sgd, adam } from '../src/optim/index.ts';
import {
  adapt, maml, metaSgd, uniformStepSizes, anil, reptile, pretraining, metaTrain, evaluateAdaptation, sinusoidTasks, sinusoidSampler,
  taskAt, adaptedQueryLoss, adaptedQueryLossLooped, type MetaLearner, type TaskBatch,
} from '../src/meta/index.ts';
import { allclose, onBackend, testBackends } from './helpers.ts';

type Params = LinearParams[];
const net = MLP({ sizes: [1, 40, 40, 1] });
const theta0 = net.init(new Rng(0));
const tasks = sinusoidTasks(new Rng(3), { numTasks: 6, K: 10, queryK: 15 });

/** Largest |x| over all leaves of a tree. */
function maxAbs(tree: unknown): number {
  return Math.max(...treeLeaves(tree).map((t) => Math.max(...Array.from(t.data, Math.abs))));
}

/** Every leaf has at least one non-zero entry, and all entries are finite. */
function assertReachesEveryLeaf(tree: unknown, what: string): void {
  treeLeaves(tree).forEach((t, i) => {
    assert.ok(t.data.every(Number.isFinite), `${what}: leaf ${i} is not finite`);
    assert.ok(t.data.some((v) => v !== 0), `${what}: leaf ${i} received no gradient`);
  });
}

/** Per-task gradient of the single-task loss, computed as a concrete value (no outer graph). */
function taskGrad(params: Params, x: Tensor, y: Tensor): Params {
  return grad((p: Params) => mse(net.apply(p, x), y))(params) as Params;
}

const sgdStep = (p: Params, g: Params, lr: number): Params => p.map((layer, i) => ({
  weight: sub(layer.weight, mul(g[i]!.weight, lr)), bias: sub(layer.bias, mul(g[i]!.bias, lr)),
}));

const tasksSuite = suite('meta tasks');

tasksSuite('sinusoidTasks draws y = A·sin(x − φ) with the standard ranges, batched [T, K, 1]', () => {
  // float64, so that the stored x reproduces y exactly.
  const batch = sinusoidTasks(new Rng(1), { numTasks: 50, K: 5, queryK: 7, dtype: 'float64' });
  assert.equal(batch.support.x.shape, [50, 5, 1]);
  assert.equal(batch.query.y.shape, [50, 7, 1]);
  for (let t = 0; t < 50; t++) {
    const a = batch.amplitude[t]!, p = batch.phase[t]!;
    assert.ok(a >= 0.1 && a < 5 && p >= 0 && p < Math.PI, `task ${t}: A ${a}, φ ${p}`);
    for (const set of [batch.support, batch.query]) {
      const K = set.x.shape[1]!;
      for (let k = 0; k < K; k++) {
        const x = set.x.data[t * K + k]!;
        assert.ok(x >= -5 && x < 5);
        assert.is(set.y.data[t * K + k]!, a * Math.sin(x - p));
      }
    }
  }
  const again = sinusoidTasks(new Rng(1), { numTasks: 50, K: 5, queryK: 7, dtype: 'float64' });
  assert.equal(Array.from(again.query.x.data), Array.from(batch.query.x.data));
  assert.throws(() => sinusoidTasks(new Rng(1), { dtype: 'int32' as never }), /sinusoidTasks: unsupported dtype 'int32'/);
});

tasksSuite('taskAt returns one task unbatched', () => {
  const one = taskAt(tasks, 4);
  assert.equal(one.support.x.shape, [10, 1]);
  assert.equal(Array.from(one.query.y.data), Array.from(tasks.query.y.data.slice(4 * 15, 5 * 15)));
  assert.throws(() => taskAt(tasks, 6), /out of range/);
});

tasksSuite.run();

const adaptSuite = suite('meta adapt');

adaptSuite('adapt is pure and takes `steps` gradient steps', () => {
  const { support } = taskAt(tasks, 0);
  const before = Array.from(theta0[0]!.weight.data);
  const loss = (p: Params) => mse(net.apply(p, support.x), support.y);
  const twice = adapt(theta0, loss, { lr: 0.01, steps: 2 });
  const byHand = sgdStep(sgdStep(theta0, taskGrad(theta0, support.x, support.y), 0.01), taskGrad(sgdStep(theta0, taskGrad(theta0, support.x, support.y), 0.01), support.x, support.y), 0.01);
  treeLeaves(twice).forEach((t, i) => allclose(t, treeLeaves(byHand)[i]!, 0, 0, `leaf ${i}`));
  assert.equal(Array.from(theta0[0]!.weight.data), before, 'params unchanged');
  assert.is(adapt(theta0, loss, { lr: 0.01, steps: 0 }), theta0);
});

adaptSuite('loss falls after adaptation', () => {
  const learner = maml({ model: net, innerLr: 0.01 });
  // Support loss after each of 10 steps, one task at a time: a descent method at a small step.
  for (let t = 0; t < 6; t++) {
    const { support } = taskAt(tasks, t);
    const loss = (p: Params) => mse(net.apply(p, support.x), support.y);
    let p = theta0, prev = loss(p).item();
    for (let s = 0; s < 10; s++) {
      p = adapt(p, loss, { lr: 0.01 });
      const now = loss(p).item();
      assert.ok(now < prev, `task ${t} step ${s}: ${now} ≥ ${prev}`);
      prev = now;
    }
  }
  // Query loss on held-out points of the same tasks, averaged: falls too.
  const curve = learner.adaptationCurve(theta0, sinusoidTasks(new Rng(8), { numTasks: 50, K: 10, queryK: 50 }), 5);
  assert.ok(curve[5]! < curve[0]!, `query loss ${curve[0]} → ${curve[5]}`);
});

adaptSuite('inner-loop clipping keeps a high inner learning rate finite', () => {
  const hot = { lr: 1, steps: 5 };
  const plain = adaptedQueryLoss(net.apply, theta0, tasks, { ...hot, loss: perTaskMse }).item();
  const clipped = adaptedQueryLoss(net.apply, theta0, tasks, { ...hot, clipNorm: 1, loss: perTaskMse }).item();
  assert.ok(!Number.isFinite(plain) || plain > 1e6, `unclipped loss ${plain} should blow up`);
  assert.ok(Number.isFinite(clipped) && clipped < 100, `clipped loss ${clipped}`);
  const g = grad((p: Params) => adaptedQueryLoss(net.apply, p, tasks, { ...hot, clipNorm: 1, loss: perTaskMse }))(theta0);
  assertReachesEveryLeaf(g, 'clipped meta-gradient');
});

adaptSuite.run();

const mamlSuite = suite('meta MAML');

mamlSuite('the second-order meta-gradient reaches every initial parameter and differs from first order', () => {
  const second = maml({ model: net, innerLr: 0.01, innerSteps: 2 }).metaGradient(theta0, tasks);
  const first = maml({ model: net, innerLr: 0.01, innerSteps: 2, firstOrder: true }).metaGradient(theta0, tasks);
  assertReachesEveryLeaf(second.grads, 'second order');
  assertReachesEveryLeaf(first.grads, 'first order');
  assert.is(first.loss, second.loss, 'the same forward computation');
  const diff = treeLeaves(second.grads).map((g, i) => maxAbs(sub(g, treeLeaves(first.grads)[i]!)));
  assert.ok(Math.max(...diff) > 1e-3 * maxAbs(second.grads), `second-order terms missing: max difference ${Math.max(...diff)}`);
});

mamlSuite('the second-order meta-gradient matches float64 finite differences', () => {
  const small = MLP({ sizes: [1, 6, 6, 1], activation: 'tanh', dtype: 'float64' });
  const params = small.init(new Rng(4));
  const data = sinusoidTasks(new Rng(5), { numTasks: 3, K: 4, queryK: 5, dtype: 'float64' });
  const learner = maml({ model: small, innerLr: 0.1, innerSteps: 2 });
  const firstOrder = maml({ model: small, innerLr: 0.1, innerSteps: 2, firstOrder: true });
  const rebuild = (leaves: Tensor[]): LinearParams[] => [0, 1, 2].map((i) => ({ weight: leaves[2 * i]!, bias: leaves[2 * i + 1]! }));
  const report = checkGrad((...leaves: Tensor[]) => learner.metaLoss(rebuild(leaves), data), treeLeaves(params));
  assert.ok(report.ok, report.message);
  const foReport = checkGrad((...leaves: Tensor[]) => firstOrder.metaLoss(rebuild(leaves), data), treeLeaves(params));
  assert.ok(!foReport.ok, 'first-order MAML is an approximation: it should not pass a tight check');
});

mamlSuite('first-order MAML equals a hand-built reference', () => {
  const lr = 0.01;
  const { grads, loss } = maml({ model: net, innerLr: lr, innerSteps: 2, firstOrder: true }).metaGradient(theta0, tasks);
  // FOMAML: adapt each task by two SGD steps, then average ∇L_query at the adapted parameters.
  let sum: Params | null = null, lossSum = 0;
  for (let t = 0; t < 6; t++) {
    const { support, query } = taskAt(tasks, t);
    let p = theta0;
    for (let s = 0; s < 2; s++) p = sgdStep(p, taskGrad(p, support.x, support.y), lr);
    lossSum += mse(net.apply(p, query.x), query.y).item();
    const g = taskGrad(p, query.x, query.y);
    sum = sum === null ? g : sum.map((l, i) => ({ weight: add(l.weight, g[i]!.weight), bias: add(l.bias, g[i]!.bias) }));
  }
  const reference = sum!.map((l) => ({ weight: div(l.weight, 6), bias: div(l.bias, 6) }));
  treeLeaves(grads).forEach((g, i) => allclose(g, treeLeaves(reference)[i]!, 1e-6, 1e-6, `leaf ${i}`));
  allclose([loss], [lossSum / 6], 1e-6, 0);
});

mamlSuite.run();

const batchSuite = suite('meta batched vs per-task loop');

/** Batched and looped meta-gradients agree on every backend (the batched run uses batch matmul kernels). */
function assertSameMetaGradient<M>(make: (batched: boolean) => MetaLearner<M>, what: string): void {
  for (const backend of testBackends()) {
    onBackend(backend, () => {
      const batched = make(true), looped = make(false);
      const meta = batched.init(new Rng(11));
      const a = batched.metaGradient(meta, tasks), b = looped.metaGradient(meta, tasks);
      allclose([a.loss], [b.loss], 1e-6, 0, `${what} [${backend}] loss`);
      assertReachesEveryLeaf(a.grads, what);
      treeLeaves(a.grads).forEach((g, i) => allclose(g, treeLeaves(b.grads)[i]!, 1e-6, 1e-6, `${what} [${backend}] leaf ${i}`));
    });
  }
}

batchSuite('MAML (second order, 3 steps, clipped) agrees to float32 precision', () => {
  assertSameMetaGradient((batched) => maml({ model: net, innerLr: 0.01, innerSteps: 3, clipNorm: 5, batched }), 'maml');
});

batchSuite('first-order MAML agrees', () => {
  assertSameMetaGradient((batched) => maml({ model: net, innerLr: 0.01, innerSteps: 2, firstOrder: true, batched }), 'fomaml');
});

batchSuite('Meta-SGD agrees', () => {
  assertSameMetaGradient((batched) => metaSgd({ model: net, innerLr: 0.01, innerSteps: 2, batched }), 'metasgd');
});

batchSuite('ANIL agrees', () => {
  const body = MLP({ sizes: [1, 40, 40], activateOutput: true }), head = Linear({ inputSize: 40, outputSize: 1 });
  assertSameMetaGradient((batched) => anil({ body, head, innerLr: 0.01, innerSteps: 2, batched }), 'anil');
});

batchSuite('Reptile agrees', () => {
  assertSameMetaGradient((batched) => reptile({ model: net, innerLr: 0.01, innerSteps: 3, batched }), 'reptile');
});

batchSuite('per-task clipping clips each task by its own norm, as the loop does', () => {
  const options = { lr: 0.5, steps: 2, clipNorm: 0.5, loss: perTaskMse };
  allclose(adaptedQueryLoss(net.apply, theta0, tasks, options), adaptedQueryLossLooped(net.apply, theta0, tasks, options), 1e-6, 0);
});

batchSuite.run();

const variants = suite('meta Meta-SGD, ANIL, Reptile');

variants('Meta-SGD step sizes receive the gradient −mean(∇L_support ⊙ ∇L_query(θ′))', () => {
  const learner = metaSgd({ model: net, innerLr: 0.01 });
  const meta = learner.init(new Rng(2));
  assert.equal(Array.from(new Set(meta.lrs[1]!.weight.data)), [Math.fround(0.01)]);
  const { grads } = learner.metaGradient(meta, tasks);
  assertReachesEveryLeaf(grads.lrs, 'lrs');
  // One inner step θ′ = θ − α ⊙ g_s, so ∂L_q(θ′)/∂α = −g_s ⊙ ∇L_q(θ′), averaged over tasks.
  let sum: Params | null = null;
  for (let t = 0; t < 6; t++) {
    const { support, query } = taskAt(tasks, t);
    const gs = taskGrad(meta.params, support.x, support.y);
    const adapted = meta.params.map((l, i) => ({
      weight: sub(l.weight, mul(meta.lrs[i]!.weight, gs[i]!.weight)), bias: sub(l.bias, mul(meta.lrs[i]!.bias, gs[i]!.bias)),
    }));
    const gq = taskGrad(adapted, query.x, query.y);
    const term = gs.map((l, i) => ({ weight: mul(mul(l.weight, gq[i]!.weight), -1 / 6), bias: mul(mul(l.bias, gq[i]!.bias), -1 / 6) }));
    sum = sum === null ? term : sum.map((l, i) => ({ weight: add(l.weight, term[i]!.weight), bias: add(l.bias, term[i]!.bias) }));
  }
  treeLeaves(grads.lrs).forEach((g, i) => allclose(g, treeLeaves(sum)[i]!, 1e-6, 1e-7, `lr leaf ${i}`));
});

variants('Meta-SGD lrInit draws the step sizes from the init rng after the parameters', () => {
  const plain = metaSgd({ model: net, innerLr: 0.01 }).init(new Rng(7));
  const learner = metaSgd({ model: net, innerLr: 0.01, lrInit: uniformStepSizes(0.005, 0.1) });
  const meta = learner.init(new Rng(7));
  // The parameters are the same draws as without lrInit: the step sizes come after them.
  treeLeaves(meta.params).forEach((p, i) => assert.equal(Array.from(p.data), Array.from(treeLeaves(plain.params)[i]!.data)));
  const lrs = treeLeaves(meta.lrs).flatMap((t) => Array.from(t.data));
  treeLeaves(meta.lrs).forEach((t, i) => assert.equal(t.shape, treeLeaves(meta.params)[i]!.shape));
  assert.ok(lrs.every((v) => v >= Math.fround(0.005) && v <= Math.fround(0.1)), 'a step size outside [0.005, 0.1]');
  assert.ok(Math.min(...lrs) < 0.006 && Math.max(...lrs) > 0.099, 'the draws do not fill the range');
  assert.ok(new Set(lrs).size > lrs.length / 2, 'the step sizes are not independent draws');
  // Deterministic under a seed, different under another.
  assert.equal(treeLeaves(learner.init(new Rng(7)).lrs).flatMap((t) => Array.from(t.data)), lrs);
  assert.not.equal(treeLeaves(learner.init(new Rng(8)).lrs).flatMap((t) => Array.from(t.data)), lrs);
  const { grads } = learner.metaGradient(meta, tasks);
  assertReachesEveryLeaf(grads.lrs, 'lrs');
});

variants('Meta-SGD logStepSizes: stores log α, adapts with exp, and its gradient is α ⊙ the gradient in α', () => {
  const plainLearner = metaSgd({ model: net, innerLr: 0.01, lrInit: uniformStepSizes(0.005, 0.1) });
  const logLearner = metaSgd({ model: net, innerLr: 0.01, lrInit: uniformStepSizes(0.005, 0.1), logStepSizes: true });
  const plain = plainLearner.init(new Rng(4)), logged = logLearner.init(new Rng(4));
  // Same draws, stored as logs.
  treeLeaves(logged.lrs).forEach((l, i) => allclose(l, Array.from(treeLeaves(plain.lrs)[i]!.data, Math.log), 1e-6, 1e-7, `log α leaf ${i}`));
  const a = plainLearner.metaGradient(plain, tasks), b = logLearner.metaGradient(logged, tasks);
  allclose(b.loss, a.loss, 1e-6, 1e-7, 'meta-loss');
  treeLeaves(b.grads.params).forEach((g, i) => allclose(g, treeLeaves(a.grads.params)[i]!, 1e-5, 1e-7, `θ leaf ${i}`));
  // Chain rule: ∂L/∂(log α) = α ⊙ ∂L/∂α.
  treeLeaves(b.grads.lrs).forEach((g, i) => allclose(g, mul(treeLeaves(a.grads.lrs)[i]!, treeLeaves(plain.lrs)[i]!), 1e-5, 1e-9, `log α gradient leaf ${i}`));
  assert.equal(logLearner.adaptationCurve(logged, tasks, 1).map((v) => v.toFixed(5)), plainLearner.adaptationCurve(plain, tasks, 1).map((v) => v.toFixed(5)));
  assert.throws(() => metaSgd({ model: net, innerLr: -0.01, logStepSizes: true }).init(new Rng(0)), /logStepSizes needs positive initial step sizes/);
});

variants('Meta-SGD lrInit: bad ranges, non-functions and wrong shapes are rejected by name', () => {
  for (const [low, high] of [[0.1, 0.005], [0.01, 0.01], [Number.NaN, 0.1], [0, Number.POSITIVE_INFINITY]]) {
    assert.throws(() => uniformStepSizes(low!, high!), (e: Error) => e instanceof RangeError && e.message.includes(`low ${low}, high ${high}`));
  }
  assert.throws(() => metaSgd({ model: net, innerLr: 0.01, lrInit: 0.05 as never }), (e: Error) => e instanceof TypeError && /lrInit.*number/.test(e.message));
  const wrong = metaSgd({ model: net, innerLr: 0.01, lrInit: (rng) => uniformStepSizes(0, 1)(rng, [3]) });
  assert.throws(() => wrong.init(new Rng(0)), (e: Error) => e.name === 'ShapeError' && e.message.includes('lrInit returned shape [3]'));
});

variants('ANIL adapts only the head and meta-learns the body through the features', () => {
  const body = MLP({ sizes: [1, 40, 40], activateOutput: true }), head = Linear({ inputSize: 40, outputSize: 1 });
  const learner = anil({ body, head, innerLr: 0.01 });
  const meta = learner.init(new Rng(6));
  const { grads, loss } = learner.metaGradient(meta, tasks);
  assertReachesEveryLeaf(grads.body, 'body');
  assertReachesEveryLeaf(grads.head, 'head');
  // The same loss as MAML on fixed features with the head as the whole model.
  const features: TaskBatch = {
    support: { x: body.apply(meta.body, tasks.support.x), y: tasks.support.y },
    query: { x: body.apply(meta.body, tasks.query.x), y: tasks.query.y },
  };
  allclose([loss], [adaptedQueryLoss(head.apply, meta.head, features, { lr: 0.01, loss: perTaskMse }).item()], 0, 0);
});

variants('Reptile\'s update equals θ + ε·mean(θ̃ − θ)', () => {
  const epsilon = 0.25, innerLr = 0.02, innerSteps = 3;
  const learner = reptile({ model: net, innerLr, innerSteps });
  const outer = sgd({ lr: epsilon });
  const { grads } = learner.metaGradient(theta0, tasks);
  const { params: updated } = outer.update(grads, outer.init(theta0), theta0);
  // By definition: θ̃ₜ = innerSteps SGD steps on task t's support set.
  const adapted = [0, 1, 2, 3, 4, 5].map((t) => {
    const { support } = taskAt(tasks, t);
    let p = theta0;
    for (let s = 0; s < innerSteps; s++) p = sgdStep(p, taskGrad(p, support.x, support.y), innerLr);
    return p;
  });
  treeLeaves(theta0).forEach((theta, i) => {
    let meanDelta = sub(treeLeaves(adapted[0])[i]!, theta);
    for (let t = 1; t < 6; t++) meanDelta = add(meanDelta, sub(treeLeaves(adapted[t])[i]!, theta));
    const expected = add(theta, mul(div(meanDelta, 6), epsilon));
    allclose(treeLeaves(updated)[i]!, expected, 1e-6, 1e-7, `leaf ${i}`);
  });
  assert.ok(maxAbs(grads) > 0);
});

variants.run();

const training = suite('meta training');

training('metaTrain is deterministic under a fixed seed', () => {
  const run = (seed: number) => metaTrain({
    learner: maml({ model: MLP({ sizes: [1, 8, 1] }), innerLr: 0.01 }),
    optimizer: adam({ lr: 0.01 }), sampleTasks: sinusoidSampler({ K: 5 }), metaBatchSize: 4, iterations: 5, rng: new Rng(seed),
  });
  const a = run(7), b = run(7), c = run(8);
  treeLeaves(a.meta).forEach((t, i) => assert.equal(Array.from(t.data), Array.from(treeLeaves(b.meta)[i]!.data)));
  assert.equal(a.history, b.history);
  assert.not.equal(Array.from(treeLeaves(a.meta)[0]!.data), Array.from(treeLeaves(c.meta)[0]!.data));
});

training('a short MAML run on sinusoids makes one inner step count', () => {
  const learner = maml({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
  const { meta, history } = metaTrain({
    learner, optimizer: adam({ lr: 0.005 }), sampleTasks: sinusoidSampler({ K: 10 }), metaBatchSize: 10,
    iterations: 300, rng: new Rng(0), logEvery: 100,
  });
  assert.ok(history[2]!.loss < history[0]!.loss, `meta-loss ${history.map((h) => h.loss.toFixed(3))}`);
  const curve = evaluateAdaptation(learner, meta, sinusoidTasks(new Rng(99), { numTasks: 100, K: 10, queryK: 50 }), 5, 50);
  assert.ok(curve[1]! < 0.65 * curve[0]!, `post-adaptation ${curve[1]} vs pre-adaptation ${curve[0]}`);
  assert.ok(curve[5]! < curve[1]!, `5 steps ${curve[5]} vs 1 step ${curve[1]}`);
});

training('the pretraining baseline learns the mean function, not to adapt', () => {
  const learner = pretraining({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
  const theta = learner.init(new Rng(1));
  const { grads } = learner.metaGradient(theta, tasks);
  assertReachesEveryLeaf(grads, 'pretraining');
});

training.run();
