/**
 * conv2d against TensorFlow.js's wasm backend (XNNPACK, SIMD, one thread) on the same
 * shapes in the same run: grid-world policy sizes and small-image sizes. Forward against
 * TF.js; forward + backward (gradients of the sum of outputs in input and weight)
 * metagrad only, since TF.js's wasm backend has no `Conv2DBackpropFilter` kernel.
 *
 * metagrad runs NCHW, TF.js NHWC (its native layout); each times its own layout, so no
 * transpose is timed on either side. metagrad is timed eager and under `jit`. Per case:
 * the median of process CPU time per call over rounds (calls batched to ≥ 20 ms).
 *
 * TF.js is a reference measurement only, never a dependency: install it anywhere and
 * point the bench at it, e.g.
 *   mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm
 *   taskset -c 0 node --import tsx bench/conv.bench.ts --tfjs /tmp/tfjs
 * Without `--tfjs` only metagrad's figures are printed; `--direct` turns the Winograd
 * path off, so the direct kernels can be timed against it on the same build.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng, conv2d, getBackend, grad, jit, randomNormal, sum, type Tensor } from '../src/index.ts';
import { setConvWinograd } from '../src/backend/wasm/conv.ts';
import { cpuTime } from './timing.ts';

interface Case { readonly label: string; readonly x: [number, number, number, number]; readonly w: [number, number, number, number]; readonly stride: number; readonly padding: number }

const CASES: readonly Case[] = [
  { label: 'grid 8×8, 40 obs, 4→16 3×3', x: [40, 4, 8, 8], w: [16, 4, 3, 3], stride: 1, padding: 1 },
  { label: 'grid 8×8, 40 obs, 16→16 3×3', x: [40, 16, 8, 8], w: [16, 16, 3, 3], stride: 1, padding: 1 },
  { label: 'grid 8×8, 800 obs, 16→16 3×3', x: [800, 16, 8, 8], w: [16, 16, 3, 3], stride: 1, padding: 1 },
  { label: '32×32, 8 img, 16→32 3×3', x: [8, 16, 32, 32], w: [32, 16, 3, 3], stride: 1, padding: 1 },
  { label: '28×28, 16 img, 1→32 5×5 s2', x: [16, 1, 28, 28], w: [32, 1, 5, 5], stride: 2, padding: 2 },
];

const cpuMs = (call: () => void): number => cpuTime(call, 11).median;

// The subset of TF.js used here.
interface TfTensor { dispose(): void; dataSync(): unknown }
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  version_core: string;
  randomNormal(shape: number[]): TfTensor;
  conv2d(x: TfTensor, w: TfTensor, strides: number, pad: number | 'same' | 'valid'): TfTensor;
}

async function loadTfjs(dir: string): Promise<Tf> {
  const require = createRequire(join(dir, 'package.json'));
  // The union package: tfjs-core alone registers no gradients.
  const tf = (await import(pathToFileURL(require.resolve('@tensorflow/tfjs')).href)) as unknown as Tf & { default?: Tf };
  const wasm = (await import(pathToFileURL(require.resolve('@tensorflow/tfjs-backend-wasm')).href)) as { setThreadsCount?: (n: number) => void; default?: { setThreadsCount?: (n: number) => void } };
  (wasm.setThreadsCount ?? wasm.default?.setThreadsCount)?.(1);
  const core = tf.default ?? tf;
  await core.setBackend('wasm');
  await core.ready();
  if (core.getBackend() !== 'wasm') throw new Error(`conv.bench: TF.js selected backend '${core.getBackend()}', not wasm`);
  return core;
}

export async function runConvBench(args: readonly string[] = []): Promise<void> {
  const at = args.indexOf('--tfjs');
  const tf = at >= 0 ? await loadTfjs(args[at + 1]!) : undefined;
  // `--direct`: the direct kernels for the 3×3 stride-1 shapes too (before/after on one build).
  const direct = args.includes('--direct');
  setConvWinograd(direct ? 'never' : 'auto');
  console.log(`conv.bench: metagrad backend ${getBackend().name}${direct ? ' (direct kernels only)' : ''}${tf ? `, TF.js ${tf.version_core} wasm (1 thread)` : ''}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log('cpu ms per call, median');
  // `fwd jit reuse`: jit with `reuseOutputs` (the result overwritten by the next call, as a
  // TF.js tensor lives in TF.js's own heap); plain jit returns a fresh buffer per call.
  const head = ['case', 'fwd eager', 'fwd jit', 'fwd jit reuse', ...(tf ? ['fwd TF.js', 'TF.js/eager', 'TF.js/jit', 'TF.js/reuse'] : []), 'fwd+bwd eager', 'fwd+bwd jit'];
  console.log(head.map((h, i) => (i === 0 ? h.padEnd(30) : h.padStart(13))).join(' '));
  const setups = CASES.map((c) => {
    const rng = new Rng(0);
    const x = randomNormal(rng, c.x), w = randomNormal(rng, c.w, 0, 0.1);
    const opts = { stride: c.stride, padding: c.padding };
    const fwd = (x: Tensor, w: Tensor): Tensor => conv2d(x, w, opts);
    const both = grad((x: Tensor, w: Tensor) => sum(conv2d(x, w, opts)), { argnums: [0, 1] });
    let tfCall: (() => void) | null = null;
    if (tf) {
      const [n, ch, h, wd] = c.x, [o, , kh, kw] = c.w;
      const tx = tf.randomNormal([n, h, wd, ch]), tw = tf.randomNormal([kh, kw, ch, o]);
      // A number is explicit symmetric padding, as metagrad's.
      tfCall = () => { const y = tf.conv2d(tx, tw, c.stride, c.padding); y.dataSync(); y.dispose(); };
    }
    return { c, x, w, fwd, both, jf: jit(fwd), jr: jit(fwd, { reuseOutputs: true }), jb: jit(both), tfCall };
  });
  // Every kernel and JS path warm before any timing: V8 runs wasm on its baseline compiler
  // until the optimising tier has compiled it in the background, which made whichever case
  // came first look slow (4→16 took longer than 16→16 in earlier runs of this bench).
  for (let round = 0; round < 3; round++) {
    for (const s of setups) { s.fwd(s.x, s.w); s.jf(s.x, s.w); s.jr(s.x, s.w); s.both(s.x, s.w); s.jb(s.x, s.w); s.tfCall?.(); }
  }
  for (const { c, x, w, fwd, both, jf, jr, jb, tfCall } of setups) {
    const row: number[] = [cpuMs(() => void fwd(x, w)), cpuMs(() => void jf(x, w)), cpuMs(() => void jr(x, w))];
    const tfFwd = tfCall === null ? NaN : cpuMs(tfCall);
    const bwd: number[] = [cpuMs(() => void both(x, w)), cpuMs(() => void jb(x, w))];
    const cells = [
      ...row.map((v) => v.toFixed(3)), ...(tf ? [tfFwd.toFixed(3), (tfFwd / row[0]!).toFixed(2), (tfFwd / row[1]!).toFixed(2), (tfFwd / row[2]!).toFixed(2)] : []),
      ...bwd.map((v) => v.toFixed(3)),
    ];
    console.log([c.label.padEnd(30), ...cells.map((s) => s.padStart(13))].join(' '));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runConvBench(process.argv.slice(2));
}
