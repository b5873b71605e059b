import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// scripts/sinusoid.ts: the protocol-variant flags parse, reject bad values by name, and
// chunked training for --val-every is the same computation as one run.
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'sinusoid.ts');

function runScript(args: string[]) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const tiny = ['--iters', '4', '--eval-tasks', '8', '--eval-steps', '2', '--log-every', '2', '--baseline-iters', '0'];

test('sinusoid script: bad variant flags fail with the flag and the value in the message', () => {
  const cases: [string[], RegExp][] = [
    [['--init', 'xavier'], /--init must be one of torch, maml, glorot, he; got 'xavier'/],
    [['--algo', 'metasgd', '--lr-init', '0.1,0.005'], /--lr-init: expected <low>,<high>.*got '0\.1,0\.005'/],
    [['--algo', 'metasgd', '--lr-init', '0.005'], /--lr-init: .*got '0\.005'/],
    [['--algo', 'maml', '--lr-init', '0.005,0.1'], /--lr-init: only applies to --algo metasgd, got --algo maml/],
    [['--eval-k', '0'], /--eval-k must be an integer ≥ 1, got '0'/],
    [['--eval-k', '2.5'], /--eval-k must be an integer ≥ 1, got '2\.5'/],
    [['--val-every=-1'], /--val-every must be an integer ≥ 0, got '-1'/],
    [['--eval-sets', '0'], /--eval-sets must be an integer ≥ 1, got '0'/],
    [['--outer-lr-schedule', 'step'], /--outer-lr-schedule must be one of constant, cosine; got 'step'/],
    [['--eval-support', 'grid'], /--eval-support must be one of uniform, stratified; got 'grid'/],
    [['--outer-clip', '0'], /--outer-clip must be a number > 0, got '0'/],
    [['--clip=-2'], /--clip must be a number > 0, got '-2'/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = runScript([...args, ...tiny]);
    assert.is(status, 2, `${args.join(' ')} should exit 2: ${stderr}`);
    assert.match(stderr, message, `${args.join(' ')}: ${stderr}`);
    assert.is(stderr.trim().split('\n').length, 1, `one line, no stack trace: ${stderr}`);
  }
});

test('sinusoid script: --val-every trains in chunks to the same network; --eval-k, --init, --lr-init are recorded', () => {
  const base = ['--algo', 'metasgd', '--K', '3', '--eval-k', '2', '--init', 'maml', '--lr-init', '0.005,0.1', ...tiny];
  const once = runScript(base), chunked = runScript([...base, '--val-every', '2', '--val-tasks', '5']);
  assert.is(once.status, 0, once.stderr);
  assert.is(chunked.status, 0, chunked.stderr);
  const a = JSON.parse(once.stdout), b = JSON.parse(chunked.stdout);
  assert.equal([a.K, a.evalK, a.init, a.lrInit], [3, 2, 'maml', [0.005, 0.1]]);
  assert.equal(b.result.curve, a.result.curve);
  assert.equal(b.result.validation.map((v: { iteration: number }) => v.iteration), [2, 4]);
  assert.ok([2, 4].includes(b.result.best.iteration));
  assert.is(a.result.best, undefined);
});

test('sinusoid script: --save-meta then --load-meta scores the same network; --eval-support stratified moves only the support', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metagrad-sinusoid-'));
  try {
    const file = join(dir, 'meta.json');
    const trained = runScript(['--algo', 'maml', '--K', '4', '--seed', '3', '--save-meta', file, ...tiny]);
    assert.is(trained.status, 0, trained.stderr);
    const loaded = runScript(['--algo', 'maml', '--K', '4', '--load-meta', file, ...tiny]);
    assert.is(loaded.status, 0, loaded.stderr);
    const a = JSON.parse(trained.stdout), b = JSON.parse(loaded.stdout);
    assert.equal(b.result.curve, a.result.curve);
    assert.is(b.loadedFrom, file);
    assert.equal([a.seed, b.seed], [3, 3], 'the loaded run reports the seed the network was trained with');
    const stratified = JSON.parse(runScript(['--algo', 'maml', '--K', '4', '--load-meta', file, '--eval-support', 'stratified', ...tiny]).stdout);
    assert.is(stratified.evalSupport, 'stratified');
    assert.is(stratified.result.curve[0], a.result.curve[0], 'same query points: the unadapted MSE is unchanged');
    assert.is.not(stratified.result.curve[1], a.result.curve[1]);
    const wrong = runScript(['--algo', 'metasgd', '--K', '4', '--load-meta', file, ...tiny]);
    assert.match(wrong.stderr, /--load-meta: .* holds --algo maml --init torch, not --algo metasgd --init torch/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sinusoid script: --outer-clip clips the meta-gradient (a tiny norm changes training) and is recorded', () => {
  const base = ['--algo', 'maml', '--K', '3', ...tiny];
  const plain = runScript(base), clipped = runScript([...base, '--outer-clip', '1e-4']);
  assert.is(plain.status, 0, plain.stderr);
  assert.is(clipped.status, 0, clipped.stderr);
  const a = JSON.parse(plain.stdout), b = JSON.parse(clipped.stdout);
  assert.equal([a.outerClip, b.outerClip], [null, 1e-4]);
  assert.is.not(b.result.curve[1], a.result.curve[1]);
});


test('sinusoid script: --fast-math compiles with fastMath (recorded; the curve equal to the exact run to float32 rounding) and needs jit', () => {
  const exact = runScript(tiny), fast = runScript([...tiny, '--fast-math']);
  assert.is(exact.status, 0, exact.stderr);
  assert.is(fast.status, 0, fast.stderr);
  const a = JSON.parse(exact.stdout), b = JSON.parse(fast.stdout);
  assert.equal([a.jit, a.fastMath, b.jit, b.fastMath], [true, false, true, true]);
  // Four Adam steps from the same start: the rounding differences stay at float32 size.
  a.result.curve.forEach((v: number, i: number) => assert.ok(Math.abs(b.result.curve[i] - v) <= 1e-5 * Math.abs(v), `curve[${i}]: ${b.result.curve[i]} vs ${v}`));
  const refused = runScript([...tiny, '--fast-math', '--no-jit']);
  assert.is(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /--fast-math needs jit/);
});

test.run();
