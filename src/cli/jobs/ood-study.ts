/**
 * The OOD study (`metagrad ood`): one `ood.run` unit per seed × (family × architecture)
 * and per seed × DREAM head — seed by seed, so an interrupted run has every configuration
 * on the same seeds — combined into fractions of the optimum after 0..k adaptation steps
 * in and out of distribution (mean and 95% CI over seeds), the OOD gap per architecture,
 * the diagnostics, and one adaptation chart per family.
 */
import { meanInterval, type MeanInterval } from '../../stats/interval.ts';
import { formatInterval } from '../../report/stats.ts';
import type { FigureSpec, LineFigure } from '../../report/figures.ts';
import type { Series } from '../../report/line-chart.ts';
import type { ReportSection, SummaryTable } from '../../report/run-report.ts';
import type { UnitResult } from '../shard.ts';
import type { StudyDefinition, StudyOutcome } from '../study.ts';
import { OOD_FAMILY_SETTINGS, type OodArch, type OodConfig, type OodFamily } from './ood-config.ts';
import type { OodGridRun, OodGridRunConfig, OodSplit } from './ood-grid.ts';
import type { OodSignRun, OodSignRunConfig } from './ood-sign.ts';
import type { OodUnitConfig, OodUnitValue } from './ood-unit.ts';

const seedsOf = (c: OodConfig): number[] => Array.from({ length: c.seeds }, (_v, i) => c.seed + i);

/** Meta-iterations of a family at the config's scale. */
export function oodIterations(c: OodConfig, family: OodFamily): number {
  return Math.max(1, Math.round(OOD_FAMILY_SETTINGS[family].iterations * c.scale));
}

/** The units in run order: seed by seed, every family × architecture, then every DREAM head. */
export function oodUnits(c: OodConfig): { seed: number; config: OodUnitConfig }[] {
  return seedsOf(c).flatMap((seed) => [
    ...c.families.flatMap((family) => c.archs.map((arch) => ({
      seed,
      config: {
        kind: 'grid', family, arch, seed, iterations: oodIterations(c, family),
        episodes: Math.max(2, Math.round(OOD_FAMILY_SETTINGS[family].episodes * c.episodeScale)),
        evalTasks: c.evalTasks, steps: c.steps, draws: c.draws, jit: c.jit,
      } satisfies OodGridRunConfig as OodUnitConfig,
    }))),
    ...c.signHeads.map((head) => ({
      seed, config: { kind: 'sign', head, seed, iterations: Math.max(1, Math.round(c.dreamIterations * c.scale)), trials: c.trials } satisfies OodSignRunConfig as OodUnitConfig,
    })),
  ]);
}

const ARCH_LABELS: Readonly<Record<OodArch, string>> = {
  tabular: 'tabular (state id)', mlp: 'MLP over position', mlpGrid: 'MLP over absolute grid channels', conv: 'convolutional, read out at the agent', convWide: 'dilated convolutional (1, 2, 4), read out at the agent', egocentric: 'egocentric axes MLP', egocentricWindow: 'egocentric window + axes MLP', egocentricRays: 'egocentric axes + rays MLP', egocentricRot: 'egocentric axes, scorer tied over 4 rotations',
};
const COLORS: Readonly<Record<OodArch, string>> = { tabular: '#7f7f7f', mlp: '#ff7f0e', mlpGrid: '#9467bd', conv: '#2ca02c', convWide: '#bcbd22', egocentric: '#1f77b4', egocentricWindow: '#17becf', egocentricRays: '#e377c2', egocentricRot: '#8c564b' };

const orNull = (i: MeanInterval): number | null => (Number.isFinite(i.mean) ? i.mean : null);

/** Why an architecture fails where it fails, from its diagnostics (means over seeds). */
export function verdict(arch: OodArch, test: { fraction: number; reach: number; novel: number }, ood: { fraction: number; reach: number; novel: number }): string {
  const p = (x: number): string => x.toFixed(2);
  const gap = test.fraction - ood.fraction;
  const seesGoal = arch !== 'tabular' && arch !== 'mlp';
  if (gap <= 0.05 && ood.fraction >= 0.85) return `transfers: OOD within ${p(Math.max(0, gap))} of ID${seesGoal ? `; ${p(ood.novel)} of OOD path inputs unseen in training` : ''}`;
  if (!seesGoal) {
    return `its input does not show the goal: it learns the task only from adaptation episodes that reach the goal, and before adaptation an OOD episode does so with p = ${p(ood.reach)} (ID ${p(test.reach)})`;
  }
  if (ood.novel > 0.1) return `${p(ood.novel)} of the states on the way to an OOD goal give inputs no training task produced (ID ${p(test.novel)}): their weights never trained`;
  if (ood.reach < test.reach - 0.2) return `inputs are familiar (${p(ood.novel)} unseen) but the learnt behaviour does not carry over: reach p = ${p(ood.reach)} OOD vs ${p(test.reach)} ID`;
  return `under-trained or unstable adaptation: ID ${p(test.fraction)} itself is low (reach ${p(test.reach)})`;
}

/** Combines the finished units (see the module comment). */
export function combineOod(config: OodConfig, units: readonly UnitResult<OodUnitValue>[], totalUnits: number): StudyOutcome {
  const grid = units.map((u) => u.value).filter((v): v is OodGridRun => v.kind === 'grid');
  const sign = units.map((u) => u.value).filter((v): v is OodSignRun => v.kind === 'sign');
  const metrics: Record<string, number | null> = {};
  const intervals: Record<string, MeanInterval> = {};
  const put = (key: string, values: readonly number[]): MeanInterval => {
    const i = meanInterval(values);
    intervals[key] = i;
    metrics[key] = orNull(i);
    return i;
  };
  const k = config.steps, one = Math.min(1, k);
  const stepCols = [...new Set([0, one, k])];
  const tables: SummaryTable[] = [];
  const figures: Record<string, FigureSpec> = {};
  const diagnosisRows: (string | number | null)[][] = [];
  const layout: ReportSection[] = [];

  for (const family of config.families) {
    const rows: (string | number | null)[][] = [];
    const series: Series[] = [];
    for (const arch of config.archs) {
      const runs = grid.filter((r) => r.family === family && r.arch === arch);
      if (runs.length === 0) continue;
      const at = (split: OodSplit, s: number): MeanInterval => put(`${family}/${arch}/${split}/step${s}`, runs.map((r) => r.splits[split].fraction[s] ?? NaN));
      const gap = put(`${family}/${arch}/gap/step${one}`, runs.map((r) => r.splits.test.fraction[one]! - r.splits.ood.fraction[one]!));
      const diag = (split: OodSplit) => ({
        fraction: at(split, one).mean,
        reach: put(`${family}/${arch}/${split}/reach`, runs.map((r) => r.splits[split].reach)).mean,
        novel: put(`${family}/${arch}/${split}/novel`, runs.map((r) => r.splits[split].novel)).mean,
      });
      const dTest = diag('test'), dOod = diag('ood');
      rows.push([ARCH_LABELS[arch], runs.length, ...stepCols.map((s) => formatInterval(at('test', s))), ...stepCols.map((s) => formatInterval(at('ood', s))), formatInterval(gap)]);
      diagnosisRows.push([family, ARCH_LABELS[arch], dTest.reach.toFixed(2), dOod.reach.toFixed(2), dTest.novel.toFixed(2), dOod.novel.toFixed(2), verdict(arch, dTest, dOod)]);
      const steps = Array.from({ length: k + 1 }, (_v, s) => s);
      for (const split of ['test', 'ood'] as const) {
        const ci = steps.map((s) => intervals[`${family}/${arch}/${split}/step${s}`] ?? at(split, s));
        series.push({
          name: `${arch} ${split === 'test' ? 'ID' : 'OOD'}`, x: steps, y: ci.map(orNull), lo: ci.map((i) => (Number.isFinite(i.low) ? i.low : null)),
          hi: ci.map((i) => (Number.isFinite(i.high) ? i.high : null)), color: COLORS[arch], dashed: split === 'ood', markers: true,
        });
      }
    }
    if (rows.length === 0) continue;
    const s = OOD_FAMILY_SETTINGS[family];
    tables.push({
      title: `${family}: fraction of the DP optimum after adaptation steps, mean [95% CI] over seeds`,
      header: ['architecture', 'seeds', ...stepCols.map((c) => `ID step ${c}`), ...stepCols.map((c) => `OOD step ${c}`), `gap (ID − OOD) step ${one}`],
      rows,
    });
    const fig: LineFigure = {
      type: 'line', title: `${family}: adaptation in (solid) and out of (dashed) distribution`, xLabel: 'policy-gradient adaptation steps', yLabel: 'fraction of the DP optimum', integerX: true,
      series: [...series, { name: 'target 0.85', x: [0, k], y: [0.85, 0.85], color: '#555555', dashed: true }],
      caption: `${s.family} family, ${s.family === 'layout' ? `four rooms ${s.size}×${s.size}` : `open ${s.size}×${s.size}`}: exact expected return over the optimum after 0..${k} inner steps (${config.evalTasks} tasks per split), mean over seeds; shaded: 95% CI.`,
    };
    figures[`adaptation/${family}`] = fig;
    layout.push({ heading: `${family}: in and out of distribution`, figures: [`adaptation/${family}`], tables: [tables.length - 1] });
  }
  if (diagnosisRows.length > 0) {
    tables.push({
      title: 'Why each architecture fails where it fails (means over seeds)',
      header: ['family', 'architecture', 'reach ID', 'reach OOD', 'novel inputs ID', 'novel inputs OOD', 'diagnosis'],
      rows: diagnosisRows,
    });
    layout.push({
      heading: 'Diagnostics',
      text: [
        'reach: the probability that one episode of the meta-learned policy, before adaptation, enters the goal (exact): a policy that does not observe the goal learns it only from the adaptation episodes that reach it.',
        'novel inputs: the share of the states on a shortest path to the goal whose input, as the architecture reads it, no state of any training task produces (an input unit never active in training — its first-layer weights never moved — or, for the convolution, an agent-centred receptive-field patch never seen).',
      ],
      tables: [tables.length - 1],
    });
  }
  if (sign.length > 0) {
    const heads = [...new Set(sign.map((r) => r.head))];
    const rows = heads.map((head) => {
      const runs = sign.filter((r) => r.head === head);
      const f = (key: string, values: number[]): string => formatInterval(put(`sign/${head}/${key}`, values));
      return [head, runs.length,
        f('train/greedy', runs.map((r) => r.fraction.train.greedy)), f('oodGoal/greedy', runs.map((r) => r.fraction.oodGoal.greedy)),
        f('oodGoal/sampled', runs.map((r) => r.fraction.oodGoal.sampled)), f('oodGoal/decodedGoal', runs.map((r) => r.diagnosis.oodGoal.decodedGoal)),
        f('oodGoal/exploitTrue', runs.map((r) => r.diagnosis.oodGoal.exploitTrue))];
    });
    tables.push({
      title: 'Sign grid, DREAM per exploitation head: fraction of the oracle, mean [95% CI] over seeds',
      header: ['head', 'seeds', 'training tasks (greedy)', 'unseen goal placements (greedy)', 'unseen goal placements (sampled)', 'decoder names the goal (OOD)', 'exploiting with the true goal (OOD)'],
      rows,
    });
    layout.push({
      heading: 'Sign grid: unseen goal placements',
      text: ['DREAM with each exploitation head: full (the whole observation, absolute position included), relative (no absolute position), relational (z read as a belief over the goals; the policy sees only the believed goal\'s offset from the agent). The last two columns split the OOD score into decoding and exploitation (diagnoseDream).'],
      tables: [tables.length - 1],
    });
  }
  return {
    metrics, tables, figures, layout,
    data: { intervals, runs: units.map((u) => ({ unit: u.index, seed: u.seed, value: u.value })), missing: totalUnits - units.length },
  };
}

/** The OOD study for {@link runStudy} and `metagrad merge`. */
export const OOD_STUDY: StudyDefinition<OodConfig, OodUnitValue> = {
  command: 'ood',
  job: 'ood.run',
  unitNoun: 'training runs',
  units: (config) => oodUnits(config) as unknown as { seed: number; config: OodConfig }[],
  unitConfig: (config) => config,
  work: (_config, unit) => (unit.config as unknown as OodUnitConfig).iterations,
  combine: combineOod,
};
