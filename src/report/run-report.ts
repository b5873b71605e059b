/**
 * The shape of a run's `results.json`, and the HTML report rendered from it.
 *
 * @example
 * ```ts
 * // what `metagrad gridworld` writes to results.json (here a finished 2-iteration run with one table)
 * const results: RunResults = {
 *   command: 'gridworld', interrupted: false, runtimeSeconds: 1.5, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:02Z',
 *   seed: 0, backend: 'wasm', versions: { metagrad: '0.1.0', runtime: 'node', runtimeVersion: '20', platform: 'linux' },
 *   config: { iterations: 2 }, training: { iterations: 2, completed: 2 }, metrics: { finalReturn: 0.5 },
 *   tables: [{ title: 'Return after adaptation', header: ['method', 'return'], rows: [['MAML', 0.5]] }], figures: {}, files: {},
 * };
 * const html = renderRunReport(results);
 * html.includes('metagrad gridworld'); // true: the command, among the run's facts
 * ```
 */
import { renderChart, type FigureSpec, type GridRenderer } from './figures.ts';
import { renderHtmlReport, type Figure, type Section, type Table } from './html.ts';
import { formatValue } from './svg.ts';

/** Versions of everything that produced a result. */
export interface Versions {
  readonly metagrad: string;
  /** `'node'`, `'deno'`, `'browser'` or `'unknown'`. */
  readonly runtime: string;
  readonly runtimeVersion: string;
  readonly platform: string;
}

/** A table of headline numbers (e.g. return after k steps per method and split). */
export interface SummaryTable {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

/**
 * A section of the report grouping figures and tables of the results (see
 * {@link RunResults.layout}).
 */
export interface ReportSection {
  readonly heading: string;
  /** Paragraphs of plain text. */
  readonly text?: readonly string[];
  /** Indices into `tables`, shown after the figures. */
  readonly tables?: readonly number[];
  /** Ids of figures shown full width, in order. */
  readonly figures?: readonly string[];
  /** Ids of figures laid out side by side (e.g. one small heat map per learner). */
  readonly gallery?: readonly string[];
}

/** Everything a run writes to `results.json`. */
export interface RunResults {
  readonly command: string;
  readonly interrupted: boolean;
  /** Seconds from start to the results being written. */
  readonly runtimeSeconds: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seed: number;
  /** The backend the numbers were computed on (`'ts'`, `'wasm'`). */
  readonly backend: string;
  readonly versions: Versions;
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * Meta-training iterations asked for and completed (0 and 0 for `eval`); `unit`
   * names what was counted when it is not iterations (e.g. stream steps).
   */
  readonly training: { readonly iterations: number; readonly completed: number; readonly resumedFrom?: number; readonly unit?: string };
  /** Headline numbers, e.g. `{ 'test/maml/step5': 0.42 }`. */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly tables: readonly SummaryTable[];
  /** Every figure of the report, as data, keyed by a stable id. */
  readonly figures: Readonly<Record<string, FigureSpec>>;
  /** Output files relative to the output folder. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * How to group the report. Without it: a Summary section with every table, then a
   * section per figure. With it: tables it does not place go into the Summary first, its
   * sections follow, then a section per figure it does not place.
   */
  readonly layout?: readonly ReportSection[];
}

function cell(v: string | number | null): string {
  return typeof v === 'number' ? formatValue(v) : v ?? '–';
}

function figureOf(id: string, spec: Exclude<FigureSpec, { type: 'grid' }>): Figure {
  return { svg: renderChart(spec), caption: spec.caption ?? id };
}

function sectionOf(id: string, spec: FigureSpec, renderGrid?: GridRenderer): Section {
  if (spec.type === 'grid') {
    const gallery: Figure[] = renderGrid
      ? spec.panels.map((p) => ({ svg: renderGrid(p), caption: p.return === undefined ? p.title : `${p.title} (return ${formatValue(p.return, 3)})` }))
      : [];
    const text = renderGrid ? spec.caption ? [spec.caption] : [] : ['(no grid renderer available)'];
    return { heading: spec.title, text, gallery };
  }
  return { heading: spec.title, figures: [figureOf(id, spec)] };
}

/** The sections of `results.layout`; grid figures it names are left to their own sections after it. */
function laidOut(results: RunResults, tables: readonly Table[]): { sections: Section[]; placedTables: Set<number>; placedFigures: Set<string> } {
  const placedTables = new Set<number>();
  const placedFigures = new Set<string>();
  const sections: Section[] = [];
  const charts = (ids: readonly string[] | undefined): Figure[] => (ids ?? []).flatMap((id) => {
    const spec = results.figures[id];
    if (!spec || spec.type === 'grid') return [];
    placedFigures.add(id);
    return [figureOf(id, spec)];
  });
  for (const s of results.layout ?? []) {
    const ts = (s.tables ?? []).filter((i) => tables[i] !== undefined);
    ts.forEach((i) => placedTables.add(i));
    sections.push({ heading: s.heading, text: s.text, figures: charts(s.figures), gallery: charts(s.gallery), tables: ts.map((i) => tables[i]!) });
  }
  return { sections, placedTables, placedFigures };
}

/** The self-contained report page for `results`. */
export function renderRunReport(results: RunResults, renderGrid?: GridRenderer): string {
  const facts: [string, string][] = [
    ['command', `metagrad ${results.command}`],
    ['seed', String(results.seed)],
    ['backend', results.backend],
    ['training', `${results.training.completed} / ${results.training.iterations} ${results.training.unit ?? 'iterations'}${results.training.resumedFrom !== undefined ? ` (resumed from ${results.training.resumedFrom})` : ''}`],
    ['runtime', `${results.runtimeSeconds.toFixed(1)} s`],
    ['started', results.startedAt],
    ['versions', `metagrad ${results.versions.metagrad}, ${results.versions.runtime} ${results.versions.runtimeVersion}, ${results.versions.platform}`],
    ['config', JSON.stringify(results.config)],
  ];
  const tables: Table[] = results.tables.map((t) => ({ caption: t.title, header: t.header, rows: t.rows.map((r) => r.map(cell)) }));
  const layout = laidOut(results, tables);
  const summary = tables.filter((_t, i) => !layout.placedTables.has(i));
  const sections: Section[] = [];
  if (summary.length > 0) sections.push({ heading: 'Summary', tables: summary });
  sections.push(...layout.sections);
  for (const [id, spec] of Object.entries(results.figures)) if (!layout.placedFigures.has(id)) sections.push(sectionOf(id, spec, renderGrid));
  return renderHtmlReport({
    title: `metagrad ${results.command}`,
    notice: noticeOf(results),
    facts,
    sections,
  });
}

/** Why a run's figures are partial: units that failed (a study keeps the others), or a Ctrl-C. */
function noticeOf(results: RunResults & { readonly failures?: readonly { readonly index: number; readonly error: string }[] }): string | undefined {
  const failures = results.failures ?? [];
  if (failures.length > 0) {
    const which = failures.map((f) => `#${f.index}`).join(', ');
    return `${failures.length} unit${failures.length === 1 ? '' : 's'} of this run failed (${which}; results.json has the errors): the figures show the units that finished.`;
  }
  return results.interrupted ? 'This run was interrupted (Ctrl-C): the figures show what had been computed by then.' : undefined;
}
