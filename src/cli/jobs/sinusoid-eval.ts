/**
 * The sinusoid job's evaluation as plain data, and how it becomes the report's metrics,
 * table and figures. A single run evaluates every model of a seed at once; the study
 * evaluates the meta-learner and the baselines in separate units and joins their data
 * here, so a seed gives the same numbers, rows and series either way. No model code:
 * the study's combine step (`sinusoid-study.ts`) imports it on the main thread.
 */
import type { LineFigure, FigureSpec } from '../../report/figures.ts';
import type { SummaryTable } from '../../report/run-report.ts';
import type { Series } from '../../report/line-chart.ts';
import type { Evaluation } from '../job.ts';
import type { SinusoidConfig } from './sinusoid-config.ts';

/** One model's query MSE after 0..k steps on one split: mean and 95% CI per step, over `tasks` tasks. */
export interface ModelCurve {
  readonly name: string;
  readonly mean: readonly number[];
  readonly lo: readonly number[];
  readonly hi: readonly number[];
  readonly tasks: number;
}

/** The evaluation splits in report order: id, description, task amplitudes (training draws from the first's). */
export const SINUSOID_SPLITS: readonly (readonly [id: string, description: string, amplitude: [number, number]])[] = [
  ['test', 'held-out tasks, amplitude 0.1–5 (in distribution)', [0.1, 5]],
  ['ood', 'amplitude 5–10 (out of distribution)', [5, 10]],
];

/** What evaluating some of a seed's models gives (in the order the models are reported). */
export interface SinusoidEvalData {
  /** Per split (in {@link SINUSOID_SPLITS} order), the curves of the models evaluated on it. */
  readonly splits: readonly (readonly ModelCurve[])[];
  /**
   * The fit to one in-distribution task: the task's own series (true function, support
   * points), caption, and these models' predictions. Null when cut short.
   */
  readonly fit: { readonly task: readonly Series[]; readonly caption: string; readonly models: readonly Series[] } | null;
  /** False when cut short by Ctrl-C. */
  readonly complete: boolean;
}

/** The data of models evaluated apart (`parts` in model order) as one evaluation's data. */
export function joinEvalData(parts: readonly SinusoidEvalData[]): SinusoidEvalData {
  const fits = parts.map((p) => p.fit);
  const complete = parts.every((p) => p.complete);
  return {
    splits: SINUSOID_SPLITS.map((_s, i) => parts.flatMap((p) => p.splits[i] ?? [])),
    fit: complete && fits.every((f) => f !== null) && fits.length > 0
      ? { task: fits[0]!.task, caption: fits[0]!.caption, models: fits.flatMap((f) => f!.models) }
      : null,
    complete,
  };
}

/** The metrics, summary table and figures of `data` (see the module comment). */
export function sinusoidEvaluation(config: SinusoidConfig, data: SinusoidEvalData): Evaluation {
  const k = config.evalSteps;
  const shown = k > 1 ? [0, 1, k] : [0, k];
  const steps = Array.from({ length: k + 1 }, (_v, i) => i);
  const metrics: Record<string, number | null> = {};
  const figures: Record<string, FigureSpec> = {};
  const rows: (string | number | null)[][] = [];
  SINUSOID_SPLITS.forEach(([split, description], i) => {
    const series: Series[] = [];
    for (const c of data.splits[i] ?? []) {
      series.push({ name: c.name, x: steps, y: [...c.mean], lo: [...c.lo], hi: [...c.hi], markers: true, dashed: c.name === 'scratch' });
      metrics[`${split}/${c.name}/step0`] = c.mean[0] ?? null;
      metrics[`${split}/${c.name}/step1`] = c.mean[1] ?? null;
      metrics[`${split}/${c.name}/step${k}`] = c.mean[k] ?? null;
      rows.push([split, c.name, ...shown.map((s) => c.mean[s] ?? null), c.tasks]);
    }
    const figure: LineFigure = {
      type: 'line', title: `Adaptation, ${split === 'test' ? 'in distribution' : 'out of distribution'}`,
      caption: `Query MSE (mean over ${config.evalTasks} tasks, 95% CI) after 0..${k} gradient steps of size ${config.innerLr} on ${config.shots} support points; ${description}.`,
      xLabel: 'adaptation steps', yLabel: 'query MSE', series, integerX: true,
    };
    if (series.length > 0) figures[`adaptation-${split}`] = figure;
  });
  if (data.complete && data.fit !== null) {
    figures['fit'] = {
      type: 'line', title: 'Fit to one held-out task', caption: data.fit.caption,
      xLabel: 'x', yLabel: 'y', series: [...data.fit.task, ...data.fit.models],
    } satisfies LineFigure;
  }
  const table: SummaryTable = {
    title: 'Query MSE after adaptation (mean over tasks)',
    header: ['split', 'model', ...shown.map((s) => `step ${s}`), 'tasks'],
    rows,
  };
  return { metrics, tables: [table], figures, complete: data.complete };
}
