/**
 * The shared study runner (src/cli/study.ts) on a fixture study: a failing unit names
 * its job and arguments, the other units' results are kept and written (marked
 * interrupted, failures listed) for any worker count; unit log lines reach stderr;
 * non-finite numbers in unit values survive shard files; merge refuses a shard whose
 * unit failed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createStopSignal } from '../src/cli/interrupt.ts';
import { runStudy } from '../src/cli/study.ts';
import { jsonRoundTrip, loadShards, mergedUnits } from '../src/cli/shard.ts';
import { JobError } from '../src/parallel/errors.ts';
import { tempDir } from './cli-helpers.ts';
import { withoutTimings } from './study-helpers.ts';
import { FIXTURE_STUDY, type FixtureValue } from './fixtures/study-jobs.ts';

const root = tempDir('study-runner');

function context(out: string): Parameters<typeof runStudy>[2] & { err: () => string } {
  mkdirSync(out, { recursive: true });
  let err = '';
  return {
    backend: 'ts', out, json: false, progress: 'lines', stdout: { write: () => true },
    stderr: { write: (t: string) => { err += t; return true; }, isTTY: false }, stop: createStopSignal(), startedAt: Date.now(),
    err: () => err,
  };
}

test('a failing unit: named with its arguments, the others kept and written, for 1 and 2 workers', async () => {
  const written: unknown[] = [];
  for (const workers of [1, 2]) {
    const ctx = context(join(root, `fail${workers}`));
    const config = { seed: 0, seeds: 4, failSeed: 2 };
    await runStudy(FIXTURE_STUDY, { config, workers }, ctx).then(
      () => assert.unreachable('should fail'),
      (e: unknown) => {
        assert.instance(e, JobError);
        assert.match((e as Error).message, /^job 'fixture\.unit' #2 \{"seed":2,"index":2,"backend":"ts","config":\{"seed":2,"seeds":4,"failSeed":2\}\} threw: Error: boom at seed 2$/);
      },
    );
    const r = JSON.parse(readFileSync(join(ctx.out, 'results.json'), 'utf8')) as Record<string, any>;
    assert.is(r['interrupted'], true);
    assert.equal(r['study']['seedsDone'], [0, 1, 3]);
    assert.is(r['study']['completed'], 3);
    assert.is(r['metrics']['sum'], 0 + 2 + 6);
    assert.is(r['failures'].length, 1);
    assert.is(r['failures'][0].seed, 2);
    assert.match(r['failures'][0].error, /boom at seed 2/);
    assert.match(ctx.err(), /failed: 1 of 4 seed runs \(3 finished\)/);
    const html = readFileSync(join(ctx.out, 'report.html'), 'utf8');
    assert.match(html, /1 unit of this run failed \(#2; results.json has the errors\)/);
    assert.not.match(html, /Ctrl-C/, 'a failed unit is not reported as a Ctrl-C');
    written.push(withoutTimings(r));
  }
  assert.equal(written[1], written[0], 'the same file for 1 and 2 workers');
});

test('unit log lines reach stderr; non-finite values reach combine in a run and through shards', async () => {
  const config = { seed: 0, seeds: 3, failSeed: -1 };
  const ctx = context(join(root, 'whole'));
  assert.is(await runStudy(FIXTURE_STUDY, { config, workers: 2 }, ctx), 0);
  for (const s of [0, 1, 2]) assert.match(ctx.err(), new RegExp(`fixture unit ${s} done`));
  assert.match(ctx.err(), /fixture 100% 9\/9 /);
  const whole = JSON.parse(readFileSync(join(ctx.out, 'results.json'), 'utf8')) as { metrics: Record<string, number> };
  assert.is(whole.metrics['nonFiniteKept'], 1);

  const dir = join(root, 'shards');
  for (const index of [0, 1]) assert.is(await runStudy(FIXTURE_STUDY, { config, workers: 1, shard: { index, count: 2 } }, context(dir)), 0);
  const files = readdirSync(dir).filter((f) => f.startsWith('results-shard-')).map((f) => join(dir, f));
  const units = mergedUnits(loadShards(files).shards) as { value: FixtureValue }[];
  assert.equal(units.map((u) => u.value.seed), [0, 1, 2]);
  assert.ok(units.every((u) => Number.isNaN(u.value.nan) && u.value.inf === Infinity && u.value.negInf === -Infinity));
  assert.equal(jsonRoundTrip({ a: [NaN, 1, -Infinity], b: { $float: 'x' } }), { a: [NaN, 1, -Infinity], b: { $float: 'x' } });
});

test('a shard with a failed unit is written (interrupted) and merge refuses it', async () => {
  const dir = join(root, 'failed-shards');
  const config = { seed: 0, seeds: 4, failSeed: 1 };
  await runStudy(FIXTURE_STUDY, { config, workers: 1, shard: { index: 1, count: 2 } }, context(dir)).then(
    () => assert.unreachable('should fail'),
    (e: unknown) => assert.match((e as Error).message, /boom at seed 1/),
  );
  assert.is(await runStudy(FIXTURE_STUDY, { config, workers: 1, shard: { index: 0, count: 2 } }, context(dir)), 0);
  const file = join(dir, 'results-shard-1-of-2.json');
  const shard = JSON.parse(readFileSync(file, 'utf8')) as { interrupted: boolean; units: unknown[] };
  assert.is(shard.interrupted, true);
  assert.is(shard.units.length, 1, 'seed 3 finished');
  assert.throws(() => loadShards([join(dir, 'results-shard-0-of-2.json'), file]), /merge: shard 1\/2 .* has 1 failed unit \(job 'fixture\.unit' #1 \{"seed":1,"index":1,.*boom at seed 1\); fix the cause and run it again/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
