import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../src/index.ts';
import {
  SignGrid, signGridFamily, oracleReturn, rolloutTrials, rl2Agent, inputSizeOf, keepMask, trialAdvantages, firstEpisode, sliceTrials,
  episodeReturnsOf, type SignTask,
} from '../src/explore/index.ts';
import { generalizedAdvantages } from '../src/rl/returns.ts';
import { episodeLogProbs } from '../src/rl/rollout.ts';
import { mlpPolicy } from '../src/rl/policy.ts';

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

test('a trial batch is an EpisodeBatch: observations, cells, log-probs, episode ends and GAE agree with the trial view', () => {
  const env = new SignGrid(config);
  const O = env.obsSize, I = inputSizeOf(env), H = config.horizon, L = env.trialLength, W = env.map.width;
  const policy = mlpPolicy({ obsSize: O, numActions: 4, hidden: [8] });
  const params = policy.init(new Rng(2));
  const logitsOf = new Map<number, Float32Array>();
  const sample = policy.sampler(params);
  const tasks = [...family.train.slice(0, 6), ...family.train.slice(0, 6)];
  const B = tasks.length;
  const batch = rolloutTrials(env, tasks, (t, x) => {
    const obs = new Float32Array(B * O);
    for (let b = 0; b < B; b++) obs.set(x.subarray(b * I, b * I + O), b * O);
    const probs = new Float64Array(B * 4);
    sample(obs, B, probs);
    const logits = Float32Array.from(probs, (p) => 2 * Math.log(p)); // softmax of these is not the policy's: log-probs must follow the logits
    logitsOf.set(t, logits);
    return logits;
  }, new Rng(4));
  assert.is(batch.numEpisodes, B);
  assert.is(batch.horizon, L);
  assert.is(batch.episodeHorizon, H);
  let truncations = 0, terminations = 0;
  for (let b = 0; b < B; b++) {
    let last = -1;
    for (let t = 0; t < L; t++) {
      const k = b * L + t;
      assert.equal(Array.from(batch.obs.subarray(k * O, (k + 1) * O)), Array.from(batch.inputs.subarray((b * (L + 1) + t) * I, (b * (L + 1) + t) * I + O)), `obs ${b}, ${t}`);
      if (batch.mask[k]) {
        last = t;
        // the cell acted from is the one the observation's row and column one-hots show
        const s = batch.states[k]!;
        assert.is(batch.obs[k * O + Math.floor(s / W)], 1);
        assert.is(batch.obs[k * O + env.map.height + (s % W)], 1);
        const l = logitsOf.get(t)!, a = batch.actions[k]!;
        const m = Math.max(...l.subarray(b * 4, b * 4 + 4));
        const lse = m + Math.log(Array.from(l.subarray(b * 4, b * 4 + 4)).reduce((acc, v) => acc + Math.exp(v - m), 0));
        assert.is(batch.logProbs[k], Math.fround(l[b * 4 + a]! - lse));
      }
      const endsAlive = batch.mask[k] === 1 && !batch.terminated[k] && (t + 1) % H === 0;
      assert.is(batch.truncated[k], endsAlive ? 1 : 0, `truncated ${b}, ${t}`);
      truncations += batch.truncated[k]!;
      terminations += batch.terminated[k]!;
    }
    assert.is(batch.lengths[b], last + 1);
    assert.equal(Array.from(batch.finalObs.subarray(b * O, (b + 1) * O)), Array.from(batch.inputs.subarray((b * (L + 1) + L) * I, (b * (L + 1) + L) * I + O)));
  }
  assert.ok(truncations > 0 && terminations > 0, `both endings occur: ${truncations} truncated, ${terminations} terminated`);
  // rl's GAE over the batch (restarting at every episode end) is the trial GAE with resets, bit for bit.
  const rng = new Rng(6);
  const values = Float32Array.from({ length: B * L }, () => rng.normal());
  const options = { discount: 0.9, lambda: 0.8 };
  assert.equal(Array.from(generalizedAdvantages(batch, values, options)), Array.from(trialAdvantages(batch, batch.rewards, values, { ...options, resetAtEpisodes: true }).advantages));
  // rl's log-probs read the batch as it is.
  assert.equal(episodeLogProbs(policy, params, batch).shape, [B, L]);
  // Windows: the first episode and single trials keep the trial's own arrays in step.
  const first = firstEpisode(batch);
  assert.is(first.horizon, H);
  assert.equal(Array.from(first.rewards), Array.from({ length: B * H }, (_, k) => batch.rewards[Math.floor(k / H) * L + (k % H)]!));
  assert.equal(Array.from(first.entered), Array.from({ length: B * H }, (_, k) => batch.entered[Math.floor(k / H) * L + (k % H)]!));
  assert.equal(first.inputs.length, B * (H + 1) * I);
  assert.equal(Array.from(first.finalObs.subarray(0, O)), Array.from(batch.obs.subarray(H * O, (H + 1) * O)), 'ends on the next episode\'s first observation');
  assert.equal(Array.from(episodeReturnsOf(batch, 0, 1)), Array.from(episodeReturnsOf(first, 0, 1)));
  const one = sliceTrials(batch, 7, 2);
  assert.equal(one.tasks, tasks.slice(7, 9));
  assert.equal(Array.from(one.inputs), Array.from(batch.inputs.subarray(7 * (L + 1) * I, 9 * (L + 1) * I)));
  assert.equal(Array.from(one.entered), Array.from(batch.entered.subarray(7 * L, 9 * L)));
  assert.equal(Array.from(one.states), Array.from(batch.states.subarray(7 * L, 9 * L)));
  assert.equal(Array.from(episodeReturnsOf(one, 1, 3)), Array.from(episodeReturnsOf(batch, 1, 3).subarray(7, 9)));
});

test.run();
