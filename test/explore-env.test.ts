import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../src/index.ts';
import {
  SignGrid, signGridFamily, oracleReturn, rolloutTrials, rl2Agent, inputSizeOf, keepMask, trialAdvantages,
  type SignTask,
} from '../src/explore/index.ts';

const family = signGridFamily();
const config = family.config; // 5×5, start (2, 2), goals in the corners, horizon 8, 3 episodes
const UP = 0, DOWN = 2, LEFT = 3;
const task = (correct: number, sign: [number, number] = [1, 2]): SignTask => ({ goals: family.train[0]!.goals, correct, signs: [sign], id: -1 });

function play(env: SignGrid, actions: number[], rng = new Rng(0)) {
  const obs = new Float32Array(env.obsSize);
  const seen: Float32Array[] = [];
  const rewards: number[] = [];
  for (const a of actions) {
    const r = env.step(Int32Array.of(a), rng);
    rewards.push(r.rewards[0]!);
    env.observe(obs);
    seen.push(obs.slice());
  }
  return { seen, rewards };
}

/** The readout block of an observation (K floats for one 'index' sign). */
const readout = (env: SignGrid, obs: Float32Array): number[] => Array.from(obs.subarray(env.obsSize - 1 - env.readoutSize, env.obsSize - 1));

test('the family: 32 training tasks, OOD signs never used in training, ids index the training tasks', () => {
  assert.is(family.train.length, 32);
  assert.is(family.oodSign.length, 16);
  family.train.forEach((t, i) => assert.is(t.id, i));
  const key = (t: SignTask) => t.signs.map((s) => s.join(',')).join(';');
  const trainSigns = new Set(family.train.map(key));
  for (const t of family.oodSign) assert.not.ok(trainSigns.has(key(t)), `OOD sign ${key(t)} appears in training`);
});

test('stepping on the sign reveals the goal index; off the sign nothing is shown', () => {
  for (let g = 0; g < 4; g++) {
    const env = new SignGrid(config);
    env.reset([task(g)]);
    const obs = new Float32Array(env.obsSize);
    env.observe(obs);
    assert.equal(readout(env, obs), [0, 0, 0, 0], 'nothing at the start');
    const { seen } = play(env, [UP, DOWN]); // (1,2) is the sign, then back to (2,2)
    const onSign = readout(env, seen[0]!);
    assert.equal(onSign, [0, 1, 2, 3].map((k) => (k === g ? 1 : 0)));
    assert.equal(readout(env, seen[1]!), [0, 0, 0, 0]);
  }
});

test('the correct goal pays and ends the episode; a wrong goal is penalised and ends it; dead ticks follow', () => {
  const env = new SignGrid(config);
  env.reset([task(0)]);
  const { rewards, seen } = play(env, [UP, UP, LEFT, LEFT, UP, UP]);
  assert.ok(Math.abs(rewards[3]! - (1 - 0.01)) < 1e-6, `reward ${rewards[3]}`);
  assert.is(rewards[4], 0, 'dead tick gives nothing');
  assert.is(seen[4]![env.obsSize - 1], 1, 'dead flag set');
  const wrong = new SignGrid(config);
  wrong.reset([task(1)]);
  const r2 = play(wrong, [UP, UP, LEFT, LEFT]).rewards;
  assert.ok(Math.abs(r2[3]! - (-1 - 0.01)) < 1e-6);
});

test('a trial has `episodes` episodes of `horizon` ticks; each starts at the start cell', () => {
  const env = new SignGrid(config);
  env.reset([task(2)]);
  const { seen } = play(env, Array(8).fill(UP));
  const start = new SignGrid(config);
  start.reset([task(2)]);
  const first = new Float32Array(env.obsSize);
  start.observe(first);
  assert.equal(Array.from(seen[7]!), Array.from(first), 'after 8 ticks the agent is back at the start, alive');
  play(env, Array(16).fill(UP));
  assert.is(env.ticks, 24);
  assert.throws(() => env.step(Int32Array.of(0)), /trial is over/);
});

test('bits readout spreads the index over two signs; noise corrupts readings', () => {
  const bits = signGridFamily({ readout: 'bits' });
  const env = new SignGrid(bits.config);
  const t = bits.train.find((x) => x.correct === 2 && x.signs[0]![0] === 1 && x.signs[0]![1] === 2)!;
  env.reset([t]);
  const { seen } = play(env, [UP, DOWN, DOWN]); // sign 0 at (1,2), sign 1 at (3,2)
  const o = env.obsSize - 1;
  assert.equal([seen[0]![o - 2], seen[0]![o - 1]], [-1, 0], 'bit 0 of 2 is 0');
  assert.equal([seen[2]![o - 2], seen[2]![o - 1]], [0, 1], 'bit 1 of 2 is 1');
  const noisy = new SignGrid({ ...config, noise: 1 });
  const rng = new Rng(3);
  let differs = 0;
  for (let i = 0; i < 20; i++) {
    noisy.reset([task(0)]);
    const r = play(noisy, [UP], rng).seen[0]!;
    if (readout(noisy, r)[0] !== 1) differs++;
  }
  assert.ok(differs > 5, `a fully noisy sign should often lie (${differs}/20)`);
  assert.throws(() => { noisy.reset([task(0)]); noisy.step(Int32Array.of(UP)); }, /needs an rng/);
});

test('oracle: shortest path to the correct goal, avoiding the others', () => {
  const o = oracleReturn(config, task(3));
  assert.is(o.steps, 4);
  assert.ok(Math.abs(o.episode - 0.96) < 1e-9);
  assert.ok(Math.abs(o.trial - 3 * 0.96) < 1e-9);
});

test('memory carries across the episodes of a trial (RL² hidden state is not reset)', () => {
  const env = new SignGrid(config);
  const agent = rl2Agent(inputSizeOf(env), 4, 16);
  const params = agent.init(new Rng(0));
  // Two trials that differ only in the correct goal: after reading the sign in episode 1
  // their inputs at the start of episode 2 are identical, so different logits there can
  // only come from memory.
  const logitsAtEpisode2 = (g: number): number[] => {
    const step = agent.stepper(params, 1);
    const e = new SignGrid(config);
    let out: number[] = [];
    const fixed = [UP, DOWN, DOWN, DOWN, DOWN, DOWN, DOWN, DOWN, UP];
    rolloutTrials(e, [task(g)], (t, x) => { const l = step(t, x); if (t === 8) out = Array.from(l); const o = new Float32Array(4); o[fixed[t] ?? 0] = 50; return o; }, new Rng(1), true);
    return out;
  };
  const a = logitsAtEpisode2(0), b = logitsAtEpisode2(1);
  assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-6), 'the episode-2 logits depend on what was read in episode 1');
});

test('rollouts are deterministic under a seed; GAE and keep mask have the trial shape', () => {
  const env = new SignGrid(config);
  const agent = rl2Agent(inputSizeOf(env), 4, 16);
  const params = agent.init(new Rng(0));
  const run = () => rolloutTrials(env, family.train.slice(0, 4), agent.stepper(params, 4), new Rng(9));
  const a = run(), b = run();
  assert.equal(Array.from(a.actions), Array.from(b.actions));
  assert.equal(Array.from(a.rewards), Array.from(b.rewards));
  assert.is(keepMask(a).length, 4 * env.trialLength);
  const { advantages } = trialAdvantages(a, a.rewards, new Float32Array(a.rewards.length), { discount: 1, lambda: 1 });
  // With zero values and γ = λ = 1 the advantage of the first tick is the whole trial's return.
  let total = 0;
  for (let t = 0; t < env.trialLength; t++) total += a.rewards[t]!;
  assert.ok(Math.abs(advantages[0]! - total) < 1e-5);
});

test.run();
