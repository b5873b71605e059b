// Bundles the built package (dist/) with esbuild, as an application would, and prints
// its size: minified, and minified + gzip (node:zlib, level 9). Writes out/bundle/:
//   metagrad.min.js       the package entry (`import … from 'metagrad'`): engine + wasm backend
//   metagrad-all.min.js   every module (engine, nn, optim, meta, rl) as namespaces, for the runtime tests
// Usage: node scripts/bundle.mjs [--json]   (run `npm run build` first)
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'out', 'bundle');
const json = process.argv.includes('--json');

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('bundle: dist/index.js is missing; run `npm run build` first');
  process.exit(1);
}

// Namespaces of the all-modules bundle: the same names the runtime smoke suite loads.
const ALL_MODULES = {
  index: 'index', wasm: 'backend/wasm/index', nn: 'nn/index', meta: 'meta/index', optim: 'optim/index',
  env: 'rl/env/index', policy: 'rl/policy', mamlrl: 'rl/mamlrl',
};

const entries = [
  { name: 'metagrad', file: 'metagrad.min.js', contents: "export * from './dist/index.js';\n" },
  {
    name: 'metagrad (all modules)',
    file: 'metagrad-all.min.js',
    contents: Object.entries(ALL_MODULES).map(([ns, path]) => `export * as ${ns} from './dist/${path}.js';`).join('\n') + '\n',
  },
];

await mkdir(outDir, { recursive: true });
const rows = [];
for (const entry of entries) {
  const outfile = join(outDir, entry.file);
  const result = await build({
    stdin: { contents: entry.contents, resolveDir: root, sourcefile: `${entry.file}.entry.js`, loader: 'js' },
    bundle: true,
    format: 'esm',
    // Browsers, Deno and Node alike: no Node built-ins may sneak in.
    platform: 'neutral',
    // The entry initialises the wasm backend with top-level await.
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    metafile: true,
    outfile,
    logLevel: 'warning',
  });
  const code = await readFile(outfile);
  const inputs = Object.entries(result.metafile.outputs[relative(root, outfile)]?.inputs ?? {});
  const wasmBytes = inputs.filter(([path]) => path.includes('wasm/generated/')).reduce((n, [, i]) => n + i.bytesInOutput, 0);
  rows.push({
    name: entry.name,
    file: relative(root, outfile),
    minified: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    embeddedWasm: wasmBytes,
    modules: inputs.length,
  });
}

if (json) {
  console.log(JSON.stringify(rows));
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  for (const r of rows) {
    console.log(`${r.name.padEnd(24)} ${kb(r.minified).padStart(9)} minified, ${kb(r.gzip).padStart(8)} gzip` +
      `  (${r.modules} modules; embedded wasm base64 ${kb(r.embeddedWasm)})  -> ${r.file}`);
  }
}
await writeFile(join(outDir, 'sizes.json'), JSON.stringify(rows, null, 2) + '\n');
