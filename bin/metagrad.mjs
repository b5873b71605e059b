#!/usr/bin/env node
// The `metagrad` command. Runs the compiled CLI (dist/cli/main.js) when the package has
// been built; otherwise (a source checkout without a build) loads tsx and runs
// src/cli/main.ts. METAGRAD_FROM_SOURCE=1 forces the source path.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { newestChange } from './newest-change.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = new URL('../dist/cli/main.js', import.meta.url);
const useBuild = existsSync(fileURLToPath(built)) && process.env.METAGRAD_FROM_SOURCE !== '1';

// In a checkout being edited, dist/ can lag behind src/: say so rather than run old code.
// (Installed packages have equal timestamps throughout.)
if (useBuild && existsSync(`${root}src`) && newestChange(`${root}src`) > statSync(fileURLToPath(built)).mtimeMs + 1000) {
  process.stderr.write("metagrad: src/ has changed since dist/ was built; running the old build (run 'npm run build', or set METAGRAD_FROM_SOURCE=1)\n");
}

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
