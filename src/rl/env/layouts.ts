/**
 * Standard layouts, generated as text and parsed, each with default `S` / `G` markers
 * that tasks may override. Layouts have no border of walls: the map's edge already
 * blocks movement, and local views show outside-the-map as wall.
 */
import { GridWorldError } from './errors.ts';
import { parseMap, type GridMap, type MapSource } from './map.ts';

/** Names accepted wherever a standard layout can be chosen. */
export type LayoutName = 'open' | 'fourRooms' | 'corridor' | 'cliff';

const LAYOUT_NAMES: readonly string[] = ['open', 'fourRooms', 'corridor', 'cliff'] satisfies LayoutName[];

/**
 * True when `value` names a standard layout (rather than being map text).
 * @example
 * ```ts
 * isLayoutName('fourRooms'); // true
 * isLayoutName('S..G');      // false: map text
 * ```
 */
export function isLayoutName(value: unknown): value is LayoutName {
  return typeof value === 'string' && LAYOUT_NAMES.includes(value);
}

/**
 * An empty `size × size` room; start bottom-left, goal top-right.
 *
 * @example
 * ```ts
 * openRoom(3); // S at (2, 0), G at (0, 2)
 * ```
 */
export function openRoom(size: number): GridMap {
  checkSize('openRoom', 'size', size, 2);
  const rows = Array.from({ length: size }, () => '.'.repeat(size).split(''));
  rows[size - 1]![0] = 'S';
  rows[0]![size - 1] = 'G';
  return parseMap(rows.map((r) => r.join('')));
}

/**
 * Where the four doorways of {@link fourRooms} sit, each as its distance from the
 * centre of the cross along its wall segment: 0 is next to the centre, `(size-1)/2 - 1`
 * is at the outer edge. `up` / `down` are the two halves of the vertical wall, `left` /
 * `right` the two halves of the horizontal wall.
 */
export interface Doorways {
  readonly up: number;
  readonly down: number;
  readonly left: number;
  readonly right: number;
}

/**
 * Four rooms split by a wall cross through the centre of an odd `size × size` map,
 * one doorway per wall segment (by default halfway along it). Start in the
 * bottom-left corner, goal in the top-right corner.
 *
 * @example
 * ```ts
 * fourRooms(7);
 * // ...#..G
 * // .......
 * // ...#...
 * // #.###.#
 * // ...#...
 * // .......
 * // S..#...
 * ```
 */
export function fourRooms(size = 11, doorways?: Doorways): GridMap {
  checkSize('fourRooms', 'size', size, 5);
  if (size % 2 === 0) throw new GridWorldError(`fourRooms: size must be odd (the walls cross at the centre), got ${size}`);
  const half = (size - 1) / 2;
  const middle = Math.floor((half - 1) / 2);
  const doors = doorways ?? { up: middle, down: middle, left: middle, right: middle };
  for (const [side, d] of Object.entries(doors)) {
    if (!Number.isInteger(d) || d < 0 || d >= half) {
      throw new GridWorldError(`fourRooms: doorway ${side} must be an integer in 0..${half - 1} for size ${size}, got ${d}`);
    }
  }
  const rows = Array.from({ length: size }, () => '.'.repeat(size).split(''));
  for (let i = 0; i < size; i++) {
    rows[i]![half] = '#';
    rows[half]![i] = '#';
  }
  rows[half - 1 - doors.up]![half] = '.';
  rows[half + 1 + doors.down]![half] = '.';
  rows[half]![half - 1 - doors.left] = '.';
  rows[half]![half + 1 + doors.right] = '.';
  rows[size - 1]![0] = 'S';
  rows[0]![size - 1] = 'G';
  return parseMap(rows.map((r) => r.join('')));
}

/**
 * A one-row corridor of `length` cells; start at the left end, goal at the right end.
 *
 * @example
 * ```ts
 * mapToText(corridor(5)); // 'S...G'
 * ```
 */
export function corridor(length: number): GridMap {
  checkSize('corridor', 'length', length, 2);
  return parseMap(`S${'.'.repeat(length - 2)}G`);
}

/**
 * The cliff-walking task: 4 rows × `width`, start and goal at the two ends of the
 * bottom row with lava between them.
 *
 * @example
 * ```ts
 * cliff(5);
 * // .....
 * // .....
 * // .....
 * // SLLLG
 * ```
 */
export function cliff(width = 12): GridMap {
  checkSize('cliff', 'width', width, 3);
  const free = '.'.repeat(width);
  return parseMap([free, free, free, `S${'L'.repeat(width - 2)}G`]);
}

/**
 * A standard layout by name (`size` is the side, or the length of a corridor, or the
 * width of the cliff), or a given map parsed.
 *
 * @example
 * ```ts
 * standardLayout('fourRooms', 11);
 * ```
 */
export function standardLayout(layout: LayoutName | MapSource, size = 8): GridMap {
  if (!isLayoutName(layout)) return parseMap(layout);
  switch (layout) {
    case 'open': return openRoom(size);
    case 'fourRooms': return fourRooms(size);
    case 'corridor': return corridor(size);
    case 'cliff': return cliff(size);
  }
}

function checkSize(caller: string, what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new GridWorldError(`${caller}: ${what} must be an integer ≥ ${min}, got ${value}`);
  }
}
