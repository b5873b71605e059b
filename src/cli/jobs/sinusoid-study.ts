/**
 * The sinusoid study (`metagrad sinusoid --seeds N`), combined into the mean over seeds
 * with 95% CIs — the adaptation table and curves in and out of distribution, the
 * meta-training curve — plus every seed's metrics, and the first seed's fit to one
 * held-out task (the tasks differ between seeds).
 *
 * Each seed trains two independent models on the same task stream, so with baselines it
 * runs as two `sinusoid.run` units — the meta-learner, and the pretrained baseline with
 * the scratch model — that replay the seed's generator alone; all meta-learner units
 * (the longer ones) come first, so the pool starts them first. The combine step joins each
 * seed's two parts into the run the seed gives in one piece, then combines seeds exactly
 * as one unit per seed would: results.json does not depend on the split, the number of
 * workers or the shards. A seed with only one part finished counts as missing.
 */
import type { LineFigure } from '../../report/figures.ts';
import type { RunResults } from '../../report/run-report.ts';
import type { UnitResult } from '../shard.ts';
import { seedsOf, studyResults, type StudyDefinition, type StudyHeader, type StudyOutcome } from '../study.ts';
import type { SeedRun } from './meta-unit.ts';
import { meanLineFigure } from './seed-means.ts';
import { combineSeeds, seedStudy, type SeedStudyShape } from './seed-study.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';
import { joinEvalData, sinusoidEvaluation } from './sinusoid-eval.ts';
import type { SinusoidPartRun, SinusoidUnitConfig, SinusoidUnitRun } from './sinusoid-unit.ts';

/** The study's config: a sinusoid config (its `seed` the first seed) and the number of seeds. */
export type SinusoidStudyConfig = SinusoidConfig & { readonly seeds: number };

const SHAPE: SeedStudyShape<SinusoidStudyConfig> = {
  command: 'sinusoid',
  job: 'sinusoid.run',
  headline: (key, config) => key.endsWith(`/step${config.evalSteps}`),
  perSeedTitle: (config) => `Query MSE after ${config.evalSteps} adaptation steps, per seed`,
  figure: (id, all, firstSeed) => {
    const spec = all[0]!;
    // The fit is to one task of each seed's own held-out set: shown for the first seed, not averaged.
    if (id === 'fit') return { ...spec, title: `${spec.title} (seed ${firstSeed})` } as LineFigure;
    if (spec.type === 'line' && all.every((f) => f?.type === 'line')) return meanLineFigure(all as LineFigure[]);
    return undefined;
  },
};

/** The study with one unit per seed: what the seeds combine as, once joined. */
const BY_SEED = seedStudy(SHAPE);

/** One seed's run from its two parts (`meta`, `baseline`), as the seed gives it in one unit. */
export function joinParts(config: SinusoidConfig, meta: SinusoidPartRun, baseline: SinusoidPartRun): SeedRun {
  const evaluation = sinusoidEvaluation(config, joinEvalData([meta.evaluation, baseline.evaluation]));
  return {
    seed: meta.seed, curve: meta.curve, curves: { ...meta.curves, ...baseline.curves },
    metrics: evaluation.metrics, tables: evaluation.tables, figures: evaluation.figures,
  };
}

const isPart = (v: SinusoidUnitRun): v is SinusoidPartRun => 'part' in v;

/**
 * The finished seeds' runs in seed order, numbered as the units of a one-unit-per-seed
 * study (a seed's position among the seeds); seeds missing a part are left out.
 */
export function seedRuns(config: SinusoidStudyConfig, units: readonly UnitResult<SinusoidUnitRun>[]): UnitResult<SeedRun>[] {
  const out: UnitResult<SeedRun>[] = [];
  seedsOf(config).forEach((seed, index) => {
    const mine = units.filter((u) => u.seed === seed).map((u) => u.value);
    const whole = mine.find((v) => !isPart(v));
    const meta = mine.find((v): v is SinusoidPartRun => isPart(v) && v.part === 'meta');
    const baseline = mine.find((v): v is SinusoidPartRun => isPart(v) && v.part === 'baseline');
    if (whole !== undefined) out.push({ index, seed, value: whole as SeedRun });
    else if (meta && baseline) out.push({ index, seed, value: joinParts(config, meta, baseline) });
  });
  return out;
}

/** Combines the finished units (see the module comment). */
export function combineSinusoid(config: SinusoidStudyConfig, units: readonly UnitResult<SinusoidUnitRun>[]): StudyOutcome {
  return combineSeeds(SHAPE, config, seedRuns(config, units), config.seeds);
}

/** The units in run order: every seed's meta-learner, then every seed's baselines (one whole unit per seed without baselines). */
function units(config: SinusoidStudyConfig): { seed: number; config: SinusoidStudyConfig }[] {
  const { seeds: _seeds, ...single } = config;
  const seeds = seedsOf(config);
  const of = (part: SinusoidUnitConfig['part']) => seeds.map((seed) => ({ seed, config: { ...single, seed, part } as unknown as SinusoidStudyConfig }));
  return config.baselines ? [...of('meta'), ...of('baseline')] : of('all');
}

/** The sinusoid study for {@link runStudy} and `metagrad merge`. */
export const SINUSOID_STUDY: StudyDefinition<SinusoidStudyConfig, SinusoidUnitRun> = {
  command: 'sinusoid',
  job: 'sinusoid.run',
  unitNoun: 'model runs',
  units,
  unitConfig: BY_SEED.unitConfig,
  work: (config) => config.iterations,
  assemble(config, finished, _totalUnits, header: StudyHeader): RunResults {
    // Numbered, counted and combined as a study of one unit per seed: the same file whatever the split.
    return studyResults(BY_SEED, config, seedRuns(config, finished), config.seeds, header);
  },
};
