import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meanInterval, studentT975 } from '../src/stats/interval.ts';

test('studentT975: tabulated values and the expansion beyond 30 degrees of freedom', () => {
  assert.is(studentT975(1), 12.706);
  assert.is(studentT975(4), 2.776);
  // Reference quantiles t_{0.975}: df 40 → 2.0211, 60 → 2.0003, 120 → 1.9799, 1000 → 1.9623.
  for (const [df, t] of [[40, 2.0211], [60, 2.0003], [120, 1.9799], [1000, 1.9623]] as const) {
    assert.ok(Math.abs(studentT975(df) - t) < 1e-3, `df ${df}: ${studentT975(df)} vs ${t}`);
  }
  assert.throws(() => studentT975(0), /degrees of freedom must be ≥ 1, got 0/);
});

test('meanInterval: t-interval over finite samples', () => {
  const ci = meanInterval([1, 2, 3, 4, 5, NaN]);
  assert.is(ci.n, 5);
  assert.is(ci.mean, 3);
  // sd = √2.5, half-width = 2.776 · √2.5 / √5
  assert.ok(Math.abs(ci.hi - 3 - 2.776 * Math.sqrt(2.5 / 5)) < 1e-12);
  assert.equal(meanInterval([7]), { mean: 7, lo: 7, hi: 7, n: 1 });
  assert.ok(Number.isNaN(meanInterval([]).mean));
});

test.run();
