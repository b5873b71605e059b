import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExploreResults } from '../src/cli/jobs/explore.ts';
import { assertUsageError, inProcess, renderInChromium, run, start, tempDir, waitFor } from './cli-helpers.ts';

/** Tiny settings: every agent, 2 seeds, 2 training iterations, 8 meta-test trials per split. */
const TINY_EXPLORE = ['explore', '--agents', 'dream,rl2,maml,transformer', '--seeds', '2', '--iterations', '2', '--trials', '8', '--backend', 'ts'];

const dir = tempDir('cli-explore');
const readJson = (file: string): ExploreResults => JSON.parse(readFileSync(file, 'utf8')) as ExploreResults;

const input = suite('cli explore: help and bad input');

input('--help lists the options and points to the full study; the overview lists the command', async () => {
  const [help, overview] = await Promise.all([inProcess(['explore', '--help']), inProcess(['--help'])]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: metagrad explore \[options\]/);
  for (const flag of ['--agents A,A', '--variant <standard|bits|noisy>', '--seeds N', '--iterations N', '--trials N', '--seed N', '--out DIR', '--json', '--progress', '--backend']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  assert.match(help.stdout, /scripts\/explore\.ts/);
  assert.match(overview.stdout, /^ {2}explore +Exploration in meta-RL/m);
});

input('bad options exit 2 with one line and create nothing', async () => {
  const out = (name: string): string => join(dir, `never-${name}`);
  const cases: [string[], RegExp][] = [
    [['explore', '--agents', 'dream,mamll', '--out', out('a')], /--agents: unknown agent 'mamll'; did you mean 'maml'\?/],
    [['explore', '--agents', ',', '--out', out('b')], /--agents needs at least one of dream, rl2, maml, transformer/],
    [['explore', '--seeds', '0', '--out', out('c')], /--seeds must be an integer ≥ 1 and ≤ 100, got '0'/],
    [['explore', '--trials', '2', '--out', out('d')], /--trials must be an integer ≥ 4/],
    [['explore', '--seed', '4294967295', '--seeds', '2', '--out', out('e')], /runs seeds past 4294967295/],
    [['explore', '--iteration', '3', '--out', out('f')], /unknown option --iteration .*did you mean --iterations\?/],
    [['explore', '--variant', 'bit', '--out', out('g')], /--variant must be one of standard, bits, noisy; got 'bit'. Did you mean 'bits'\?/],
  ];
  const check = assertUsageError;
  for (const [args, pattern] of cases) check(args.join(' '), await inProcess(args), pattern);
  check('spawned', await run(cases[0]![0]), cases[0]![1]);
  for (const name of 'abcdefg') assert.not.ok(existsSync(out(name)), `output folder ${name} was created`);
});

const runs = suite('cli explore: runs, --json, report, Ctrl-C');
const tinyOut = join(dir, 'tiny');

runs('--json: results on stdout equal results.json, with every figure and number', async () => {
  const r = await run([...TINY_EXPLORE, '--json', '--out', tinyOut]);
  assert.is(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as ExploreResults;
  assert.equal(results, readJson(join(tinyOut, 'results.json')));
  for (const f of ['results.json', 'report.html']) assert.ok(existsSync(join(tinyOut, f)), f);

  assert.is(results.command, 'explore');
  assert.is(results.interrupted, false);
  assert.is(results.seed, 0);
  assert.is(results.backend, 'ts');
  assert.is(results.versions.runtime, 'node');
  assert.ok(results.runtimeSeconds > 0);
  const agents = ['dream', 'rl2', 'maml', 'transformer'];
  assert.equal(results.config, { agents, variant: 'standard', seeds: 2, seed: 0, iterations: { dream: 2, rl2: 2, maml: 2, transformer: 2 }, trials: 8 });
  assert.equal(results.training, { iterations: 16, completed: 16, unit: 'training iterations (all agents and seeds)' });

  const { explore } = results;
  assert.equal(explore.seeds, [0, 1]);
  assert.is(explore.chance, 0.25);
  assert.equal(explore.taskCounts, { train: 32, oodSign: 16, oodGoal: 32 });
  assert.equal(explore.agents.map((a) => a.agent), agents);
  for (const a of explore.agents) {
    assert.is(a.runs.length, 2, a.agent);
    assert.equal(a.runs.map((x) => x.seed), [0, 1]);
    assert.is(a.runs[0]!.history.length, 2);
    // A checkpoint about every tenth of training: here after each of the 2 iterations.
    assert.equal(a.runs[0]!.checkpoints.map((c) => c.iteration), [1, 2]);
    for (const c of a.runs[0]!.checkpoints) assert.ok(c.episodes > 0 && Number.isFinite(c.fraction), `${a.agent} checkpoint ${JSON.stringify(c)}`);
    for (const split of ['train', 'oodSign', 'oodGoal'] as const) {
      assert.equal(Object.keys(a.fraction[split].greedy), ['mean', 'low', 'high', 'n', 'perSeed']);
      assert.is(a.fraction[split].greedy.n, 2);
      assert.type(results.metrics[`${a.agent}/${split}/greedy`], 'number');
    }
    assert.ok(a.probe.mean >= 0 && a.probe.mean <= 1);
    assert.ok(a.signVisits.mean >= 0 && a.signVisits.mean <= 1);
    assert.is(a.samples.length, 4);
    for (const s of a.samples) {
      assert.equal(s.path[0], [2, 2], 'paths start at the start cell');
      for (let i = 1; i < s.path.length; i++) {
        const [r0, c0] = s.path[i - 1]!, [r1, c1] = s.path[i]!;
        assert.ok(Math.abs(r1 - r0) + Math.abs(c1 - c0) <= 1, `${a.agent}: a path moves one cell at a time`);
      }
    }
    assert.is(results.figures[`training/${a.agent}`]?.type, 'line');
    const curves = results.figures['checkpoints'];
    assert.ok(curves?.type === 'line' && curves.series.some((x) => x.name === a.agent && x.x.length === 2), `${a.agent} in the checkpoint chart`);
    const grid = results.figures[`trajectories/${a.agent}`];
    assert.ok(grid?.type === 'grid' && grid.panels.length === 4);
  }
  assert.equal(results.tables.map((t) => t.rows.length), [4, 4]);
  assert.equal(results.tables[1]!.header.slice(0, 3), ['agent', 'probe accuracy', 'chance']);
});

runs('the report renders in headless Chromium: trajectories on the grid, curves, tables', async () => {
  const results = readJson(join(tinyOut, 'results.json'));
  const html = readFileSync(join(tinyOut, 'report.html'), 'utf8');
  const [check] = await renderInChromium([[join(tinyOut, 'report.html'), join(tinyOut, 'report.png')]]);
  // The checkpoint chart, 4 training charts and 4 agents × 4 grid panels.
  const svgTotal = 5 + 16;
  assert.is(Object.keys(results.figures).length, 9);
  assert.is(check!.title, 'metagrad explore');
  assert.is(check!.svgCount, svgTotal);
  check!.svgSizes.forEach(([w, h], i) => assert.ok(w > 0 && h > 0, `SVG ${i} is ${w}×${h}`));
  assert.equal(check!.externalRequests, []);
  assert.equal(check!.consoleErrors, []);
  assert.ok(check!.screenshotBytes > 10_000, `screenshot is only ${check!.screenshotBytes} bytes`);
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.is(svgs.length, svgTotal);
  for (const svg of svgs) assert.ok((svg.match(/<(rect|path|polyline|polygon|circle)\b/g) ?? []).length >= 1, svg.slice(0, 200));
  // Grid panels: 25 cells, 4 goals, the sign, the start ring and the exploration path.
  const grids = svgs.filter((s) => s.includes('fill="#eeca3b"'));
  assert.is(grids.length, 16, 'a sign diamond in every grid panel');
  for (const g of grids) {
    assert.ok((g.match(/<rect\b/g) ?? []).length >= 29, g.slice(0, 200));
    assert.match(g, /<polyline points="[^"]+"/);
  }
  for (const heading of ['Fraction of oracle, in and out of distribution', 'Information content of exploration', 'Training curves per agent', 'DREAM (decoupled): exploration episodes']) {
    assert.ok(html.includes(`<h2>${heading}</h2>`), heading);
  }
  assert.match(html, /probe accuracy/);
});

runs('--variant bits: the agents train and are tested on the two-sign grid', async () => {
  const out = join(dir, 'bits');
  const r = await inProcess(['explore', '--variant', 'bits', '--agents', 'dream', '--seeds', '1', '--iterations', '2', '--trials', '8', '--backend', 'ts', '--out', out, '--json']);
  assert.is(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as ExploreResults;
  assert.is(results.config.variant, 'bits');
  assert.is(results.explore.grid.readout, 'bits');
  assert.is(results.explore.grid.numSigns, 2);
  assert.equal(results.explore.taskCounts, { train: 16, oodSign: 8, oodGoal: 16 });
  const panel = results.figures['trajectories/dream'];
  assert.ok(panel?.type === 'grid' && panel.panels.every((p) => p.map.join('').split('i').length - 1 === 2), 'two signs drawn in every panel');
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /Variant: bits/);
});

runs('Ctrl-C: stops between training runs, writes what finished marked interrupted, exits 130', async () => {
  const out = join(dir, 'interrupted');
  const running = start(['explore', '--agents', 'maml', '--iterations', '3', '--trials', '8', '--seeds', '100', '--backend', 'ts', '--out', out, '--json']);
  await waitFor(running, (e) => /maml seed 0: /.test(e));
  running.child.kill('SIGINT');
  const r = await running.done;
  assert.is(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: stopping after the current step/);
  const results = JSON.parse(r.stdout) as ExploreResults;
  assert.equal(readJson(join(out, 'results.json')), results);
  assert.is(results.interrupted, true);
  assert.ok(results.training.completed >= 3 && results.training.completed < results.training.iterations, `${results.training.completed} iterations`);
  const runsDone = results.explore.agents[0]!.runs.length;
  assert.ok(runsDone >= 1 && runsDone < 100);
  assert.ok(results.figures['training/maml'] && results.figures['trajectories/maml']);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /This run was interrupted/);
});

runs.after(() => rmSync(dir, { recursive: true, force: true }));

input.run();
runs.run();
