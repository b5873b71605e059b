/**
 * Helpers shared by the engine's test files: gradient checks at orders 1 and 2,
 * error assertions, seeded float64 data and a backend-matrix `test` wrapper.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Tensor, checkGrad, grad, randomNormal, randomUniform, sum, mul, sin, cast,
} from '../src/index.ts';
import { onBackend, testBackends } from './helpers.ts';

/** Registers `fn` once per backend, named `name [backend]`, with that backend selected. */
export function eachBackend(name: string, fn: () => void): void {
  for (const b of testBackends()) test(`${name} [${b}]`, () => onBackend(b, fn));
}

/**
 * Asserts `checkGrad` passes at order 1 and order 2 with the default (1e-6) tolerances,
 * and that the order-1 gradient is not identically zero (a check of all-zero
 * derivatives would pass for almost any rule).
 */
export function assertGrads(what: string, f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], orders: readonly (1 | 2)[] = [1, 2]): void {
  const xs = inputs.map((x) => cast(x, 'float64'));
  const g = grad(f, { argnums: xs.map((_, i) => i) })(...xs) as Tensor[];
  assert.ok(g.some((t) => t.data.some((v) => v !== 0)), `${what}: gradient is identically zero; the check would be vacuous`);
  for (const order of orders) {
    const r = checkGrad(f, xs, { order });
    assert.ok(r.checked > 0, `${what}: nothing checked`);
    assert.ok(r.ok, `${what}: ${r.message}`);
  }
}

/**
 * `Σ sin(y) · w` with fixed pseudo-random weights: wraps an op's output so that the
 * second-order check exercises the op's rule even when the op itself is linear.
 */
export function probe(y: Tensor, seed = 99): Tensor {
  const w = randomNormal(new Rng(seed), y.shape, 0, 1, y.dtype);
  return sum(mul(sin(y), w));
}

/** Seeded float64 normals. */
export function normal(seed: number, shape: readonly number[], mean = 0, std = 1): Tensor {
  return randomNormal(new Rng(seed), shape, mean, std, 'float64');
}

/** Seeded float64 uniforms in [low, high). */
export function uniform(seed: number, shape: readonly number[], low: number, high: number): Tensor {
  return randomUniform(new Rng(seed), shape, low, high, 'float64');
}

/** Asserts `fn` throws an instance of `cls` whose message contains every one of `parts`. */
export function throwsWith(fn: () => unknown, cls: new (...args: any[]) => Error, ...parts: string[]): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== null, `expected a ${cls.name}, nothing was thrown`);
  assert.instance(caught, cls, `expected a ${cls.name}, got ${String(caught)}`);
  const msg = (caught as Error).message;
  for (const p of parts) assert.ok(msg.includes(p), `message ${JSON.stringify(msg)} should contain ${JSON.stringify(p)}`);
}

/** Smallest |x_i − y_j| over all pairs: keeps gradient-check inputs away from ties. */
export function minGap(a: Tensor, b: Tensor): number {
  let gap = Infinity;
  for (const x of a.data) for (const y of b.data) gap = Math.min(gap, Math.abs(x - y));
  return gap;
}
