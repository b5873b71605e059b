/**
 * Learning-rate schedules (src/optim/schedules.ts): every step's value against the
 * formula written out here, the endpoints, argument checks, and use by the optimisers
 * (sgd's update equals the hand-computed step; fusedAdam compiled equals eager).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Tensor, randomNormal, cosineDecay, linearWarmup, warmupCosine, sgd, adam, fusedAdam, treeLeaves,
} from '../src/index.ts';
import { throwsWith } from './engine-helpers.ts';

const cosine = (lr: number, fin: number, n: number, c: number) => fin + (lr - fin) * 0.5 * (1 + Math.cos(Math.PI * Math.min(c, n) / n));
const warm = (lr: number, init: number, n: number, c: number) => (c >= n ? lr : init + (lr - init) * (c / n));

test('cosineDecay follows finalLr + (lr − finalLr)·½(1 + cos(π·min(s−1, n)/n)) at every step', () => {
  const lr = 0.3, finalLr = 0.01, n = 17;
  const s = cosineDecay({ lr, decaySteps: n, finalLr });
  for (let step = 1; step <= n + 5; step++) assert.is(s(step), cosine(lr, finalLr, n, step - 1), `step ${step}`);
  assert.is(s(1), lr);
  assert.is(s(n + 1), finalLr);
  assert.is(s(n + 100), finalLr);
  for (let step = 1; step <= n; step++) assert.ok(s(step + 1) < s(step), 'strictly decreasing during the decay');
  assert.is(cosineDecay({ lr: 2, decaySteps: 4 })(5), 0, 'finalLr defaults to 0');
});

test('linearWarmup rises from initialLr by (lr − initialLr)/n per step, then holds lr', () => {
  const lr = 0.02, initialLr = 0.005, n = 8;
  const s = linearWarmup({ lr, warmupSteps: n, initialLr });
  for (let step = 1; step <= n + 4; step++) assert.is(s(step), warm(lr, initialLr, n, step - 1), `step ${step}`);
  assert.is(s(1), initialLr);
  assert.is(s(n + 1), lr);
  assert.is(linearWarmup({ lr: 1, warmupSteps: 4 })(3), 0.5, 'initialLr defaults to 0: (3 − 1)/4');
});

test('warmupCosine is the warmup, then the cosine decay counted from the end of the warmup', () => {
  const lr = 1e-3, initialLr = 1e-5, finalLr = 1e-6, w = 5, n = 11;
  const s = warmupCosine({ lr, warmupSteps: w, decaySteps: n, initialLr, finalLr });
  for (let step = 1; step <= w + n + 3; step++) {
    const c = step - 1;
    assert.is(s(step), c < w ? warm(lr, initialLr, w, c) : cosine(lr, finalLr, n, c - w), `step ${step}`);
  }
  assert.is(s(w + 1), lr, 'the peak after the warmup');
  assert.is(s(w + n + 1), finalLr);
  const noWarmup = warmupCosine({ lr, warmupSteps: 0, decaySteps: n });
  const plain = cosineDecay({ lr, decaySteps: n });
  for (let step = 1; step <= n + 2; step++) assert.is(noWarmup(step), plain(step), 'warmupSteps 0 is cosineDecay');
});

test('bad options and steps are rejected, naming the schedule, option and value', () => {
  throwsWith(() => cosineDecay({ lr: 0.1, decaySteps: 0 }), RangeError, 'cosineDecay', 'decaySteps', '≥ 1', 'got 0');
  throwsWith(() => cosineDecay({ lr: 0.1, decaySteps: 2.5 }), RangeError, 'decaySteps', '2.5');
  throwsWith(() => cosineDecay({ lr: NaN, decaySteps: 3 }), RangeError, 'cosineDecay', 'lr', 'NaN');
  throwsWith(() => cosineDecay({ lr: 0.1, decaySteps: 3, finalLr: -1 }), RangeError, 'finalLr', '-1');
  throwsWith(() => linearWarmup({ lr: 0.1, warmupSteps: 0 }), RangeError, 'linearWarmup', 'warmupSteps', 'got 0');
  throwsWith(() => linearWarmup({ lr: Infinity, warmupSteps: 2 }), RangeError, 'linearWarmup', 'lr', 'Infinity');
  throwsWith(() => warmupCosine({ lr: 0.1, warmupSteps: -1, decaySteps: 3 }), RangeError, 'warmupCosine', 'warmupSteps', '≥ 0', '-1');
  throwsWith(() => warmupCosine({ lr: 0.1, warmupSteps: 2, decaySteps: 3, initialLr: '0' as never }), RangeError, 'initialLr');
  throwsWith(() => cosineDecay({ lr: 0.1, decaySteps: 3 })(0), RangeError, 'cosineDecay', 'step must be an integer ≥ 1', 'got 0');
  throwsWith(() => linearWarmup({ lr: 0.1, warmupSteps: 3 })(1.5), RangeError, 'linearWarmup', 'got 1.5');
});

test('sgd with a schedule takes p − lr(s)·g at step s', () => {
  const schedule = warmupCosine({ lr: 0.5, warmupSteps: 2, decaySteps: 3, initialLr: 0.1 });
  const opt = sgd({ lr: schedule });
  let params = { w: randomNormal(new Rng(1), [4], 0, 1, 'float64') };
  let state = opt.init(params);
  const g = { w: randomNormal(new Rng(2), [4], 0, 1, 'float64') };
  for (let step = 1; step <= 7; step++) {
    const expected = Array.from(params.w.data, (p, j) => p - schedule(step) * g.w.data[j]!);
    ({ params, state } = opt.update(g, state, params));
    assert.equal(Array.from(params.w.data), expected, `step ${step}`);
  }
});

test('a schedule that returns a non-finite rate stops the update with a message', () => {
  const params = { w: randomNormal(new Rng(1), [2]) };
  const g = { w: randomNormal(new Rng(2), [2]) };
  const bad = (step: number) => (step === 2 ? NaN : 0.1);
  for (const opt of [sgd({ lr: bad }), adam({ lr: bad })]) {
    const { params: p1, state: s1 } = opt.update(g, opt.init(params) as never, params);
    throwsWith(() => opt.update(g, s1 as never, p1), RangeError, 'schedule returned NaN at step 2');
  }
  const fused = fusedAdam({ lr: bad });
  const first = fused.update(g, fused.init(params), params);
  throwsWith(() => fused.update(g, first.state, first.params), RangeError, 'schedule returned NaN at step 2');
});

test('fusedAdam with a schedule: compiled equals eager bit for bit, and the schedule matters', () => {
  const schedule = warmupCosine({ lr: 0.05, warmupSteps: 3, decaySteps: 4 });
  const run = (lr: number | ((s: number) => number), compiled: boolean): Tensor[] => {
    const opt = fusedAdam({ lr, jit: compiled });
    let params = [randomNormal(new Rng(3), [5, 3]), randomNormal(new Rng(4), [3])];
    let state = opt.init(params);
    for (let i = 0; i < 8; i++) {
      const grads = [randomNormal(new Rng(10 + i), [5, 3]), randomNormal(new Rng(20 + i), [3])];
      ({ params, state } = opt.update(grads, state, params));
    }
    return treeLeaves(params);
  };
  const bits = (ts: Tensor[]) => ts.map((t) => Array.from(t.data));
  const jitted = run(schedule, true), eager = run(schedule, false);
  assert.equal(bits(jitted), bits(eager));
  assert.not.equal(bits(run(0.05, true)), bits(jitted), 'a constant rate gives other parameters');
});

test.run();
