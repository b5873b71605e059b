import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { treeLeaves } from '../src/index.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { mlpPolicy, tabularPolicy, type CategoricalPolicy } from '../src/rl/policy.ts';
import { metaTrain, metaTrainInit, metaTrainStep, type MetaEstimator, type MetaStepOptions } from '../src/rl/mamlrl.ts';
import { recycledPoolBytes } from '../src/autodiff/recycle.ts';
import { onBackend, testBackends } from './helpers.ts';

// MAML-RL's recycleMemory must change no number: every test compares a recycled run
// with the same run on fresh allocations, bit for bit.

const Recycle = suite('rl MAML-RL storage recycling (recycleMemory)');

// 8×8: the tabular logits (64 × 4) are as large as RECYCLE_MIN_ELEMENTS, so even the
// parameters' gradients come from the pool; so do the [N, T] and [N·T, 4] tensors of
// 20 episodes × 14 steps.
const SIZE = 8;
const family = goalFamily({ size: SIZE, seed: 0 });
const tabular = { policy: tabularPolicy({ numStates: SIZE * SIZE, numActions: 4 }) as CategoricalPolicy<unknown>, observation: 'stateIndex', baseline: 'state' } as const;
const mlp = { policy: mlpPolicy({ obsSize: SIZE * SIZE, numActions: 4, hidden: [16] }) as CategoricalPolicy<unknown>, observation: 'oneHot', baseline: 'observation' } as const;
type Setup = typeof tabular | typeof mlp;
const bits = (tree: unknown): number[] => treeLeaves(tree).flatMap((t) => Array.from(t.data));

/** Options of a small meta-training run; Meta-SGD and the entropy bonus put every kind of leaf through the scope. */
function options(setup: Setup, estimator: MetaEstimator, innerSteps: number, recycleMemory: boolean, policy = setup.policy): MetaStepOptions<unknown> & { seed: number; learnInnerLr: boolean } {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 20, maxSteps: 14, observation: { kind: setup.observation } });
  return {
    policy, env, tasks: family.train, metaBatchSize: 3, innerLr: 20, innerSteps, estimator, baseline: setup.baseline,
    learnInnerLr: true, entropyBonus: 0.2, weightDecay: 0.1, seed: 5, recycleMemory,
  };
}

/** Four meta-iterations; the parameters of every iteration are kept by reference, not copied. */
function train(setup: Setup, estimator: MetaEstimator, innerSteps: number, recycleMemory: boolean) {
  const perIteration: unknown[] = [];
  const result = metaTrain({ ...options(setup, estimator, innerSteps, recycleMemory), iterations: 4, onIteration: (_record, params) => perIteration.push(params) });
  return { ...result, perIteration };
}

function assertSameRun(recycled: ReturnType<typeof train>, fresh: ReturnType<typeof train>): void {
  assert.equal(recycled.history, fresh.history);
  // Iteration i's parameters were returned before later iterations reused the pool: still intact.
  fresh.perIteration.forEach((params, i) => assert.equal(bits(recycled.perIteration[i]), bits(params), `parameters after iteration ${i}`));
  assert.equal(bits(recycled.params), bits(fresh.params));
  assert.equal(bits(recycled.innerLrScale), bits(fresh.innerLrScale));
}

for (const backend of testBackends()) {
  for (const estimator of ['dice', 'lvc', 'firstOrder'] as const) {
    for (const innerSteps of [1, 2]) {
      Recycle(`${backend}, tabular, ${estimator}, ${innerSteps} inner step(s): the same parameters, step sizes and records, bit for bit`, () => {
        onBackend(backend, () => {
          const fresh = train(tabular, estimator, innerSteps, false);
          const recycled = train(tabular, estimator, innerSteps, true);
          assert.ok(recycledPoolBytes() > 0, 'the recycled run gave arrays back to the pool');
          assertSameRun(recycled, fresh);
        });
      });
    }
  }
}

Recycle('MLP policy, DiCE, 2 inner steps: the same parameters and records, bit for bit', () => {
  assertSameRun(train(mlp, 'dice', 2, true), train(mlp, 'dice', 2, false));
});

Recycle('metaTrainStep: the same next state (parameters, step sizes, optimiser, generator) and returns', () => {
  const step = (recycleMemory: boolean) => {
    const stepOptions = options(tabular, 'dice', 2, recycleMemory);
    let state = metaTrainInit(stepOptions);
    for (let i = 0; i < 2; i++) state = metaTrainStep(stepOptions, state).state;
    return metaTrainStep(stepOptions, state);
  };
  const fresh = step(false), recycled = step(true);
  assert.equal([recycled.preReturn, recycled.postReturn], [fresh.preReturn, fresh.postReturn]);
  assert.equal(bits(recycled.state.params), bits(fresh.state.params));
  assert.equal(bits(recycled.state.logScale), bits(fresh.state.logScale));
  assert.equal(recycled.state.optimizer, fresh.state.optimizer);
  assert.equal(recycled.state.rng, fresh.state.rng);
});

Recycle('a meta-gradient that throws inside the scope leaves later recycled runs correct', () => {
  // Throws on the rollout after the first inner step: the scope has taken pooled arrays by then.
  let rollouts = 0;
  const failing: CategoricalPolicy<unknown> = {
    ...tabular.policy,
    sampler: (params) => {
      if (++rollouts === 2) throw new RangeError('rollout failed');
      return tabular.policy.sampler(params);
    },
  };
  const stepOptions = options(tabular, 'dice', 2, true, failing);
  const state = metaTrainInit(stepOptions);
  train(tabular, 'dice', 1, true); // fills the pool, so the failing scope draws from it
  assert.throws(() => metaTrainStep(stepOptions, state), /rollout failed/);
  assert.is(rollouts, 2, 'the scope failed after its first inner step');
  assertSameRun(train(tabular, 'dice', 2, true), train(tabular, 'dice', 2, false));
});

Recycle.run();
