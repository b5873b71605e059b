/**
 * Draws a sign-grid panel (see `GridPanel`): the room, the start, the goal that pays
 * (`G`, green, numbered), the other goals (`g`, red, numbered), the signs (`i`, amber
 * diamonds) and the exploration path, numbered at its end, as a standalone `<svg>`.
 *
 * @example
 * ```ts
 * renderSignPanel({ title: 'train', map: ['G.g', '.S.', 'gi.'], trajectory: [[1, 1], [2, 1], [1, 1], [0, 1], [0, 0]] });
 * ```
 */
import type { GridPanel } from './figures.ts';
import { escapeXml, px } from './svg.ts';

const COLOURS = {
  free: '#fbfbfb', grid: '#d8dde3', wall: '#3b4252', start: '#4c78a8', good: '#54a24b', bad: '#e45756', sign: '#eeca3b', path: '#f58518', text: '#222831',
} as const;

/** The SVG of one sign-grid panel (`cellSize` pixels per cell, default 36). */
export function renderSignPanel(panel: GridPanel, cellSize = 36): string {
  const s = cellSize;
  const height = panel.map.length;
  const width = Math.max(0, ...panel.map.map((row) => row.length));
  const cx = (c: number): string => px((c + 0.5) * s);
  const cy = (r: number): string => px((r + 0.5) * s);
  const parts: string[] = [];
  let goal = 0;
  const goalsInOrder: [number, number, string][] = [];
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const ch = panel.map[r]![c] ?? '#';
      parts.push(`<rect x="${px(c * s)}" y="${px(r * s)}" width="${px(s)}" height="${px(s)}" fill="${ch === '#' ? COLOURS.wall : COLOURS.free}" stroke="${COLOURS.grid}"/>`);
      if (ch === 'G' || ch === 'g') goalsInOrder.push([r, c, ch]);
    }
  }
  const inset = s * 0.12;
  for (const [r, c, ch] of goalsInOrder) {
    parts.push(`<rect x="${px(c * s + inset)}" y="${px(r * s + inset)}" width="${px(s - 2 * inset)}" height="${px(s - 2 * inset)}" rx="${px(inset)}" fill="${ch === 'G' ? COLOURS.good : COLOURS.bad}" fill-opacity="${ch === 'G' ? 0.9 : 0.55}"/>`);
    parts.push(`<text x="${cx(c)}" y="${px((r + 0.5) * s + 4)}" text-anchor="middle" font-size="${px(s * 0.32)}" fill="#fff">${ch === 'G' ? '★' : goal}</text>`);
    goal++;
  }
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const ch = panel.map[r]![c];
      const x = (c + 0.5) * s, y = (r + 0.5) * s, h = s * 0.32;
      if (ch === 'i') parts.push(`<polygon points="${px(x)},${px(y - h)} ${px(x + h)},${px(y)} ${px(x)},${px(y + h)} ${px(x - h)},${px(y)}" fill="${COLOURS.sign}" stroke="${COLOURS.text}" stroke-width="1"/>`);
      if (ch === 'S') parts.push(`<circle cx="${cx(c)}" cy="${cy(r)}" r="${px(s * 0.3)}" fill="none" stroke="${COLOURS.start}" stroke-width="${px(s * 0.08)}"/>`);
    }
  }
  const path = panel.trajectory;
  if (path.length > 0) {
    // A small offset per step keeps back-and-forth moves visible.
    const jitter = (i: number): number => ((i % 5) - 2) * s * 0.03;
    const points = path.map(([r, c], i) => `${px((c + 0.5) * s + jitter(i))},${px((r + 0.5) * s + jitter(i))}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${COLOURS.path}" stroke-width="${px(s * 0.1)}" stroke-linecap="round" stroke-linejoin="round" stroke-opacity="0.85"/>`);
    path.forEach(([r, c], i) => parts.push(`<circle cx="${px((c + 0.5) * s + jitter(i))}" cy="${px((r + 0.5) * s + jitter(i))}" r="${px(s * 0.07)}" fill="${COLOURS.path}"/>`));
    const [lr, lc] = path[path.length - 1]!;
    parts.push(`<circle cx="${px((lc + 0.5) * s + jitter(path.length - 1))}" cy="${px((lr + 0.5) * s + jitter(path.length - 1))}" r="${px(s * 0.14)}" fill="${COLOURS.text}"/>`);
  }
  const w = px(width * s), h = px(height * s + 18);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
    `<title>${escapeXml(`${panel.title}: ${Math.max(0, path.length - 1)} moves`)}</title>`,
    ...parts,
    `<text x="2" y="${px(height * s + 14)}" font-size="11" fill="${COLOURS.text}">${escapeXml(`${Math.max(0, path.length - 1)} moves`)}</text>`,
    '</svg>',
  ].join('\n');
}
