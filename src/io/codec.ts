/**
 * Lossless JSON encoding of state trees: tensors, numbers, strings, booleans, null,
 * and arrays / plain objects of them (parameters, optimiser state, configs).
 *
 * A tensor becomes `{"$tensor": {dtype, shape, crc32, base64}}`: its values as
 * little-endian bytes in base64, so float32 (and float64) values round-trip bit for
 * bit, with a CRC-32 of the bytes to detect corruption. Numbers JSON cannot express
 * (NaN, ±Infinity, -0) become `{"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}`.
 * Object keys starting with `$` are reserved for these tags.
 *
 * With a {@link TensorSection} (the binary tree format of `./tree-codec.ts`), a tensor
 * is `{"$tensor": {dtype, shape, crc32, offset}}` instead: its bytes live in the section.
 *
 * Pure: no file system, works in every runtime (`btoa`/`atob`).
 *
 * @example
 * ```ts
 * const json = encodeState({ w: tensor([1.5, -2]), step: 3 });
 * const back = decodeState(json); // { w: Tensor(float32 [2]), step: 3 }
 * ```
 */
import { Tensor } from '../tensor/tensor.ts';
import type { DType } from '../backend/backend.ts';

/** What {@link encodeState} accepts and {@link decodeState} returns. */
export type State = Tensor | number | string | boolean | null | readonly State[] | { readonly [key: string]: State };

/** JSON text's value model. */
export type Json = number | string | boolean | null | Json[] | { [key: string]: Json };

/** A value that is not a valid encoded state; `path` is where (`$.params.w`). */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as in zip and PNG) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const BASE64_ALPHABET = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Standard base64 of bytes (what `btoa` gives, ~50× faster than feeding it a binary string on megabytes). */
export function toBase64(bytes: Uint8Array): string {
  const n = bytes.length, full = n - (n % 3);
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  const A = BASE64_ALPHABET;
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = A[v >>> 18]!; out[o++] = A[(v >>> 12) & 63]!; out[o++] = A[(v >>> 6) & 63]!; out[o++] = A[v & 63]!;
  }
  if (n > full) {
    const v = (bytes[full]! << 16) | (n - full === 2 ? bytes[full + 1]! << 8 : 0);
    out[o++] = A[v >>> 18]!; out[o++] = A[(v >>> 12) & 63]!;
    out[o++] = n - full === 2 ? A[(v >>> 6) & 63]! : 61; // '='
    out[o++] = 61;
  }
  return new TextDecoder().decode(out); // ASCII, so UTF-8 decoding is the identity
}

/** Bytes of standard base64; throws on characters outside the alphabet. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8 };

/** The tensor's values as little-endian bytes. */
export function tensorBytes(t: Tensor): Uint8Array {
  const width = BYTES[t.dtype];
  const bytes = new Uint8Array(t.size * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < t.size; i++) {
    if (width === 4) view.setFloat32(i * 4, t.data[i]!, true);
    else view.setFloat64(i * 8, t.data[i]!, true);
  }
  return bytes;
}

/**
 * Tensor bytes kept outside the JSON (a binary file's data section): {@link encodeState}
 * `put`s each tensor's bytes and records the offset; {@link decodeState} `get`s them back.
 */
export interface TensorSection {
  /** Stores `bytes`; returns the offset to record. */
  put(bytes: Uint8Array): number;
  /** The `length` bytes at `offset`; throws a {@link CodecError} at `path` if they are not all there. */
  get(offset: number, length: number, path: string): Uint8Array;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** A `__proto__` key would set an object's prototype instead of a property, so it is lost or worse: refused both ways. */
const UNSAFE_KEY = "the key '__proto__' cannot be saved or loaded (rename it)";

/**
 * Encodes a state tree as JSON-safe values; throws a {@link CodecError} on anything else.
 * Tensor bytes go inline as base64, or into `section` when one is given.
 */
export function encodeState(value: State, path = '$', section?: TensorSection): Json {
  if (value instanceof Tensor) {
    if (value.level !== 0) throw new CodecError(path, 'is a traced tensor (inside grad); save concrete values only');
    const bytes = tensorBytes(value);
    const where: Record<string, Json> = section ? { offset: section.put(bytes) } : { base64: toBase64(bytes) };
    return { $tensor: { dtype: value.dtype, shape: [...value.shape], crc32: crc32(bytes), ...where } };
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $number: 'NaN' };
    if (value === Infinity) return { $number: 'Infinity' };
    if (value === -Infinity) return { $number: '-Infinity' };
    if (Object.is(value, -0)) return { $number: '-0' };
    return value;
  }
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map((v, i) => encodeState(v as State, `${path}[${i}]`, section));
  if (isPlainObject(value)) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('$')) throw new CodecError(`${path}.${k}`, "keys starting with '$' are reserved");
      if (k === '__proto__') throw new CodecError(`${path}.${k}`, UNSAFE_KEY);
      out[k] = encodeState(v as State, `${path}.${k}`, section);
    }
    return out;
  }
  throw new CodecError(path, `cannot be saved: ${typeof value === 'object' ? `an object of class ${(value as object).constructor?.name}` : typeof value}`);
}

function decodeTensor(spec: unknown, path: string, section: TensorSection | undefined): Tensor {
  if (!isPlainObject(spec)) throw new CodecError(path, '$tensor must be an object');
  const { dtype, shape, crc32: sum, base64, offset } = spec;
  if (dtype !== 'float32' && dtype !== 'float64') throw new CodecError(path, `unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new CodecError(path, `bad shape ${JSON.stringify(shape)}`);
  }
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  const width = BYTES[dtype];
  let bytes: Uint8Array;
  if (offset !== undefined) {
    if (!section) throw new CodecError(path, 'tensor data is in a binary data section; read the bytes with loadTree / loadOptimizerState');
    if (!Number.isInteger(offset) || (offset as number) < 0) throw new CodecError(path, `bad tensor offset ${JSON.stringify(offset)}`);
    bytes = section.get(offset as number, size * width, path);
  } else {
    if (typeof base64 !== 'string') throw new CodecError(path, 'missing base64 data');
    try {
      bytes = fromBase64(base64);
    } catch {
      throw new CodecError(path, 'tensor data is not valid base64 (corrupt file?)');
    }
  }
  if (bytes.length !== size * width) {
    throw new CodecError(path, `tensor data has ${bytes.length} bytes, shape [${shape.join(', ')}] ${dtype} needs ${size * width} (corrupt or truncated file?)`);
  }
  if (sum !== crc32(bytes)) throw new CodecError(path, 'tensor data fails its CRC-32 check (corrupt file)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  return new Tensor(data, [...(shape as number[])]);
}

const SPECIAL_NUMBERS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

/**
 * Inverse of {@link encodeState} (tensor bytes from `section` where the encoding says
 * so); throws a {@link CodecError} naming the path of a bad value.
 */
export function decodeState(json: unknown, path = '$', section?: TensorSection): State {
  if (typeof json === 'number' || typeof json === 'string' || typeof json === 'boolean' || json === null) return json;
  if (Array.isArray(json)) return json.map((v, i) => decodeState(v, `${path}[${i}]`, section));
  if (isPlainObject(json)) {
    if ('$tensor' in json) return decodeTensor(json.$tensor, path, section);
    if ('$number' in json) {
      const tag = json.$number;
      if (typeof tag !== 'string' || !(tag in SPECIAL_NUMBERS)) throw new CodecError(path, `bad $number ${JSON.stringify(tag)}`);
      return SPECIAL_NUMBERS[tag]!;
    }
    const out: Record<string, State> = {};
    for (const [k, v] of Object.entries(json)) {
      if (k.startsWith('$')) throw new CodecError(`${path}.${k}`, 'unknown tag');
      if (k === '__proto__') throw new CodecError(`${path}.${k}`, UNSAFE_KEY);
      out[k] = decodeState(v, `${path}.${k}`, section);
    }
    return out;
  }
  throw new CodecError(path, `unexpected ${typeof json}`);
}

function kindOf(x: unknown): string {
  if (x instanceof Tensor) return `a ${x.dtype} tensor [${x.shape.join(', ')}]`;
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

/**
 * Checks that `actual` has the structure of `expected`: the same object keys, array
 * lengths, and tensor shapes and dtypes at the same places (values may differ; a
 * number matches any number). Returns the first difference as `path: problem`, or
 * null when they match.
 */
export function compareStructure(expected: unknown, actual: unknown, path = '$'): string | null {
  if (expected instanceof Tensor) {
    if (!(actual instanceof Tensor)) return `${path}: expected ${kindOf(expected)}, found ${kindOf(actual)}`;
    if (actual.dtype !== expected.dtype) return `${path}: dtype ${actual.dtype}, expected ${expected.dtype}`;
    const same = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
    return same ? null : `${path}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected ${kindOf(expected)}, found ${kindOf(actual)}`;
    if (actual.length !== expected.length) return `${path}: ${actual.length} entries, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = compareStructure(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return `${path}: expected ${kindOf(expected)}, found ${kindOf(actual)}`;
    for (const k of Object.keys(expected)) {
      if (!(k in actual)) return `${path}: missing key '${k}'`;
      const d = compareStructure(expected[k], actual[k], `${path}.${k}`);
      if (d) return d;
    }
    const extra = Object.keys(actual).find((k) => !(k in expected));
    return extra === undefined ? null : `${path}: unexpected key '${extra}'`;
  }
  if (expected === null || actual === null) return expected === actual ? null : `${path}: expected ${kindOf(expected)}, found ${kindOf(actual)}`;
  return typeof expected === typeof actual ? null : `${path}: expected ${kindOf(expected)}, found ${kindOf(actual)}`;
}
