import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGrad, grad, Rng, tensor, zeros, type Tensor } from '../src/index.ts';
import { tabularModel, VecEnv } from '../src/rl/env/index.ts';
import {
  exactMetaObjective, expectedReturn, optimalReturn, optimalValues, uniformReturn,
} from '../src/rl/oracle.ts';
import { tabularPolicy } from '../src/rl/policy.ts';
import { collectEpisodes, episodeReturns } from '../src/rl/rollout.ts';
import { RlError } from '../src/rl/errors.ts';
import { allclose } from './helpers.ts';

const Oracle = suite('rl oracle');

// 'S.G': states 0 (start), 1, 2 (goal, terminal); actions up, right, down, left.
// Every step costs 0.01 (stored as float32), entering G pays 1.
const STEP = Math.fround(-0.01);
const GOAL = Math.fround(0.99);
const corridor = tabularModel('S.G');

Oracle('uniform policy on S.G matches hand-computed values', () => {
  // Horizon 1: every first action costs one step.
  allclose(expectedReturn(zeros([3, 4]), corridor, { horizon: 1 }).item(), STEP, 0, 1e-12);
  // Horizon 2: V1(1) = (GOAL + 3·STEP)/4, V1(0) = STEP; V0(0) = STEP + V1(1)/4 + 3·V1(0)/4.
  const v1 = (GOAL + 3 * STEP) / 4;
  allclose(expectedReturn(zeros([3, 4]), corridor, { horizon: 2 }).item(), STEP + v1 / 4 + (3 * STEP) / 4, 0, 1e-12);
  // With discount γ the second step's rewards are scaled by γ.
  allclose(expectedReturn(zeros([3, 4]), corridor, { horizon: 2, discount: 0.5 }).item(), STEP + 0.5 * (v1 / 4 + (3 * STEP) / 4), 0, 1e-12);
  allclose(uniformReturn(corridor, { horizon: 2 }), STEP + v1 / 4 + (3 * STEP) / 4, 0, 1e-12);
});

Oracle('the exact policy gradient on S.G matches the hand-derived one', () => {
  // Horizon 2 at the uniform policy: only state 1 at t = 1 (reached with probability 1/4)
  // has actions of different value. ∂J/∂θ[1, a] = 1/4 · π(a|1) · (Q(1, a) − V(1)).
  const g = grad((logits: Tensor) => expectedReturn(logits, corridor, { horizon: 2 }))(zeros([3, 4])) as Tensor;
  const v1 = (GOAL + 3 * STEP) / 4;
  const expected = [
    // State 0 at t = 0: Q(0, right) = STEP + V1(1), Q(0, other) = 2·STEP, V0(0) as above.
    ...[0, 1, 2, 3].map((a) => {
      const q = a === 1 ? STEP + v1 : 2 * STEP;
      const v0 = STEP + v1 / 4 + (3 * STEP) / 4;
      return 0.25 * (q - v0);
    }),
    ...[0, 1, 2, 3].map((a) => (1 / 4) * (1 / 4) * ((a === 1 ? GOAL : STEP) - v1)),
    0, 0, 0, 0,
  ];
  allclose(g, expected, 1e-5, 1e-7, 'policy gradient');
});

Oracle('optimal return by value iteration', () => {
  allclose(optimalReturn(corridor, { horizon: 1 }), STEP, 0, 1e-12);
  allclose(optimalReturn(corridor, { horizon: 5 }), STEP + GOAL, 0, 1e-12);
  const room = tabularModel('S..\n..G');
  allclose(optimalReturn(room, { horizon: 10 }), 2 * STEP + GOAL, 0, 1e-12); // three moves
  const values = optimalValues(room, { horizon: 10 });
  allclose(values[room.goalStates[0]!]!, 0, 0, 0); // terminal states are worth nothing
  // A near-deterministic "right, then down" policy attains the optimum.
  const logits = new Float32Array(6 * 4);
  for (let s = 0; s < 6; s++) logits[s * 4 + (s % 3 === 2 ? 2 : 1)] = 30;
  allclose(expectedReturn(tensor(logits, [6, 4]), room, { horizon: 10 }).item(), optimalReturn(room, { horizon: 10 }), 0, 1e-9);
});

Oracle('gradient and meta-gradient agree with float64 central differences', () => {
  const room = tabularModel('S..\n.#.\n..G');
  const rng = new Rng(3);
  const theta = tensor(Array.from({ length: room.numStates * 4 }, () => rng.normal()), [room.numStates, 4], 'float64');
  const first = checkGrad((x: Tensor) => expectedReturn(x, room, { horizon: 5, discount: 0.9 }), [theta], { atol: 1e-7, rtol: 1e-5 });
  assert.ok(first.ok, first.message);
  const meta = checkGrad((x: Tensor) => exactMetaObjective(x, room, { horizon: 5, innerLr: 2 }), [theta], { atol: 1e-7, rtol: 1e-5 });
  assert.ok(meta.ok, meta.message);
  const twoSteps = checkGrad((x: Tensor) => exactMetaObjective(x, room, { horizon: 4, innerLr: 1, innerSteps: 2 }), [theta], { atol: 1e-7, rtol: 1e-5 });
  assert.ok(twoSteps.ok, twoSteps.message);
});

Oracle('exact return agrees with a Monte-Carlo estimate from the vectorised environment', () => {
  const map = 'S..\n.L.\n..G';
  const model = tabularModel(map);
  const horizon = 6;
  const rng = new Rng(11);
  const logits = tensor(Array.from({ length: model.numStates * 4 }, () => rng.normal()), [model.numStates, 4]);
  const exact = expectedReturn(logits, model, { horizon }).item();
  const n = 20000;
  const env = new VecEnv({ map, numEnvs: n, maxSteps: horizon });
  const policy = tabularPolicy({ numStates: model.numStates, numActions: 4 });
  const returns = episodeReturns(collectEpisodes(env, policy, { logits }, 5));
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1));
  const z = (mean - exact) / (sd / Math.sqrt(n));
  assert.ok(Math.abs(z) < 4, `Monte-Carlo mean ${mean} vs exact ${exact}: ${z.toFixed(2)} standard errors apart`);
});

Oracle('bad input names the option and the value', () => {
  const throwsRl = (fn: () => unknown, pattern: RegExp): void => {
    try {
      fn();
    } catch (error) {
      assert.instance(error, RlError);
      assert.match((error as Error).message, pattern);
      return;
    }
    assert.unreachable(`expected an RlError matching ${pattern}`);
  };
  throwsRl(() => expectedReturn(zeros([2, 4]), corridor, { horizon: 2 }), /logits must have shape \[numStates, numActions\] = \[3, 4\], got \[2, 4\]/);
  throwsRl(() => expectedReturn(zeros([3, 4]), corridor, { horizon: 0 }), /horizon must be an integer ≥ 1, got 0/);
  throwsRl(() => expectedReturn(zeros([3, 4]), corridor, { horizon: 2, discount: 1.5 }), /discount must be a finite number in \[0, 1\], got 1.5/);
  throwsRl(() => exactMetaObjective(zeros([3, 4]), corridor, { horizon: 2, innerLr: NaN }), /innerLr must be a finite number .* got NaN/);
});

Oracle.run();
