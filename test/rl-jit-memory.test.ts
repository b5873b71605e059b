/**
 * #19's memory rule for MAML-RL under `jit`: a long run of jitted meta-iterations
 * (rollouts, baseline fits, the compiled adapt and meta-gradient programs, Adam) must not
 * grow the JS heap or wasm memory. Heap measured after forced GCs at two points.
 */
import * as assert from 'uvu/assert';
import { getBackend, wasmMemoryBytes } from '../src/index.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { tabularPolicy } from '../src/rl/policy.ts';
import { metaTrainInit, metaTrainStep } from '../src/rl/mamlrl.ts';
import { jitTraceCounts } from '../src/rl/mamlrl-jit.ts';
import { eachBackend } from './engine-helpers.ts';
import { settledHeap } from './gc-helpers.ts';
import { test } from 'uvu';


eachBackend('rl jit: 1,500 jitted meta-iterations leave the heap and wasm memory flat', () => {
  const family = goalFamily({ size: 4, seed: 2 });
  const env = new VecEnv({ map: openRoom(4), numEnvs: 8, maxSteps: 8, observation: { kind: 'stateIndex' } });
  const o = {
    policy: tabularPolicy({ numStates: 16, numActions: 4 }), env, tasks: family.train, metaBatchSize: 2, innerLr: 1, seed: 5,
    estimator: 'dice' as const, baseline: 'state' as const, entropyBonus: 0.1, learnInnerLr: true, jit: true,
  };
  let state = metaTrainInit(o);
  let heapAt = 0, wasmAt = 0;
  for (let it = 1; it <= 1500; it++) {
    state = metaTrainStep(o, state).state;
    if (it === 300) { heapAt = settledHeap(); wasmAt = wasmMemoryBytes(); }
  }
  const growth = (settledHeap() - heapAt) / 2 ** 20;
  assert.ok(growth < 1, `heap grew by ${growth.toFixed(2)} MB between iteration 300 and 1,500`);
  if (getBackend().name === 'wasm') assert.is(wasmMemoryBytes(), wasmAt, 'wasm memory grew');
  assert.ok(Object.values(jitTraceCounts(o.policy)).every((n) => n <= 2), `retraced: ${JSON.stringify(jitTraceCounts(o.policy))}`);
});

test.run();
