/**
 * The exploration study's figure: grouped bars per agent and split.
 *
 * @module
 */
import { EXPLORE_SPLITS } from './study-config.ts';
import type { StudySummary } from './study.ts';

/**
 * Grouped bars (fraction of oracle, greedy exploitation) per agent and split, with 95%
 * CI whiskers, as a standalone SVG string.
 * @example
 * ```ts
 * const study = runExploreStudy({ seeds: 1, scale: 1, variants: ['standard'], only: ['maml'], iterations: { maml: 2 }, log: () => {} }); // tiny
 * writeFileSync('explore.svg', studyBarChart(study.variants.standard!.summary));
 * ```
 */
export function studyBarChart(summary: StudySummary): string {
  const names = Object.keys(summary);
  const colours = ['#4477aa', '#ee6677', '#228833'];
  const W = 120 + names.length * 150, H = 320, y0 = 260, scaleY = 200;
  const y = (v: number): number => y0 - Math.max(-0.2, Math.min(1.1, v)) * scaleY;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`];
  parts.push('<text x="10" y="20">Exploitation return after one exploration episode, fraction of oracle (greedy; 95% CI over seeds)</text>');
  for (const v of [0, 0.5, 0.9, 1]) parts.push(`<line x1="60" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ccc"/><text x="30" y="${y(v) + 4}">${v}</text>`);
  names.forEach((name, i) => {
    const s = summary[name]!;
    EXPLORE_SPLITS.forEach((split, j) => {
      const { mean, low, high } = s[split].greedy;
      const x = 80 + i * 150 + j * 40;
      parts.push(`<rect x="${x}" y="${Math.min(y(mean), y(0))}" width="30" height="${Math.abs(y(0) - y(mean))}" fill="${colours[j]}"/>`);
      parts.push(`<line x1="${x + 15}" x2="${x + 15}" y1="${y(low)}" y2="${y(high)}" stroke="#000"/>`);
    });
    parts.push(`<text x="${80 + i * 150}" y="${y0 + 30}">${name}</text>`);
  });
  EXPLORE_SPLITS.forEach((split, j) => parts.push(`<rect x="${W - 110}" y="${40 + j * 16}" width="10" height="10" fill="${colours[j]}"/><text x="${W - 95}" y="${49 + j * 16}">${split}</text>`));
  parts.push('</svg>');
  return parts.join('\n');
}
