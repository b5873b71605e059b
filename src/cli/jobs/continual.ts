/**
 * The `metagrad continual` results: from the replays of the experiments of
 * `continual/experiments.ts` over the chosen seeds and learners (run as units of the
 * study in `continual-study.ts`), `results.json` and `report.html`: the score along the
 * stream with switch markers, the R matrix per learner, cluster assignments over time,
 * the metrics per learner with 95% CIs and the issue's targets.
 */
import { UsageError } from '../args.ts';
import { OUTPUT_FILES } from '../run.ts';
import type { StudyHeader } from '../study.ts';
import type { ClusterFigure, FigureSpec, HeatmapFigure, StreamFigure } from '../../report/figures.ts';
import type { ReportSection, RunResults, SummaryTable } from '../../report/run-report.ts';
import { formatInterval } from '../../report/stats.ts';
import {
  clusterFigure, continualExperiment, experimentRecord, rMatrixFigures, streamFigure, streamSettingsFor,
  targetsOf, TARGETS, SUMMARY_FIELDS, type ExperimentName, type ExperimentRecord, type ExperimentResult, type StreamSettings,
} from '../../continual/experiments.ts';
import type { ContinualConfig } from './continual-config.ts';
import { experimentOptions } from './continual-unit.ts';

/** `results.json` of `metagrad continual`: the common fields plus every number of the experiments. */
export interface ContinualResults extends RunResults {
  readonly continual: {
    /** The seeds run (each a stream, and the learners' seed). */
    readonly seeds: readonly number[];
    /** The stream schedule of each experiment. */
    readonly streams: Readonly<Record<string, StreamSettings>>;
    /** Per experiment: summaries with CIs, detection, every run (R, R0, metrics, clusters, seed). */
    readonly experiments: readonly ExperimentRecord[];
    /** The issue's targets per experiment (clustered learner), with the sequential baseline. */
    readonly targets: readonly Record<string, unknown>[];
  };
}

/**
 * The stream schedule of each chosen experiment; a UsageError when a stream would
 * never switch from A to B (too short for its period).
 */
export function checkStreams(config: ContinualConfig): Record<string, StreamSettings> {
  const out: Record<string, StreamSettings> = {};
  for (const name of config.problems) {
    const s = streamSettingsFor(name, experimentOptions(config));
    if (s.length < 2 * s.period) {
      const given = config.steps === null ? `the ${name} stream's ${s.length} steps` : `--steps ${s.length}`;
      throw new UsageError(`${given} with --period ${s.period} never switch from type A to B; pass --steps ≥ ${2 * s.period} or --period ≤ ${Math.floor(s.length / 2)}`);
    }
    out[name] = s;
  }
  return out;
}

/** Rows of the per-learner metrics table: summary field and label. */
const METRIC_ROWS: readonly (readonly [string, string])[] = [
  ['averagePerformance', 'ACC (final score, mean over types seen)'],
  ['backwardTransfer', 'BWT (backward transfer)'],
  ['forwardTransfer', 'FWT (forward transfer)'],
  ['forgetting', 'forgetting'],
  ['forgettingInDistribution', 'forgetting, in-distribution types (OOD bursts are not meant to be learnt)'],
  ['retentionA_afterB', 'A retention after B (ratio)'],
  ['dropA_afterB', 'A drop after B (score units)'],
  ['recoveryA_fractionWithin1InnerStep', 'returns to A recovered within 1 inner step'],
  ['recoveryA_medianInnerSteps', 'median inner steps to recover A'],
  ['purityAB', 'cluster purity on A/B'],
  ['clusters', 'clusters opened'],
  ['onlineScore', 'online score (mean over the stream)'],
];

/** The clustered learner the targets are about: `clustered`, else `clustered + change detection`. */
function targetLearner(record: ExperimentRecord): string | undefined {
  return ['clustered', 'clustered + change detection'].find((n) => record.summaries[n] !== undefined);
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Assembles `results.json`: figures as data, tables, the report layout and every number. */
export function continualResults(
  config: ContinualConfig, header: StudyHeader, streams: Record<string, StreamSettings>, seeds: readonly number[],
  results: readonly ExperimentResult[], progress: { total: number; done: number },
): ContinualResults {
  const figures: Record<string, FigureSpec> = {};
  const tables: SummaryTable[] = [];
  const metrics: Record<string, number | null> = {};
  const records: ExperimentRecord[] = [];
  const targetRows: (string | null)[][] = [];
  const sections: ReportSection[] = [];

  for (const result of results) {
    const name: ExperimentName = result.name;
    const record = experimentRecord(result);
    const n = result.seeds.length;
    // Every run with its seed (runs of a learner are in seed order).
    records.push({ ...record, runs: Object.fromEntries(Object.entries(record.runs).map(([learner, rs]) => [learner, rs.map((r, i) => ({ seed: result.runs[learner]![i]!.seed, ...r }))])) });
    for (const [learner, rs] of Object.entries(result.runs)) {
      const key = rs[0]!.key;
      for (const field of Object.keys(SUMMARY_FIELDS)) metrics[`${name}/${key}/${field}`] = finiteOrNull(record.summaries[learner]![field]!.mean);
    }

    const streamId = `${name}/stream`;
    const stream: StreamFigure = {
      type: 'stream', ...streamFigure(result),
      caption: 'Online score on each task after one inner step, before learning from it: mean over seeds, shaded 95% CI, smoothed over 5 steps. Bands: the true task type; dashed lines: switches (never announced to the learners).',
    };
    figures[streamId] = stream;
    const rIds: string[] = [];
    for (const { learner, key, seed, options } of rMatrixFigures(result)) {
      const id = `${name}/R/${key}`;
      const heat: HeatmapFigure = {
        // Shorter than the script's title: the heat map is narrow, and the section names the problem.
        type: 'heatmap', title: `${learner}: R (seed ${seed})`, values: options.values,
        ...(options.rowLabels && { rowLabels: options.rowLabels }), ...(options.colLabels && { colLabels: options.colLabels }),
        ...(options.xLabel && { xLabel: options.xLabel }), ...(options.yLabel && { yLabel: options.yLabel }), ...(options.domain && { domain: options.domain }),
        caption: `${learner}, seed ${seed}`,
      };
      figures[id] = heat;
      rIds.push(id);
    }
    const strip = clusterFigure(result);
    const stripIds: string[] = [];
    if (strip) {
      const clusters: ClusterFigure = {
        type: 'clusters', ...strip,
        caption: 'The cluster each step was assigned to by the clustered learners (first seeds; colour: cluster id, arbitrary per run), under the true types. Dots: tasks judged novel (out-of-distribution alarm).',
      };
      figures[`${name}/clusters`] = clusters;
      stripIds.push(`${name}/clusters`);
    }

    const learners = Object.keys(result.runs);
    tables.push({
      title: `${name}: metrics per learner, mean [95% CI] over ${n} seed${n === 1 ? '' : 's'}`,
      header: ['metric', ...learners],
      rows: METRIC_ROWS.map(([field, label]) => [label, ...learners.map((l) => formatInterval(record.summaries[l]?.[field]))]),
    });
    const s = result.settings;
    sections.push({
      heading: `${name}: performance along the stream`,
      text: [
        continualExperiment(name).description,
        `${s.length} steps, switching every ${s.period} steps${s.arrivalAt !== null ? `; C arrives at step ${s.arrivalAt}` : ''}${s.oodAt !== null ? `; OOD burst at steps ${s.oodAt}–${s.oodAt + s.oodLength - 1}` : ''}. Seeds: ${result.seeds.join(', ')}.`,
        ...(strip ? [] : ['No clustered learner ran, so there are no cluster assignments to show (add clustered to --learners).']),
      ],
      figures: [streamId, ...stripIds],
      tables: [tables.length], // the table just pushed, one further on behind the targets table
    });
    sections.push({
      heading: `${name}: R matrix per learner`,
      text: ['R[i][j]: the mean score on held-out tasks of type j after 1 inner step, measured at the end of stage i. Rows: stages (maximal runs of one type), labelled by the type trained; columns: the type evaluated. Colour range −1..1 (lower values get the bottom colour). The first seed is drawn; every seed\'s R is in results.json.'],
      gallery: rIds,
    });

    const target = targetLearner(record);
    for (const t of TARGETS) {
      const interval = target ? record.summaries[target]![t.field] : undefined;
      const met = interval && Number.isFinite(interval.mean) ? (interval.mean >= t.atLeast ? 'yes' : 'no') : '–';
      targetRows.push([name, t.label, `≥ ${t.atLeast}`, target ?? 'not run (add clustered to --learners)', formatInterval(interval), met]);
    }
  }

  // The targets table first, then the per-experiment tables.
  const allTables: SummaryTable[] = [
    { title: 'Targets of issue 7 (clustered learner; mean [95% CI] over seeds; met when the mean reaches the goal)', header: ['problem', 'target', 'goal', 'learner', 'value', 'met'], rows: targetRows },
    ...tables,
  ];
  const layout: ReportSection[] = [
    {
      heading: 'Targets',
      text: ['Retention: score on A after training on B over the score before, averaged over the switches A → B. Recovery: a return to A counts as recovered within k inner steps when its online score reaches 90% of the level at the end of the previous visit. Purity: the share of A and B steps whose cluster\'s majority type is their own.'],
      tables: [0],
    },
    ...sections,
  ];

  return {
    ...header,
    config,
    training: { iterations: progress.total, completed: progress.done, unit: 'stream steps (all seeds and learners)' },
    metrics,
    tables: allTables,
    figures,
    files: { results: OUTPUT_FILES.results, report: OUTPUT_FILES.report },
    layout,
    continual: { seeds: [...seeds], streams, experiments: records, targets: records.map(targetsOf) },
  };
}
