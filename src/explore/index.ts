/**
 * Exploration in meta-RL (issue 8): sign-grid environments where the task must be
 * discovered, an oracle, sequence models (GRU, layer norm, causal attention,
 * transformer blocks) built from the engine's differentiable ops, and four agents
 * (DREAM-style decoupled exploration, RL², a transformer meta-learner, MAML-RL) with
 * a common meta-test protocol and measurements.
 *
 * @example
 * ```ts
 * import { explore } from 'metagrad';
 * const family = explore.signGridFamily();
 * const dream = explore.trainDream({ config: family.config, tasks: family.train, iterations: 2, batchSize: 4 }); // the study: thousands
 * const tester = explore.dreamTester(dream, family.config);
 * explore.evaluateAgent(tester, family.config, family.oodSign, { trials: 8, greedy: true }).fractionOfOracle; // of the oracle's return
 * ```
 */
export {
  SignGrid, signGridFamily, oracleReturn, shortestPath, DEFAULT_SIGN_REWARDS,
  type SignTask, type SignGridConfig, type SignRewards, type SignStep, type SignFamily, type SignFamilyOptions,
} from './env.ts';
export {
  initDense, applyDense, initGru, gruCell, gruSequence, initLayerNorm, layerNorm, positionalEncoding, causalMask,
  causalSelfAttention, initBlock, initDenseScheme, transformerBlock, transformerBlockStep, INIT_SCHEMES,
  type DenseLayer, type GruParams, type LayerNormParams, type AttentionParams, type BlockParams, type InitScheme, type KvCache,
} from './seq.ts';
export {
  rolloutTrials, inputSizeOf, inputTensor, keepMask, trialAdvantages, actorCriticLoss, AdamTrainer, episodeReturnsOf, drawTasks,
  sampleLogits, argmax, scaleWrongGoalRewards, penaltyScale, type TrialBatch, type StepPolicy, type ActorCriticOptions,
} from './common.ts';
export {
  rl2Agent, transformerAgent, trainSequenceAgent,
  type SequenceAgent, type Rl2Params, type TransformerParams, type TransformerAgentOptions, type SequenceTrainOptions,
} from './rl2.ts';
export {
  trainDream, exploitStepper, exploitView, EXPLOIT_VIEWS,
  type DreamAgent, type DreamOptions, type DreamParams, type ExploitParams, type DecoderParams, type ExploitView, type ExploitViewKind,
} from './dream.ts';
export { relationalInputs, relationalLayout, goalLogits, RELATIONAL_INPUT_SIZE, type RelationalLayout } from './relational.ts';
export { trainMaml, toEpisodeBatch, policyStepper, sliceTrials, type MamlAgent, type MamlOptions } from './maml.ts';
export {
  sequenceTester, dreamTester, mamlTester, evaluateAgent, probeAccuracy, explorationFeatures, explorationPaths, firstEpisode,
  type MetaTester, type MetaTestResult, type Evaluation,
} from './measure.ts';
