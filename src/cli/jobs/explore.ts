/**
 * The `metagrad explore` results: from the training runs of the chosen agents over the
 * seeds (units of the study in `explore-study.ts`), each meta-tested against the oracle
 * in and out of distribution with the information content of its exploration measured,
 * `results.json` and `report.html`: exploration episodes drawn on the grid per agent,
 * training curves per agent, the fraction-of-oracle table and the probe accuracy
 * against chance, with 95% CIs over seeds.
 */
import { OUTPUT_FILES } from '../run.ts';
import type { StudyHeader } from '../study.ts';
import type { FigureSpec, GridFigure, GridPanel, LineFigure } from '../../report/figures.ts';
import type { ReportSection, RunResults, SummaryTable } from '../../report/run-report.ts';
import { binCurve, formatInterval } from '../../report/stats.ts';
import { confidenceInterval, type Interval } from '../../stats/interval.ts';
import { formatValue } from '../../report/svg.ts';
import { oracleReturn, type SignGridConfig, type SignTask } from '../../explore/env.ts';
import { Cell } from '../../rl/env/index.ts';
import {
  EXPLORE_AGENT_LABELS, EXPLORE_CURVE_LABELS, EXPLORE_SPLITS,
  type AgentMeasure, type ExplorationSample, type ExploreAgentName, type ExploreSetup, type ExploreSplit, type TrainingCheckpoint,
} from '../../explore/experiments.ts';
import type { ExploreConfig } from './explore-config.ts';

/** One training seed of one agent. */
export interface ExploreRun extends AgentMeasure {
  readonly seed: number;
  readonly trainSeconds: number;
  /** Mean of the last 10 training values. */
  readonly finalTraining: number;
  /** Fraction of exploration episodes (training tasks) that stepped on every sign. */
  readonly signVisits: number;
  /** The training curve (see `curveLabel`). */
  readonly history: readonly number[];
  /** Greedy meta-test fraction of the oracle on the training tasks, about every tenth of training. */
  readonly checkpoints: readonly TrainingCheckpoint[];
}

/** Per agent: the summaries (mean, 95% CI, n over seeds), every run and the drawn episodes. */
export interface ExploreAgentRecord {
  readonly agent: ExploreAgentName;
  readonly label: string;
  readonly curveLabel: string;
  readonly iterations: number;
  readonly fraction: Record<ExploreSplit, { sampled: Interval; greedy: Interval }>;
  readonly probe: Interval;
  readonly signVisits: Interval;
  readonly finalTraining: Interval;
  readonly trainSeconds: Interval;
  readonly runs: readonly ExploreRun[];
  /** Exploration episodes of the first seed on a few test tasks (`[row, col]` paths). */
  readonly samples: readonly ExplorationSample[];
}

/** `results.json` of `metagrad explore`: the common fields plus every number. */
export interface ExploreResults extends RunResults {
  readonly explore: {
    readonly seeds: readonly number[];
    /** The sign grid every agent is trained and tested on. */
    readonly grid: SignGridConfig;
    readonly taskCounts: Readonly<Record<ExploreSplit, number>>;
    /** Accuracy of guessing the goal: 1 / number of goals. */
    readonly chance: number;
    readonly agents: readonly ExploreAgentRecord[];
  };
}

const SPLIT_LABELS: Readonly<Record<ExploreSplit, string>> = { train: 'training tasks', oodSign: 'OOD sign', oodGoal: 'OOD goals' };

const VARIANT_TEXT: Readonly<Record<ExploreConfig['variant'], string>> = {
  standard: 'standard (one sign shows the index of the goal that pays)',
  bits: 'bits (two signs on opposite sides of the start each show one bit of the goal index; both must be read)',
  noisy: 'noisy (the sign shows a uniformly drawn index 30% of the time; reading it again helps)',
};

/** Per agent: summaries over its runs (in seed order) and the first run's drawn episodes. */
export function agentRecord(agent: ExploreAgentName, iterations: number, runs: readonly ExploreRun[], samples: readonly ExplorationSample[]): ExploreAgentRecord {
  const ci = (f: (r: ExploreRun) => number): Interval => confidenceInterval(runs.map(f));
  const fraction = Object.fromEntries(EXPLORE_SPLITS.map((s) => [s, { sampled: ci((r) => r.fraction[s].sampled), greedy: ci((r) => r.fraction[s].greedy) }])) as ExploreAgentRecord['fraction'];
  return {
    agent, label: EXPLORE_AGENT_LABELS[agent], curveLabel: EXPLORE_CURVE_LABELS[agent], iterations, fraction,
    probe: ci((r) => r.probe), signVisits: ci((r) => r.signVisits), finalTraining: ci((r) => r.finalTraining), trainSeconds: ci((r) => r.trainSeconds),
    runs, samples,
  };
}

/** The sign grid of `task` as panel rows: `S` start, `G` the goal that pays, `g` the others, `i` signs. */
export function signMap(setup: ExploreSetup, task: SignTask): string[] {
  const { height, width, cells } = setup.env.map;
  const rows: string[][] = Array.from({ length: height }, (_, r) => Array.from({ length: width }, (_c, c) => (cells[r * width + c] === Cell.Wall ? '#' : '.')));
  const set = ([r, c]: readonly [number, number], ch: string): void => { rows[r]![c] = ch; };
  set(setup.config.start, 'S');
  task.signs.forEach((p) => set(p, 'i'));
  task.goals.forEach((p, k) => set(p, k === task.correct ? 'G' : 'g'));
  return rows.map((r) => r.join(''));
}

/** Mean per iteration over seeds, binned to ≤ 60 points with 95% CI bands. */
function trainingFigure(record: ExploreAgentRecord, oracle: number): LineFigure {
  const points = record.runs.flatMap((r) => r.history.map((y, i) => [i + 1, y] as const)).sort((a, b) => a[0] - b[0]);
  const b = binCurve(points.map((p) => p[0]), points.map((p) => p[1]), 60);
  const last = Math.max(1, ...points.map((p) => p[0]));
  return {
    type: 'line', title: `${record.label}: training`, xLabel: 'iteration', yLabel: record.curveLabel, integerX: true,
    series: [
      { name: `${record.agent} (${record.runs.length} seed${record.runs.length === 1 ? '' : 's'})`, x: b.x, y: b.mean, lo: b.lo, hi: b.hi },
      { name: 'oracle', x: [1, last], y: [oracle, oracle], dashed: true, color: '#555555' },
    ],
    caption: `${record.label}: ${record.curveLabel} during meta-training, averaged over seeds in bins; shaded: 95% CI; dashed: the oracle's return on the same measure (mean over training tasks).`,
  };
}

/** The greedy meta-test fraction on the training tasks against training episodes, one series per agent (mean and 95% CI over seeds). */
function checkpointFigure(records: readonly ExploreAgentRecord[]): LineFigure {
  const series = records.map((r) => {
    const points = r.runs[0]!.checkpoints.map((c, i) => ({ episodes: c.episodes, ci: confidenceInterval(r.runs.map((run) => run.checkpoints[i]?.fraction ?? NaN)) }));
    return { name: r.agent, x: points.map((p) => p.episodes), y: points.map((p) => p.ci.mean), lo: points.map((p) => p.ci.low), hi: points.map((p) => p.ci.high), markers: true };
  });
  const last = Math.max(1, ...series.flatMap((s) => s.x));
  return {
    type: 'line', title: 'Meta-test during training: fraction of the oracle vs training episodes', xLabel: 'training episodes (all rollouts)', yLabel: 'fraction of oracle (greedy, training tasks)', integerX: true,
    series: [...series, { name: '0.9 of the oracle', x: [0, last], y: [0.9, 0.9], dashed: true, color: '#555555' }],
    caption: 'Every agent meta-tested the same way about every tenth of its training (one exploration episode, then greedy exploitation, training tasks), against the episodes it had played in training so far (DREAM: one exploitation and one exploration episode per task and iteration; the others: whole trials). Shaded: 95% CI over seeds.',
  };
}

/** Assembles `results.json`: figures as data, tables, the report layout and every number. */
export function exploreResults(
  config: ExploreConfig, runHeader: StudyHeader, setup: ExploreSetup, seeds: readonly number[], records: readonly ExploreAgentRecord[],
  progress: { total: number; done: number },
): ExploreResults {
  const grid = setup.config;
  const chance = 1 / grid.numGoals;
  const oracleEpisode = setup.splits.train.reduce((s, t) => s + oracleReturn(grid, t).episode, 0) / setup.splits.train.length;
  const figures: Record<string, FigureSpec> = {};
  const metrics: Record<string, number | null> = { chance };
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  const trainingIds: string[] = [];
  for (const r of records) {
    for (const s of EXPLORE_SPLITS) {
      metrics[`${r.agent}/${s}/sampled`] = finite(r.fraction[s].sampled.mean);
      metrics[`${r.agent}/${s}/greedy`] = finite(r.fraction[s].greedy.mean);
    }
    metrics[`${r.agent}/probe`] = finite(r.probe.mean);
    metrics[`${r.agent}/signVisits`] = finite(r.signVisits.mean);
    const perTrial = r.agent === 'rl2' || r.agent === 'transformer';
    figures[`training/${r.agent}`] = trainingFigure(r, perTrial ? oracleEpisode * grid.episodes : oracleEpisode);
    trainingIds.push(`training/${r.agent}`);
  }
  if (records.length > 0) figures['checkpoints'] = checkpointFigure(records);
  for (const r of records) {
    const panels: GridPanel[] = r.samples.map((s) => ({
      title: `${SPLIT_LABELS[s.split]}, goal ${s.task.correct} pays`, map: signMap(setup, s.task), trajectory: s.path, return: s.exploitReturn,
    }));
    const fig: GridFigure = {
      type: 'grid', title: `${r.label}: exploration episodes`, panels,
      caption: `The exploration episode (orange path from the start ring; black dot: where it ended) on four test tasks, seed ${r.runs[0]!.seed}. Diamonds: the sign cells, the only ones that tell which goal pays; ★: the goal that pays; numbered red: the other goals (entering one costs −1 and ends the episode). Return: the exploitation episodes that followed (greedy).`,
    };
    figures[`trajectories/${r.agent}`] = fig;
  }

  const header = ['agent', 'seeds', ...EXPLORE_SPLITS.flatMap((s) => [`${SPLIT_LABELS[s]} (sampled)`, `${SPLIT_LABELS[s]} (greedy)`])];
  const tables: SummaryTable[] = [
    {
      title: 'Fraction of the oracle\'s exploitation return after one exploration episode, mean [95% CI] over seeds',
      header,
      rows: records.map((r) => [r.label, r.runs.length, ...EXPLORE_SPLITS.flatMap((s) => [formatInterval(r.fraction[s].sampled), formatInterval(r.fraction[s].greedy)])]),
    },
    {
      title: `Information content of exploration: probe accuracy vs chance (${formatValue(chance, 3)}), mean [95% CI] over seeds`,
      header: ['agent', 'probe accuracy', 'chance', 'sign visited', 'final training value', 'training seconds'],
      rows: records.map((r) => [r.label, formatInterval(r.probe), formatValue(chance, 3), formatInterval(r.signVisits), formatInterval(r.finalTraining), formatInterval(r.trainSeconds, 2)]),
    },
  ];
  const layout: ReportSection[] = [
    {
      heading: 'Fraction of oracle, in and out of distribution',
      text: [
        `Variant: ${VARIANT_TEXT[config.variant]}. Each trial: one exploration episode, then ${grid.episodes - 1} exploitation episodes of ${grid.horizon} ticks on a ${setup.env.map.height}×${setup.env.map.width} room with ${grid.numGoals} goals; the score is the exploitation return over the oracle's (which knows the goal) on the same episodes, ${config.trials} trials per split, actions sampled or greedy. OOD sign: sign placements never seen in training; OOD goals: goals moved along the walls.`,
        `Seeds: ${seeds.join(', ')}${runHeader.interrupted ? ' (interrupted: agents may have fewer seeds)' : ''}. Iterations: ${records.map((r) => `${r.agent} ${r.iterations}`).join(', ') || 'none'}. The full study (longer budgets, 5 seeds, init sensitivity) is scripts/explore.ts.`,
      ],
      tables: [0],
    },
    {
      heading: 'Information content of exploration',
      text: [
        `A softmax-regression probe is trained on ${2 * config.trials} exploration episodes to predict which goal pays from the episode alone (the max and mean of its observations, and the reward received in each cell) and tested on ${2 * config.trials} others; chance is ${formatValue(chance, 3)}. Sign visited: the share of exploration episodes that stepped on every sign.`,
      ],
      tables: [1],
    },
    { heading: 'Training curves per agent', text: ['Each agent\'s own training signal: DREAM and MAML-RL report returns per exploitation episode, RL² and the transformer the return of whole trials (exploration included). The first chart meta-tests every agent the same way during training (sample efficiency).'], gallery: ['checkpoints', ...trainingIds] },
  ];

  return {
    ...runHeader,
    config,
    training: { iterations: progress.total, completed: progress.done, unit: 'training iterations (all agents and seeds)' },
    metrics,
    tables,
    figures,
    files: { results: OUTPUT_FILES.results, report: OUTPUT_FILES.report },
    layout,
    explore: {
      seeds: [...seeds], grid,
      taskCounts: { train: setup.splits.train.length, oodSign: setup.splits.oodSign.length, oodGoal: setup.splits.oodGoal.length },
      chance, agents: records,
    },
  };
}
