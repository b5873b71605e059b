import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { curveOf, exactPolicyReturn, formatResultTable, renderAdaptationSvg, runExperiment } from '../src/rl/evaluate.ts';
import { RlError } from '../src/rl/errors.ts';
import { goalFamily, openRoom, VecEnv } from '../src/rl/env/index.ts';
import { tabularPolicy } from '../src/rl/policy.ts';
import { adaptationPath } from '../src/rl/mamlrl.ts';
import { optimalReturn } from '../src/rl/oracle.ts';
import { Rng } from '../src/random/rng.ts';
import { allclose } from './helpers.ts';

const Evaluate = suite('rl evaluation');

Evaluate('a tiny experiment yields curves for every method and split, a table and an SVG', () => {
  const result = runExperiment({
    family: 'goal', size: 4, horizon: 8, innerLr: 5, episodesPerStep: 4, metaIterations: 2, metaBatchSize: 2,
    pretrainIterations: 2, seeds: [0, 1], adaptationSteps: 1, maxTasksPerSplit: 2,
  });
  assert.is(result.curves.length, 9);
  for (const curve of result.curves) {
    assert.is(curve.fractionOfOptimal.length, 2);
    for (const interval of [...curve.fractionOfOptimal, ...curve.return]) {
      assert.ok(Number.isFinite(interval.mean) && interval.low <= interval.mean && interval.mean <= interval.high);
      assert.is(interval.perSeed.length, 2);
    }
  }
  // Scratch starts from the uniform policy on every split: its 0-step return is the same for both seeds' tasks only by split, so just check it is below optimal.
  assert.ok(curveOf(result, 'scratch', 'train').fractionOfOptimal[0]!.mean < 1);
  assert.ok(result.optimalReturn.test > 0);
  const table = formatResultTable(result);
  assert.match(table, /\| maml \| test \|/);
  const svg = renderAdaptationSvg(result);
  assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>'));
  assert.is(svg.match(/<polyline/g)?.length, 9);
  assert.not.throws(() => JSON.stringify(result));
});

Evaluate('MAML can meta-learn its inner step sizes (Meta-SGD) and adapts with them', () => {
  const result = runExperiment({
    family: 'goal', size: 4, horizon: 8, innerLr: 5, episodesPerStep: 4, metaIterations: 2, metaBatchSize: 2,
    pretrainIterations: 1, seeds: [0], adaptationSteps: 1, maxTasksPerSplit: 1, learnInnerLr: true, weightDecay: 0.01,
  });
  assert.is(result.curves.length, 9);
  for (const curve of result.curves) assert.ok(curve.fractionOfOptimal.every((i) => Number.isFinite(i.mean)));
  const table = formatResultTable(result);
  assert.match(table, /one seed \(no interval\)/);
  assert.not.match(table, /±/, 'one seed states no interval');
});

Evaluate('adaptationDraws averages independent adaptations per task; draw 0 is the single-draw run', () => {
  const base = {
    family: 'goal' as const, size: 4, horizon: 8, innerLr: 5, episodesPerStep: 6, metaIterations: 1, metaBatchSize: 2,
    pretrainIterations: 1, seeds: [0], adaptationSteps: 1, maxTasksPerSplit: 1,
  };
  const single = runExperiment(base);
  assert.equal(runExperiment({ ...base, adaptationDraws: 1 }).curves, single.curves);
  const averaged = runExperiment({ ...base, adaptationDraws: 3 });
  // Scratch on the one test task, by hand: the mean over draws of the exact return after one step.
  const env = new VecEnv({ map: openRoom(4), numEnvs: 6, maxSteps: 8, observation: { kind: 'stateIndex' } });
  const policy = tabularPolicy({ numStates: 16, numActions: env.numActions });
  env.setTasks(goalFamily({ size: 4, seed: 0 }).test[0]!);
  const model = env.modelOf(0);
  const best = optimalReturn(model, { horizon: 8 });
  const init = policy.init(new Rng(0).split());
  const fractions = [0, 1, 2].map((draw) => {
    const [, adapted] = adaptationPath(policy, init, env, 1, new Rng([0, 0, 1, 0x5eed + draw]), { innerLr: 5, estimator: 'dice', baseline: 'state' });
    return exactPolicyReturn(policy, adapted!, model, env.observation, 8) / best;
  });
  const scratchTest = (r: typeof single) => curveOf(r, 'scratch', 'test').fractionOfOptimal;
  allclose(scratchTest(single)[1]!.mean, fractions[0]!, 1e-9, 1e-9);
  allclose(scratchTest(averaged)[1]!.mean, (fractions[0]! + fractions[1]! + fractions[2]!) / 3, 1e-9, 1e-9);
  assert.ok(new Set(fractions.map((f) => f.toFixed(6))).size > 1, 'the draws use different episodes');
  assert.is(scratchTest(averaged)[0]!.mean, scratchTest(single)[0]!.mean);
  assert.throws(() => runExperiment({ ...base, adaptationDraws: 0 }), /adaptationDraws must be an integer ≥ 1, got 0/);
});

Evaluate('bad experiment options name the option and the value', () => {
  const base = { family: 'goal' as const, size: 4, innerLr: 1, metaIterations: 1, seeds: [0] };
  assert.throws(() => runExperiment({ ...base, family: 'maze' as 'goal' }), (e: Error) => e instanceof RlError && /family must be one of 'goal', 'start', got "maze"/.test(e.message));
  assert.throws(() => runExperiment({ ...base, seeds: [] }), /seeds must be a non-empty array of integers, got \[\]/);
  assert.throws(() => runExperiment({ ...base, episodesPerStep: 0 }), /episodesPerStep must be an integer ≥ 1, got 0/);
  assert.throws(() => runExperiment({ ...base, weightDecay: -0.5 }), /weightDecay must be a finite number in \[0, ∞\), got -0.5/);
});

Evaluate.run();
