import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { confidenceInterval, meanInterval, studentT975 } from '../src/stats/interval.ts';
import { formatInterval } from '../src/report/stats.ts';
import * as metagrad from '../src/index.ts';

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
  assert.ok(Math.abs(ci.high - 3 - 2.776 * Math.sqrt(2.5 / 5)) < 1e-12);
  assert.ok(Math.abs(3 - ci.low - 2.776 * Math.sqrt(2.5 / 5)) < 1e-12);
  assert.equal(meanInterval([7]), { mean: 7, low: 7, high: 7, n: 1 });
  const none = meanInterval([]);
  assert.is(none.n, 0);
  assert.ok(Number.isNaN(none.mean) && Number.isNaN(none.low) && Number.isNaN(none.high));
});

test('confidenceInterval: the interval over the finite seeds, every seed kept', () => {
  const perSeed = [0.5, Infinity, 0.7, NaN, 0.6];
  const ci = confidenceInterval(perSeed);
  assert.equal(ci, { ...meanInterval([0.5, 0.7, 0.6]), perSeed });
  assert.is(ci.n, 3);
  assert.ok(Math.abs(ci.mean - 0.6) < 1e-12);
  assert.ok(ci.perSeed !== perSeed, 'a copy, not the caller\'s array');
  assert.equal(confidenceInterval([0.5]), { mean: 0.5, low: 0.5, high: 0.5, n: 1, perSeed: [0.5] });
  assert.is(confidenceInterval([NaN, Infinity]).n, 0);
  assert.throws(() => confidenceInterval([]), /confidenceInterval: perSeed must not be empty/);
});

test('one confidenceInterval for the whole package, exported at the root only', () => {
  assert.is(metagrad.confidenceInterval, confidenceInterval);
  assert.not.ok('confidenceInterval' in metagrad.continual, 'continual has no second one');
});

test('formatInterval: a table cell', () => {
  assert.is(formatInterval(meanInterval([0.6, 0.65, 0.64])), '0.63 [0.564, 0.696]');
  assert.is(formatInterval(confidenceInterval([1.23456])), '1.23');
  assert.is(formatInterval(confidenceInterval([12.3456, 12.4]), 2), '12 [12, 13]');
  assert.is(formatInterval(confidenceInterval([NaN])), '–');
  assert.is(formatInterval(undefined), '–');
});

test.run();
