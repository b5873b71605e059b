/**
 * Grid maps: parsing text into cells, validating it, and position arithmetic.
 *
 * A map is text, one line per row, read with these characters:
 *
 * | char | meaning                                              |
 * |------|------------------------------------------------------|
 * | `#`  | wall: blocks movement                                |
 * | `.`  | free cell                                            |
 * | `L`  | lava: entering it ends the episode with a penalty    |
 * | `S`  | free cell marked as a start (optional)               |
 * | `G`  | free cell marked as a goal (optional)                |
 *
 * Leading and trailing blank lines and the whitespace around each line are ignored,
 * so maps can be written as indented template literals. Row 0 is the top row; a
 * position is `[row, col]`.
 */
import { GridWorldError } from './errors.ts';

/** What a cell is made of. Start and goal are not materials: they belong to the task. */
export const Cell = { Free: 0, Wall: 1, Lava: 2 } as const;
/** A value of {@link Cell}: what `GridMap.cells` holds per cell. */
export type CellKind = (typeof Cell)[keyof typeof Cell];

/** A grid position `[row, col]`, row 0 at the top. */
export type Position = readonly [row: number, col: number];

/** A parsed, immutable map. `cells` is row-major, `cells[row * width + col]`. */
export interface GridMap {
  readonly height: number;
  readonly width: number;
  readonly cells: Uint8Array;
  /** Positions marked `S`, in reading order. */
  readonly startMarkers: readonly Position[];
  /** Positions marked `G`, in reading order. */
  readonly goalMarkers: readonly Position[];
}

/** Anything a map can be given as: its text, its lines, or an already parsed map. */
export type MapSource = string | readonly string[] | GridMap;

const CHAR_MEANINGS = "'#' wall, '.' free, 'L' lava, 'S' start, 'G' goal";

/**
 * Parses map text into a {@link GridMap}, rejecting ragged rows and unknown characters.
 *
 * @example
 * ```ts
 * const map = parseMap(`
 *   S..#
 *   .#.G
 * `);
 * map.height; // 2
 * map.startMarkers; // [[0, 0]]
 * ```
 */
export function parseMap(source: MapSource): GridMap {
  if (typeof source !== 'string' && !Array.isArray(source)) return source as GridMap;
  const lines = trimLines(typeof source === 'string' ? source.split(/\r?\n/) : (source as readonly string[]));
  if (lines.length === 0) throw new GridWorldError('parseMap: the map is empty (no non-blank rows)');
  const width = lines[0]!.length;
  lines.forEach((line, row) => {
    if (line.length !== width) {
      throw new GridWorldError(
        `parseMap: ragged rows: row ${row} has ${line.length} columns, but row 0 has ${width} (all rows must have the same width)`,
      );
    }
  });
  const height = lines.length;
  const cells = new Uint8Array(height * width);
  const startMarkers: Position[] = [];
  const goalMarkers: Position[] = [];
  for (let row = 0; row < height; row++) {
    const line = lines[row]!;
    for (let col = 0; col < width; col++) {
      const char = line[col]!;
      switch (char) {
        case '#': cells[row * width + col] = Cell.Wall; break;
        case 'L': cells[row * width + col] = Cell.Lava; break;
        case '.': break;
        case 'S': startMarkers.push([row, col]); break;
        case 'G': goalMarkers.push([row, col]); break;
        default:
          throw new GridWorldError(
            `parseMap: unknown character ${JSON.stringify(char)} at row ${row}, column ${col}; allowed: ${CHAR_MEANINGS}`,
          );
      }
    }
  }
  return { height, width, cells, startMarkers, goalMarkers };
}

function trimLines(raw: readonly string[]): string[] {
  const lines = raw.map((line) => line.trim());
  let first = 0;
  let last = lines.length;
  while (first < last && lines[first] === '') first++;
  while (last > first && lines[last - 1] === '') last--;
  return lines.slice(first, last);
}

/**
 * The map as text (the inverse of {@link parseMap}), markers included.
 *
 * @example
 * ```ts
 * mapToText(parseMap('S.G')); // 'S.G'
 * ```
 */
export function mapToText(map: GridMap): string {
  const chars = baseChars(map);
  for (const [r, c] of map.startMarkers) chars[r]![c] = 'S';
  for (const [r, c] of map.goalMarkers) chars[r]![c] = 'G';
  return chars.map((row) => row.join('')).join('\n');
}

/** One character per cell for walls, lava and free cells (no markers): rows of chars. */
export function baseChars(map: GridMap): string[][] {
  const rows: string[][] = [];
  for (let r = 0; r < map.height; r++) {
    const row: string[] = [];
    for (let c = 0; c < map.width; c++) {
      const kind = map.cells[r * map.width + c];
      row.push(kind === Cell.Wall ? '#' : kind === Cell.Lava ? 'L' : '.');
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Formats a position as `(row, col)` for messages and task names.
 *
 * @example
 * ```ts
 * formatPosition([2, 5]); // '(2, 5)'
 * ```
 */
export function formatPosition([row, col]: Position): string {
  return `(${row}, ${col})`;
}

/**
 * True when `[row, col]` are integers inside the map.
 *
 * @example
 * ```ts
 * inBounds(parseMap('S.G'), [0, 3]); // false
 * ```
 */
export function inBounds(map: GridMap, [row, col]: Position): boolean {
  return Number.isInteger(row) && Number.isInteger(col) && row >= 0 && row < map.height && col >= 0 && col < map.width;
}
