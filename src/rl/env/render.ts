/**
 * Pictures of a task: ASCII for terminals and tests, SVG for documents.
 *
 * ASCII characters: `#` wall, `.` free, `L` lava, `S` start, `G` goal, `A` agent, and
 * for a trajectory either arrows `^ > v <` (the move made from each visited cell,
 * `o` where the agent did not move) or `*` dots. When marks overlap, the agent wins
 * over goals, goals over starts, and starts over the trajectory.
 */
import { GridWorldError } from './errors.ts';
import { baseChars, Cell, inBounds, formatPosition, type Position } from './map.ts';
import { positionOfState, type TabularModel } from './model.ts';

/** What {@link renderAscii} draws over the map: the agent and a trajectory. */
export interface AsciiOptions {
  /** Where to draw the agent. */
  readonly agent?: Position;
  /** Visited positions in order (e.g. from `positionOfState` over an episode). */
  readonly trajectory?: readonly Position[];
  /** Default `'arrows'`. */
  readonly trajectoryStyle?: 'arrows' | 'dots';
}

/**
 * The task as text, one line per row.
 *
 * @example
 * ```ts
 * const model = tabularModel('S..\n..G');
 * renderAscii(model, { trajectory: [[0, 0], [0, 1], [0, 2], [1, 2]] });
 * // 'S>v\n..G'
 * ```
 */
export function renderAscii(model: TabularModel, options: AsciiOptions = {}): string {
  const chars = baseChars(model.map);
  const trajectory = options.trajectory ?? [];
  trajectory.forEach((p) => checkPosition(model, p, 'trajectory position'));
  if (options.trajectoryStyle === 'dots') {
    for (const [r, c] of trajectory) chars[r]![c] = '*';
  } else {
    trajectory.forEach(([r, c], i) => {
      const nextPosition = trajectory[i + 1];
      chars[r]![c] = nextPosition ? arrowBetween([r, c], nextPosition) : '*';
    });
  }
  for (const s of model.startStates) setChar(chars, positionOfState(model, s), 'S');
  for (const g of model.goalStates) setChar(chars, positionOfState(model, g), 'G');
  if (options.agent) setChar(chars, checkPosition(model, options.agent, 'agent'), 'A');
  return chars.map((row) => row.join('')).join('\n');
}

function arrowBetween([r0, c0]: Position, [r1, c1]: Position): string {
  if (r1 < r0) return '^';
  if (r1 > r0) return 'v';
  if (c1 > c0) return '>';
  if (c1 < c0) return '<';
  return 'o';
}

function setChar(chars: string[][], [r, c]: Position, char: string): void {
  chars[r]![c] = char;
}

function checkPosition(model: TabularModel, position: Position, what: string): Position {
  if (!inBounds(model.map, position)) {
    throw new GridWorldError(`render: ${what} (${position.join(', ')}) is outside the ${model.map.height}×${model.map.width} map`);
  }
  if (model.map.cells[position[0] * model.map.width + position[1]] === Cell.Wall) {
    throw new GridWorldError(`render: ${what} ${formatPosition(position)} is on a wall`);
  }
  return position;
}

/** What {@link renderSvg} draws over the map (agent, trajectory) and at what scale. */
export interface SvgOptions {
  readonly agent?: Position;
  /** Drawn as a polyline through the cell centres. */
  readonly trajectory?: readonly Position[];
  /** Pixels per cell. Default 24. */
  readonly cellSize?: number;
}

const COLOURS = {
  free: '#fbfbfb',
  gridLine: '#d8dde3',
  wall: '#3b4252',
  lava: '#e4572e',
  start: '#4c78a8',
  goal: '#54a24b',
  trajectory: '#f58518',
  agent: '#222831',
} as const;

/**
 * The task as a standalone SVG document (no external assets).
 *
 * @example
 * ```ts
 * const svg = renderSvg(tabularModel('S..\n..G'), { trajectory: [[0, 0], [0, 1], [1, 1], [1, 2]] });
 * // writeFileSync('task.svg', svg)
 * ```
 */
export function renderSvg(model: TabularModel, options: SvgOptions = {}): string {
  const size = options.cellSize ?? 24;
  if (!(size > 0) || !Number.isFinite(size)) throw new GridWorldError(`renderSvg: cellSize must be a positive number, got ${size}`);
  const { height, width, cells } = model.map;
  // Two decimals keep the document short and free of float noise such as 7.199999999999999.
  const px = (x: number): string => String(Math.round(x * 100) / 100);
  const cx = (col: number): string => px((col + 0.5) * size);
  const cy = (row: number): string => px((row + 0.5) * size);
  const parts: string[] = [];

  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const kind = cells[r * width + c];
      const fill = kind === Cell.Wall ? COLOURS.wall : kind === Cell.Lava ? COLOURS.lava : COLOURS.free;
      parts.push(`<rect x="${px(c * size)}" y="${px(r * size)}" width="${px(size)}" height="${px(size)}" fill="${fill}" stroke="${COLOURS.gridLine}" stroke-width="1"/>`);
    }
  }
  const inset = size * 0.15;
  for (const g of model.goalStates) {
    const [r, c] = positionOfState(model, g);
    parts.push(`<rect x="${px(c * size + inset)}" y="${px(r * size + inset)}" width="${px(size - 2 * inset)}" height="${px(size - 2 * inset)}" rx="${px(inset)}" fill="${COLOURS.goal}"/>`);
  }
  for (const s of model.startStates) {
    const [r, c] = positionOfState(model, s);
    parts.push(`<circle cx="${cx(c)}" cy="${cy(r)}" r="${px(size * 0.3)}" fill="none" stroke="${COLOURS.start}" stroke-width="${px(size * 0.1)}"/>`);
  }
  const trajectory = options.trajectory ?? [];
  trajectory.forEach((p) => checkPosition(model, p, 'trajectory position'));
  if (trajectory.length > 0) {
    const points = trajectory.map(([r, c]) => `${cx(c)},${cy(r)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${COLOURS.trajectory}" stroke-width="${px(size * 0.14)}" stroke-linecap="round" stroke-linejoin="round" stroke-opacity="0.9"/>`);
  }
  if (options.agent) {
    const [r, c] = checkPosition(model, options.agent, 'agent');
    parts.push(`<circle cx="${cx(c)}" cy="${cy(r)}" r="${px(size * 0.22)}" fill="${COLOURS.agent}"/>`);
  }
  const w = px(width * size);
  const h = px(height * size);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    ...parts.map((p) => `  ${p}`),
    '</svg>',
  ].join('\n');
}
