/** Shared test helpers: one approximate comparison, backend matrix, seeded data. */
import * as assert from 'uvu/assert';
import { Tensor, getBackend, listBackends, setBackend, type NestedArray } from '../src/index.ts';

/** Elementwise |a − b| ≤ atol + rtol·|b|, with a message naming the first offending index. */
export function allclose(actual: Tensor | NestedArray, expected: Tensor | NestedArray, rtol = 1e-6, atol = 1e-6, what = ''): void {
  const a = flat(actual), b = flat(expected);
  assert.is(a.length, b.length, `${what} length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (x === y) continue; // also covers equal infinities
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      assert.unreachable(`${what} mismatch at flat index ${i}: ${x} vs expected ${y} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

function flat(x: Tensor | NestedArray): number[] {
  if (x instanceof Tensor) return Array.from(x.data);
  if (typeof x === 'number') return [x];
  return (x as NestedArray[]).flatMap((v) => flat(v));
}

/** Backends every op test runs on (the wasm backend once registered). */
export function testBackends(): string[] {
  return listBackends();
}

/** Runs `fn` with `name` selected, restoring the previous backend afterwards. */
export function onBackend<T>(name: string, fn: () => T): T {
  const previous = getBackend().name;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}
