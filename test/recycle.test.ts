import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, add, mul, sum, tensor, treeLeaves, vjp, zeros, type Tensor } from '../src/index.ts';
import { MLP, Linear } from '../src/nn/index.ts';
import { adam } from '../src/optim/index.ts';
import { anil, maml, metaSgd, pretraining, reptile, sinusoidTasks, type MetaLearner } from '../src/meta/index.ts';
import { RECYCLE_POOL_BYTES, recycledPoolBytes, recycling } from '../src/autodiff/recycle.ts';
import { onBackend, testBackends } from './helpers.ts';

// Storage recycling (recycleMemory) must change no number: every test compares a
// recycled run with an identical fresh-allocation run, bit for bit.

const net = MLP({ sizes: [1, 40, 40, 1] });
const flat = (tree: unknown): number[] => treeLeaves(tree).flatMap((t) => Array.from(t.data));

/** Six Adam steps of `make(recycle)`; returns every step's loss and gradients, and the final meta-parameters. */
function train<M>(make: (recycle: boolean) => MetaLearner<M>, recycle: boolean) {
  const learner = make(recycle);
  const optimizer = adam({ lr: 0.01 });
  const rng = new Rng(5);
  let meta = learner.init(new Rng(0));
  let state = optimizer.init(meta);
  const steps: { loss: number; grads: M }[] = [];
  for (let i = 0; i < 6; i++) {
    const result = learner.metaGradient(meta, sinusoidTasks(rng, { numTasks: 7, K: 5, queryK: 9 }));
    steps.push(result);
    ({ params: meta, state } = optimizer.update(result.grads, state, meta));
  }
  const curve = learner.adaptationCurve(meta, sinusoidTasks(new Rng(9), { numTasks: 11, K: 5, queryK: 20 }), 3);
  return { steps, meta, curve };
}

const learners: [string, (recycle: boolean) => MetaLearner<unknown>][] = [
  ['MAML, 2 inner steps', (recycleMemory) => maml({ model: net, innerLr: 0.01, innerSteps: 2, recycleMemory })],
  ['first-order MAML', (recycleMemory) => maml({ model: net, innerLr: 0.01, firstOrder: true, recycleMemory })],
  ['MAML, clipped, checkpointed', (recycleMemory) => maml({ model: net, innerLr: 0.5, innerSteps: 3, clipNorm: 1, checkpointEvery: 2, recycleMemory })],
  ['Meta-SGD', (recycleMemory) => metaSgd({ model: net, innerLr: 0.01, recycleMemory }) as MetaLearner<unknown>],
  ['Reptile', (recycleMemory) => reptile({ model: net, innerLr: 0.02, innerSteps: 3, recycleMemory })],
  ['Reptile, looped', (recycleMemory) => reptile({ model: net, innerLr: 0.02, innerSteps: 3, batched: false, recycleMemory })],
  ['pretraining', (recycleMemory) => pretraining({ model: net, innerLr: 0.01, recycleMemory })],
  ['ANIL', (recycleMemory) => anil({ body: MLP({ sizes: [1, 40, 40] }), head: Linear({ inputSize: 40, outputSize: 1 }), innerLr: 0.01, recycleMemory }) as MetaLearner<unknown>],
];

for (const backend of testBackends()) {
  for (const [name, make] of learners) {
    test(`recycleMemory (${backend}): ${name} trains to the same bits, and kept gradients survive later steps`, () => {
      onBackend(backend, () => {
        const fresh = train(make, false), recycled = train(make, true);
        fresh.steps.forEach((s, i) => {
          assert.is(recycled.steps[i]!.loss, s.loss, `loss of step ${i}`);
          // Step i's gradients were returned before steps i+1.. reused the pool: still intact.
          assert.equal(flat(recycled.steps[i]!.grads), flat(s.grads), `gradients of step ${i}`);
        });
        assert.equal(flat(recycled.meta), flat(fresh.meta));
        assert.equal(recycled.curve, fresh.curve);
      });
    });
  }
}

test('recycling: a scope that computes with an enclosing trace returns nothing to the pool, so grad through it is exact', () => {
  // 300 elements: above RECYCLE_MIN_ELEMENTS, so the scope's outputs come from the pool.
  const n = 300;
  const x0 = tensor(Array.from({ length: n }, (_, j) => Math.sin(j)), [n], 'float64');
  const c = tensor(Array.from({ length: n }, (_, j) => 1 + (j % 3) / 4), [n], 'float64');
  // The recycled computation reads the traced x through a closure.
  const f = (x: Tensor, recycle: boolean): Tensor => {
    const inner = (): Tensor => {
      let y = x;
      for (let i = 0; i < 4; i++) y = mul(y, c);
      return mul(y, y);
    };
    return sum(recycle ? recycling(inner, (t) => t) : inner());
  };
  const one = tensor(1, [], 'float64');
  const gFresh = vjp((x: Tensor) => f(x, false), x0)[1](one)[0];
  // The backward pass runs after other scopes have churned the pool: had the traced
  // scope given its arrays back, they would now hold other values.
  const [, back] = vjp((x: Tensor) => f(x, true), x0);
  for (let i = 0; i < 3; i++) recycling(() => mul(mul(mul(mul(x0, 3), c), c), c), (t) => t.size);
  const gRecycled = back(one)[0];
  assert.equal(Array.from(gRecycled.data), Array.from(gFresh.data));
});

test('recycling: the pool stays bounded over many steps, and a throwing scope leaves later scopes working', () => {
  const learner = maml({ model: net, innerLr: 0.01, recycleMemory: true });
  const meta = learner.init(new Rng(1));
  const tasks = sinusoidTasks(new Rng(2), { numTasks: 25, K: 10 });
  learner.metaGradient(meta, tasks);
  const settled = recycledPoolBytes();
  assert.ok(settled > 0, 'the first step leaves its arrays in the pool');
  for (let i = 0; i < 50; i++) learner.metaGradient(meta, tasks);
  assert.is(recycledPoolBytes(), settled, 'each step takes back what the last one returned');
  assert.ok(settled <= RECYCLE_POOL_BYTES);
  assert.throws(() => recycling(() => { throw new RangeError('inside'); }, (r) => r), /inside/);
  const after = learner.metaGradient(meta, tasks);
  const plain = maml({ model: net, innerLr: 0.01 }).metaGradient(meta, tasks);
  assert.equal(flat(after.grads), flat(plain.grads));
});

test('recycling: a full pool drops the sizes the last scope did not ask for', () => {
  // Scope 1 leaves the pool full of 4 MB arrays; scope 2 asks only for 2 MB ones, which a
  // pool that kept every size would have no room for.
  const chain = (elements: number, count: number) => recycling(() => {
    let x = zeros([elements]);
    for (let i = 0; i < count; i++) x = add(x, 1);
    return x.size;
  }, (r) => r);
  const big = 4 * 2 ** 20, small = 4 * 2 ** 19;
  chain(2 ** 20, RECYCLE_POOL_BYTES / big + 1);
  assert.is(recycledPoolBytes(), RECYCLE_POOL_BYTES, 'full of the first scope\'s arrays');
  chain(2 ** 19, 3);
  assert.is(recycledPoolBytes(), 3 * small, 'only the second scope\'s sizes are left');
  chain(2 ** 19, 3);
  assert.is(recycledPoolBytes(), 3 * small, 'and they serve the next scope of that shape');
});

test.run();
