/**
 * MAML-RL's `jit: true` against the eager meta-iteration.
 *
 * - MLP policies (and the conv policy) without an entropy bonus: bit for bit. The
 *   compiled programs run the eager kernels in the eager order, and the taken actions'
 *   log-probabilities are a `gather` of the flattened log-softmax, the same `take`
 *   kernel `takeAlongAxis` runs. Checked on the parameters, step multipliers and
 *   returns of several iterations.
 * - With an entropy bonus: to float32 rounding. Compiled, the bonus is a masked sum
 *   over every padded step (eager: a sum over the real steps only, a row count that
 *   changes with every batch); the zeros shift which SIMD lane sums which term. Small
 *   batches happen to give the same bits; on the CLI's MLP (20 episodes) the gradient
 *   differed by up to 7e-8 of its largest entry. Checked on the meta-gradient.
 * - The tabular policy: to float32 rounding. Compiled, its log-softmax and entropy are
 *   taken once per state and gathered to the steps (eager: once per step), so the
 *   backward pass sums the steps' cotangents before the log-softmax's rule instead of
 *   after: a reordered sum. Checked on the meta-gradient itself (Adam's first steps
 *   turn a rounding-level difference in a near-zero gradient entry into a full step),
 *   within 2e-6 of each leaf's largest magnitude (~16 ulps; sums over 120 steps).
 *   (At the CLI's inner step size 100 the step amplifies that rounding: up to 5e-4
 *   relative with two inner steps and no baseline, on 3200-step batches.)
 * - One trace per configuration across iterations; clear errors for a policy that
 *   cannot be traced.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, treeLeaves, Tensor } from '../src/index.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { mlpPolicy, tabularPolicy, type CategoricalPolicy } from '../src/rl/policy.ts';
import { convPolicy } from '../src/rl/conv-policy.ts';
import {
  estimateMetaGradient, metaTrain, metaTrainInit, metaTrainStep, META_ESTIMATORS, type BaselineKind, type MetaEstimator, type MetaStepOptions,
} from '../src/rl/mamlrl.ts';
import { jitTraceCounts } from '../src/rl/mamlrl-jit.ts';
import { RlError } from '../src/rl/errors.ts';
import { assertTreeClose, eachBackend, throwsWith } from './engine-helpers.ts';

const SIZE = 5;
const family = goalFamily({ size: SIZE, seed: 1 });
const bits = (tree: unknown): number[] => treeLeaves(tree).flatMap((t) => Array.from(t.data));

type Policy = CategoricalPolicy<unknown>;
function options(policy: Policy, observation: 'stateIndex' | 'oneHot' | 'gridChannels', o: {
  estimator: MetaEstimator; innerSteps: number; baseline: BaselineKind; learnInnerLr?: boolean; entropyBonus?: number; innerLrScale?: unknown;
}): MetaStepOptions<unknown> & { seed: number; learnInnerLr: boolean } {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 12, maxSteps: 10, observation: { kind: observation } });
  return {
    policy, env, tasks: family.train, metaBatchSize: 3, innerLr: 1, seed: 3, entropyBonus: 0.3, learnInnerLr: false, ...o,
  };
}

/** Three iterations eager and three compiled from the same state: every iteration's state and returns, bit for bit. */
function assertSameTraining(what: string, o: MetaStepOptions<unknown> & { seed: number; learnInnerLr: boolean }): void {
  let eager = metaTrainInit(o);
  let compiled = eager;
  for (let i = 0; i < 3; i++) {
    const e = metaTrainStep(o, eager), j = metaTrainStep({ ...o, jit: true }, compiled);
    assert.equal(bits(j.state.params), bits(e.state.params), `${what}: parameters after iteration ${i}`);
    assert.equal(bits(j.state.logScale ?? []), bits(e.state.logScale ?? []), `${what}: log step multipliers after iteration ${i}`);
    assert.equal([j.preReturn, j.postReturn], [e.preReturn, e.postReturn], `${what}: returns of iteration ${i}`);
    assert.equal(j.state.rng, e.state.rng, `${what}: generator after iteration ${i}`);
    eager = e.state;
    compiled = j.state;
  }
}


const mlp = mlpPolicy({ obsSize: SIZE * SIZE, numActions: 4, hidden: [8], outputScale: 1 }) as Policy;

for (const estimator of META_ESTIMATORS) {
  eachBackend(`rl jit: MLP policy, ${estimator}, inner steps 0/1/2, both baselines, Meta-SGD: bit for bit`, () => {
    for (const innerSteps of [0, 1, 2]) {
      const learnInnerLr = innerSteps !== 1;
      const baseline: BaselineKind = innerSteps === 2 ? 'none' : 'observation';
      assertSameTraining(`${estimator}, ${innerSteps} steps, ${baseline}, learnInnerLr ${learnInnerLr}`, options(mlp, 'oneHot', { estimator, innerSteps, baseline, learnInnerLr, entropyBonus: 0 }));
    }
  });
}

/** The meta-gradients of two iterations' states, compiled and eager, within `rtol` of each leaf's largest magnitude; the returns exactly. */
function assertCloseGradients(what: string, o: MetaStepOptions<unknown> & { seed: number; learnInnerLr: boolean }, rtol: number): void {
  let state = metaTrainInit(o);
  for (let i = 0; i < 2; i++) {
    const e = estimateMetaGradient(o, state), j = estimateMetaGradient({ ...o, jit: true }, state);
    assertTreeClose(j.gradient, e.gradient, `${what}, iteration ${i}`, rtol);
    assert.equal([j.preReturn, j.postReturn], [e.preReturn, e.postReturn], `${what}, iteration ${i}: returns`);
    state = metaTrainStep(o, state).state;
  }
}

eachBackend('rl jit: MLP policy with an entropy bonus: the meta-gradient to float32 rounding', () => {
  const env = new VecEnv({ map: openRoom(8), numEnvs: 20, maxSteps: 20, observation: { kind: 'oneHot' } });
  const wide = mlpPolicy({ obsSize: 64, numActions: 4, hidden: [16] }) as Policy;
  const o = { ...options(wide, 'oneHot', { estimator: 'dice', innerSteps: 1, baseline: 'observation', learnInnerLr: true, entropyBonus: 0.4 }), env, tasks: goalFamily({ size: 8 }).train, innerLr: 100 };
  assertCloseGradients('MLP 64-16-4, entropy 0.4', o, 2e-6);
});

eachBackend('rl jit: a fixed innerLrScale tree and no entropy bonus: bit for bit', () => {
  const params = mlp.init(new Rng(4)) as { layers: { weight: Tensor; bias: Tensor }[] };
  const innerLrScale = { layers: params.layers.map((l) => ({ weight: l.weight.mul(0).add(0.5), bias: l.bias.add(2) })) };
  assertSameTraining('fixed scale', options(mlp, 'oneHot', { estimator: 'dice', innerSteps: 1, baseline: 'observation', innerLrScale, entropyBonus: 0 }));
});

test('rl jit: conv policy over grid channels, DiCE with one inner step: bit for bit', () => {
  const conv = convPolicy({ height: SIZE, width: SIZE, numActions: 4, hidden: [4] }) as Policy;
  assertSameTraining('conv', options(conv, 'gridChannels', { estimator: 'dice', innerSteps: 1, baseline: 'observation', learnInnerLr: true, entropyBonus: 0 }));
});

const tabular = tabularPolicy({ numStates: SIZE * SIZE, numActions: 4 }) as Policy;

for (const estimator of META_ESTIMATORS) {
  eachBackend(`rl jit: tabular policy, ${estimator}: the meta-gradient to float32 rounding (every baseline, inner steps 0/1/2, Meta-SGD)`, () => {
    for (const innerSteps of [0, 1, 2]) {
      for (const baseline of ['none', 'observation', 'state'] as const) {
        const o = options(tabular, 'stateIndex', { estimator, innerSteps, baseline, learnInnerLr: true });
        assertCloseGradients(`${estimator}, ${innerSteps} steps, ${baseline}`, o, 2e-6);
      }
    }
  });
}

test('rl jit: one trace per configuration across iterations (MAML and the innerSteps 0 baseline share the cache)', () => {
  const policy = tabularPolicy({ numStates: SIZE * SIZE, numActions: 4 }) as Policy;
  const o = { ...options(policy, 'stateIndex', { estimator: 'dice', innerSteps: 1, baseline: 'state', learnInnerLr: true }), jit: true };
  let maml = metaTrainInit(o), pretrained = metaTrainInit({ ...o, learnInnerLr: false });
  for (let i = 0; i < 4; i++) {
    maml = metaTrainStep(o, maml).state;
    pretrained = metaTrainStep({ ...o, innerSteps: 0 }, pretrained).state;
  }
  assert.equal(jitTraceCounts(policy), { adapt: 1, metaGradient: 2 });
  const history = metaTrain({ ...o, iterations: 3, seed: 9 }).history;
  assert.is(history.length, 3);
  assert.equal(jitTraceCounts(policy), { adapt: 1, metaGradient: 2 }, 'a new run of the same configuration traces nothing');
});

test('rl jit: a policy without a traceable form, or one whose form reads values, fails clearly', () => {
  const { traceable: _omit, ...opaque } = mlpPolicy({ obsSize: SIZE * SIZE, numActions: 4, hidden: [4] }) as Policy;
  const plain = { ...opaque, name: 'opaque' } as Policy;
  const o = options(plain, 'oneHot', { estimator: 'dice', innerSteps: 1, baseline: 'observation' });
  throwsWith(() => metaTrainStep({ ...o, jit: true }, metaTrainInit(o)), RlError, "policy 'opaque' has none", 'jit: false');
  const base = mlpPolicy({ obsSize: SIZE * SIZE, numActions: 4, hidden: [4] }) as Policy;
  const reading = {
    ...base, name: 'reader',
    traceable: { ...base.traceable!, logits: (p: unknown, f: Tensor) => { f.toArray(); return base.traceable!.logits(p, f); } },
  } as Policy;
  const r = options(reading, 'oneHot', { estimator: 'dice', innerSteps: 1, baseline: 'observation' });
  throwsWith(() => metaTrainStep({ ...r, jit: true }, metaTrainInit(r)), RlError, "policy 'reader' cannot be traced", 'toArray');
  throwsWith(() => metaTrainStep({ ...o, jit: 'yes' as unknown as boolean }, metaTrainInit(o)), RlError, 'jit must be true or false');
});

test.run();
