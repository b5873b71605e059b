/**
 * Studies whose unit is one seed of a single `metagrad <command>` run (a {@link SeedRun}):
 * the mean over seeds with 95% CIs of every metric, the first table and the training
 * curve averaged, a per-seed table of the headline metrics, and each figure combined as
 * the study says (averaged, or the first seed's). `gridworld` and `sinusoid` are such studies.
 */
import type { MeanInterval } from '../../stats/interval.ts';
import type { FigureSpec } from '../../report/figures.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import type { MetaJob } from '../job.ts';
import { trainingFigure } from '../run.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition, StudyOutcome } from '../study.ts';
import type { SeedRun } from './meta-unit.ts';
import { intervalOf, meanCurves, meanOrNull, meanTable } from './seed-means.ts';

/** What differs between seed studies. */
export interface SeedStudyShape<C> {
  readonly command: string;
  readonly job: string;
  /** The metric keys of the per-seed table. */
  headline(key: string, config: C): boolean;
  /** The per-seed table's title. */
  perSeedTitle(config: C): string;
  /** The study's figure `id` from every seed's (`all`, in seed order); undefined leaves it out. */
  figure(id: string, all: readonly (FigureSpec | undefined)[], firstSeed: number): FigureSpec | undefined;
}

/** Combines the finished seeds of a seed study (see the module comment). */
export function combineSeeds<C extends Record<string, unknown>>(shape: SeedStudyShape<C>, config: C, units: readonly UnitResult<SeedRun>[], totalUnits: number): StudyOutcome {
  const runs = units.map((u) => u.value);
  const n = runs.length;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
  const intervals: Record<string, MeanInterval> = Object.fromEntries(keys.map((k) => [k, intervalOf(runs.map((r) => r.metrics[k]))]));
  const metrics = Object.fromEntries(keys.map((k) => [k, meanOrNull(intervals[k]!)]));
  const headline = keys.filter((key) => shape.headline(key, config));
  const tables: SummaryTable[] = [];
  const figures: Record<string, FigureSpec> = {};
  if (n > 0) {
    const firstTables = runs.map((r) => r.tables[0]).filter((t): t is SummaryTable => t !== undefined);
    if (firstTables.length === n) tables.push(meanTable(firstTables));
    tables.push({
      title: shape.perSeedTitle(config),
      header: ['seed', ...headline],
      rows: units.map((u) => [u.seed, ...headline.map((key) => u.value.metrics[key] ?? null)]),
    });
    const curves = meanCurves(runs);
    if ((curves[runs[0]!.curve.key]?.length ?? 0) > 0) {
      const fig = trainingFigure(curves, { curve: runs[0]!.curve, config } as unknown as MetaJob);
      figures['meta-training'] = { ...fig, caption: `Mean over ${n} seed${n === 1 ? '' : 's'} per iteration, then averaged in bins (at most 100); shaded: 95% CI of each bin's mean.` };
    }
    for (const id of Object.keys(runs[0]!.figures)) {
      const figure = shape.figure(id, runs.map((r) => r.figures[id]), units[0]!.seed);
      if (figure !== undefined) figures[id] = figure;
    }
  }
  return {
    metrics, tables, figures,
    data: {
      intervals,
      runs: units.map((u) => ({ seed: u.seed, unit: u.index, metrics: u.value.metrics })),
      missing: totalUnits - n,
    },
  };
}

/** The seed study of `shape` for {@link runStudy} and `metagrad merge`: one unit per seed, its config the study's with that seed. */
export function seedStudy<C extends Record<string, unknown> & { readonly seeds: number; readonly iterations: number }>(shape: SeedStudyShape<C>): StudyDefinition<C, SeedRun> {
  return {
    command: shape.command,
    job: shape.job,
    unitConfig: (config, seed) => {
      const { seeds: _seeds, ...single } = config;
      return { ...single, seed } as unknown as C;
    },
    work: (config) => config.iterations,
    combine: (config, units, totalUnits) => combineSeeds(shape, config, units, totalUnits),
  };
}
