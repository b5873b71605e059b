import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, addScaled, add, mul, checkGrad, randomNormal, tensor, type Tensor } from '../src/index.ts';
import { allclose, onBackend, testBackends } from './helpers.ts';

for (const b of testBackends()) {
  test(`addScaled: values equal add(a, mul(b, alpha)), shared and broadcast a [${b}]`, () => onBackend(b, () => {
    assert.equal(addScaled(tensor([1, 2]), tensor([10, 20]), -0.5).toArray(), [-4, -8]);
    const rng = new Rng(4);
    for (const [as, bs] of [[[3, 65], [3, 65]], [[65], [3, 65]], [[1], [17]], [[25, 40, 40], [25, 40, 40]], [[3, 1], [3, 4]]] as const) {
      const x = randomNormal(rng, [...as]), y = randomNormal(rng, [...bs]);
      allclose(addScaled(x, y, 0.01), add(x, mul(y, 0.01)), 1e-6, 1e-7, `${as} + α·${bs}`);
    }
  }));

  test(`addScaled with a tensor alpha: the exact values of add(a, mul(b, alpha)), fused or not [${b}]`, () => onBackend(b, () => {
    assert.equal(addScaled(tensor([1, 2]), tensor([10, 20]), tensor([0.5, -1])).toArray(), [6, -18]);
    const rng = new Rng(6);
    // [a, b, alpha] shapes: Meta-SGD's task-batched step ([T, …] params, shared rates), a
    // shared first step, awkward sizes, and broadcasts the fused kernel does not take.
    for (const [as, bs, rs] of [[[25, 40, 40], [25, 40, 40], [40, 40]], [[40], [25, 40], [40]], [[3, 65], [3, 65], [3, 65]],
      [[17], [17], []], [[3, 1], [3, 4], [4]], [[3, 4], [3, 4], [3, 1]]] as const) {
      const x = randomNormal(rng, [...as]), y = randomNormal(rng, [...bs]), r = randomNormal(rng, [...rs]);
      assert.equal(Array.from(addScaled(x, y, r).data), Array.from(add(x, mul(y, r)).data), `${as} + ${rs}⊙${bs}`);
    }
  }));

  test(`addScaled with a tensor alpha: gradients to a, b and alpha at orders 1 and 2 [${b}]`, () => onBackend(b, () => {
    const rng = new Rng(7);
    const f = (x: Tensor, y: Tensor, r: Tensor): Tensor => mul(addScaled(x, y, r), addScaled(x, y, mul(r, -2))).sum();
    for (const [as, bs, rs] of [[[4], [4], [4]], [[4], [3, 4], [4]], [[3, 4], [3, 4], [3, 1]]] as const) {
      for (const order of [1, 2] as const) {
        const inputs = [randomNormal(rng, [...as], 0, 1, 'float64'), randomNormal(rng, [...bs], 0, 1, 'float64'), randomNormal(rng, [...rs], 0, 1, 'float64')];
        const res = checkGrad(f, inputs, { order });
        assert.ok(res.ok && res.checked > 0, `${as}, ${bs}, ${rs}, order ${order}: ${res.message}`);
      }
    }
  }));

  test(`addScaled: first- and second-order gradients, including a broadcast a [${b}]`, () => onBackend(b, () => {
    const rng = new Rng(5);
    const f = (x: Tensor, y: Tensor): Tensor => mul(addScaled(x, y, -0.3), addScaled(x, y, 0.7)).sum();
    for (const [as, bs] of [[[4], [4]], [[4], [3, 4]]] as const) {
      for (const order of [1, 2] as const) {
        const r = checkGrad(f, [randomNormal(rng, [...as]), randomNormal(rng, [...bs])], { order });
        assert.ok(r.ok, `${as}, ${bs}, order ${order}: ${r.message}`);
      }
    }
  }));
}

test('addScaled: rejects a non-finite alpha, naming it', () => {
  assert.throws(() => addScaled(tensor([1]), tensor([1]), Number.NaN), /addScaled: alpha must be a finite number or a tensor, got NaN/);
});

test.run();
