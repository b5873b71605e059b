/**
 * Public save/load of trees and optimiser state (src/io/tree-codec.ts): bit-exact
 * round trips of float32/float64 trees in both forms; optimiser state saved mid-run
 * continues bit for bit like an uninterrupted run (sgd, adam, adamw, fusedAdam);
 * corrupted, truncated and mismatched inputs are rejected with messages naming the
 * problem; the checkpoint format is unchanged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Tensor, tensor, randomNormal, zeros, grad, sum, add, cast, tanh, matmul, sub, square, mean,
  saveTree, loadTree, treeToJSON, treeFromJSON, saveOptimizerState, loadOptimizerState, SerializationError,
  sgd, adam, adamw, fusedAdam, withGradientClipping, type SaveableTree, type Optimizer, type OptimizerState,
} from '../src/index.ts';
import { serializeCheckpoint, parseCheckpoint } from '../src/io/checkpoint.ts';
import { crc32, decodeState, fromBase64, toBase64 } from '../src/io/codec.ts';
import { throwsWith } from './engine-helpers.ts';

/** Every leaf's dtype, shape and bits equal; non-tensor leaves `Object.is`-equal. */
function assertSameTree(actual: unknown, expected: unknown, path = '$'): void {
  if (expected instanceof Tensor) {
    assert.ok(actual instanceof Tensor, `${path}: not a tensor`);
    const a = actual as Tensor;
    assert.is(a.dtype, expected.dtype, `${path} dtype`);
    assert.equal([...a.shape], [...expected.shape], `${path} shape`);
    const bits = (t: Tensor) => new Uint8Array(t.toTypedArray().buffer);
    assert.equal(bits(a), bits(expected), `${path}: bits differ`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${path}: array length`);
    expected.forEach((e, i) => assertSameTree((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.equal(Object.keys(actual as object), Object.keys(expected), `${path}: keys`);
    for (const k of Object.keys(expected)) assertSameTree((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  assert.ok(Object.is(actual, expected), `${path}: ${String(actual)} vs ${String(expected)}`);
}

/** Nested arrays/objects of float32 and float64 tensors with awkward values, plus plain leaves. */
function awkwardTree(): SaveableTree {
  const special = [NaN, Infinity, -Infinity, -0, 0, 5e-324, 1.7976931348623157e308, Math.PI, -1 / 3];
  return {
    layers: [
      { w: randomNormal(new Rng(1), [3, 4]), b: tensor(special.map(Math.fround)) },
      { w: randomNormal(new Rng(2), [4, 2], 0, 1, 'float64'), b: tensor(special, undefined, 'float64') },
    ],
    scalar32: tensor(1.5),
    empty: zeros([0, 3]),
    nested: { deeper: [[tensor([[1e-45, -3.4e38]])], []], note: 'hello', flag: true, none: null, count: 7, neg0: -0, nan: NaN },
  };
}

test('saveTree/loadTree and treeToJSON/treeFromJSON round-trip float32 and float64 trees bit for bit', () => {
  const tree = awkwardTree();
  const bytes = saveTree(tree);
  assert.instance(bytes, Uint8Array);
  assertSameTree(loadTree(bytes), tree);
  assertSameTree(loadTree(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer), tree); // ArrayBuffer
  assertSameTree(loadTree(bytes, { like: tree }), tree);
  const json = treeToJSON(tree);
  assertSameTree(treeFromJSON(json), tree);
  assertSameTree(treeFromJSON(JSON.stringify(json)), tree);
  assertSameTree(treeFromJSON(JSON.stringify(json, null, 2), { like: tree }), tree); // re-indented text still passes its CRC
  // Bytes are deterministic and a load-save cycle reproduces them.
  assert.equal(saveTree(loadTree(bytes)), bytes);
});

test('the binary form stores raw tensor bytes (no base64): its size is the data plus a small header', () => {
  const w = randomNormal(new Rng(3), [256, 64]);
  const bytes = saveTree({ w });
  assert.ok(bytes.length >= w.size * 4 && bytes.length < w.size * 4 + 512, `${bytes.length} bytes for ${w.size * 4} bytes of data`);
  // Tensor offsets are 8-byte aligned within the file.
  const three = saveTree([tensor([1]), tensor([2, 3], undefined, 'float64'), tensor([4, 5, 6])]);
  const headerLength = new DataView(three.buffer, three.byteOffset).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(three.subarray(20, 20 + headerLength)));
  assert.equal(header.body.map((t: { $tensor: { offset: number } }) => t.$tensor.offset), [0, 8, 24]);
});

test('saving rejects what cannot be saved, naming the path', () => {
  throwsWith(() => saveTree({ a: [tensor([1]), new Date() as never] }), SerializationError, 'saveTree', '$.a[1]', 'Date');
  throwsWith(() => saveTree({ $w: tensor([1]) }), SerializationError, '$.$w', 'reserved');
  // A `__proto__` key would become the object's prototype, not a property: refused, not dropped.
  const own: Record<string, unknown> = {};
  Object.defineProperty(own, '__proto__', { value: tensor([1]), enumerable: true });
  throwsWith(() => saveTree(own as never), SerializationError, 'saveTree', '$.__proto__', "'__proto__' cannot be saved");
  assert.throws(() => decodeState(JSON.parse('{"w": 1, "__proto__": {"polluted": 1}}')), /\$\.__proto__.*'__proto__' cannot be saved or loaded/);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  throwsWith(() => treeToJSON({ f: (() => 1) as never }), SerializationError, 'treeToJSON', '$.f');
  let traced: unknown = null;
  grad((x: Tensor) => {
    try { saveTree({ x }); } catch (e) { traced = e; }
    return sum(x);
  })(tensor([1, 2]));
  assert.instance(traced, SerializationError);
  assert.match((traced as Error).message, 'traced tensor');
});

test('corrupted, truncated and foreign bytes are rejected with a clear message', () => {
  const tree = { w: tensor([1, 2, 3, 4]), b: tensor([0.5], undefined, 'float64') };
  const bytes = saveTree(tree);
  const flipped = (at: number) => { const c = bytes.slice(); c[at]! ^= 0x10; return c; };
  // A flipped bit in the last tensor's data: its CRC fails, and the error names it.
  throwsWith(() => loadTree(flipped(bytes.length - 1)), SerializationError, 'loadTree', '$.b', 'CRC-32');
  // A flipped bit in the header.
  throwsWith(() => loadTree(flipped(30)), SerializationError, 'header fails its CRC-32');
  throwsWith(() => loadTree(flipped(0)), SerializationError, 'not a saved metagrad tree');
  // Every truncation fails (never a partial tree), and so do trailing bytes.
  for (let n = 0; n < bytes.length; n++) {
    throwsWith(() => loadTree(bytes.subarray(0, n)), SerializationError, 'loadTree');
  }
  throwsWith(() => loadTree(bytes.subarray(0, 10)), SerializationError, 'truncated');
  throwsWith(() => loadTree(bytes.subarray(0, bytes.length - 8)), SerializationError, 'truncated', `expected ${bytes.length}`);
  throwsWith(() => loadTree(new Uint8Array(0)), SerializationError, 'empty');
  const joined = new Uint8Array(bytes.length * 2);
  joined.set(bytes);
  joined.set(bytes, bytes.length);
  throwsWith(() => loadTree(joined), SerializationError, `${bytes.length} unexpected bytes`);
  // A newer format version, JSON text, a non-byte input.
  const newer = bytes.slice();
  new DataView(newer.buffer).setUint32(8, 99, true);
  throwsWith(() => loadTree(newer), SerializationError, 'version 99', 'newer');
  throwsWith(() => loadTree(new TextEncoder().encode(JSON.stringify(treeToJSON(tree)))), SerializationError, 'JSON text', 'treeFromJSON');
  throwsWith(() => loadTree('abc' as never), SerializationError, 'Uint8Array or ArrayBuffer', 'a string');
});

test('the JSON form rejects edited, truncated and foreign input', () => {
  const tree = { w: tensor([1, 2, 3]), step: 4 };
  const text = JSON.stringify(treeToJSON(tree));
  throwsWith(() => treeFromJSON(text.replace('"step":4', '"step":5')), SerializationError, 'treeFromJSON', 'body fails its CRC-32');
  throwsWith(() => treeFromJSON(text.slice(0, -5)), SerializationError, 'not valid JSON');
  throwsWith(() => treeFromJSON({ hello: 1 }), SerializationError, 'not a saved metagrad tree');
  throwsWith(() => treeFromJSON({ ...treeToJSON(tree), version: 2 }), SerializationError, 'version 2', 'newer');
  throwsWith(() => treeFromJSON(saveTree(tree)), SerializationError, 'got bytes', 'loadTree');
  // A tensor whose base64 was edited and the body CRC recomputed to match: the tensor's own CRC still catches it.
  const json = treeToJSON(tree) as unknown as { body: { w: { $tensor: { base64: string } } }; crc32: number };
  const b64 = json.body.w.$tensor.base64;
  json.body.w.$tensor.base64 = (b64[0] === 'A' ? 'B' : 'A') + b64.slice(1);
  json.crc32 = crc32(new TextEncoder().encode(JSON.stringify(json.body)));
  throwsWith(() => treeFromJSON(json), SerializationError, '$.w', 'tensor data fails its CRC-32');
});

test("'like' catches a different structure, dtype or shape and names the path, expected and found", () => {
  const params = { layers: [{ w: zeros([2, 3]), b: zeros([3]) }] };
  const saved = saveTree({ layers: [{ w: zeros([3, 2]), b: zeros([3]) }] });
  throwsWith(() => loadTree(saved, { like: params }), SerializationError, 'loadTree', "does not match 'like'", '$.layers[0].w', 'shape [3, 2], expected [2, 3]');
  throwsWith(() => loadTree(saveTree({ layers: [{ w: zeros([2, 3], 'float64'), b: zeros([3]) }] }), { like: params }), SerializationError, '$.layers[0].w', 'dtype float64, expected float32');
  throwsWith(() => loadTree(saveTree({ layers: [{ w: zeros([2, 3]) }] }), { like: params }), SerializationError, '$.layers[0]', "missing key 'b'");
  throwsWith(() => treeFromJSON(treeToJSON({ layers: [] }), { like: params }), SerializationError, 'treeFromJSON', '$.layers', '0 entries, expected 1');
});

// --- optimiser state --------------------------------------------------------------

const X = randomNormal(new Rng(10), [8, 3], 0, 1, 'float64');
const Y = randomNormal(new Rng(11), [8, 2], 0, 1, 'float64');
type Params = { w: Tensor; b: Tensor };
const loss = (p: Params): Tensor => mean(square(sub(tanh(add(matmul(cast(X, p.w.dtype), p.w), p.b)), cast(Y, p.w.dtype))));
const gradOf = grad(loss);
const initParams = (dtype: 'float32' | 'float64'): Params => ({
  w: randomNormal(new Rng(12), [3, 2], 0, 0.5, dtype), b: randomNormal(new Rng(13), [2], 0, 0.1, dtype),
});

interface Stepper<S> { init(p: Params): S; update(g: Params, s: S, p: Params): { params: Params; state: S } }

/** Runs `total` steps uninterrupted, and again with a save/load of params and state after `at` steps. */
function resumeMatches<S>(what: string, make: () => Stepper<S>, save: (s: S, opt: Stepper<S>) => Uint8Array, load: (b: Uint8Array, opt: Stepper<S>, p: Params) => S, dtype: 'float32' | 'float64'): void {
  const total = 6, at = 3;
  const run = (opt: Stepper<S>, p: Params, s: S, n: number) => {
    for (let i = 0; i < n; i++) ({ params: p, state: s } = opt.update(gradOf(p) as Params, s, p));
    return { p, s };
  };
  const ref = make();
  const p0 = initParams(dtype);
  const straight = run(ref, p0, ref.init(p0), total);

  const first = make();
  const half = run(first, p0, first.init(p0), at);
  const paramBytes = saveTree(half.p), stateBytes = save(half.s, first);
  // A fresh optimiser object, as after a restart.
  const second = make();
  const p = loadTree(paramBytes, { like: p0 });
  const resumed = run(second, p, load(stateBytes, second, p), total - at);
  assertSameTree(resumed.p, straight.p, `${what} params`);
  // The state continues too (the same step count, same moments).
  assertSameTree(save(resumed.s, second), save(straight.s, ref), `${what} state bytes`);
}

test('optimiser state saved mid-run continues bit for bit like an uninterrupted run (sgd, adam, adamw, clipped)', () => {
  const plain: [string, () => Optimizer][] = [
    ['sgd', () => sgd({ lr: 0.1 })],
    ['sgd nesterov', () => sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ['adam', () => adam({ lr: 0.01, weightDecay: 1e-3 })],
    ['adamw', () => adamw({ lr: 0.01 })],
    ['clipped adam', () => withGradientClipping(adam({ lr: 0.02 }), 0.1)],
  ];
  for (const [what, make] of plain) {
    for (const dtype of ['float32', 'float64'] as const) {
      resumeMatches<OptimizerState>(`${what} ${dtype}`, make as () => Stepper<OptimizerState>,
        (s) => saveOptimizerState(s), (b, opt, p) => loadOptimizerState(b, opt as unknown as Optimizer, p), dtype);
    }
  }
});

test('fusedAdam state (tensor moments) saved mid-run continues bit for bit, compiled and eager', () => {
  for (const compiled of [true, false]) {
    for (const kind of ['adam', 'adamw'] as const) {
      const make = () => fusedAdam({ lr: 0.01, kind, jit: compiled });
      type F = ReturnType<typeof make>;
      resumeMatches(`fused ${kind} jit=${compiled}`, make as never,
        (s, opt) => saveOptimizerState(s as never, opt as unknown as F),
        (b, opt, p) => loadOptimizerState(b, opt as unknown as F, p) as never, 'float32');
    }
  }
  // The saved form is the plain optimiser's: a fusedAdam save loads into adam and back.
  const p = initParams('float32');
  const fused = fusedAdam({ lr: 0.01 });
  const s = fused.update(gradOf(p) as Params, fused.init(p), p).state;
  const asPlain = loadOptimizerState(saveOptimizerState(s, fused), adam({ lr: 0.01 }), p);
  assert.is(asPlain.step, 1);
  const back = loadOptimizerState(saveOptimizerState(asPlain), fused, p);
  assertSameTree(back.m, s.m);
  assertSameTree(back.v, s.v);
});

test('optimiser state that does not fit is rejected, naming the mismatch', () => {
  const p = initParams('float32');
  const adamBytes = saveOptimizerState(adam({ lr: 0.1 }).init(p));
  throwsWith(() => loadOptimizerState(adamBytes, sgd({ lr: 0.1 }), p), SerializationError, 'loadOptimizerState', "written by 'adam'");
  throwsWith(() => loadOptimizerState(adamBytes, adam({ lr: 0.1 }), { w: zeros([3, 3]), b: zeros([2]) }), SerializationError, "slot 'm' array 0 has 6 entries for a parameter of 9 elements");
  throwsWith(() => loadOptimizerState(adamBytes, adam({ lr: 0.1 }), { w: p.w }), SerializationError, "slot 'm' has 2 arrays for 1 parameters");
  throwsWith(() => loadOptimizerState(adamBytes, fusedAdam({ lr: 0.1, kind: 'adamw' }), p), SerializationError, "written by 'adam'");
  throwsWith(() => loadOptimizerState(saveTree(p), adam({ lr: 0.1 }), p), SerializationError, 'expected saved optimiser state', 'loadTree');
  throwsWith(() => loadTree(adamBytes), SerializationError, 'expected saved a tree', 'loadOptimizerState');
  throwsWith(() => loadOptimizerState(adamBytes, {} as never, p), SerializationError, 'must be the optimiser');
  throwsWith(() => saveOptimizerState({ step: 0, m: p, v: p } as never), SerializationError, 'saveOptimizerState', 'slots', 'fusedAdam');
  const truncated = adamBytes.subarray(0, adamBytes.length - 1);
  throwsWith(() => loadOptimizerState(truncated, adam({ lr: 0.1 }), p), SerializationError, 'truncated');
});

test('checkpoint files are unchanged: tensors still inline base64, and they parse back', () => {
  const params = { w: tensor([1.25, -2]) };
  const text = serializeCheckpoint({ kind: 'k', iteration: 1, config: {}, rng: [1, 2, 3, 4], params, optimizer: { step: 1 } });
  const parsed = JSON.parse(text);
  assert.equal(Object.keys(parsed.params.w.$tensor), ['dtype', 'shape', 'crc32', 'base64']);
  assertSameTree(parseCheckpoint(text, 'x.json', { params }).params, params);
});

test('toBase64 gives exactly what btoa gives, for every length mod 3 and every byte value', () => {
  const rng = new Rng(5);
  const cases = [Uint8Array.from({ length: 256 }, (_, i) => i)];
  for (let n = 0; n < 200; n++) cases.push(Uint8Array.from({ length: n }, () => rng.int(256)));
  for (const bytes of cases) {
    const expected = btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
    assert.is(toBase64(bytes), expected, `${bytes.length} bytes`);
    assert.equal(fromBase64(expected), bytes);
  }
});

test('the library path uses no Node-only API', async () => {
  const { readFileSync } = await import('node:fs');
  for (const file of ['src/io/tree-codec.ts', 'src/io/codec.ts']) {
    const source = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
    assert.not.match(source, /from 'node:|\bBuffer\.|\bprocess\./, `${file} must run in browsers`);
  }
});

// Compile-time only (never called): interface-typed trees are accepted, unsaveable members are not.
export function typeChecks(): void {
  interface Layer { weight: Tensor; bias: Tensor }
  const layers: Layer[] = [];
  saveTree(layers);
  loadTree(saveTree(layers), { like: layers });
  // @ts-expect-error a function member cannot be saved
  saveTree({ step: 1, f: () => 1 });
}

test.run();
