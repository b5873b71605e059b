/**
 * gather: take with the indices as an operand. Same values as take (same kernels),
 * gradients checked at orders 1 and 2 in float64, indices read on every run of a
 * compiled program (one trace for any indices of a shape), clear errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gather, grad, jit, take, tensor, sum, mul, Tensor } from '../src/index.ts';
import { assertGrads, eachBackend, normal, probe, throwsWith } from './engine-helpers.ts';
import { ShapeError } from '../src/tensor/errors.ts';

const bits = (t: Tensor): number[] => Array.from(t.data);

eachBackend('gather equals take in value and gradient, on every axis, with negative indices', () => {
  const x = normal(1, [4, 3, 5]);
  const f32 = tensor(Float32Array.from(x.data), x.shape);
  for (const [axis, idx] of [[0, [3, 0, 0, -1]], [1, [2, 1]], [2, [[4, 0], [1, -2]]]] as const) {
    const flat = (idx as readonly (number | readonly number[])[]).flat() as number[];
    const shape = Array.isArray(idx[0]) ? [idx.length, (idx[0] as readonly number[]).length] : [idx.length];
    const indices = tensor(flat, shape);
    const got = gather(f32, indices, axis);
    const want = take(f32, indices, axis);
    assert.equal(got.shape, want.shape, `axis ${axis} shape`);
    assert.equal(bits(got), bits(want), `axis ${axis} values`);
    const w = normal(2, want.shape);
    const gw = tensor(Float32Array.from(w.data), w.shape);
    const viaGather = grad((t: Tensor) => sum(mul(gather(t, indices, axis), gw)))(f32);
    const viaTake = grad((t: Tensor) => sum(mul(take(t, indices, axis), gw)))(f32);
    assert.equal(bits(viaGather), bits(viaTake), `axis ${axis} gradient`);
  }
});

eachBackend('gather: gradients at orders 1 and 2 (float64, repeated indices accumulate)', () => {
  const indices = tensor([2, 0, 2, 1, 2], [5], 'float64');
  assertGrads('gather axis 0', (x) => probe(gather(x, indices, 0)), [normal(3, [3, 4])]);
  assertGrads('gather axis 1', (x) => probe(gather(x, indices, 1)), [normal(4, [2, 3])]);
  // The adjoint's own rule (a gather) is exercised by differentiating a gradient.
  assertGrads('gather adjoint', (x) => probe(grad((y: Tensor) => sum(mul(probe(gather(y, indices, 0)), y)))(x)), [normal(5, [3, 2])]);
});

eachBackend('gather under jit reads new indices every call: one trace', () => {
  const table = tensor([[1, 2], [3, 4], [5, 6]]);
  const rows = jit((t: Tensor, i: Tensor) => sum(mul(gather(t, i, 0), gather(t, i, 0))));
  const g = jit(grad((t: Tensor, i: Tensor) => sum(mul(gather(t, i, 0), gather(t, i, 0)))));
  for (const idx of [[0, 1], [2, 2], [1, 0]]) {
    const i = tensor(idx);
    assert.equal(bits(rows(table, i)), bits(sum(mul(take(table, idx, 0), take(table, idx, 0)))), `value at ${idx}`);
    const eager = grad((t: Tensor) => sum(mul(take(t, idx, 0), take(t, idx, 0))))(table);
    assert.equal(bits(g(table, i)), bits(eager), `gradient at ${idx}`);
  }
  assert.is(rows.traceCount, 1);
  assert.is(g.traceCount, 1);
});

test('gather: clear errors for bad indices and arguments', () => {
  const x = tensor([[1, 2], [3, 4]]);
  throwsWith(() => gather(x, tensor([0, 2]), 0), ShapeError, 'gather', 'index 2 at position 1', '[-2, 2)');
  throwsWith(() => gather(x, tensor([0.5]), 1), ShapeError, 'gather', 'index 0.5', 'not an integer');
  throwsWith(() => gather(x, tensor([0]), 2), ShapeError, 'gather');
  throwsWith(() => gather(x, [0, 1] as unknown as Tensor, 0), TypeError, 'gather: x and indices must be tensors');
  const bad = jit((t: Tensor, i: Tensor) => gather(t, i, 0));
  bad(x, tensor([1, 0]));
  throwsWith(() => bad(x, tensor([1, 5])), ShapeError, 'gather: index 5 at position 1');
});

test.run();
