/**
 * Profile of the explore sequence models (GRU unroll, transformer block, cached
 * decoding step) at the sizes the agents use, with a CPU profile of where the time
 * goes (self time by function, via the inspector).
 *
 *   node --import tsx bench/seq.bench.ts [--profile]
 */
import { Session } from 'node:inspector/promises';
import {
  Rng, add, dense, randomNormal, sum, valueAndGrad, zeros, noGrad, slice,
} from '../src/index.ts';
import { gruSequence, initGru, initBlock, transformerBlock, transformerBlockStep, type KvCache } from '../src/explore/index.ts';

const rng = new Rng(0);

function time(label: string, repeats: number, fn: () => void): number {
  fn(); // warm-up (JIT)
  const start = performance.now();
  for (let r = 0; r < repeats; r++) fn();
  const ms = (performance.now() - start) / repeats;
  console.log(`${label.padEnd(58)} ${ms.toFixed(2).padStart(9)} ms`);
  return ms;
}

const B = 16, H = 32, I = 35;
console.log(`--- op dispatch (B=${B}) ---`);
const a = randomNormal(rng, [B, H]), w = randomNormal(rng, [H, 3 * H]), bias = zeros([3 * H]);
const addMs = time('1000 × add [16, 32]', 3, () => { for (let i = 0; i < 1000; i++) add(a, a); }) / 1000;
const denseMs = time('1000 × dense [16, 32]·[32, 96]', 3, () => { for (let i = 0; i < 1000; i++) dense(a, w, bias); }) / 1000;
console.log(`per op: add ${(addMs * 1000).toFixed(1)} µs, dense ${(denseMs * 1000).toFixed(1)} µs (${(2 * B * H * 3 * H / (denseMs * 1e6)).toFixed(2)} GFLOP/s)`);

console.log('--- GRU unroll (hidden 32) ---');
const gru = initGru(rng, I, H);
for (const L of [8, 24, 48]) {
  const xs = randomNormal(rng, [B, L, I]);
  const fwd = time(`gruSequence forward L=${L}`, 5, () => { noGrad(() => gruSequence(gru, xs, zeros([B, H]))); });
  const both = time(`gruSequence forward+backward (BPTT) L=${L}`, 3, () => { valueAndGrad((p: typeof gru) => sum(gruSequence(p, xs, zeros([B, H]))))(gru); });
  console.log(`  per step: forward ${(fwd / L).toFixed(2)} ms, backward ${((both - fwd) / L).toFixed(2)} ms; ≈${(fwd / L / addMs).toFixed(0)} op-dispatch equivalents per forward step`);
}

console.log('--- transformer block (D=32, 4 heads) ---');
const block = initBlock(rng, 32, 64, 'depthScaled', 2);
for (const L of [8, 24, 48]) {
  const x = randomNormal(rng, [B, L, 32]);
  time(`transformerBlock forward L=${L}`, 5, () => { noGrad(() => transformerBlock(block, x, 4)); });
  time(`transformerBlock forward+backward L=${L}`, 3, () => { valueAndGrad((p: typeof block) => sum(transformerBlock(p, x, 4)))(block); });
  time(`cached decoding, L=${L} steps (rollout)`, 3, () => {
    noGrad(() => {
      let cache: KvCache | null = null;
      for (let t = 0; t < L; t++) cache = transformerBlockStep(block, slice(x, [0, t, 0], [B, 1, 32]), cache, 4).cache;
    });
  });
}

if (process.argv.includes('--profile')) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const xs = randomNormal(rng, [B, 24, I]);
  for (let r = 0; r < 10; r++) valueAndGrad((p: typeof gru) => sum(gruSequence(p, xs, zeros([B, H]))))(gru);
  const { profile } = await session.post('Profiler.stop');
  const self = new Map<string, number>();
  const counts = new Map<number, number>();
  for (const s of profile.samples ?? []) counts.set(s, (counts.get(s) ?? 0) + 1);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let total = 0;
  for (const [id, c] of counts) {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
    self.set(key, (self.get(key) ?? 0) + c);
    total += c;
  }
  console.log('--- self time, GRU BPTT L=24 (top 15) ---');
  [...self].sort((x, y) => y[1] - x[1]).slice(0, 15).forEach(([k, v]) => console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`));
}
