import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import type { RunResults } from '../src/report/run-report.ts';
import { assertUsageError, inProcess, run, start, tempDir, TINY_GRIDWORLD, TINY_SINUSOID, waitFor } from './cli-helpers.ts';

const dir = tempDir('cli-e2e');
const readJson = (file: string): RunResults => JSON.parse(readFileSync(file, 'utf8')) as RunResults;

const help = suite('cli e2e: help and version');

help('--help on every level exits 0 with usage on stdout', async () => {
  const cases = [['--help'], [], ['sinusoid', '--help'], ['gridworld', '-h'], ['eval', '--help'], ['bench', '--help'], ['help', 'gridworld']];
  const results = await Promise.all(cases.map((c) => inProcess(c)));
  results.forEach((r, i) => {
    assert.is(r.code, 0, cases[i]!.join(' '));
    assert.match(r.stdout, /^Usage: metagrad/, cases[i]!.join(' '));
    assert.is(r.stderr, '');
  });
  assert.match(results[0]!.stdout, /gridworld[\s\S]*sinusoid[\s\S]*eval[\s\S]*bench/);
  assert.match(results[3]!.stdout, /--map FILE/);
  // The real launcher, spawned.
  const [spawnedHelp, version] = await Promise.all([run(['gridworld', '--help']), run(['--version'])]);
  assert.is(spawnedHelp.code, 0);
  assert.is(spawnedHelp.stdout, results[3]!.stdout);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

const bad = suite('cli e2e: bad input exits 2 with one line and writes nothing');

bad('unknown names, out-of-range values, bad files, unwritable output', async () => {
  const badMap = join(dir, 'bad-map.txt');
  writeFileSync(badMap, 'S.X\n..G\n');
  const corrupt = join(dir, 'corrupt.json');
  writeFileSync(corrupt, '{"format": "metagrad-checkpoint", "version": 1, "kind": "sin');
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'x');
  const out = (name: string): string => join(dir, `never-${name}`);
  const cases: [string[], RegExp][] = [
    [['sinusiod'], /unknown command 'sinusiod'; did you mean 'sinusoid'\?/],
    [['gridworld', '--iteratons', '3', '--out', out('a')], /unknown option --iteratons .*did you mean --iterations\?/],
    [['sinusoid', '--inner-steps', '-1', '--out', out('b')], /--inner-steps must be an integer ≥ 1/],
    [['sinusoid', '--meta-batch', '0', '--out', out('c')], /--meta-batch must be an integer ≥ 1, got '0'/],
    [['sinusoid', '--algorithm', 'mamal', '--out', out('d')], /Did you mean 'maml'\?/],
    [['gridworld', '--map', join(dir, 'missing.txt'), '--out', out('e')], /--map .*missing\.txt: cannot read the map \(no such file\)/],
    [['gridworld', '--map', badMap, '--out', out('f')], /--map .*bad-map\.txt: unknown character "X" at row 0, column 2/],
    [['gridworld', '--backend', 'ts', '--out', join(aFile, 'sub')], /cannot create output folder .*a-file\/sub .*pass a writable path with --out/],
    [['gridworld', '--backend', 'ts', '--out', aFile], /output folder .*a-file is a file, not a folder/],
    [['eval', corrupt, '--out', out('g')], /checkpoint .*corrupt\.json: is not valid JSON, so it is truncated or corrupt/],
    [['eval', '--out', out('h')], /'metagrad eval' needs checkpoint/],
    [['sinusoid', '--resume', corrupt, '--out', out('i')], /checkpoint .*corrupt\.json: is not valid JSON/],
    [['bench', '--suite', 'matmull'], /unknown suite 'matmull'; did you mean 'matmul'\?/],
    [['gridworld', '--entropy-bonus', '-0.5', '--out', out('j')], /--entropy-bonus must be a number ≥ 0, got '-0\.5'/],
    [['gridworld', '--weight-decay', 'lots', '--out', out('k')], /--weight-decay must be a number ≥ 0, got 'lots'/],
  ];
  const check = assertUsageError;
  for (const [args, pattern] of cases) check(args.join(' '), await inProcess(args), pattern);
  // The same through the real process: exit code 2 from the launcher.
  const spawned = await Promise.all([cases[1]!, cases[6]!].map(([args]) => run(args)));
  spawned.forEach((r, i) => check(`spawned ${[cases[1]!, cases[6]!][i]![0].join(' ')}`, r, [cases[1]!, cases[6]!][i]![1]));
  for (const name of 'abcdefghijk') assert.not.ok(existsSync(out(name)), `output folder ${name} was created`);
  assert.is(readFileSync(aFile, 'utf8'), 'x');
});

const runs = suite('cli e2e: runs, --json, resume, eval, Ctrl-C');

runs('sinusoid --json: only JSON on stdout, plain progress lines on stderr, files written', async () => {
  const out = join(dir, 'sin');
  const r = await run([...TINY_SINUSOID, '--json', '--out', out]);
  assert.is(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as RunResults;
  assert.equal(results, readJson(join(out, 'results.json')));
  assert.is(results.command, 'sinusoid');
  assert.is(results.interrupted, false);
  assert.is(results.seed, 0);
  assert.is(results.backend, 'ts');
  assert.is(results.versions.runtime, 'node');
  assert.match(results.versions.metagrad, /^\d+\.\d+\.\d+/);
  assert.ok(results.runtimeSeconds > 0);
  assert.equal(results.training, { iterations: 6, completed: 6 });
  assert.is(results.config['algorithm'], 'maml');
  for (const key of ['meta-training', 'adaptation-test', 'adaptation-ood', 'fit']) assert.ok(results.figures[key], key);
  assert.type(results.metrics['test/maml/step2'], 'number');
  for (const f of ['results.json', 'report.html', 'checkpoint.json']) assert.ok(existsSync(join(out, f)), f);
  // Non-TTY progress: whole lines, no carriage returns, the last at 100%.
  assert.not.ok(r.stderr.includes('\r'));
  assert.match(r.stderr, /^sinusoid meta-train +\d+% 1\/6 /m);
  assert.match(r.stderr, /^sinusoid meta-train 100% 6\/6 .* it\/s .*ETA .*loss=/m);
});

runs('gridworld: summary on stdout; resume to more iterations; eval of the checkpoint', async () => {
  const out = join(dir, 'grid');
  const first = await run([...TINY_GRIDWORLD, '--out', out, '--progress', 'none']);
  assert.is(first.code, 0, first.stderr);
  assert.is(first.stderr, '');
  assert.match(first.stdout, /Expected return after adaptation[\s\S]*wrote .*results\.json/);
  const results = readJson(join(out, 'results.json'));
  for (const key of ['meta-training', 'adaptation-train', 'adaptation-test', 'adaptation-ood', 'trajectories', 'return-by-cell']) assert.ok(results.figures[key], key);

  const ckpt = join(out, 'checkpoint.json');
  const resumedOut = join(dir, 'grid-resumed');
  const evalOut = join(dir, 'grid-eval');
  const [resumed, evaluated, conflicting, conflictingFlag] = await Promise.all([
    run([...TINY_GRIDWORLD.filter((a, i, all) => a !== '-n' && all[i - 1] !== '-n'), '-n', '6', '--resume', ckpt, '--out', resumedOut, '--json', '--progress', 'none']),
    run(['eval', ckpt, '--out', evalOut, '--json', '--backend', 'ts', '--progress', 'none']),
    run(['gridworld', '--resume', ckpt, '--inner-lr', '3', '--out', join(dir, 'never-conflict')]),
    run(['gridworld', '--resume', ckpt, '--no-learn-inner-lr', '--out', join(dir, 'never-conflict-2')]),
  ]);
  assert.is(resumed.code, 0, resumed.stderr);
  const r2 = JSON.parse(resumed.stdout) as RunResults;
  assert.equal(r2.training, { iterations: 6, completed: 6, resumedFrom: 4 });
  assert.is(loadCheckpoint(join(resumedOut, 'checkpoint.json')).iteration, 6);
  assert.is(evaluated.code, 0, evaluated.stderr);
  const r3 = JSON.parse(evaluated.stdout) as RunResults;
  assert.is(r3.command, 'eval');
  assert.equal(r3.training, { iterations: 4, completed: 4 });
  assert.ok(r3.figures['adaptation-test']);
  assert.not.ok(existsSync(join(evalOut, 'checkpoint.json')));
  assert.is(conflicting.code, 2);
  assert.match(conflicting.stderr, /--inner-lr 3 differs from the checkpoint's 100; drop --inner-lr to resume/);
  assert.is(conflictingFlag.code, 2);
  assert.match(conflictingFlag.stderr, /--learn-inner-lr false differs from the checkpoint's true/);
});

runs('Ctrl-C: stops after the current iteration, writes results marked interrupted, exits 130', async () => {
  const out = join(dir, 'interrupted');
  const running = start([...TINY_GRIDWORLD.filter((a, i, all) => a !== '-n' && all[i - 1] !== '-n'), '-n', '100000', '--out', out, '--json']);
  await waitFor(running, (e) => /gridworld meta-train/.test(e));
  running.child.kill('SIGINT');
  const r = await running.done;
  assert.is(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: stopping after the current step/);
  const results = JSON.parse(r.stdout) as RunResults;
  assert.is(results.interrupted, true);
  assert.equal(readJson(join(out, 'results.json')), results);
  assert.ok(results.training.completed >= 1 && results.training.completed < 100000);
  assert.ok(results.figures['meta-training']);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /This run was interrupted/);
  assert.is(loadCheckpoint(join(out, 'checkpoint.json'), { kind: 'gridworld' }).iteration, results.training.completed);
});

runs('Ctrl-C during evaluation: the tasks evaluated so far are reported', async () => {
  const out = join(dir, 'interrupted-eval');
  const running = start([...TINY_SINUSOID, '--eval-tasks', '10000', '--out', out, '--json']);
  await waitFor(running, (e) => /evaluating maml/.test(e));
  running.child.kill('SIGINT');
  const r = await running.done;
  assert.is(r.code, 130, r.stderr);
  const results = JSON.parse(r.stdout) as RunResults;
  assert.is(results.interrupted, true);
  assert.equal(results.training, { iterations: 6, completed: 6 });
  const row = results.tables[0]!.rows[0]!;
  assert.ok(Number(row[row.length - 1]) < 10000, `evaluated ${row[row.length - 1]} tasks`);
  assert.ok(existsSync(join(out, 'report.html')) && existsSync(join(out, 'checkpoint.json')));
});

runs('bench: lists and runs suites; --json keeps suite output off stdout', async () => {
  const benchDir = join(dir, 'bench');
  mkdirSync(benchDir);
  writeFileSync(join(benchDir, 'fake.bench.mjs'), "export async function runFakeBench() { console.log('| case | GFLOP/s |'); console.log('| a | 1.5 |'); }\n");
  writeFileSync(join(benchDir, 'broken.bench.mjs'), "export function runBrokenBench() { throw new Error('kaput'); }\n");
  const env = { METAGRAD_BENCH_DIR: benchDir };
  const [list, one, all] = await Promise.all([
    run(['bench', '--list'], env),
    run(['bench', '--suite', 'fake', '--json'], env),
    run(['bench'], env),
  ]);
  assert.is(list.stdout, 'broken\nfake\n');
  assert.is(one.code, 0, one.stderr);
  const summary = JSON.parse(one.stdout) as { suites: { name: string; ok: boolean; output: string; seconds: number }[]; versions: unknown };
  assert.is(summary.suites.length, 1);
  assert.is(summary.suites[0]!.name, 'fake');
  assert.ok(summary.suites[0]!.ok);
  assert.is(summary.suites[0]!.output, '| case | GFLOP/s |\n| a | 1.5 |\n');
  assert.match(one.stderr, /\| a \| 1\.5 \|/);
  assert.is(all.code, 1);
  assert.match(all.stdout, /\| a \| 1\.5 \|/);
  assert.match(all.stderr, /bench: broken failed: kaput/);
});

runs.after(() => rmSync(dir, { recursive: true, force: true }));

help.run();
bad.run();
runs.run();
