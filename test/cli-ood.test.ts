/**
 * `metagrad ood` end to end on tiny settings: help and bad input, a `--quick` run of an
 * open-room and the layout family, every architecture (the slow convolution on the open
 * room only) and a DREAM head (results.json = --json, the tables, the gap and
 * the diagnostics per architecture, the report), and 2 shards merged = the unsharded run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertUsageError, inProcess, start, tempDir, waitFor } from './cli-helpers.ts';
import { readResults, runOk } from './study-helpers.ts';
import { OOD_FAMILY_SETTINGS } from '../src/cli/jobs/ood-config.ts';
import { entropyOf, type OodGridRunConfig } from '../src/cli/jobs/ood-grid.ts';

const dir = tempDir('cli-ood');
const out = (name: string): string => join(dir, name);

test('--help lists the options and points to the full study; the overview lists the command', async () => {
  const [help, overview] = await Promise.all([inProcess(['ood', '--help']), inProcess(['--help'])]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: metagrad ood \[options\]/);
  for (const flag of ['--families F,F', '--archs A,A', '--sign-heads H,H', '--seeds N', '--scale', '--quick', '--workers N', '--shard I/N', '--out DIR']) assert.ok(help.stdout.includes(flag), flag);
  assert.match(help.stdout, /scripts\/ood\.ts/);
  assert.match(overview.stdout, /^ {2}ood +Out-of-distribution study/m);
});

test('layout9 defaults: horizon 40 and an entropy floor for the networks; the other families have none; overrides win', () => {
  assert.equal(OOD_FAMILY_SETTINGS.layout9, { family: 'layout', size: 9, horizon: 40, episodes: 40, iterations: 100, entropyBonus: 0.2, weightDecay: 0, networkEntropy: { bonus: 0.1, target: 1 } });
  for (const family of ['goal5', 'goal8', 'start5', 'start8'] as const) assert.is(OOD_FAMILY_SETTINGS[family].networkEntropy, undefined, family);
  const run = (arch: OodGridRunConfig['arch'], family: OodGridRunConfig['family'], extra: Partial<OodGridRunConfig> = {}): OodGridRunConfig =>
    ({ kind: 'grid', family, arch, seed: 0, iterations: 1, episodes: 2, evalTasks: 1, steps: 1, draws: 1, jit: false, ...extra });
  const of = (c: OodGridRunConfig) => entropyOf(c, OOD_FAMILY_SETTINGS[c.family]);
  assert.equal(of(run('conv', 'layout9')), { entropyBonus: 0.1, entropyTarget: 1 });
  assert.equal(of(run('egocentric', 'layout9')), { entropyBonus: 0.1, entropyTarget: 1 });
  assert.equal(of(run('tabular', 'layout9')), { entropyBonus: 0.2, entropyTarget: undefined });
  assert.equal(of(run('egocentric', 'goal8')), { entropyBonus: 0, entropyTarget: undefined });
  assert.equal(of(run('tabular', 'goal8')), { entropyBonus: 0.4, entropyTarget: undefined });
  assert.equal(of(run('conv', 'layout9', { entropyBonus: 0 })), { entropyBonus: 0, entropyTarget: undefined });
  assert.equal(of(run('conv', 'layout9', { entropyTarget: 0.5 })), { entropyBonus: 0.1, entropyTarget: 0.5 });
});

test('bad options exit 2 with one line and create nothing', async () => {
  const cases: [string[], RegExp][] = [
    [['ood', '--families', 'goal9', '--out', out('a')], /--families: unknown family 'goal9'; did you mean 'goal5'\?/],
    [['ood', '--archs', 'egocentrik', '--out', out('b')], /--archs: unknown architecture 'egocentrik'; did you mean 'egocentric'\?/],
    [['ood', '--sign-heads', 'ful', '--out', out('c')], /--sign-heads: unknown head 'ful'; did you mean 'full'\?/],
    [['ood', '--scale', '0', '--out', out('d')], /--scale must be a number > 0/],
    [['ood', '--seed', '4294967295', '--seeds', '2', '--out', out('e')], /runs seeds past 4294967295/],
    [['ood', '--families', 'none', '--out', out('f')], /nothing to run: give --families and --archs/],
  ];
  for (const [args, pattern] of cases) assertUsageError(args.join(' '), await inProcess(args), pattern);
  for (const name of 'abcdef') assert.not.ok(existsSync(out(name)), `output folder ${name} was created`);
});

test('--quick: every family, architecture and a DREAM head; tables, gap, diagnostics, report', async () => {
  const args = ['ood', '--quick', '--families', 'goal5,layout9', '--archs', 'tabular,mlp,mlpGrid,egocentric,egocentricWindow', '--sign-heads', 'relative',
    '--seeds', '2', '--workers', '1', '--no-jit', '--backend', 'ts', '--json', '--out', out('quick')];
  const r = await runOk(args);
  const results = JSON.parse(r.stdout) as Record<string, any>;
  assert.equal(results, JSON.parse(readFileSync(join(out('quick'), 'results.json'), 'utf8')));
  assert.ok(existsSync(join(out('quick'), 'report.html')));
  assert.is(results['command'], 'ood');
  assert.is(results['interrupted'], false);
  // --quick fills in the budgets; what was given stays.
  assert.equal(results['config']['families'], ['goal5', 'layout9']);
  assert.is(results['config']['scale'], 0.02);
  assert.is(results['config']['steps'], 1);
  // 2 seeds × (2 families × 5 architectures + 1 head).
  assert.equal(results['training'], { iterations: 22, completed: 22, unit: 'training runs' });
  const metrics = results['metrics'] as Record<string, number | null>;
  for (const family of ['goal5', 'layout9']) {
    for (const arch of ['tabular', 'mlp', 'mlpGrid', 'egocentric', 'egocentricWindow']) {
      for (const key of ['test/step0', 'test/step1', 'ood/step0', 'ood/step1', 'ood/reach', 'ood/novel']) assert.type(metrics[`${family}/${arch}/${key}`], 'number', `${family}/${arch}/${key}`);
      const gap = metrics[`${family}/${arch}/gap/step1`]!;
      assert.ok(Math.abs(gap - (metrics[`${family}/${arch}/test/step1`]! - metrics[`${family}/${arch}/ood/step1`]!)) < 1e-9, 'gap = ID − OOD');
      const reach = metrics[`${family}/${arch}/ood/reach`]!, novel = metrics[`${family}/${arch}/ood/novel`]!;
      assert.ok(reach >= 0 && reach <= 1 + 1e-9 && novel >= 0 && novel <= 1, `${family}/${arch}: reach ${reach}, novel ${novel}`);
    }
  }
  // On one map, tabular and position inputs are the same in every task: never novel (a new
  // layout's doorway is a cell no training layout had free, so there they can be).
  for (const key of ['goal5/tabular', 'goal5/mlp']) assert.is(metrics[`${key}/ood/novel`], 0, key);
  // The absolute grid MLP reads the goal cell: an OOD goal's input unit is never active in training.
  assert.is(metrics['goal5/mlpGrid/ood/novel'], 1);
  for (const key of ['train/greedy', 'oodGoal/greedy', 'oodGoal/exploitTrue']) assert.type(metrics[`sign/relative/${key}`], 'number', key);
  const tables = results['tables'] as { title: string; rows: unknown[][] }[];
  assert.equal(tables.map((t) => t.title.split(':')[0]), ['goal5', 'layout9', 'Why each architecture fails where it fails (means over seeds)', 'Sign grid, DREAM per exploitation head']);
  assert.is(tables[2]!.rows.length, 10);
  assert.ok(tables[2]!.rows.every((row) => typeof row[6] === 'string' && (row[6] as string).length > 10), 'a diagnosis per architecture');
  assert.equal(Object.keys(results['figures']), ['adaptation/goal5', 'adaptation/layout9']);
});

test('the convolutional policy too; 2 shards merged equal the unsharded run', async () => {
  const study = ['ood', '--quick', '--families', 'goal5', '--archs', 'conv,egocentric', '--seeds', '2', '--no-jit', '--backend', 'ts', '--progress', 'none'];
  await runOk([...study, '--workers', '1', '--out', out('whole')]);
  for (let i = 0; i < 2; i++) await runOk([...study, '--shard', `${i}/2`, '--workers', '1', '--out', out('shards')]);
  await runOk(['merge', out('shards'), '--out', out('merged')]);
  const whole = readResults(out('whole'));
  assert.equal(readResults(out('merged')), whole);
  assert.type((whole['metrics'] as Record<string, unknown>)['goal5/conv/ood/step1'], 'number');
});

test('Ctrl-C in the middle of a run in this thread: what finished is written, marked interrupted, exit 130', async () => {
  const running = start(['ood', '--quick', '--families', 'goal5', '--archs', 'tabular', '--scale', '1', '--seeds', '50', '--workers', '1', '--no-jit', '--backend', 'ts', '--progress', 'lines', '--out', out('stopped'), '--json']);
  await waitFor(running, (e) => /goal5 tabular seed 0: /.test(e));
  running.child.kill('SIGINT');
  const r = await running.done;
  assert.is(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: stopping after the current step/);
  const results = JSON.parse(r.stdout) as Record<string, any>;
  assert.is(results['interrupted'], true);
  assert.ok(results['training']['completed'] >= 1 && results['training']['completed'] < 50, `${results['training']['completed']} runs`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
