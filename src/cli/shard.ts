/**
 * Sharding a study across machines: `--shard i/n` (i from 0 to n−1) keeps every unit
 * whose index is i modulo n, and writes a partial results file naming the shard and the
 * full config; `metagrad merge` reads those files back and checks they belong together.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './args.ts';
import type { Versions } from '../report/run-report.ts';

/** Shard `index` of `count` (0 ≤ index < count). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** `'1/3'` → `{ index: 1, count: 3 }`; a UsageError naming `--shard` and the value otherwise. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--shard ${text}: expected i/n with whole numbers, shards numbered from 0 (e.g. --shard 0/4 … --shard 3/4)`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1) throw new UsageError(`--shard ${text}: the shard count n must be at least 1`);
  if (count > 100000) throw new UsageError(`--shard ${text}: at most 100000 shards`);
  if (index >= count) throw new UsageError(`--shard ${text}: the index must be below the count (shards of ${count} are numbered 0 to ${count - 1}; e.g. --shard ${count - 1}/${count})`);
  return { index, count };
}

/** Whether unit `unitIndex` belongs to `shard` (round robin: balanced, deterministic). */
export function inShard(unitIndex: number, shard: Shard | undefined): boolean {
  return shard === undefined || unitIndex % shard.count === shard.index;
}

/** The partial results file of a shard, e.g. `results-shard-0-of-3.json`. */
export function shardFileName(shard: Shard): string {
  return `results-shard-${shard.index}-of-${shard.count}.json`;
}

/**
 * The partial results format's name and version (merge refuses other versions).
 * Version 2 keeps non-finite numbers in unit values (`{"$float": "NaN"}`, see {@link shardJson}).
 */
export const SHARD_FORMAT = 'metagrad-shard';
export const SHARD_FORMAT_VERSION = 2;

/** JSON has no NaN or ±Infinity: units' values keep them as `{"$float": "NaN"}` (a unit's metric may be NaN, a recovery time Infinity). */
const encodeFloat = (_k: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? { $float: String(v) } : v);
const decodeFloat = (_k: string, v: unknown): unknown => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  const tag = (v as { $float?: unknown }).$float;
  return keys.length === 1 && typeof tag === 'string' && (tag === 'NaN' || tag === 'Infinity' || tag === '-Infinity') ? Number(tag) : v;
};

/** A shard file's text: JSON with non-finite numbers kept (read back by `merge`). */
export function shardJson(file: ShardFile): string {
  return `${JSON.stringify(file, encodeFloat, 1)}\n`;
}

/**
 * `value` as a shard file would give it back (plain JSON data, non-finite numbers kept):
 * what a study combines, so a merged run combines exactly the data the unsharded run did.
 */
export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, encodeFloat), decodeFloat) as T;
}

/** One finished unit of a study: its index among all units, its seed and its value. */
export interface UnitResult<R = unknown> {
  readonly index: number;
  readonly seed: number;
  readonly value: R;
}

/** The partial results file one shard writes. */
export interface ShardFile<R = unknown> {
  readonly format: typeof SHARD_FORMAT;
  readonly formatVersion: number;
  readonly command: string;
  readonly shard: Shard;
  /** The full study's config (the same for every shard). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Units in the whole study, and the indices of this shard's. */
  readonly totalUnits: number;
  readonly unitIndices: readonly number[];
  readonly interrupted: boolean;
  readonly backend: string;
  readonly versions: Versions;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly runtimeSeconds: number;
  readonly units: readonly UnitResult<R>[];
  /** Units that failed (the shard is then marked interrupted, and merge refuses it). */
  readonly failures?: readonly { readonly index: number; readonly seed: number; readonly error: string }[];
}

/** JSON with object keys sorted: equal configs give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

/** The shard files in `dir` (a folder of them, or one file). UsageError if there are none. */
export function shardFilesIn(dir: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UsageError(`merge: ${dir}: no such file or folder`);
  }
  if (st.isFile()) return [dir];
  const files = readdirSync(dir).filter((f) => /^results-shard-\d+-of-\d+\.json$/.test(f)).sort().map((f) => join(dir, f));
  if (files.length === 0) throw new UsageError(`merge: ${dir} holds no results-shard-I-of-N.json (run the study with --shard I/N --out ${dir})`);
  return files;
}

function readShard(file: string): ShardFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'), decodeFloat);
  } catch (e) {
    throw new UsageError(`merge: ${file}: not readable JSON (${(e as Error).message})`);
  }
  const d = data as Partial<ShardFile>;
  if (d === null || typeof d !== 'object' || d.format !== SHARD_FORMAT) throw new UsageError(`merge: ${file} is not a shard's partial results (no "format": "${SHARD_FORMAT}")`);
  if (d.formatVersion !== SHARD_FORMAT_VERSION) throw new UsageError(`merge: ${file} has partial-results format version ${String(d.formatVersion)}; this metagrad reads version ${SHARD_FORMAT_VERSION}`);
  if (!d.shard || !Array.isArray(d.units) || !Array.isArray(d.unitIndices) || typeof d.command !== 'string' || !d.versions) throw new UsageError(`merge: ${file}: incomplete partial results`);
  return d as ShardFile;
}

/**
 * Reads and checks the shards of one study: same command, config, metagrad version,
 * backend and shard count; every shard 0..n−1 present exactly once and complete. Returns
 * the shards in index order, or throws a UsageError saying what is wrong.
 */
export function loadShards(files: readonly string[]): { shards: ShardFile[]; files: string[] } {
  if (files.length === 0) throw new UsageError('merge: pass the folders (or files) of the shards to merge');
  const shards = files.map(readShard);
  const first = shards[0]!, firstFile = files[0]!;
  const byIndex = new Map<number, string>();
  shards.forEach((s, i) => {
    const file = files[i]!;
    const differ = (what: string, a: unknown, b: unknown): never => {
      throw new UsageError(`merge: ${file} and ${firstFile} have different ${what} (${String(a)} vs ${String(b)}); shards of one study must come from the same command, config and version`);
    };
    if (s.command !== first.command) differ('commands', s.command, first.command);
    if (s.versions.metagrad !== first.versions.metagrad) differ('metagrad versions', s.versions.metagrad, first.versions.metagrad);
    if (s.backend !== first.backend) differ('backends', s.backend, first.backend);
    if (s.shard.count !== first.shard.count) differ('shard counts', s.shard.count, first.shard.count);
    if (canonicalJson(s.config) !== canonicalJson(first.config)) {
      const keys = [...new Set([...Object.keys(s.config), ...Object.keys(first.config)])].filter((k) => canonicalJson(s.config[k]) !== canonicalJson(first.config[k]));
      throw new UsageError(`merge: ${file} and ${firstFile} have different configs (${keys.map((k) => `${k}: ${JSON.stringify(s.config[k])} vs ${JSON.stringify(first.config[k])}`).join(', ')}); shards of one study must share one config`);
    }
    const seen = byIndex.get(s.shard.index);
    if (seen !== undefined) throw new UsageError(`merge: shard ${s.shard.index}/${s.shard.count} is given twice (${seen} and ${file})`);
    byIndex.set(s.shard.index, file);
    if (s.failures !== undefined && s.failures.length > 0) {
      throw new UsageError(`merge: shard ${s.shard.index}/${s.shard.count} (${file}) has ${s.failures.length} failed unit${s.failures.length > 1 ? 's' : ''} (${s.failures[0]!.error}); fix the cause and run it again`);
    }
    if (s.interrupted || s.units.length !== s.unitIndices.length) {
      throw new UsageError(`merge: shard ${s.shard.index}/${s.shard.count} (${file}) was interrupted (${s.units.length} of ${s.unitIndices.length} units); run it again`);
    }
  });
  const missing = Array.from({ length: first.shard.count }, (_v, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new UsageError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${first.shard.count}`).join(', ')} (have ${[...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${first.shard.count}`).join(', ')})`);
  const order = shards.map((s, i) => [s, files[i]!] as const).sort(([a], [b]) => a.shard.index - b.shard.index);
  return { shards: order.map(([s]) => s), files: order.map(([, f]) => f) };
}

/** The units of every shard, in unit order; checks each unit appears once. */
export function mergedUnits(shards: readonly ShardFile[]): UnitResult[] {
  const units = shards.flatMap((s) => s.units).sort((a, b) => a.index - b.index);
  const total = shards[0]?.totalUnits ?? 0;
  if (units.length !== total || units.some((u, i) => u.index !== i)) {
    throw new UsageError(`merge: the shards hold ${units.length} units, not the study's ${total} (units 0..${total - 1} once each)`);
  }
  return units;
}
