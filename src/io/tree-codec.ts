/**
 * Saving and loading parameter trees and optimiser state in memory, for every runtime
 * (browsers too): bytes or JSON in, tree out. Writing files stays with the CLI
 * (`./atomic.ts`, `./checkpoint.ts`); here nothing touches a file system.
 *
 * Two forms of one format, both through `./codec.ts` (the checkpoints' codec, so
 * values round-trip bit for bit and each tensor carries a CRC-32):
 *
 * - bytes ({@link saveTree}): an 8-byte magic `MGTREE\r\n`, the format version (u32 LE),
 *   the header's length and CRC-32 (u32 LE each), the header as UTF-8 JSON, then the
 *   tensors' raw little-endian bytes, each at an 8-byte-aligned offset the header
 *   records. No base64, so a file is about the size of its tensors.
 * - JSON ({@link treeToJSON}): `{format, version, content, crc32, body}` with the
 *   tensors inline in base64, as in a checkpoint's `params`; `crc32` covers the body's
 *   JSON text, so a changed number or key is caught as well as a changed tensor.
 *
 * Loading checks everything before it builds anything, in order: the input's type, the
 * magic, the version, completeness (truncation, trailing bytes), the header's CRC, what
 * the content is (a tree or optimiser state), every tensor's dtype, shape, length and
 * CRC, and finally the structure against a template (`like`, or the optimiser's own
 * check); each failure is a {@link SerializationError} naming the function, the path
 * and what was expected.
 */
import { Tensor } from '../tensor/tensor.ts';
import { TreeError } from '../tensor/errors.ts';
import type { Optimizer, OptimizerState } from '../optim/state.ts';
import type { FusedAdam, FusedAdamState } from '../optim/fused.ts';
import { CodecError, compareStructure, crc32, decodeState, encodeState, type Json, type State, type TensorSection } from './codec.ts';

/** The `format` field of a saved tree (both forms). */
export const TREE_FORMAT = 'metagrad-tree';
/** The format version this code writes, and the newest it reads. */
export const TREE_VERSION = 1;

/** What a saved tree holds: a tree of tensors (and plain values), or optimiser state. */
export type SavedContent = 'tree' | 'optimizer';

/**
 * A tree that {@link saveTree} accepts: tensors, numbers, strings, booleans, null, and
 * arrays / plain objects of them.
 * @example const tree: SaveableTree = { layers: [{ w: tensor([[1, 2]]), b: tensor([0]) }], step: 3 };
 */
export type SaveableTree = State;

/**
 * `T` checked member by member against what {@link saveTree} accepts, so a tree typed
 * with interfaces (`LinearParams[]`, which has no index signature) qualifies; a member
 * that cannot be saved (a function, a class instance's method) becomes `never` and the
 * call does not compile.
 * @example
 * ```ts
 * const params: LinearParams[] = MLP({ sizes: [2, 3, 1] }).init(new Rng(0));
 * const ok: Saveable<typeof params> = params; // an interface-typed tree is accepted
 * ```
 */
export type Saveable<T> = T extends Tensor | number | string | boolean | null ? T
  : T extends (...args: never[]) => unknown ? never
  : T extends object ? { readonly [K in keyof T]: Saveable<T[K]> }
  : never;

/** `unknown` when `T` is {@link Saveable} (so `T & SaveableCheck<T>` is `T`), else the shape it fails. */
type SaveableCheck<T> = [T] extends [State] ? unknown : T extends Saveable<T> ? unknown : Saveable<T>;

/**
 * The JSON form of a saved tree ({@link treeToJSON}); `JSON.stringify` it to store text.
 * @example const json: TreeJSON = treeToJSON({ w: tensor([1, 2]) });
 */
export interface TreeJSON {
  readonly format: typeof TREE_FORMAT;
  readonly version: number;
  readonly content: SavedContent;
  /** CRC-32 of `JSON.stringify(body)` as UTF-8. */
  readonly crc32: number;
  readonly body: Json;
}

/**
 * Saved bytes or JSON that cannot be loaded; the message names the function, where
 * (a path like `$.layers[0].w` when it is inside the tree) and the problem.
 * @example
 * ```ts
 * try { loadTree(new Uint8Array(3)); } catch (e) { if (e instanceof SerializationError) console.log(e.problem); }
 * ```
 */
export class SerializationError extends Error {
  override readonly name = 'SerializationError';
  constructor(readonly op: string, readonly problem: string) {
    super(`${op}: ${problem}`);
  }
}

/**
 * What {@link loadTree} and {@link treeFromJSON} check the loaded tree against.
 * @example
 * ```ts
 * const model = MLP({ sizes: [2, 3, 1] });
 * const bytes = saveTree(model.init(new Rng(1)));
 * loadTree(bytes, { like: model.init(new Rng(0)) })[1]!.weight.shape; // [3, 1]
 * loadTree(bytes, { like: MLP({ sizes: [2, 4, 1] }).init(new Rng(0)) }); // throws SerializationError
 * ```
 */
export interface LoadTreeOptions<T = State> {
  /**
   * A tree of the expected structure (e.g. freshly initialised parameters): the same
   * object keys, array lengths, tensor dtypes and shapes; values are ignored.
   */
  readonly like?: T;
}

const MAGIC = 'MGTREE\r\n';
const MAGIC_BYTES = new TextEncoder().encode(MAGIC);
/** Magic (8), version, header length, header CRC-32 (4 each). */
const PREAMBLE = 20;
const ALIGN = 8;

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'null-prototype'}`;
  return `a ${typeof x}`;
}

/** Runs `fn`, turning a codec error (bad value at a path) into this function's error. */
function codec<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CodecError) throw new SerializationError(op, e.message);
    throw e;
  }
}

function contentHint(found: unknown): string {
  if (found === 'optimizer') return 'it holds optimiser state; load it with loadOptimizerState';
  if (found === 'tree') return 'it holds a tree; load it with loadTree / treeFromJSON';
  return `unknown content ${JSON.stringify(found)}`;
}

// --- the two forms -------------------------------------------------------------

function pack(op: string, content: SavedContent, value: State): Uint8Array {
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let size = 0;
  const section: TensorSection = {
    put(bytes) {
      const offset = size;
      chunks.push({ offset, bytes });
      size = align(size + bytes.length);
      return offset;
    },
    get() { throw new Error('pack: a section being written is not read'); },
  };
  const body = codec(op, () => encodeState(value, '$', section));
  const header = new TextEncoder().encode(JSON.stringify({ format: TREE_FORMAT, content, dataBytes: size, body }));
  const dataStart = align(PREAMBLE + header.length);
  const out = new Uint8Array(dataStart + size); // zero-filled: the padding
  const view = new DataView(out.buffer);
  out.set(MAGIC_BYTES, 0);
  view.setUint32(8, TREE_VERSION, true);
  view.setUint32(12, header.length, true);
  view.setUint32(16, crc32(header), true);
  out.set(header, PREAMBLE);
  for (const { offset, bytes } of chunks) out.set(bytes, dataStart + offset);
  return out;
}

function checkVersion(op: string, version: unknown): void {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new SerializationError(op, `invalid format version ${JSON.stringify(version)}`);
  }
  if (version > TREE_VERSION) {
    throw new SerializationError(op, `format version ${version} is newer than this metagrad reads (${TREE_VERSION}); upgrade metagrad`);
  }
}

function unpack(op: string, input: unknown, content: SavedContent): State {
  const fail = (problem: string): never => { throw new SerializationError(op, problem); };
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) bytes = input;
  else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
  else return fail(`expected the saved bytes as a Uint8Array or ArrayBuffer, got ${describe(input)}`);
  if (bytes.length === 0) fail('the input is empty (0 bytes)');
  const magic = bytes.subarray(0, MAGIC_BYTES.length);
  if (!magic.every((b, i) => b === MAGIC_BYTES[i])) {
    fail(bytes[0] === 0x7b // '{'
      ? 'these bytes are JSON text, not the binary form; load them with treeFromJSON'
      : `not a saved metagrad tree (the first bytes are not the magic ${JSON.stringify(MAGIC)})`);
  }
  if (bytes.length < PREAMBLE) fail(`truncated: ${bytes.length} bytes, shorter than the ${PREAMBLE}-byte preamble`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkVersion(op, view.getUint32(8, true));
  const headerLength = view.getUint32(12, true);
  if (PREAMBLE + headerLength > bytes.length) fail(`truncated: ${bytes.length} bytes, the header alone needs ${PREAMBLE + headerLength}`);
  const headerBytes = bytes.subarray(PREAMBLE, PREAMBLE + headerLength);
  if (crc32(headerBytes) !== view.getUint32(16, true)) fail('the header fails its CRC-32 check (corrupt data)');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    return fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isRecord(header) || header.format !== TREE_FORMAT) return fail(`the header is not a ${TREE_FORMAT} header`);
  if (header.content !== content) fail(`expected saved ${content === 'tree' ? 'a tree' : 'optimiser state'}, but ${contentHint(header.content)}`);
  const dataBytes = header.dataBytes;
  if (typeof dataBytes !== 'number' || !Number.isInteger(dataBytes) || dataBytes < 0) fail(`the header has an invalid dataBytes ${JSON.stringify(dataBytes)}`);
  const dataStart = align(PREAMBLE + headerLength);
  const expected = dataStart + (dataBytes as number);
  if (bytes.length < expected) fail(`truncated: ${bytes.length} bytes, expected ${expected}`);
  if (bytes.length > expected) fail(`${bytes.length - expected} unexpected bytes after the end (${expected} expected); were two files joined?`);
  const section: TensorSection = {
    put() { throw new Error('unpack: a section being read is not written'); },
    get(offset, length, path) {
      if (offset + length > (dataBytes as number)) {
        throw new CodecError(path, `tensor data at offset ${offset} (${length} bytes) runs past the ${dataBytes}-byte data section (corrupt data)`);
      }
      return bytes.subarray(dataStart + offset, dataStart + offset + length);
    },
  };
  return codec(op, () => decodeState(header.body, '$', section));
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function toJSONForm(op: string, content: SavedContent, value: State): TreeJSON {
  const body = codec(op, () => encodeState(value, '$'));
  return { format: TREE_FORMAT, version: TREE_VERSION, content, crc32: crc32(utf8(JSON.stringify(body))), body };
}

function fromJSONForm(op: string, input: unknown, content: SavedContent): State {
  const fail = (problem: string): never => { throw new SerializationError(op, problem); };
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      return fail(`the text is not valid JSON, so it is truncated or corrupt (${(e as Error).message})`);
    }
  }
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) fail('got bytes; load the binary form with loadTree / loadOptimizerState (or decode JSON text to a string first)');
  if (!isRecord(json) || json.format !== TREE_FORMAT) return fail(`not a saved metagrad tree (no "format": "${TREE_FORMAT}"; got ${describe(json)})`);
  checkVersion(op, json.version);
  if (json.content !== content) fail(`expected saved ${content === 'tree' ? 'a tree' : 'optimiser state'}, but ${contentHint(json.content)}`);
  if (!('body' in json)) fail('has no "body"');
  if (typeof json.crc32 !== 'number') fail('has no "crc32"');
  // JSON.stringify of parsed JSON is canonical (key order and number text survive a
  // parse), so re-indented or re-serialised text still matches.
  if (crc32(utf8(JSON.stringify(json.body))) !== json.crc32) fail('the body fails its CRC-32 check (corrupt or edited data)');
  return codec(op, () => decodeState(json.body, '$'));
}

function checkLike(op: string, tree: State, like: State | undefined): void {
  if (like === undefined) return;
  const diff = compareStructure(like, tree, '$');
  if (diff) throw new SerializationError(op, `the saved tree does not match 'like': ${diff}`);
}

// --- trees -----------------------------------------------------------------------

/**
 * A tree of tensors (and numbers, strings, booleans, null) as bytes: float32 and
 * float64 values bit for bit, each tensor with a CRC-32, the header with another. No
 * file system involved: write the bytes where you like (a file, IndexedDB, a `fetch`
 * body). Throws a {@link SerializationError} naming the path of anything it cannot
 * save (a traced tensor, a class instance, a key starting with `$`).
 *
 * @example
 * ```ts
 * const params = { layers: [{ w: tensor([[1, 2], [3, 4]]), b: tensor([0.5, -1]) }] };
 * const bytes = saveTree(params);                   // Uint8Array
 * const back = loadTree(bytes, { like: params });   // same structure, same bits
 * back.layers[0]!.w.toArray();                      // [[1, 2], [3, 4]]
 * ```
 */
export function saveTree<T>(tree: T & SaveableCheck<T>): Uint8Array {
  return pack('saveTree', 'tree', tree as unknown as State);
}

/**
 * Reads bytes written by {@link saveTree} (a `Uint8Array`, Node `Buffer` or
 * `ArrayBuffer`), checking everything before building the result: the magic, version,
 * length, CRCs, every tensor, and (with `like`) the structure, dtypes and shapes. Throws
 * a {@link SerializationError}, e.g. `loadTree: the saved tree does not match 'like':
 * $.w: shape [3, 2], expected [2, 3]`.
 *
 * @example
 * ```ts
 * const params = { w: tensor([1.5, -2]) };
 * const back = loadTree(saveTree(params), { like: params });
 * back.w.toArray(); // [1.5, -2]
 * ```
 */
export function loadTree<T>(bytes: Uint8Array | ArrayBuffer, options: LoadTreeOptions<T> & { readonly like: T & SaveableCheck<T> }): T;
export function loadTree(bytes: Uint8Array | ArrayBuffer, options?: LoadTreeOptions): SaveableTree;
export function loadTree(bytes: Uint8Array | ArrayBuffer, options: LoadTreeOptions = {}): SaveableTree {
  const tree = unpack('loadTree', bytes, 'tree');
  checkLike('loadTree', tree, options.like);
  return tree;
}

/**
 * The JSON form of a tree: a plain object (tensors in base64, bit-exact) to
 * `JSON.stringify` into `localStorage`, a message or a text file. Read it back with
 * {@link treeFromJSON}.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(treeToJSON({ w: tensor([1, 2]), step: 3 }));
 * const back = treeFromJSON(text); // { w: Tensor [1, 2], step: 3 }
 * ```
 */
export function treeToJSON<T>(tree: T & SaveableCheck<T>): TreeJSON {
  return toJSONForm('treeToJSON', 'tree', tree as unknown as State);
}

/**
 * Reads the JSON form ({@link treeToJSON}), as the object or as its JSON text, with the
 * checks of {@link loadTree} (the body's CRC-32 in place of the header's).
 *
 * @example
 * ```ts
 * const params = { w: tensor([1, 2]) };
 * const back = treeFromJSON(JSON.stringify(treeToJSON(params)), { like: params });
 * back.w.toArray(); // [1, 2]
 * ```
 */
export function treeFromJSON<T>(json: unknown, options: LoadTreeOptions<T> & { readonly like: T & SaveableCheck<T> }): T;
export function treeFromJSON(json: unknown, options?: LoadTreeOptions): SaveableTree;
export function treeFromJSON(json: unknown, options: LoadTreeOptions = {}): SaveableTree {
  const tree = fromJSONForm('treeFromJSON', json, 'tree');
  checkLike('treeFromJSON', tree, options.like);
  return tree;
}

// --- optimiser state ---------------------------------------------------------------

function isFused(x: unknown): x is FusedAdam {
  return isRecord(x) && typeof x.toState === 'function' && typeof x.fromState === 'function';
}

/** The plain state with every slot array as a float64 tensor: compact, and exact for JS doubles. */
function slotsAsTensors(op: string, state: OptimizerState): State {
  if (!isRecord(state) || !isRecord(state.slots)) {
    throw new SerializationError(op, `expected an optimiser state with "slots" (as sgd/adam/adamw's init returns; for fusedAdam pass the optimiser too), got ${describe(state)}`);
  }
  const slots: Record<string, Tensor[]> = {};
  for (const [name, arrays] of Object.entries(state.slots)) {
    if (!Array.isArray(arrays)) throw new SerializationError(op, `slot '${name}' is ${describe(arrays)}, expected an array of number arrays`);
    slots[name] = arrays.map((a: unknown, i) => {
      if (!Array.isArray(a) || !a.every((v) => typeof v === 'number')) throw new SerializationError(op, `slot '${name}' entry ${i} is not an array of numbers`);
      return new Tensor(Float64Array.from(a as number[]), [a.length]);
    });
  }
  return { ...(state as unknown as Record<string, State>), slots };
}

function slotsAsArrays(op: string, body: State): Record<string, unknown> {
  const fail = (problem: string): never => { throw new SerializationError(op, problem); };
  if (!isRecord(body) || body instanceof Tensor || !isRecord(body.slots) || body.slots instanceof Tensor) return fail('the saved state has no "slots" object');
  const slots: Record<string, number[][]> = {};
  for (const [name, arrays] of Object.entries(body.slots as Record<string, State>)) {
    if (!Array.isArray(arrays)) return fail(`$.slots.${name} is not an array`);
    slots[name] = (arrays as State[]).map((t, i) => {
      if (!(t instanceof Tensor) || t.dtype !== 'float64' || t.rank !== 1) fail(`$.slots.${name}[${i}] is not a float64 vector`);
      return Array.from((t as Tensor).data);
    });
  }
  return { ...(body as Record<string, unknown>), slots };
}

/**
 * Optimiser state as bytes (the format of {@link saveTree}, marked as optimiser state):
 * the plain state of {@link sgd} / {@link adam} / {@link adamw} (and wrappers such as
 * {@link withGradientClipping}) with its slots stored as float64, so a restored run
 * continues bit for bit. For {@link fusedAdam} pass the optimiser as well: its tensor
 * moments are saved through `toState` (exact: float32 values are doubles).
 *
 * @example
 * ```ts
 * const params = { w: tensor([1, 2]) };
 * const opt = adam({ lr: 0.01 });
 * const state = opt.update({ w: tensor([0.5, -1]) }, opt.init(params), params).state;
 * const bytes = saveOptimizerState(state);
 * loadOptimizerState(bytes, opt, params).step; // 1
 * ```
 */
export function saveOptimizerState(state: OptimizerState): Uint8Array;
export function saveOptimizerState<P>(state: FusedAdamState<P>, optimizer: FusedAdam): Uint8Array;
export function saveOptimizerState(state: OptimizerState | FusedAdamState<unknown>, optimizer?: FusedAdam): Uint8Array {
  const op = 'saveOptimizerState';
  if (optimizer !== undefined && !isFused(optimizer)) throw new SerializationError(op, 'the second argument must be the fusedAdam optimiser that produced the state');
  const plain = optimizer ? optimizer.toState(state as FusedAdamState<unknown>) : state as OptimizerState;
  return pack(op, 'optimizer', slotsAsTensors(op, plain));
}

/**
 * Reads bytes from {@link saveOptimizerState} and checks them with the optimiser's own
 * check for parameters shaped like `params` (its kind, step and every slot's length):
 * `optimizer.restore` for the plain optimisers, `fromState` for {@link fusedAdam}
 * (which gets its tensor moments back). Throws a {@link SerializationError}.
 *
 * @example
 * ```ts
 * const params = { w: tensor([1, 2]) };
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 * const bytes = saveOptimizerState(opt.init(params));
 * const state = loadOptimizerState(bytes, opt, params); // continue with opt.update(…, state, …)
 * ```
 */
export function loadOptimizerState<S extends OptimizerState>(bytes: Uint8Array | ArrayBuffer, optimizer: Optimizer<S>, params: unknown): S;
export function loadOptimizerState<P>(bytes: Uint8Array | ArrayBuffer, optimizer: FusedAdam, params: P): FusedAdamState<P>;
export function loadOptimizerState(bytes: Uint8Array | ArrayBuffer, optimizer: Optimizer | FusedAdam, params: unknown): OptimizerState | FusedAdamState<unknown> {
  const op = 'loadOptimizerState';
  const fused = isFused(optimizer);
  if (!fused && !(isRecord(optimizer) && typeof optimizer.restore === 'function')) {
    throw new SerializationError(op, `the second argument must be the optimiser (sgd, adam, adamw, fusedAdam, …), got ${describe(optimizer)}`);
  }
  const data = slotsAsArrays(op, unpack(op, bytes, 'optimizer'));
  try {
    return fused ? optimizer.fromState(data, params) : (optimizer as Optimizer).restore(data, params);
  } catch (e) {
    // restore's TypeError / fromState's messages name the mismatch; keep them, under this name.
    if (e instanceof TypeError || e instanceof TreeError) throw new SerializationError(op, e.message);
    throw e;
  }
}
