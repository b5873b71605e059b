/**
 * Assembles a self-contained HTML report: inline CSS, inline SVG figures, tables of
 * numbers. No scripts, fonts, images or links to fetch: it opens from disk anywhere.
 *
 * @example
 * ```ts
 * const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"></svg>'; // e.g. a lineChart(…)
 * const html = renderHtmlReport({
 *   title: 'metagrad gridworld', facts: [['seed', '0']],
 *   sections: [{ heading: 'Meta-training', figures: [{ svg, caption: 'mean return' }] }],
 * });
 * html.startsWith('<!DOCTYPE html>'); // true
 * html.includes(svg); // true: figures are inline
 * ```
 */
import { escapeXml } from './svg.ts';

/** An inline SVG with a caption. `svg` must be a complete `<svg>` element. */
export interface Figure {
  readonly svg: string;
  readonly caption?: string;
}

/** A table: header row and body rows of already formatted cells. */
export interface Table {
  readonly caption?: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface Section {
  readonly heading: string;
  /** Paragraphs of plain text (escaped). */
  readonly text?: readonly string[];
  readonly figures?: readonly Figure[];
  /** Figures laid out in a wrapping row (e.g. small grid pictures). */
  readonly gallery?: readonly Figure[];
  readonly tables?: readonly Table[];
}

export interface ReportContent {
  readonly title: string;
  /** A banner line under the title, e.g. a warning that the run was interrupted. */
  readonly notice?: string;
  /** Key facts shown as a definition list (config, seed, versions, runtime). */
  readonly facts: readonly (readonly [string, string])[];
  readonly sections: readonly Section[];
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #222; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #e3e3e3; padding-bottom: 4px; }
.notice { background: #fff4e0; border: 1px solid #f0c27a; padding: 8px 12px; border-radius: 4px; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; font-size: 0.9em; }
dl.facts dt { color: #666; } dl.facts dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
figure { margin: 12px 0; } figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.85em; color: #555; margin-top: 4px; }
.gallery { display: flex; flex-wrap: wrap; gap: 12px; } .gallery figure { margin: 0; }
table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; } th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
caption { caption-side: top; text-align: left; font-size: 0.9em; color: #555; padding-bottom: 4px; }
`;

function figureHtml(f: Figure): string {
  const caption = f.caption ? `<figcaption>${escapeXml(f.caption)}</figcaption>` : '';
  return `<figure>${f.svg}${caption}</figure>`;
}

function tableHtml(t: Table): string {
  const caption = t.caption ? `<caption>${escapeXml(t.caption)}</caption>` : '';
  const head = `<tr>${t.header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>${caption}<thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

/** The complete HTML document. */
export function renderHtmlReport(content: ReportContent): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(content.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<h1>${escapeXml(content.title)}</h1>`,
  ];
  if (content.notice) out.push(`<p class="notice">${escapeXml(content.notice)}</p>`);
  out.push('<dl class="facts">');
  for (const [k, v] of content.facts) out.push(`<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`);
  out.push('</dl>');
  for (const s of content.sections) {
    out.push(`<section><h2>${escapeXml(s.heading)}</h2>`);
    for (const p of s.text ?? []) out.push(`<p>${escapeXml(p)}</p>`);
    for (const f of s.figures ?? []) out.push(figureHtml(f));
    if (s.gallery && s.gallery.length > 0) out.push(`<div class="gallery">${s.gallery.map(figureHtml).join('\n')}</div>`);
    for (const t of s.tables ?? []) out.push(tableHtml(t));
    out.push('</section>');
  }
  out.push('</body></html>', '');
  return out.join('\n');
}
