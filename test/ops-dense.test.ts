import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, ShapeError, add, checkGrad, dense, matmul, randomNormal, relu, sigmoid, tanh, type Tensor, tsBackend, getBackend,
  activationGrad, mul, sub, square, step,
} from '../src/index.ts';
import { allclose, onBackend, testBackends } from './helpers.ts';

const ACTS = ['identity', 'relu', 'tanh', 'sigmoid'] as const;
const composite = (x: Tensor, w: Tensor, b: Tensor, act: (typeof ACTS)[number]): Tensor => {
  const z = add(matmul(x, w), b);
  return act === 'relu' ? relu(z) : act === 'tanh' ? tanh(z) : act === 'sigmoid' ? sigmoid(z) : z;
};

// Shapes: [x, w, b] including shared and per-task weights and biases, awkward sizes.
const CASES: [number[], number[], number[]][] = [
  [[1, 1], [1, 1], [1]],
  [[3, 17], [17, 5], [5]],
  [[25, 10, 1], [1, 40], [40]],
  [[25, 10, 40], [25, 40, 40], [25, 1, 40]],
  [[4, 10, 65], [65, 3], [4, 1, 3]],
  [[2, 63, 129], [2, 129, 17], [1, 17]],
];

for (const b of testBackends()) {
  for (const act of ACTS) {
    test(`dense ${act} equals matmul + add + activation [${b}]`, () => onBackend(b, () => {
      const rng = new Rng(7);
      for (const [xs, ws, bs] of CASES) {
        const x = randomNormal(rng, xs), w = randomNormal(rng, ws), bias = randomNormal(rng, bs);
        allclose(dense(x, w, bias, act), composite(x, w, bias, act), 1e-5, 1e-5, `${act} ${xs}·${ws}+${bs}`);
      }
    }));

    test(`dense ${act} gradients, first and second order [${b}]`, () => onBackend(b, () => {
      const rng = new Rng(11);
      const x = randomNormal(rng, [2, 3, 4]), w = randomNormal(rng, [4, 5]), bias = randomNormal(rng, [5]);
      const f = (x: Tensor, w: Tensor, bb: Tensor): Tensor => square(dense(x, w, bb, act)).sum();
      for (const order of [1, 2] as const) {
        const r = checkGrad(f, [x, w, bias], { order });
        assert.ok(r.ok, r.message);
      }
    }));
  }

  test(`activationGrad matches the composite rule [${b}]`, () => onBackend(b, () => {
    const rng = new Rng(3);
    for (const n of [1, 3, 17, 63, 65, 129]) {
      const g = randomNormal(rng, [n]), y = tanh(randomNormal(rng, [n]));
      allclose(activationGrad('tanh', g, y), mul(g, sub(1, square(y))), 1e-6, 1e-6, `tanh n=${n}`);
      allclose(activationGrad('relu', g, y), mul(g, step(y)), 0, 0, `relu n=${n}`);
      allclose(activationGrad('sigmoid', g, y), mul(g, mul(y, sub(1, y))), 1e-6, 1e-6, `sigmoid n=${n}`);
    }
    for (const act of ['tanh', 'sigmoid'] as const) {
      const r = checkGrad((g: Tensor, y: Tensor) => square(activationGrad(act, g, y)).sum(),
        [randomNormal(rng, [6]), sigmoid(randomNormal(rng, [6]))], { order: 2 });
      assert.ok(r.ok, `${act}: ${r.message}`);
    }
  }));
}

test('dense kernels of each backend agree with the reference backend', () => {
  const rng = new Rng(5);
  const name = getBackend().name;
  for (const [xs, ws, bs] of CASES) {
    const x = randomNormal(rng, xs), w = randomNormal(rng, ws), bias = randomNormal(rng, bs);
    const ref = onBackend('ts', () => dense(x, w, bias, 'relu'));
    allclose(dense(x, w, bias, 'relu'), ref, 1e-5, 1e-5, `${name} ${xs}`);
  }
  assert.is(tsBackend.name, 'ts');
});

test('dense rejects bad shapes and activations with the offending values', () => {
  const rng = new Rng(1);
  const x = randomNormal(rng, [3, 4]), w = randomNormal(rng, [4, 5]);
  assert.throws(() => dense(x, randomNormal(rng, [3, 5]), randomNormal(rng, [5])), (e: Error) => e instanceof ShapeError && /dense: inner dimensions differ.*\[3, 4\].*\[3, 5\]/.test(e.message));
  assert.throws(() => dense(x, w, randomNormal(rng, [4])), (e: Error) => e instanceof ShapeError && /b \[4\]/.test(e.message));
  assert.throws(() => dense(x, w, randomNormal(rng, [5]), 'gelu' as never), (e: Error) => /unknown activation 'gelu'/.test(e.message));
});

test.run();
