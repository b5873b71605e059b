import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../src/index.ts';
import type { EpisodeBatch } from '../src/rl/rollout.ts';
import { LinearFeatureBaseline } from '../src/rl/returns.ts';

const StateFit = suite('rl LinearFeatureBaseline state fit');

/**
 * The dense reference: one-hot state features `[e_s, τ, τ², τ³, 1]` as full rows, the
 * whole `F × F` normal equations (zero features skipped, as the class documents), and a
 * plain Cholesky solve with the same ridge retries. The class solves only the nonzero
 * parts and must give the same bits.
 */
function denseReference(batch: EpisodeBatch, targets: Float32Array, S: number, regularization: number): Float32Array {
  const { numEpisodes: N, horizon: T } = batch;
  const F = S + 4;
  const gram = new Float64Array(F * F), rhs = new Float64Array(F);
  const row = (k: number): Float64Array => {
    const x = new Float64Array(F), t = k % T, tau = t / 100;
    x[batch.states[k]!] = 1;
    x[S] = tau; x[S + 1] = tau * tau; x[S + 2] = tau * tau * tau; x[S + 3] = 1;
    return x;
  };
  for (let k = 0; k < N * T; k++) {
    if (!batch.mask[k]) continue;
    const x = row(k);
    for (let a = 0; a < F; a++) {
      if (x[a] === 0) continue;
      rhs[a]! += x[a]! * targets[k]!;
      for (let b = 0; b < F; b++) if (x[b] !== 0) gram[a * F + b]! += x[a]! * x[b]!;
    }
  }
  const solve = (reg: number): Float64Array | null => {
    const L = new Float64Array(F * F);
    for (let i = 0; i < F; i++) {
      for (let j = 0; j <= i; j++) {
        let s = gram[i * F + j]! + (i === j ? reg : 0);
        for (let k = 0; k < j; k++) s -= L[i * F + k]! * L[j * F + k]!;
        if (i === j) {
          if (!(s > 0)) return null;
          L[i * F + i] = Math.sqrt(s);
        } else L[i * F + j] = s / L[j * F + j]!;
      }
    }
    const y = new Float64Array(F), w = new Float64Array(F);
    for (let i = 0; i < F; i++) { let s = rhs[i]!; for (let k = 0; k < i; k++) s -= L[i * F + k]! * y[k]!; y[i] = s / L[i * F + i]!; }
    for (let i = F - 1; i >= 0; i--) { let s = y[i]!; for (let k = i + 1; k < F; k++) s -= L[k * F + i]! * w[k]!; w[i] = s / L[i * F + i]!; }
    return w;
  };
  let w: Float64Array | null = null;
  for (let attempt = 0, reg = regularization; attempt < 8 && !w; attempt++, reg = Math.max(reg * 10, 1e-8)) w = solve(reg);
  const out = new Float32Array(N * T);
  for (let k = 0; k < N * T; k++) {
    if (!batch.mask[k]) continue;
    const x = row(k);
    let v = 0;
    for (let a = 0; a < F; a++) if (x[a] !== 0) v += w![a]! * x[a]!;
    out[k] = v;
  }
  return out;
}

/** A random padded batch over S states: some never visited, episodes of random lengths, targets of both signs. */
function randomBatch(rng: Rng, N: number, T: number, S: number): { batch: EpisodeBatch; targets: Float32Array } {
  const states = new Int32Array(N * T), mask = new Float32Array(N * T), targets = new Float32Array(N * T);
  for (let i = 0; i < N; i++) {
    const length = 1 + rng.int(T);
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      states[k] = rng.int(S - 3); // the last three states are never visited
      mask[k] = t < length ? 1 : 0;
      targets[k] = (rng.uniform() - 0.3) * 4;
    }
  }
  const zeros = new Float32Array(N * T);
  const batch: EpisodeBatch = {
    numEpisodes: N, horizon: T, obsSize: 1, numActions: 4, obs: Float32Array.from(states), states, actions: new Int32Array(N * T),
    rewards: zeros, logProbs: zeros, mask, terminated: new Uint8Array(N * T), truncated: new Uint8Array(N * T),
    lengths: new Int32Array(N), finalObs: new Float32Array(N),
  };
  return { batch, targets };
}

StateFit('the state fit gives the dense normal equations\' values bit for bit (ridges 1e-5 and 0, which retries)', () => {
  const rng = new Rng(19);
  for (const [N, T, S, regularization] of [[40, 20, 16, 1e-5], [7, 9, 12, 0], [160, 20, 64, 1e-5], [3, 30, 6, 0]] as const) {
    const { batch, targets } = randomBatch(rng, N, T, S);
    const baseline = new LinearFeatureBaseline({ features: 'state', numStates: S, regularization });
    baseline.fit(batch, targets);
    const got = baseline.predict(batch), want = denseReference(batch, targets, S, regularization);
    const differing = got.findIndex((v, k) => !Object.is(v, want[k]));
    assert.is(differing, -1, `N=${N} T=${T} S=${S} reg=${regularization}: step ${differing}: ${got[differing]} vs ${want[differing]}`);
    assert.ok(got.some((v) => v !== 0), 'the fit is not trivially zero');
  }
});

StateFit.run();
