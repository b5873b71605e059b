#!/usr/bin/env node
// The `metagrad` command. Runs the compiled CLI (dist/cli/main.js) when the package has
// been built; otherwise (a source checkout without a build) loads tsx and runs
// src/cli/main.ts. METAGRAD_FROM_SOURCE=1 forces the source path.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = new URL('../dist/cli/main.js', import.meta.url);
const useBuild = existsSync(fileURLToPath(built)) && process.env.METAGRAD_FROM_SOURCE !== '1';

// The benchmark suites are TypeScript outside the build: they need tsx either way.
const needsTsx = !useBuild || process.argv[2] === 'bench';
if (needsTsx) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    if (!useBuild) {
      process.stderr.write(
        `metagrad: no build in ${root}dist and tsx is not installed; run 'npm run build' (or 'npm install' in a source checkout)\n`,
      );
      process.exit(1);
    }
  }
}
const entry = useBuild ? built : pathToFileURL(`${root}src/cli/main.ts`);
const { runFromProcess } = await import(entry.href);
await runFromProcess();
