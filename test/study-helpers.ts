/**
 * Checks shared by the study tests (`--seeds`, `--workers`, `--shard`, `metagrad merge`):
 * results.json without its timings, and "N workers, or n shards merged, give the
 * unsharded serial run's file".
 */
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inProcess } from './cli-helpers.ts';

/** Keys that hold wall times (they differ between any two runs). */
const TIMING_KEYS = new Set(['runtimeSeconds', 'startedAt', 'finishedAt', 'seconds', 'trainSeconds']);

/** `value` without timing keys at any depth, and without table columns of seconds. */
export function withoutTimings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimings);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (Array.isArray(o['header']) && Array.isArray(o['rows'])) {
    const keep = (o['header'] as unknown[]).map((h, j) => (/seconds/.test(String(h)) ? -1 : j)).filter((j) => j >= 0);
    return { ...o, header: keep.map((j) => (o['header'] as unknown[])[j]), rows: (o['rows'] as unknown[][]).map((r) => keep.map((j) => withoutTimings(r[j]))) };
  }
  return Object.fromEntries(Object.entries(o).filter(([k]) => !TIMING_KEYS.has(k)).map(([k, v]) => [k, withoutTimings(v)]));
}

/** results.json of `dir` without its timings. */
export function readResults(dir: string): Record<string, unknown> {
  return withoutTimings(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))) as Record<string, unknown>;
}

/** Runs `metagrad …args` in this process; asserts exit 0. */
export async function runOk(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await inProcess(args);
  assert.is(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
  return r;
}

/**
 * Runs `study` with `--workers 1` and `--workers 2` and checks both write the same
 * results.json apart from timings, with one progress bar over `work` units of every
 * worker; returns the serial run's results.
 */
export async function workersAgree(study: string[], root: string, label: string, work: number): Promise<Record<string, unknown>> {
  const one = await runOk([...study, '--workers', '1', '--out', join(root, 'w1')]);
  const two = await runOk([...study, '--workers', '2', '--out', join(root, 'w2')]);
  const reference = readResults(join(root, 'w1'));
  assert.equal(readResults(join(root, 'w2')), reference, '--workers 2 = --workers 1');
  assert.is(reference['interrupted'], false);
  assert.ok(existsSync(join(root, 'w2', 'report.html')));
  for (const [r, n] of [[one, 1], [two, 2]] as const) {
    assert.match(r.stderr, new RegExp(`${label} 100% ${work}/${work} `), `workers ${n}: the bar counts every unit's work`);
    assert.match(r.stderr, n === 1 ? /on this thread/ : /on 2 workers/);
  }
  return reference;
}

/** Runs `study` as 2 and as 3 shards, merges each set and checks the merged results.json equals `reference`. */
export async function shardsMergeTo(study: string[], root: string, reference: Record<string, unknown>): Promise<void> {
  for (const n of [2, 3]) {
    const dir = join(root, `shards${n}`);
    for (let i = 0; i < n; i++) {
      const r = await runOk([...study, '--shard', `${i}/${n}`, '--workers', '1', '--out', dir]);
      assert.match(r.stdout, new RegExp(`results-shard-${i}-of-${n}\\.json`));
      assert.not.ok(existsSync(join(dir, 'results.json')), 'a shard writes only its partial file');
    }
    await runOk(['merge', dir, '--out', join(root, `merged${n}`)]);
    assert.equal(readResults(join(root, `merged${n}`)), reference, `${n} shards merged = unsharded`);
    assert.ok(existsSync(join(root, `merged${n}`, 'report.html')));
  }
}
