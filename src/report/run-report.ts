/**
 * The shape of a run's `results.json`, and the HTML report rendered from it.
 *
 * @example
 * ```ts
 * const results: RunResults = JSON.parse(readFileSync('out/gridworld/results.json', 'utf8'));
 * writeFileSync('report.html', renderRunReport(results, (panel) => mySvgOf(panel)));
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
  /** Meta-training iterations asked for and completed (0 and 0 for `eval`). */
  readonly training: { readonly iterations: number; readonly completed: number; readonly resumedFrom?: number };
  /** Headline numbers, e.g. `{ 'test/maml/step5': 0.42 }`. */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly tables: readonly SummaryTable[];
  /** Every figure of the report, as data, keyed by a stable id. */
  readonly figures: Readonly<Record<string, FigureSpec>>;
  /** Output files relative to the output folder. */
  readonly files: Readonly<Record<string, string>>;
}

function cell(v: string | number | null): string {
  return typeof v === 'number' ? formatValue(v) : v ?? '–';
}

function sectionOf(id: string, spec: FigureSpec, renderGrid?: GridRenderer): Section {
  if (spec.type === 'grid') {
    const gallery: Figure[] = renderGrid
      ? spec.panels.map((p) => ({ svg: renderGrid(p), caption: p.return === undefined ? p.title : `${p.title} (return ${formatValue(p.return, 3)})` }))
      : [];
    const text = renderGrid ? spec.caption ? [spec.caption] : [] : ['(no grid renderer available)'];
    return { heading: spec.title, text, gallery };
  }
  return { heading: spec.title, figures: [{ svg: renderChart(spec), caption: spec.caption ?? id }] };
}

/** The self-contained report page for `results`. */
export function renderRunReport(results: RunResults, renderGrid?: GridRenderer): string {
  const facts: [string, string][] = [
    ['command', `metagrad ${results.command}`],
    ['seed', String(results.seed)],
    ['backend', results.backend],
    ['training', `${results.training.completed} / ${results.training.iterations} iterations${results.training.resumedFrom !== undefined ? ` (resumed from ${results.training.resumedFrom})` : ''}`],
    ['runtime', `${results.runtimeSeconds.toFixed(1)} s`],
    ['started', results.startedAt],
    ['versions', `metagrad ${results.versions.metagrad}, ${results.versions.runtime} ${results.versions.runtimeVersion}, ${results.versions.platform}`],
    ['config', JSON.stringify(results.config)],
  ];
  const tables: Table[] = results.tables.map((t) => ({ caption: t.title, header: t.header, rows: t.rows.map((r) => r.map(cell)) }));
  const sections: Section[] = [];
  if (tables.length > 0) sections.push({ heading: 'Summary', tables });
  for (const [id, spec] of Object.entries(results.figures)) sections.push(sectionOf(id, spec, renderGrid));
  return renderHtmlReport({
    title: `metagrad ${results.command}`,
    notice: results.interrupted ? 'This run was interrupted (Ctrl-C): the figures show what had been computed by then.' : undefined,
    facts,
    sections,
  });
}
