import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ContinualResults } from '../src/cli/jobs/continual.ts';
import { assertUsageError, inProcess, renderInChromium, run, start, tempDir, waitFor } from './cli-helpers.ts';

/** Tiny settings: 12-step streams switching every 3 steps, 2 seeds, 3 learners, both problems. */
const TINY_CONTINUAL = ['continual', '--steps', '12', '--period', '3', '--seeds', '2', '--backend', 'ts'];

const dir = tempDir('cli-continual');
const readJson = (file: string): ContinualResults => JSON.parse(readFileSync(file, 'utf8')) as ContinualResults;

const input = suite('cli continual: help and bad input');

input('--help lists the options; the overview lists the command', async () => {
  const [help, overview] = await Promise.all([inProcess(['continual', '--help']), inProcess(['--help'])]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: metagrad continual \[options\]/);
  for (const flag of ['--problem <regression|gridworld|both>', '--seeds N', '--steps N', '--period N', '--learners L,L', '--seed N', '--out DIR', '--json', '--progress', '--backend']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  assert.match(overview.stdout, /^ {2}continual +Continual meta-learning/m);
});

input('bad options exit 2 with one line and create nothing', async () => {
  const out = (name: string): string => join(dir, `never-${name}`);
  const cases: [string[], RegExp][] = [
    [['continual', '--learners', 'sequential,clusterd', '--out', out('a')], /--learners: unknown learner 'clusterd'; did you mean 'clustered'\?/],
    [['continual', '--learners', ',', '--out', out('b')], /--learners needs at least one of sequential, online-maml, clustered, clustered-cd/],
    [['continual', '--problem', 'regresion', '--out', out('c')], /--problem must be one of regression, gridworld, both; got 'regresion'\. Did you mean 'regression'\?/],
    [['continual', '--seeds', '0', '--out', out('d')], /--seeds must be an integer ≥ 1 and ≤ 100, got '0'/],
    [['continual', '--steps', '10', '--period', '6', '--out', out('e')], /--steps 10 with --period 6 never switch from type A to B; pass --steps ≥ 12 or --period ≤ 5/],
    [['continual', '--problem', 'gridworld', '--period', '70', '--out', out('f')], /the gridworld stream's 120 steps with --period 70 never switch/],
    [['continual', '--seed', '4294967295', '--seeds', '2', '--out', out('g')], /runs seeds past 4294967295/],
    [['continual', '--step', '10', '--out', out('h')], /unknown option --step .*did you mean --steps\?/],
  ];
  const check = assertUsageError;
  for (const [args, pattern] of cases) check(args.join(' '), await inProcess(args), pattern);
  // Through the real launcher too.
  check('spawned', await run(cases[0]![0]), cases[0]![1]);
  for (const name of 'abcdefgh') assert.not.ok(existsSync(out(name)), `output folder ${name} was created`);
});

const runs = suite('cli continual: runs, --json, report, Ctrl-C');
const tinyOut = join(dir, 'tiny');

runs('--json: results on stdout equal results.json, with every figure and number', async () => {
  const r = await run([...TINY_CONTINUAL, '--json', '--out', tinyOut]);
  assert.is(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as ContinualResults;
  assert.equal(results, readJson(join(tinyOut, 'results.json')));
  for (const f of ['results.json', 'report.html']) assert.ok(existsSync(join(tinyOut, f)), f);
  assert.not.ok(existsSync(join(tinyOut, 'checkpoint.json')));

  assert.is(results.command, 'continual');
  assert.is(results.interrupted, false);
  assert.is(results.seed, 0);
  assert.is(results.backend, 'ts');
  assert.is(results.versions.runtime, 'node');
  assert.ok(results.runtimeSeconds > 0);
  assert.equal(results.config, { problems: ['regression', 'gridworld'], seeds: 2, seed: 0, steps: 12, period: 3, learners: ['sequential', 'online-maml', 'clustered'] });
  // 2 problems × 2 seeds × 3 learners × 12 steps.
  assert.equal(results.training, { iterations: 144, completed: 144, unit: 'stream steps (all seeds and learners)' });

  for (const problem of ['regression', 'gridworld']) {
    assert.is(results.figures[`${problem}/stream`]?.type, 'stream');
    assert.is(results.figures[`${problem}/clusters`]?.type, 'clusters');
    for (const key of ['sequential', 'online-maml', 'clustered']) {
      assert.is(results.figures[`${problem}/R/${key}`]?.type, 'heatmap', `${problem} R ${key}`);
      assert.type(results.metrics[`${problem}/${key}/averagePerformance`], 'number');
    }
  }
  const stream = results.figures['regression/stream'];
  assert.ok(stream?.type === 'stream' && stream.types.length === 12 && stream.series.length === 3);

  const { continual } = results;
  assert.equal(continual.seeds, [0, 1]);
  assert.equal(continual.streams['gridworld'], { length: 12, period: 3, arrivalAt: 9, oodAt: 5, oodLength: 2 });
  assert.equal(continual.experiments.map((e) => e.name), ['regression', 'gridworld']);
  const exp = continual.experiments[0]!;
  assert.equal(Object.keys(exp.runs), ['sequential', 'online MAML', 'clustered']);
  const interval = exp.summaries['clustered']!['purityAB']!;
  assert.equal(Object.keys(interval), ['mean', 'low', 'high', 'n', 'perSeed']);
  assert.is(interval.perSeed.length, 2);
  assert.is(interval.n, 2);
  const runRecord = exp.runs['clustered']![1]! as { seed: number; R: number[][]; stageTypes: number[]; clusters: string };
  assert.is(runRecord.seed, 1);
  assert.is(runRecord.R.length, runRecord.stageTypes.length);
  assert.is(runRecord.R[0]!.length, 4);
  assert.is(runRecord.clusters.split(',').length, 12);

  // Tables: the targets first (3 per problem), then a metrics table per problem.
  assert.equal(results.tables.map((t) => t.rows.length), [6, 12, 12]);
  assert.equal(results.tables[0]!.header, ['problem', 'target', 'goal', 'learner', 'value', 'met']);
  assert.match(String(results.tables[0]!.rows[0]![1]), /A retention after B/);
  assert.equal(results.tables[1]!.header, ['metric', 'sequential', 'online MAML', 'clustered']);
});

runs('the report renders in headless Chromium: every figure an SVG with a size, nothing fetched', async () => {
  const results = readJson(join(tinyOut, 'results.json'));
  const html = readFileSync(join(tinyOut, 'report.html'), 'utf8');
  const [check] = await renderInChromium([[join(tinyOut, 'report.html'), join(tinyOut, 'report.png')]]);
  const figures = Object.keys(results.figures).length;
  assert.is(figures, 10);
  assert.is(check!.title, 'metagrad continual');
  assert.is(check!.svgCount, figures);
  check!.svgSizes.forEach(([w, h], i) => assert.ok(w > 0 && h > 0, `SVG ${i} is ${w}×${h}`));
  assert.equal(check!.externalRequests, []);
  assert.equal(check!.consoleErrors, []);
  assert.ok(check!.screenshotBytes > 10_000, `screenshot is only ${check!.screenshotBytes} bytes`);
  // Non-empty drawings: lines with switch markers, heat-map cells, cluster strips.
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.is(svgs.length, figures);
  for (const svg of svgs) assert.ok((svg.match(/<(rect|path|polyline|polygon|circle)\b/g) ?? []).length >= 5, svg.slice(0, 200));
  assert.ok(svgs.some((s) => s.includes('stroke-dasharray="3 3"')), 'switch markers');
  for (const heading of ['Targets', 'regression: performance along the stream', 'regression: R matrix per learner', 'gridworld: performance along the stream', 'gridworld: R matrix per learner']) {
    assert.ok(html.includes(`<h2>${heading}</h2>`), heading);
  }
  assert.match(html, /cluster assignments over time/);
});

runs('Ctrl-C: stops between replays, writes what finished marked interrupted, exits 130', async () => {
  const out = join(dir, 'interrupted');
  const running = start(['continual', '--problem', 'gridworld', '--steps', '40', '--period', '5', '--seeds', '50', '--backend', 'ts', '--out', out, '--json']);
  await waitFor(running, (e) => /gridworld seed 0 sequential: /.test(e));
  running.child.kill('SIGINT');
  const r = await running.done;
  assert.is(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: stopping after the current step/);
  const results = JSON.parse(r.stdout) as ContinualResults;
  assert.equal(readJson(join(out, 'results.json')), results);
  assert.is(results.interrupted, true);
  assert.ok(results.training.completed >= 40 && results.training.completed < results.training.iterations, `${results.training.completed} steps`);
  assert.ok(results.figures['gridworld/stream'] && results.figures['gridworld/R/sequential']);
  assert.ok(results.continual.experiments[0]!.runs['sequential']!.length >= 1);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /This run was interrupted/);
});

runs.after(() => rmSync(dir, { recursive: true, force: true }));

input.run();
runs.run();
