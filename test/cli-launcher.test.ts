import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// bin/metagrad.mjs runs dist/ when it exists and warns when src/ has changed since the
// build, so an edited checkout does not silently run old code. A stand-in package in a
// temporary folder: the real launcher (bin/), a one-line "build" and one source file.
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin');

test('launcher: runs the build quietly when it is newer than src/, and warns (still running it) when src/ changed since', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metagrad-launcher-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
    mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
    for (const file of ['metagrad.mjs', 'newest-change.mjs']) copyFileSync(join(BIN, file), join(dir, 'bin', file));
    const main = join(dir, 'dist', 'cli', 'main.js'), source = join(dir, 'src', 'cli', 'main.ts');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(main, "export async function runFromProcess() { process.stdout.write('built cli ran\\n'); }\n");
    writeFileSync(source, '// source\n');
    const run = () => spawnSync(process.execPath, [join(dir, 'bin', 'metagrad.mjs'), '--help'], { encoding: 'utf8', env: { ...process.env, METAGRAD_FROM_SOURCE: '' } });

    utimesSync(source, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    utimesSync(main, new Date(1_000_000_100_000), new Date(1_000_000_100_000));
    const fresh = run();
    assert.is(fresh.status, 0, fresh.stderr);
    assert.is(fresh.stdout, 'built cli ran\n');
    assert.is(fresh.stderr, '');

    utimesSync(source, new Date(1_000_000_200_000), new Date(1_000_000_200_000));
    const stale = run();
    assert.is(stale.status, 0, stale.stderr);
    assert.is(stale.stdout, 'built cli ran\n');
    assert.match(stale.stderr, /src\/ has changed since dist\/ was built; running the old build \(run 'npm run build', or set METAGRAD_FROM_SOURCE=1\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
