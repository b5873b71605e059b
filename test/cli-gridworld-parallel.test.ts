/**
 * `metagrad gridworld --seeds N` through the shared study runner: `--workers 2` writes
 * the same results.json as `--workers 1` (apart from timings), 2 and 3 shards merged by
 * `metagrad merge` equal the unsharded run, merge refuses shards that do not belong
 * together, Ctrl-C keeps the finished seeds (`"interrupted": true`, exit 130), and a
 * failing unit names its job. A single run on 2 workers (MAML and the baseline trained
 * apart) writes the serial run's files, resumes and stops as the serial run does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { createStopSignal } from '../src/cli/interrupt.ts';
import { runStudy } from '../src/cli/study.ts';
import { GRIDWORLD_STUDY } from '../src/cli/jobs/gridworld-study.ts';
import { GRIDWORLD_DEFAULTS } from '../src/cli/jobs/gridworld-config.ts';
import { JobError } from '../src/parallel/errors.ts';
import { assertUsageError, inProcess, start, tempDir, TINY_GRIDWORLD, waitFor } from './cli-helpers.ts';

const STUDY = [...TINY_GRIDWORLD, '--seeds', '3', '--progress', 'lines'];
const root = tempDir('gridworld-parallel');
const TIMINGS = new Set(['runtimeSeconds', 'startedAt', 'finishedAt']);

/** results.json without its timings. */
function readResults(dir: string): Record<string, unknown> {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;
  for (const k of TIMINGS) delete r[k];
  return r;
}

async function runOk(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await inProcess(args);
  assert.is(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
  return r;
}

let reference: Record<string, unknown>;

test('--workers 2 writes the same results.json as --workers 1; one progress bar sums every worker', async () => {
  const one = await runOk([...STUDY, '--workers', '1', '--out', join(root, 'w1')]);
  const two = await runOk([...STUDY, '--workers', '2', '--out', join(root, 'w2')]);
  reference = readResults(join(root, 'w1'));
  assert.equal(readResults(join(root, 'w2')), reference);
  const study = reference['study'] as { seeds: number[]; completed: number; runs: { seed: number }[] };
  assert.equal(study.seeds, [0, 1, 2]);
  assert.is(study.completed, 3);
  assert.equal(study.runs.map((r) => r.seed), [0, 1, 2]);
  assert.is(reference['interrupted'], false);
  assert.is((reference['config'] as { seeds: number }).seeds, 3);
  assert.ok(Object.keys(reference['metrics'] as object).some((k) => k.startsWith('test/maml/')), 'metrics over seeds');
  assert.ok(existsSync(join(root, 'w2', 'report.html')));
  for (const [r, n] of [[one, 1], [two, 2]] as const) {
    assert.match(r.stderr, /gridworld 100% 12\/12 /, `workers ${n}: the bar counts 3 seeds × 4 iterations`);
    assert.match(r.stderr, n === 1 ? /on this thread/ : /on 2 workers/);
  }
});

test('2 and 3 shards merged equal the unsharded run', async () => {
  for (const n of [2, 3]) {
    const dir = join(root, `shards${n}`);
    for (let i = 0; i < n; i++) {
      const r = await runOk([...STUDY, '--shard', `${i}/${n}`, '--workers', '1', '--out', dir]);
      assert.match(r.stdout, new RegExp(`results-shard-${i}-of-${n}\\.json`));
      assert.not.ok(existsSync(join(dir, 'results.json')), 'a shard writes only its partial file');
    }
    const partial = JSON.parse(readFileSync(join(dir, `results-shard-0-of-${n}.json`), 'utf8')) as { shard: unknown; config: { seeds: number } };
    assert.equal(partial.shard, { index: 0, count: n });
    assert.is(partial.config.seeds, 3, 'the partial file names the full config');
    await runOk(['merge', dir, '--out', join(root, `merged${n}`)]);
    assert.equal(readResults(join(root, `merged${n}`)), reference, `${n} shards`);
    // The merged wall time spans the shards' own runs, not the moment of the merge.
    const parts = Array.from({ length: n }, (_, i) => JSON.parse(readFileSync(join(dir, `results-shard-${i}-of-${n}.json`), 'utf8')) as { startedAt: string; finishedAt: string });
    const merged = JSON.parse(readFileSync(join(root, `merged${n}`, 'results.json'), 'utf8')) as { startedAt: string; finishedAt: string; runtimeSeconds: number };
    const first = Math.min(...parts.map((p) => Date.parse(p.startedAt))), last = Math.max(...parts.map((p) => Date.parse(p.finishedAt)));
    assert.is(merged.startedAt, new Date(first).toISOString());
    assert.is(merged.finishedAt, new Date(last).toISOString());
    assert.is(merged.runtimeSeconds, (last - first) / 1000);
  }
});

test('merge refuses a missing or duplicate shard, another config or version, an interrupted shard', async () => {
  const dir = join(root, 'shards2');
  const a = join(dir, 'results-shard-0-of-2.json'), b = join(dir, 'results-shard-1-of-2.json');
  assertUsageError('missing', await inProcess(['merge', a]), /merge: missing shard 1\/2 \(have 0\/2\)/);
  const copy = join(root, 'copy');
  mkdirSync(copy, { recursive: true });
  cpSync(a, join(copy, 'results-shard-0-of-2.json'));
  assertUsageError('duplicate', await inProcess(['merge', dir, copy]), /shard 0\/2 is given twice/);
  const edit = (name: string, change: (d: Record<string, any>) => void): string => {
    const d = JSON.parse(readFileSync(b, 'utf8')) as Record<string, any>;
    change(d);
    const f = join(root, name);
    writeFileSync(f, JSON.stringify(d));
    return f;
  };
  assertUsageError('config', await inProcess(['merge', a, edit('config.json', (d) => { d['config']['iterations'] = 5; })]), /different configs \(iterations: 5 vs 4\)/);
  assertUsageError('version', await inProcess(['merge', a, edit('version.json', (d) => { d['versions']['metagrad'] = '9.9.9'; })]), /different metagrad versions \(9\.9\.9 vs /);
  assertUsageError('count', await inProcess(['merge', a, edit('count.json', (d) => { d['shard']['count'] = 3; })]), /different shard counts/);
  assertUsageError('interrupted', await inProcess(['merge', a, edit('stopped.json', (d) => { d['interrupted'] = true; d['units'] = []; })]), /shard 1\/2 .* was interrupted \(0 of 1 units\); run it again/);
  assertUsageError('not a shard', await inProcess(['merge', join(root, 'w1', 'results.json')]), /is not a shard's partial results/);
  assertUsageError('empty folder', await inProcess(['merge', join(root, 'w1')]), /holds no results-shard-I-of-N\.json/);
});

test('bad --shard, --workers and single-run options are input errors', async () => {
  assertUsageError('3/2', await inProcess([...STUDY, '--shard', '3/2', '--out', join(root, 'bad')]), /--shard 3\/2: the index must be below the count/);
  assertUsageError('x', await inProcess([...STUDY, '--shard', 'x', '--out', join(root, 'bad')]), /--shard x: expected i\/n/);
  assertUsageError('0/0', await inProcess([...STUDY, '--shard', '0/0', '--out', join(root, 'bad')]), /--shard 0\/0: the shard count n must be at least 1/);
  assertUsageError('workers', await inProcess([...STUDY, '--workers', '0']), /--workers/);
  assertUsageError('resume', await inProcess([...STUDY, '--resume', 'x.json']), /--resume applies to a single run/);
});

test('Ctrl-C keeps the seeds that finished ("interrupted": true, exit 130)', async () => {
  const stop = createStopSignal();
  let stderr = '';
  const out = join(root, 'stopped');
  const code = await main([...STUDY, '--workers', '1', '--out', out], {
    stdout: { write: () => true },
    // Seed 0 has finished once seed 1 reports its first iteration (5 of 12).
    stderr: { write: (t: string) => { stderr += t; if (/ 5\/12 /.test(t)) stop.request('SIGINT'); return true; }, isTTY: false },
    stop, startedAt: Date.now(),
  });
  assert.is(code, 130, stderr);
  const r = readResults(out);
  assert.is(r['interrupted'], true);
  const study = r['study'] as { completed: number; runs: { seed: number; metrics: unknown }[] };
  assert.is(study.completed, 1);
  assert.equal(study.runs[0], (reference['study'] as { runs: unknown[] }).runs[0], "the finished seed's numbers are the full run's");
});

test('SIGINT stops every worker and writes what finished', async () => {
  const out = join(root, 'sigint');
  const running = start([...TINY_GRIDWORLD, '-n', '100000', '--seeds', '2', '--workers', '2', '--progress', 'lines', '--out', out]);
  await waitFor(running, (s) => /gridworld +\d+% [1-9]\d*\/200000/.test(s));
  running.child.kill('SIGINT');
  const r = await running.done;
  assert.is(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted: 0 of 2 seed runs finished/);
  assert.is(readResults(out)['interrupted'], true);
});

test('a failing unit fails the run, naming the job and its seed', async () => {
  const config = { ...GRIDWORLD_DEFAULTS, family: 'nowhere', iterations: 2, seeds: 2 } as never;
  const ctx = { backend: 'ts', out: join(root, 'fail'), json: false, progress: 'none' as const, stdout: { write: () => true }, stderr: { write: () => true }, stop: createStopSignal(), startedAt: Date.now() };
  mkdirSync(ctx.out, { recursive: true });
  for (const workers of [1, 2]) {
    await runStudy(GRIDWORLD_STUDY, { config, workers }, ctx).then(
      () => assert.unreachable('should fail'),
      (e: unknown) => {
        assert.instance(e, JobError);
        assert.match((e as Error).message, /^job 'gridworld\.run' #0 \{"seed":0,"index":0,/);
      },
    );
  }
  assert.not.ok(existsSync(join(ctx.out, 'results.json')));
  // A shard's failure names the unit's number in the whole study, not its place in the shard.
  await runStudy(GRIDWORLD_STUDY, { config: { ...(config as object), seeds: 4 } as never, workers: 1, shard: { index: 1, count: 2 } }, ctx).then(
    () => assert.unreachable('should fail'),
    (e: unknown) => assert.match((e as Error).message, /^job 'gridworld\.run' #1 \{"seed":1,"index":1,/),
  );
});

/** checkpoint.json without its save time. */
function readCheckpoint(dir: string): Record<string, unknown> {
  const c = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as Record<string, unknown>;
  delete c['savedAt'];
  return c;
}

const SINGLE = [...TINY_GRIDWORLD, '--progress', 'lines'];

test('a single run on 2 workers (MAML and the baseline apart) writes the serial run\'s results.json and checkpoint.json', async () => {
  for (const extra of [[], ['--no-learn-inner-lr', '--algorithm', 'fomaml', '--no-jit']]) {
    const tag = extra.length === 0 ? 'defaults' : 'fomaml';
    await runOk([...SINGLE, ...extra, '--workers', '1', '--out', join(root, `single1-${tag}`)]);
    const two = await runOk([...SINGLE, ...extra, '--workers', '2', '--checkpoint-every', '2', '--out', join(root, `single2-${tag}`)]);
    assert.equal(readResults(join(root, `single2-${tag}`)), readResults(join(root, `single1-${tag}`)), tag);
    assert.equal(readCheckpoint(join(root, `single2-${tag}`)), readCheckpoint(join(root, `single1-${tag}`)), tag);
    assert.match(two.stderr, /gridworld meta-train 100% 4\/4 /);
    assert.match(two.stderr, /evaluating (fo)?maml on 2 train tasks/, two.stderr);
  }
  // Resumed on 2 workers from a checkpoint of 2 iterations: the uninterrupted run's files.
  const resumed = join(root, 'single-resumed');
  await runOk([...SINGLE, '-n', '2', '--workers', '1', '--out', resumed]);
  await runOk([...SINGLE, '--resume', join(resumed, 'checkpoint.json'), '--workers', '2', '--out', resumed]);
  const { training: t, ...rest } = readResults(resumed) as { training: Record<string, unknown> };
  const { training: u, ...whole } = readResults(join(root, 'single1-defaults')) as { training: Record<string, unknown> };
  assert.equal(rest, whole);
  assert.equal(t, { ...u, resumedFrom: 2 });
  assert.equal(readCheckpoint(resumed), readCheckpoint(join(root, 'single1-defaults')));
});

test('Ctrl-C in a single run on 2 workers: the checkpoint of the iteration both parts reached (the serial state there), exit 130', async () => {
  const stop = createStopSignal();
  const out = join(root, 'single-stopped');
  let stderr = '';
  const code = await main([...TINY_GRIDWORLD, '-n', '400', '--workers', '2', '--progress', 'lines', '--out', out], {
    stdout: { write: () => true },
    stderr: { write: (t: string) => { stderr += t; if (/meta-train +\d+% ([3-9]|\d\d+)\/400 /.test(t)) stop.request('SIGINT'); return true; }, isTTY: false },
    stop, startedAt: Date.now(),
  });
  assert.is(code, 130, stderr);
  const r = readResults(out) as { interrupted: boolean; training: { completed: number }; figures: { 'meta-training': { series: { x: number[] }[] } } };
  assert.is(r.interrupted, true);
  const done = r.training.completed;
  assert.ok(done >= 3 && done < 400, `stopped at ${done}`);
  const ck = readCheckpoint(out);
  assert.is(ck['iteration'], done);
  assert.match(stderr, new RegExp(`interrupted at iteration ${done}\\b`));
  // The serial run of `done` iterations reaches the same parameters, optimiser state and generator.
  await runOk([...TINY_GRIDWORLD, '-n', String(done), '--workers', '1', '--progress', 'none', '--out', join(root, 'single-upto')]);
  const serial = readCheckpoint(join(root, 'single-upto'));
  for (const key of ['iteration', 'params', 'optimizer', 'rng', 'extra']) assert.equal(ck[key], serial[key], key);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
