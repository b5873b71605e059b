import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectWasmVariant } from '../src/backend/wasm/index.ts';
import type { RunResults } from '../src/report/run-report.ts';
import { assertUsageError, inProcess, ROOT, tempDir, TINY_SINUSOID } from './cli-helpers.ts';

const dir = tempDir('cli-backend');
const withBackend = (backend: string): string[] => [...TINY_SINUSOID.slice(0, -2), '--backend', backend];
const validatesRelaxed = selectWasmVariant({ relaxedSimd: true }) === 'relaxed-simd';

test('--backend wasm-relaxed where this runtime cannot validate relaxed SIMD: a usage error saying how, nothing written', async () => {
  if (validatesRelaxed) return; // this process was started with relaxed SIMD on; the spawned case below covers it
  const out = join(dir, 'never');
  const r = await inProcess([...withBackend('wasm-relaxed'), '--out', out]);
  assertUsageError('wasm-relaxed', r, /--backend wasm-relaxed: this runtime does not validate relaxed SIMD \(Node 20: run node --experimental-wasm-relaxed-simd …\); use --backend wasm/);
  assert.not.ok(existsSync(out));
});

test('--backend wasm-relaxed with relaxed SIMD on: runs, records its backend, and agrees with wasm to float32 rounding', () => {
  const results = (backend: string, flags: string[]): RunResults => {
    const out = join(dir, backend);
    const r = spawnSync(process.execPath, [...flags, join(ROOT, 'bin', 'metagrad.mjs'), ...withBackend(backend), '--out', out, '--progress', 'none'], {
      cwd: ROOT, env: { ...process.env, METAGRAD_FROM_SOURCE: '1' }, encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  };
  const relaxed = results('wasm-relaxed', ['--experimental-wasm-relaxed-simd']);
  const plain = results('wasm', []);
  assert.is(relaxed.backend, 'wasm-relaxed');
  assert.is(plain.backend, 'wasm');
  // Fused multiply-adds round once where mul + add round twice: six iterations of a tiny
  // MLP and its evaluation drift apart by a few float32 ulps of the losses, not more.
  const a = relaxed.metrics as Record<string, number>, b = plain.metrics as Record<string, number>;
  assert.equal(Object.keys(a), Object.keys(b));
  assert.ok(Object.keys(a).length > 0);
  for (const [key, v] of Object.entries(a)) {
    assert.ok(Number.isFinite(v), `${key} = ${v}`);
    assert.ok(Math.abs(v - b[key]!) <= 1e-5 * Math.max(1, Math.abs(b[key]!)), `${key}: relaxed ${v} vs wasm ${b[key]}`);
  }

});

test.run();
