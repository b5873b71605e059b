import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '../src/tensor/create.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { Rng } from '../src/random/rng.ts';
import {
  CHECKPOINT_VERSION, CheckpointError, loadCheckpoint, parseCheckpoint, saveCheckpoint, serializeCheckpoint, type Checkpoint,
} from '../src/io/checkpoint.ts';
import { compareStructure, crc32, decodeState, encodeState } from '../src/io/codec.ts';
import { IoError, writeFileAtomic } from '../src/io/atomic.ts';

const dir = mkdtempSync(join(tmpdir(), 'metagrad-ckpt-'));

/** Float32 values that are easy to get wrong: denormals, extremes, -0, NaN, ±Infinity, 1/3. */
const tricky = new Float32Array([1 / 3, -0, 1.4e-45, 3.4028234663852886e38, -1e-38, NaN, Infinity, -Infinity, 0.1, 16777217]);

function sample(): Checkpoint {
  const rng = new Rng(7);
  return {
    kind: 'sinusoid',
    iteration: 12,
    config: { algorithm: 'maml', hidden: [40, 40], innerLr: 0.01 },
    rng: rng.state(),
    params: { layers: [{ weight: new Tensor(tricky, [2, 5]), bias: tensor([0.5, -0.25]) }], scale: new Tensor(new Float64Array([Math.PI]), []) },
    optimizer: { kind: 'adam', step: 12, slots: { m: [[0.1, 1 / 3, -0]], v: [[1e-300, NaN, Infinity]] } },
    extra: { curves: { loss: [3.5, 2.25] } },
  };
}

function sameBits(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.size !== b.size || a.shape.join() !== b.shape.join()) return false;
  const ua = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const ub = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return ua.every((v, i) => v === ub[i]);
}

const errorOf = (fn: () => unknown): Error => {
  try { fn(); } catch (e) { return e as Error; }
  throw new Error('expected an error');
};

const codec = suite('checkpoint: codec');

codec('tensors round-trip bit for bit, numbers JSON cannot hold survive', () => {
  const state = { w: new Tensor(tricky, [10]), d: new Tensor(new Float64Array([1 / 3, -0, 5e-324]), [3]), n: [NaN, -0, Infinity, -Infinity, 1 / 3], s: 'x', b: true, z: null };
  const back = decodeState(JSON.parse(JSON.stringify(encodeState(state)))) as typeof state;
  assert.ok(sameBits(back.w, state.w));
  assert.ok(sameBits(back.d, state.d));
  assert.ok(Number.isNaN(back.n[0]!) && Object.is(back.n[1], -0) && back.n[2] === Infinity && back.n[3] === -Infinity && back.n[4] === 1 / 3);
  assert.equal([back.s, back.b, back.z], ['x', true, null]);
});

codec('crc32 matches the standard check value', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

codec('structure comparison names the first difference', () => {
  const a = { w: tensor([[1, 2]]), opt: { step: 1, m: [[0, 0]] } };
  assert.is(compareStructure(a, { w: tensor([[3, 4]]), opt: { step: 9, m: [[1, 2]] } }), null);
  assert.is(compareStructure(a, { w: tensor([1, 2]), opt: { step: 1, m: [[0, 0]] } }), '$.w: shape [2], expected [1, 2]');
  assert.is(compareStructure(a, { w: tensor([[1, 2]]), opt: { step: 1, m: [[0]] } }), '$.opt.m[0]: 1 entries, expected 2');
  assert.is(compareStructure(a, { w: tensor([[1, 2]]), opt: { step: 1 } }), "$.opt: missing key 'm'");
  assert.is(compareStructure(a, { w: new Tensor(new Float64Array(2), [1, 2]), opt: a.opt }), '$.w: dtype float64, expected float32');
});

const files = suite('checkpoint: files');

files('save then load round-trips everything exactly', () => {
  const file = join(dir, 'ok.json');
  const ck = sample();
  saveCheckpoint(file, ck);
  const back = loadCheckpoint(file, { kind: 'sinusoid', params: ck.params, optimizer: ck.optimizer });
  assert.is(back.iteration, 12);
  assert.equal(back.rng, ck.rng);
  assert.equal(back.config, ck.config);
  const p = back.params as { layers: { weight: Tensor; bias: Tensor }[]; scale: Tensor };
  const q = ck.params as typeof p;
  assert.ok(sameBits(p.layers[0]!.weight, q.layers[0]!.weight));
  assert.ok(sameBits(p.scale, q.scale));
  const slots = (back.optimizer as { slots: { v: number[][] } }).slots.v[0]!;
  assert.ok(slots[0] === 1e-300 && Number.isNaN(slots[1]!) && slots[2] === Infinity);
  // A restored generator continues the same stream.
  const fresh = new Rng(7);
  assert.is(new Rng(back.rng).uniform(), fresh.uniform());
  assert.is(JSON.parse(readFileSync(file, 'utf8')).version, CHECKPOINT_VERSION);
});

files('truncated, corrupt and mismatched files: clear errors naming the file', () => {
  const text = serializeCheckpoint(sample());
  const cases: [string, string, RegExp, object?][] = [
    ['empty.json', '', /the file is empty/],
    ['truncated.json', text.slice(0, text.length >> 1), /is not valid JSON, so it is truncated or corrupt/],
    ['other.json', '{"hello": 1}', /is not a metagrad checkpoint/],
    ['future.json', text.replace(`"version": ${CHECKPOINT_VERSION}`, '"version": 99'), /format version 99, newer than this metagrad reads/],
    ['kind.json', text, /written by 'sinusoid', not 'gridworld'/, { kind: 'gridworld' }],
    ['rng.json', text.replace(/"rng": \[[^\]]*\]/, '"rng": [1, 2]'), /invalid RNG state/],
    ['shape.json', text, /parameters do not match this model \(\$\.params\.layers\[0\]\.weight: shape \[2, 5\], expected \[5, 2\]\)/, { params: { layers: [{ weight: tensor(new Array(10).fill(0), [5, 2]), bias: tensor([0, 0]) }], scale: new Tensor(new Float64Array(1), []) } }],
    ['dtype.json', text, /\$\.params\.scale: dtype float64, expected float32/, { params: { layers: [{ weight: tensor(new Array(10).fill(0), [2, 5]), bias: tensor([0, 0]) }], scale: tensor(0) } }],
    ['optim.json', text, /optimiser state does not match \(\$\.optimizer\.slots: missing key 'velocity'\)/, { optimizer: { kind: 'sgd', step: 0, slots: { velocity: [] } } }],
  ];
  for (const [name, content, pattern, expect] of cases) {
    const file = join(dir, name);
    writeFileSync(file, content);
    const e = errorOf(() => loadCheckpoint(file, expect ?? {}));
    assert.instance(e, CheckpointError, name);
    assert.match(e.message, new RegExp(`^checkpoint ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `), name);
    assert.match(e.message, pattern, `${name}: ${e.message}`);
  }
});

files('a flipped byte in tensor data fails its CRC; bad base64 is reported', () => {
  const text = serializeCheckpoint(sample());
  const match = /"base64":"([A-Za-z0-9+/]{8})/.exec(text)!;
  const flipped = match[1]!.startsWith('A') ? `B${match[1]!.slice(1)}` : `A${match[1]!.slice(1)}`;
  const corrupt = text.replace(match[1]!, flipped);
  assert.match(errorOf(() => parseCheckpoint(corrupt, 'c.json')).message, /\$\.params\.layers\[0\]\.weight: tensor data fails its CRC-32 check/);
  assert.match(errorOf(() => parseCheckpoint(text.replace(match[1]!, '!!!!!!!!'), 'c.json')).message, /not valid base64/);
  assert.match(errorOf(() => loadCheckpoint(join(dir, 'missing.json'))).message, /cannot be read: no such file/);
});

files('a failed save leaves the existing checkpoint untouched and no temp files', () => {
  const sub = join(dir, 'keep');
  mkdirSync(sub);
  const file = join(sub, 'checkpoint.json');
  saveCheckpoint(file, sample());
  const before = readFileSync(file, 'utf8');
  // Not serialisable: fails before anything is written.
  const bad = { ...sample(), params: { w: new Map() } } as unknown as Checkpoint;
  assert.throws(() => saveCheckpoint(file, bad), /cannot be saved/);
  // Fails at the rename (the destination is a folder): the temp file is removed.
  mkdirSync(join(sub, 'taken.json'));
  assert.throws(() => saveCheckpoint(join(sub, 'taken.json'), sample()), (e: Error) => e instanceof IoError && /cannot write .*taken\.json/.test(e.message));
  assert.throws(() => writeFileAtomic(join(dir, 'no-such-folder', 'x.json'), 'x'), /cannot write .*: the folder does not exist/);
  assert.is(readFileSync(file, 'utf8'), before);
  assert.equal(readdirSync(sub).sort(), ['checkpoint.json', 'taken.json']);
});

files.after(() => rmSync(dir, { recursive: true, force: true }));

codec.run();
files.run();
