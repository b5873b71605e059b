/** Anomaly mode: the first op producing NaN/Inf throws, naming the op (forward or backward). */
import * as assert from 'uvu/assert';
import {
  AnomalyError, Tensor, tensor, grad, withAnomalyDetection, sum, log, sqrt, pow, mul, exp, div,
} from '../src/index.ts';
import { eachBackend, throwsWith } from './engine-helpers.ts';
import { test } from 'uvu';

eachBackend('forward: log of a negative number names log and the forward pass', () => {
  throwsWith(() => withAnomalyDetection(() => log(tensor([1, -1, 2]))), AnomalyError, "op 'log' (forward)", 'NaN', 'flat index 1', '[3]');
  throwsWith(() => withAnomalyDetection(() => grad((x: Tensor) => sum(log(x)))(tensor([2, -3]))), AnomalyError, "op 'log' (forward)", 'NaN');
  throwsWith(() => withAnomalyDetection(() => exp(tensor([1000]))), AnomalyError, "op 'exp'", 'Infinity');
  throwsWith(() => withAnomalyDetection(() => div(tensor([1]), tensor([0]))), AnomalyError, "op 'div'", 'Infinity');
});

eachBackend('backward: sqrt at 0 names the backward pass of sqrt', () => {
  throwsWith(
    () => withAnomalyDetection(() => grad((x: Tensor) => sum(sqrt(x)))(tensor([4, 0]))),
    AnomalyError, "backward pass of 'sqrt'", 'Infinity', 'flat index 1',
  );
  // second order: x^1.5 is fine forward and at first order at 0; its second derivative is infinite
  const f = (x: Tensor) => sum(pow(x, 1.5));
  const first = withAnomalyDetection(() => grad(f)(tensor([0, 1])) as Tensor);
  assert.equal(Array.from(first.data), [0, 1.5]);
  throwsWith(
    () => withAnomalyDetection(() => grad((x: Tensor) => sum(grad(f)(x) as Tensor))(tensor([0, 1]))),
    AnomalyError, "backward pass of 'pow'", 'Infinity',
  );
});

eachBackend('without anomaly mode NaN and Inf propagate silently', () => {
  const y = log(tensor([1, -1]));
  assert.ok(Number.isNaN(y.data[1]));
  const g = grad((x: Tensor) => sum(sqrt(x)))(tensor([4, 0])) as Tensor;
  assert.equal(Array.from(g.data), [0.25, Infinity]);
  const h = grad((x: Tensor) => sum(mul(log(x), 2)))(tensor([-1])) as Tensor;
  assert.is(h.data[0], -2, 'the gradient of log at -1 is finite even though the value is NaN');
  const nanLoss = grad((x: Tensor) => sum(mul(x, log(x))))(tensor([-1, 1])) as Tensor;
  assert.ok(Number.isNaN(nanLoss.data[0]));
});

eachBackend('anomaly mode is scoped: it ends with its callback, also after a throw', () => {
  const ok = withAnomalyDetection(() => grad((x: Tensor) => sum(mul(x, x)))(tensor([3])) as Tensor);
  assert.equal(Array.from(ok.data), [6], 'finite computations are unaffected');
  throwsWith(() => withAnomalyDetection(() => log(tensor([-1]))), AnomalyError, "op 'log'");
  assert.ok(Number.isNaN(log(tensor([-1])).data[0]), 'no anomaly check outside the scope');
  assert.is(withAnomalyDetection(() => 'value'), 'value');
});

test.run();
