import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exp, grad, Rng, tensor, type Tensor } from '../src/index.ts';
import { goalFamily, openRoom, tabularModel, VecEnv, type Task } from '../src/rl/env/index.ts';
import { expectedReturn } from '../src/rl/oracle.ts';
import { meanEntropy, tabularPolicy, type TabularParams } from '../src/rl/policy.ts';
import { collectEpisodes, episodeLogProbs } from '../src/rl/rollout.ts';
import { reinforceSurrogate } from '../src/rl/estimators.ts';
import { adaptPolicy, adaptationPath, fitBaseline, metaTrain, metaTrainInit, metaTrainStep, taskMetaObjective } from '../src/rl/mamlrl.ts';
import { a2c, reinforce } from '../src/rl/pg.ts';
import { throwsRl } from './rl-helpers.ts';
import { allclose } from './helpers.ts';

const Maml = suite('rl MAML-RL and policy gradients');

const SIZE = 5;
const HORIZON = 14;
const family = goalFamily({ size: SIZE, seed: 0 });
const policy = tabularPolicy({ numStates: SIZE * SIZE, numActions: 4 });

/** Exact mean return over `tasks` after one sampled inner step (same adaptation seeds for every call). */
function postAdaptationReturn(params: TabularParams, env: VecEnv, tasks: readonly Task[], innerLr: number): number {
  let total = 0;
  tasks.forEach((task, i) => {
    env.setTasks(task);
    const [, adapted] = adaptationPath(policy, params, env, 1, new Rng(1000 + i), { innerLr, baseline: 'state' });
    total += expectedReturn(adapted!.logits, env.modelOf(0), { horizon: HORIZON }).item();
  });
  return total / tasks.length;
}

Maml('a short MAML-RL (DiCE) run measurably improves the post-adaptation return', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 20, maxSteps: HORIZON });
  const innerLr = 50;
  const initial = policy.init(new Rng(0));
  const before = postAdaptationReturn(initial, env, family.train, innerLr);
  const { params, history } = metaTrain({
    policy, env, tasks: family.train, iterations: 25, metaBatchSize: 5, innerLr, outerLr: 0.1,
    estimator: 'dice', baseline: 'state', seed: 3,
  });
  const after = postAdaptationReturn(params, env, family.train, innerLr);
  console.log(`\n  exact return after one inner step, mean over ${family.train.length} train tasks: ${before.toFixed(3)} → ${after.toFixed(3)} (25 meta-iterations)`);
  assert.is(history.length, 25);
  assert.ok(after > before + 0.1, `post-adaptation return ${after.toFixed(3)} did not improve on ${before.toFixed(3)} by 0.1`);
});

Maml('meta-training is deterministic under a seed', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 6, maxSteps: 8 });
  const run = (seed: number) => metaTrain({ policy, env, tasks: family.train, iterations: 3, metaBatchSize: 3, innerLr: 5, seed, baseline: 'state' });
  const a = run(7);
  const b = run(7);
  const c = run(8);
  assert.equal(Array.from(a.params.logits.data), Array.from(b.params.logits.data));
  assert.equal(a.history, b.history);
  assert.not.equal(Array.from(a.params.logits.data), Array.from(c.params.logits.data));
  const pgA = reinforce({ policy, env, tasks: family.train, iterations: 2, seed: 1 });
  const pgB = reinforce({ policy, env, tasks: family.train, iterations: 2, seed: 1 });
  assert.equal(Array.from(pgA.params.logits.data), Array.from(pgB.params.logits.data));
});

Maml('first-order MAML equals the hand-built reference; DiCE adds a second-order term', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 16, maxSteps: 8 });
  env.setTasks(family.train[0]!);
  const params = tabularPolicy({ numStates: SIZE * SIZE, numActions: 4, initScale: 0.5 }).init(new Rng(4));
  const options = { innerLr: 3, baseline: 'state' as const };
  const metaGradient = (estimator: 'firstOrder' | 'dice') => (grad((p: TabularParams) =>
    taskMetaObjective(policy, p, env, new Rng(12), { ...options, estimator }).objective)(params) as TabularParams).logits;
  // Reference: adapt on the same pre-update episodes, then the plain policy gradient at θ' on the same post-update episodes.
  const rng = new Rng(12);
  const pre = collectEpisodes(env, policy, params, rng.split());
  const adapted = adaptPolicy(policy, params, pre, { ...options, estimator: 'firstOrder' });
  const post = collectEpisodes(env, policy, adapted, rng.split());
  const baseline = fitBaseline(post, 'state', 1)!;
  const reference = (grad((p: TabularParams) => reinforceSurrogate(episodeLogProbs(policy, p, post), post, { baseline }))(adapted) as TabularParams).logits;
  const firstOrder = metaGradient('firstOrder');
  allclose(firstOrder, reference, 1e-5, 1e-6, 'first-order meta-gradient');
  const dice = metaGradient('dice');
  let difference = 0;
  for (let i = 0; i < dice.size; i++) difference = Math.max(difference, Math.abs(dice.data[i]! - firstOrder.data[i]!));
  assert.ok(difference > 1e-4, `the DiCE meta-gradient should differ from the first-order one (max |Δ| ${difference})`);
});

Maml('REINFORCE and A2C improve the exact return of a single task', () => {
  const map = openRoom(4);
  const model = tabularModel(map);
  const env = new VecEnv({ map, numEnvs: 16, maxSteps: 10 });
  const small = tabularPolicy({ numStates: model.numStates, numActions: 4 });
  const J = (logits: Tensor): number => expectedReturn(logits, model, { horizon: 10 }).item();
  const start = J(small.init(new Rng(0)).logits);
  const viaReinforce = reinforce({ policy: small, env, iterations: 40, lr: 0.2, baseline: 'state', seed: 2 });
  const critic = tabularPolicy({ numStates: model.numStates, numActions: 1 });
  const viaA2c = a2c({ policy: small, valueFunction: critic, env, iterations: 40, lr: 0.2, valueLr: 0.3, seed: 2 });
  const afterReinforce = J(viaReinforce.params.logits);
  const afterA2c = J(viaA2c.params.logits);
  console.log(`\n  exact return on a 4×4 room: uniform ${start.toFixed(3)}, REINFORCE ${afterReinforce.toFixed(3)}, A2C ${afterA2c.toFixed(3)} (40 iterations × 16 episodes)`);
  assert.ok(afterReinforce > start + 0.3, `REINFORCE reached ${afterReinforce}`);
  assert.ok(afterA2c > start + 0.3, `A2C reached ${afterA2c}`);
});

Maml('Meta-SGD: per-parameter inner step multipliers scale the step; metaTrain learns them', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 8, maxSteps: 8 });
  env.setTasks(family.train[0]!);
  const params = policy.init(new Rng(0));
  const batch = collectEpisodes(env, policy, params, 5);
  const options = { innerLr: 3, baseline: 'state' as const };
  const plain = adaptPolicy(policy, params, batch, { ...options, innerLr: 6 });
  const twice = adaptPolicy(policy, params, batch, { ...options, innerLrScale: { logits: params.logits.add(2) } });
  allclose(twice.logits, plain.logits, 1e-5, 1e-6, 'a scale of 2 doubles the step');
  const frozen = adaptPolicy(policy, params, batch, { ...options, innerLrScale: { logits: params.logits.mul(0) } });
  allclose(frozen.logits, params.logits, 0, 0, 'a scale of 0 freezes the parameters');

  const run = (learnInnerLr: boolean) => metaTrain({
    policy, env, tasks: family.train, iterations: 3, metaBatchSize: 3, innerLr: 5, seed: 2, baseline: 'state', learnInnerLr,
  });
  const learned = run(true);
  assert.is(run(false).innerLrScale, undefined);
  const scale = learned.innerLrScale!.logits;
  assert.equal(scale.shape, params.logits.shape);
  assert.ok(Array.from(scale.data).every((v) => v > 0), 'multipliers are exp(ρ) > 0');
  assert.ok(Array.from(scale.data).some((v) => Math.abs(v - 1) > 1e-3), 'the multipliers moved away from 1');
  assert.equal(Array.from(run(true).innerLrScale!.logits.data), Array.from(scale.data), 'deterministic under a seed');
  // Test time: adaptationPath takes the learned multipliers like any other option.
  const [, adapted] = adaptationPath(policy, learned.params, env, 1, new Rng(1), { ...options, innerLr: 5, innerLrScale: learned.innerLrScale });
  assert.ok(Number.isFinite(expectedReturn(adapted!.logits, env.modelOf(0), { horizon: 8 }).item()));
});

Maml('weight decay pulls the meta-learned initialisation toward uniform logits', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 8, maxSteps: 8 });
  const norm = (weightDecay: number): number => {
    const { params } = metaTrain({ policy, env, tasks: family.train, iterations: 5, metaBatchSize: 3, innerLr: 5, seed: 4, baseline: 'state', outerLr: 0.2, weightDecay });
    return Array.from(params.logits.data).reduce((a, v) => a + v * v, 0);
  };
  assert.ok(norm(2) < norm(0), 'decayed logits are smaller');
});

Maml('metaTrainStep is pure: the same state gives the same next state, and stepping from a saved state continues metaTrain bit for bit', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 6, maxSteps: 8 });
  const options = { policy, env, tasks: family.train, metaBatchSize: 3, innerLr: 5, baseline: 'state' as const, seed: 7, learnInnerLr: true };
  const straight = metaTrain({ ...options, iterations: 3 });
  let state = metaTrainInit(options);
  for (let i = 0; i < 2; i++) state = metaTrainStep(options, state).state;
  // A checkpoint: everything through JSON and back.
  const saved = JSON.stringify({ params: Array.from(state.params.logits.data), logScale: Array.from(state.logScale!.logits.data), optimizer: state.optimizer, rng: state.rng });
  const loaded = JSON.parse(saved);
  const restored = {
    params: { logits: tensor(loaded.params, [SIZE * SIZE, 4]) }, logScale: { logits: tensor(loaded.logScale, [SIZE * SIZE, 4]) },
    optimizer: loaded.optimizer, rng: loaded.rng,
  };
  const rngBefore = [...state.rng];
  const a = metaTrainStep(options, state);
  const b = metaTrainStep(options, restored);
  assert.equal(state.rng, rngBefore, 'the input generator state is not advanced');
  assert.equal(Array.from(a.state.params.logits.data), Array.from(b.state.params.logits.data));
  assert.equal(Array.from(a.state.params.logits.data), Array.from(straight.params.logits.data));
  assert.equal(Array.from(exp(a.state.logScale!.logits).data), Array.from(straight.innerLrScale!.logits.data));
  assert.equal([a.preReturn, a.postReturn], [straight.history[2]!.preReturn, straight.history[2]!.postReturn]);
  assert.not.equal(a.state.rng, state.rng);
  throwsRl(() => metaTrainStep({ ...options, metaBatchSize: 99 }, state), /metaTrainStep: metaBatchSize 99 exceeds the 15 available tasks/);
});

Maml('an entropy bonus keeps the meta-learned initial policy more stochastic', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 8, maxSteps: 10 });
  const entropyAfter = (entropyBonus: number): number => {
    const { params } = metaTrain({ policy, env, tasks: family.train, iterations: 6, metaBatchSize: 3, innerLr: 20, seed: 2, baseline: 'state', outerLr: 0.3, entropyBonus });
    const everyState = tensor(Array.from({ length: SIZE * SIZE }, (_v, s) => [s]), [SIZE * SIZE, 1]);
    return meanEntropy(policy, params, everyState).item();
  };
  const plain = entropyAfter(0);
  const regularised = entropyAfter(1);
  assert.ok(plain < Math.log(4) - 1e-3, `plain MAML kept the uniform policy (entropy ${plain})`);
  assert.ok(regularised > plain, `entropy with the bonus ${regularised} should exceed ${plain} without`);
  throwsRl(() => metaTrain({ policy, env, tasks: family.train, iterations: 1, innerLr: 1, entropyBonus: -1 }), /metaTrain: entropyBonus must be a finite number in \[0, ∞\), got -1/);
});

Maml('bad options name the option and the value', () => {
  const env = new VecEnv({ map: openRoom(SIZE), numEnvs: 4, maxSteps: 6 });
  const base = { policy, env, tasks: family.train, iterations: 1, innerLr: 1 };
  throwsRl(() => metaTrain({ ...base, innerLr: NaN }), /metaTrain: innerLr must be a finite number .* got NaN/);
  throwsRl(() => metaTrain({ ...base, estimator: 'magic' as 'dice' }), /estimator must be one of 'dice', 'lvc', 'reinforce', 'firstOrder', got "magic"/);
  throwsRl(() => metaTrain({ ...base, metaBatchSize: 500 }), /metaBatchSize 500 exceeds the 15 available tasks/);
  throwsRl(() => metaTrain({ ...base, tasks: [] }), /tasks must be a non-empty array of tasks, got an empty array/);
  throwsRl(() => metaTrain({ ...base, weightDecay: -1 }), /metaTrain: weightDecay must be a finite number in \[0, ∞\), got -1/);
  throwsRl(() => metaTrain({ ...base, iterations: 1.5 }), /iterations must be an integer ≥ 0, got 1.5/);
  throwsRl(() => metaTrain({ ...base, baseline: 'learned' as 'state' }), /baseline must be one of 'none', 'observation', 'state', got "learned"/);
  throwsRl(() => reinforce({ policy, env, iterations: 1, lr: -1 }), /reinforce: lr must be a finite number in \[0, ∞\), got -1/);
  throwsRl(() => a2c({ policy, env, iterations: 1, valueFunction: policy }), /valueFunction must have numActions 1 \(one output, V\(o\)\), got 4/);
  throwsRl(() => adaptationPath(policy, policy.init(new Rng(0)), env, -1, new Rng(0), { innerLr: 1 }), /steps must be an integer ≥ 0, got -1/);
});

Maml.run();
