import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The research scripts answer --help and reject a mistyped flag with exit status 2 and
// one line naming it, before any training starts (a study that ignored a typo would
// run for an hour with the wrong settings).
const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');

function runScript(name: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(SCRIPTS, name), ...args], { timeout: 60_000 });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const cases: { script: string; help: RegExp; typo: string[]; error: RegExp }[] = [
  { script: 'explore.ts', help: /Usage: node --import tsx scripts\/explore\.ts \[options\][\s\S]*--dream-iterations N/, typo: ['--seed', '3'], error: /unknown option --seed .*did you mean --seeds\?/ },
  { script: 'explore.ts', help: /--only LIST/, typo: ['--only', 'dram'], error: /--only: unknown part 'dram'; did you mean 'dream'\? \(parts: dream, rl2, maml, transformer, sensitivity\)/ },
  { script: 'gridworld.ts', help: /--only LIST .*goal5, goal8, start5, start8/, typo: ['--only', 'goal5,gaol8'], error: /--only: unknown experiment 'gaol8' \(experiments: goal5, goal8, start5, start8\)/ },
  { script: 'continual.ts', help: /--only <regression\|gridworld>/, typo: ['--only', 'grid'], error: /--only must be one of regression, gridworld; got 'grid'\. Did you mean 'gridworld'\?/ },
  { script: 'sinusoid.ts', help: /--eval-support <uniform\|stratified>/, typo: ['--iter', '3'], error: /unknown option --iter .*did you mean --iters\?/ },
];

test('research scripts: --help prints the options; a mistyped flag exits 2 naming it, before any work', async () => {
  const runs = await Promise.all(cases.map(async (c) => [c, await runScript(c.script, ['--help']), await runScript(c.script, c.typo)] as const));
  for (const [c, help, typo] of runs) {
    assert.is(help.status, 0, `${c.script} --help: ${help.stderr}`);
    assert.match(help.stdout, c.help, `${c.script} --help`);
    assert.is(typo.status, 2, `${c.script} ${c.typo.join(' ')} should exit 2: ${typo.stderr}`);
    assert.match(typo.stderr, c.error);
    assert.is(typo.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${typo.stderr}`);
    assert.is(typo.stdout, '', `${c.script} started working: ${typo.stdout}`);
  }
});

test.run();
