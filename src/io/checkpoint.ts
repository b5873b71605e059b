/**
 * Checkpoints: parameters, optimiser state, RNG state, iteration and config in one
 * versioned JSON file (see `./codec.ts` for how tensors are stored, bit-exact).
 *
 * Loading validates, in order: the file can be read, it is complete JSON, it is a
 * metagrad checkpoint, its format version is one this code reads, its kind (e.g.
 * `'sinusoid'`) is the one asked for, every tensor decodes and passes its CRC, and the
 * parameter and optimiser trees have the structure, shapes and dtypes of the caller's
 * templates. Each failure is a {@link CheckpointError} naming the file and the problem.
 * Saving is atomic: a failed save leaves the previous checkpoint as it was.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'metagrad-')), file = join(dir, 'checkpoint.json');
 * const rng = new Rng(0), params = { w: randomNormal(rng, [2, 3]) }, opt = adam({ lr: 1e-3 });
 * saveCheckpoint(file, { kind: 'sinusoid', iteration: 100, config: { lr: 1e-3 }, rng: rng.state(), params, optimizer: opt.init(params) });
 * // resuming: fresh trees give the structure to check; the file gives the values
 * const fresh = { w: zeros([2, 3]) };
 * const ck = loadCheckpoint(file, { kind: 'sinusoid', params: fresh, optimizer: opt.init(fresh) });
 * ck.iteration; // 100
 * new Rng(ck.rng).uniform() === rng.uniform(); // true: the generator continues where it stopped
 * loadCheckpoint(file, { kind: 'gridworld' }); // throws CheckpointError: checkpoint
 * rmSync(dir, { recursive: true });
 * ```
 */
import { readFileSync } from 'node:fs';
import { CodecError, compareStructure, decodeState, encodeState, type Json, type State } from './codec.ts';
import { writeFileAtomic } from './atomic.ts';

/** The `format` field of every checkpoint file. */
export const CHECKPOINT_FORMAT = 'metagrad-checkpoint';
/** The format version this code writes, and the newest it reads. */
export const CHECKPOINT_VERSION = 1;

/** Everything needed to continue a run exactly where it stopped. */
export interface Checkpoint {
  /** What produced it, e.g. `'sinusoid'` or `'gridworld'`. */
  readonly kind: string;
  /** Completed training iterations. */
  readonly iteration: number;
  /** The run's configuration (plain JSON). */
  readonly config: Json;
  /** `Rng.state()` of the training generator after `iteration` iterations. */
  readonly rng: readonly [number, number, number, number];
  /** The model's parameters (a tree of tensors). */
  readonly params: State;
  /** The optimiser's state (tensors and numbers). */
  readonly optimizer: State;
  /** Anything else to carry over, e.g. the training curve so far. */
  readonly extra?: State;
}

/** What the caller expects of a checkpoint it loads; every field is optional. */
export interface CheckpointExpectation {
  readonly kind?: string;
  /** A parameter tree of the right structure (e.g. freshly initialised); values are ignored. */
  readonly params?: State;
  /** An optimiser state of the right structure. */
  readonly optimizer?: State;
}

/** A checkpoint file that cannot be used; the message names the file and the problem. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(readonly file: string, readonly problem: string) {
    super(`checkpoint ${file}: ${problem}`);
  }
}

/** The checkpoint as JSON text (stable key order; one line per top-level field). */
export function serializeCheckpoint(ck: Checkpoint, writer = 'metagrad'): string {
  const body: Record<string, Json> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    writer,
    savedAt: new Date().toISOString(),
    kind: ck.kind,
    iteration: ck.iteration,
    // Rng.state() may hold words as signed int32; store them unsigned.
    rng: ck.rng.map((w) => w >>> 0),
    config: ck.config,
    params: encodeState(ck.params, '$.params'),
    optimizer: encodeState(ck.optimizer, '$.optimizer'),
    extra: encodeState(ck.extra ?? null, '$.extra'),
  };
  const lines = Object.entries(body).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parses and validates checkpoint text; `file` is only used in error messages. */
export function parseCheckpoint(text: string, file: string, expect: CheckpointExpectation = {}): Checkpoint {
  const fail = (problem: string): never => { throw new CheckpointError(file, problem); };
  if (text.trim() === '') fail('the file is empty');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(`is not valid JSON, so it is truncated or corrupt (${(e as Error).message}); delete it or restore a good copy`);
  }
  if (!isRecord(raw) || raw.format !== CHECKPOINT_FORMAT) fail(`is not a metagrad checkpoint (no "format": "${CHECKPOINT_FORMAT}")`);
  const body = raw as Record<string, unknown>;
  const version = body.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) fail(`has an invalid format version ${JSON.stringify(version)}`);
  if ((version as number) > CHECKPOINT_VERSION) {
    fail(`uses format version ${version}, newer than this metagrad reads (${CHECKPOINT_VERSION}); upgrade metagrad`);
  }
  if (typeof body.kind !== 'string') fail('has no "kind"');
  if (expect.kind !== undefined && body.kind !== expect.kind) {
    fail(`was written by '${body.kind}', not '${expect.kind}'; pass a ${expect.kind} checkpoint`);
  }
  const iteration = body.iteration;
  if (typeof iteration !== 'number' || !Number.isInteger(iteration) || iteration < 0) fail(`has an invalid iteration ${JSON.stringify(iteration)}`);
  const rng = body.rng;
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    fail('has an invalid RNG state (expected four 32-bit unsigned integers)');
  }
  for (const key of ['config', 'params', 'optimizer'] as const) if (!(key in body)) fail(`has no "${key}"`);

  let params: State;
  let optimizer: State;
  let extra: State;
  try {
    params = decodeState(body.params, '$.params');
    optimizer = decodeState(body.optimizer, '$.optimizer');
    extra = decodeState(body.extra ?? null, '$.extra');
  } catch (e) {
    if (e instanceof CodecError) fail(e.message);
    throw e;
  }
  if (expect.params !== undefined) {
    const diff = compareStructure(expect.params, params!, '$.params');
    if (diff) fail(`parameters do not match this model (${diff}); was it saved with other options (e.g. hidden sizes)?`);
  }
  if (expect.optimizer !== undefined) {
    const diff = compareStructure(expect.optimizer, optimizer!, '$.optimizer');
    if (diff) fail(`optimiser state does not match (${diff}); was it saved with another optimiser?`);
  }
  return {
    kind: body.kind as string,
    iteration: iteration as number,
    config: body.config as Json,
    rng: [...(rng as number[])] as [number, number, number, number],
    params: params!,
    optimizer: optimizer!,
    extra: extra!,
  };
}

/** Saves atomically (temp file in the same folder, fsync, rename). Throws an IoError or CodecError. */
export function saveCheckpoint(file: string, ck: Checkpoint, writer?: string): void {
  writeFileAtomic(file, serializeCheckpoint(ck, writer));
}

/** Reads, parses and validates a checkpoint file; throws a {@link CheckpointError}. */
export function loadCheckpoint(file: string, expect: CheckpointExpectation = {}): Checkpoint {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CheckpointError(file, `cannot be read: ${why}`);
  }
  return parseCheckpoint(text, file, expect);
}

