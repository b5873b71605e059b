// `npm run demo`: builds the package if dist/ is missing or older than src/, then serves
// demo/ and dist/ on http://127.0.0.1:PORT/ (default 8000, or the next free port) until
// Ctrl-C. Everything is local: the page imports ../dist/index.js, no CDN, no network.
// Usage: node scripts/demo.mjs [--port N] [--no-build]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { newestChange } from '../bin/newest-change.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const portArg = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : Number(process.env.PORT ?? 8000);
if (!Number.isInteger(portArg) || portArg < 0 || portArg > 65535) {
  console.error(`demo: bad port ${args[args.indexOf('--port') + 1] ?? process.env.PORT}`);
  process.exit(2);
}

function npmRun(script) {
  console.log(`demo: npm run ${script}`);
  const result = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`demo: npm run ${script} failed`);
    process.exit(result.status ?? 1);
  }
}

if (!args.includes('--no-build')) {
  if (!existsSync(join(root, 'src/backend/wasm/generated/bytes.ts'))) npmRun('build:wasm');
  const entry = join(root, 'dist/index.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newestChange(join(root, 'src'))) npmRun('build:ts');
}
if (!existsSync(join(root, 'dist/index.js'))) {
  console.error('demo: dist/index.js is missing; run `npm run build`');
  process.exit(1);
}

register(); // lets this plain-JS script import the TypeScript server helper
const { startStaticServer } = await import('../test/runtimes/server.ts');
const options = { root, allow: ['demo', 'dist'], index: '/demo/' };
let server;
try {
  server = await startStaticServer({ ...options, port: portArg });
} catch (error) {
  if (error?.code !== 'EADDRINUSE') throw error;
  console.log(`demo: port ${portArg} is busy; using a free one`);
  server = await startStaticServer({ ...options, port: 0 });
}
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
console.log(`demo: serving ${server.url}demo/  (Ctrl-C to stop)`);
