/**
 * Helpers shared by the engine's test files: gradient checks at orders 1 and 2,
 * error assertions, tree comparisons, seeded float64 data and a backend-matrix `test` wrapper.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Tensor, checkGrad, grad, randomNormal, randomUniform, sum, mul, sin, cast, treeLeaves,
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

/**
 * Trees with the same leaves: every value equal (`Object.is`, so NaN matches NaN) when
 * `rtol` is 0, else within `rtol` times the leaf's largest magnitude (a reordered float32
 * sum errs relative to its summands, not to its possibly cancelled result).
 */
export function assertTreeClose(actual: unknown, expected: unknown, what: string, rtol = 0): void {
  const a = treeLeaves(actual), e = treeLeaves(expected);
  assert.is(a.length, e.length, `${what}: ${a.length} leaves vs ${e.length}`);
  a.forEach((x, i) => {
    const y = e[i]!;
    assert.equal(x.shape, y.shape, `${what}: leaf ${i} shape`);
    let scale = 0;
    for (let k = 0; k < y.size; k++) scale = Math.max(scale, Math.abs(y.data[k]!));
    for (let k = 0; k < x.size; k++) {
      const u = x.data[k]!, v = y.data[k]!;
      if (!(Object.is(u, v) || Math.abs(u - v) <= rtol * scale)) assert.unreachable(`${what}: leaf ${i} differs at ${k}: ${u} vs expected ${v} (rtol ${rtol}, scale ${scale})`);
    }
  });
}
