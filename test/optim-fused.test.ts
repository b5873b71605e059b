/**
 * fusedAdam: Adam/AdamW compiled over a whole parameter tree. The compiled update equals
 * the same ops run eagerly bit for bit, agrees with the plain optimizers (float64
 * moments) to float32 rounding, traces once, and saves and restores through the plain
 * optimizers' state format.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, fusedAdam, adam, adamw, grad, mean, randomNormal, square, sub, treeLeaves } from '../src/index.ts';
import { MLP, type LinearParams } from '../src/nn/index.ts';
import { eachBackend } from './engine-helpers.ts';

const model = MLP({ sizes: [1, 40, 40, 1], activation: 'tanh' });
function problem(): { params: LinearParams[]; gradient: (p: LinearParams[]) => LinearParams[] } {
  const rng = new Rng(5);
  const params = model.init(rng);
  const xs = randomNormal(rng, [32, 1]), ys = randomNormal(rng, [32, 1]);
  return { params, gradient: grad((p: LinearParams[]) => mean(square(sub(model.apply(p, xs), ys)))) };
}

function bitsEqual(a: unknown, b: unknown, what: string): void {
  const la = treeLeaves(a), lb = treeLeaves(b);
  assert.is(la.length, lb.length, what);
  la.forEach((t, i) => assert.equal(Array.from(t.data), Array.from(lb[i]!.data), `${what}: leaf ${i}`));
}

function maxRelDiff(a: unknown, b: unknown): number {
  let worst = 0;
  treeLeaves(a).forEach((t, i) => {
    const u = treeLeaves(b)[i]!;
    let scale = 1e-3;
    for (let k = 0; k < u.size; k++) scale = Math.max(scale, Math.abs(u.data[k]!));
    for (let k = 0; k < t.size; k++) worst = Math.max(worst, Math.abs(t.data[k]! - u.data[k]!) / scale);
  });
  return worst;
}

for (const kind of ['adam', 'adamw'] as const) {
  eachBackend(`fusedAdam (${kind}): compiled = eager bits; plain ${kind} to float32 rounding over 20 steps; one trace`, () => {
    const { params, gradient } = problem();
    const options = { lr: (t: number) => 0.01 / Math.sqrt(t), weightDecay: 0.05, kind };
    const compiled = fusedAdam(options), eager = fusedAdam({ ...options, jit: false });
    const reference = kind === 'adam' ? adam(options) : adamw(options);
    let pc = params, pe = params, pr = params;
    let sc = compiled.init(params), se = eager.init(params), sr = reference.init(params);
    for (let step = 0; step < 20; step++) {
      ({ params: pc, state: sc } = compiled.update(gradient(pc), sc, pc));
      ({ params: pe, state: se } = eager.update(gradient(pe), se, pe));
      ({ params: pr, state: sr } = reference.update(gradient(pr), sr, pr));
    }
    bitsEqual(pc, pe, 'params');
    bitsEqual([sc.m, sc.v], [se.m, se.v], 'moments');
    const drift = maxRelDiff(pc, pr);
    assert.ok(drift < 2e-5, `fused vs plain ${kind} after 20 steps: ${drift}`);
    assert.ok(maxRelDiff(pc, params) > 1e-3, 'the parameters moved');
    const low = compiled.lower(gradient(pc), sc, pc);
    assert.is(low.traces, 1, 'one trace for all 20 steps (the step scalars are tensors)');
    assert.ok(low.fusedGroups >= 3 * params.length, `chains per leaf: ${low.fusedGroups}\n${low.listing}`);
  });
}

test('fusedAdam: toState is the plain optimizer\'s format; fromState continues identically; bad input is named', () => {
  const { params, gradient } = problem();
  const opt = fusedAdam({ lr: 0.01 });
  let p = params, s = opt.init(params);
  for (let i = 0; i < 3; i++) ({ params: p, state: s } = opt.update(gradient(p), s, p));
  const saved = JSON.parse(JSON.stringify(opt.toState(s)));
  assert.is(saved.kind, 'adam');
  assert.is(saved.step, 3);
  adam({ lr: 0.01 }).restore(saved, params); // the plain optimizer accepts it
  const restored = opt.fromState(saved, params);
  const a = opt.update(gradient(p), s, p), b = opt.update(gradient(p), restored, p);
  bitsEqual(a.params, b.params, 'continued from a restored state');
  assert.throws(() => opt.fromState({ ...saved, kind: 'sgd' }, params), /adam.restore: state was written by 'sgd'/);
  assert.throws(() => opt.update(gradient(p).slice(1), s, p), /fused adam: params have 6 leaves, gradients 4/);
  assert.throws(() => fusedAdam({ lr: 1, kind: 'nadam' as 'adam' }), /fusedAdam: kind must be 'adam' or 'adamw', got 'nadam'/);
});

test.run();
