import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
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
    [['--init', 'xavier'], /--init: unknown 'xavier' \(torch, maml, glorot, he\)/],
    [['--algo', 'metasgd', '--lr-init', '0.1,0.005'], /--lr-init: expected <low>,<high>.*got '0\.1,0\.005'/],
    [['--algo', 'metasgd', '--lr-init', '0.005'], /--lr-init: .*got '0\.005'/],
    [['--algo', 'maml', '--lr-init', '0.005,0.1'], /--lr-init: only applies to --algo metasgd, got --algo maml/],
    [['--eval-k', '0'], /--eval-k: expected an integer ≥ 1, got '0'/],
    [['--eval-k', '2.5'], /--eval-k: expected an integer ≥ 1, got '2\.5'/],
    [['--val-every=-1'], /--val-every: expected an integer ≥ 0, got '-1'/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = runScript([...args, ...tiny]);
    assert.is.not(status, 0, `${args.join(' ')} should fail`);
    assert.match(stderr, message, `${args.join(' ')}: ${stderr}`);
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

test.run();
