/**
 * Memory: repeated second-order meta-gradients must not retain graphs. The heap
 * (after a full GC) at iteration 500 and at iteration 2000 must agree to within
 * a few MB; so must the wasm backend's linear memory.
 */
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  Rng, Tensor, grad, treeMap, add, sub, mul, matmul, tanh, mean, square, sin, randomNormal, randomUniform, zeros,
  wasmMemoryBytes, getBackend,
} from '../src/index.ts';
import { eachBackend } from './engine-helpers.ts';
import { test } from 'uvu';

// uvu runs without --expose-gc: turn the flag on and fetch gc from a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function settledHeap(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
const net = (p: Params, x: Tensor): Tensor => add(matmul(tanh(add(matmul(x, p.w1), p.b1)), p.w2), p.b2);

eachBackend('2,000 second-order meta-gradients do not grow the heap', () => {
  const rng = new Rng(1);
  let p: Params = {
    w1: randomNormal(rng, [1, 16], 0, 1), b1: zeros([16]), w2: randomNormal(rng, [16, 1], 0, 0.25), b2: zeros([1]),
  };
  const xs = randomUniform(rng, [5, 1], -3, 3), xq = randomUniform(rng, [5, 1], -3, 3);
  const ys = sin(xs), yq = sin(xq);
  const loss = (q: Params, x: Tensor, y: Tensor) => mean(square(sub(net(q, x), y)));
  const meta = (q: Params) => {
    const g = grad((r: Params) => loss(r, xs, ys))(q) as Params;
    const adapted = treeMap(q, (w, path) => sub(w, mul(g[path.slice(2) as keyof Params], 0.01)));
    return loss(adapted as Params, xq, yq);
  };
  let heap500 = 0, wasm500 = 0;
  for (let it = 1; it <= 2000; it++) {
    const g = grad(meta)(p) as Params;
    // a tiny outer step keeps the computation realistic (new tensors every iteration)
    p = treeMap(p, (w, path) => sub(w, mul(g[path.slice(2) as keyof Params], 1e-4))) as Params;
    if (it === 500) { heap500 = settledHeap(); wasm500 = wasmMemoryBytes(); }
  }
  const heap2000 = settledHeap();
  const growth = (heap2000 - heap500) / 2 ** 20;
  assert.ok(p.w1.data.every(Number.isFinite));
  assert.ok(growth < 2, `heap grew by ${growth.toFixed(2)} MB between iteration 500 and 2000 (${(heap500 / 2 ** 20).toFixed(1)} → ${(heap2000 / 2 ** 20).toFixed(1)} MB)`);
  if (getBackend().name === 'wasm') {
    assert.ok(wasmMemoryBytes() <= wasm500, `wasm memory grew from ${wasm500} to ${wasmMemoryBytes()} bytes`);
  }
});

test.run();
