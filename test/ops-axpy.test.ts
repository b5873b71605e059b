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
  assert.throws(() => addScaled(tensor([1]), tensor([1]), Number.NaN), /addScaled: alpha must be a finite number, got NaN/);
});

test.run();
