/**
 * One sign-grid run of the OOD study: DREAM trained with one exploitation head and one
 * seed, meta-tested on the training tasks and on unseen goal placements (`oodGoal`), with
 * DREAM's stage diagnosis (does exploration read the sign, does the decoder name the
 * goal, how well does exploitation do with the decoded and with the true goal).
 */
import { diagnoseDream, EXPLORE_SPLITS, exploreSetup, measureAgent, trainExploreAgent, type DreamDiagnosis, type ExploreSplit } from '../../explore/experiments.ts';
import type { OodSignHead } from './ood-config.ts';

/** One sign-grid run's settings. */
export interface OodSignRunConfig {
  readonly [key: string]: unknown;
  readonly kind: 'sign';
  readonly head: OodSignHead;
  readonly seed: number;
  readonly iterations: number;
  readonly trials: number;
}

/** What one sign-grid run gives back. */
export interface OodSignRun {
  readonly kind: 'sign';
  readonly head: OodSignHead;
  readonly seed: number;
  /** Fraction of the oracle's exploitation return, greedy and sampled, per split. */
  readonly fraction: Readonly<Record<ExploreSplit, { sampled: number; greedy: number }>>;
  readonly diagnosis: Readonly<Record<ExploreSplit, DreamDiagnosis>>;
}

/** Trains DREAM with `config.head` and measures it. */
export function runOodSign(config: OodSignRunConfig, onIteration: (i: number) => void = () => {}): OodSignRun {
  const setup = exploreSetup();
  const trained = trainExploreAgent('dream', setup, { seed: config.seed, iterations: config.iterations, dreamView: config.head, onIteration });
  const measure = measureAgent(trained.tester, setup, config.seed, { trials: config.trials, probeTrials: config.trials });
  const diagnosis = diagnoseDream(trained.dream!, setup, config.seed, config.trials);
  return { kind: 'sign', head: config.head, seed: config.seed, fraction: measure.fraction, diagnosis };
}

export { EXPLORE_SPLITS as OOD_SIGN_SPLITS };
