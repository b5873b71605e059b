/**
 * Task families for meta-RL: each is a deterministic, seeded split of a set of tasks
 * into meta-train tasks, held-out meta-test tasks from the same distribution, and
 * out-of-distribution (OOD) tasks drawn from a region the meta-training tasks never
 * touch.
 *
 * - {@link goalFamily}: fixed start, varying goal; OOD goals lie in one quadrant.
 * - {@link startFamily}: fixed goal, varying start; OOD starts lie in one quadrant.
 * - {@link layoutFamily}: four rooms with varying doorways; OOD layouts put a doorway
 *   at the outer end of its wall, a position never seen in meta-training.
 *
 * Every task carries its layout, so it can be handed to any environment whose map
 * has the same size.
 */
import { Rng } from '../../random/rng.ts';
import { GridWorldError } from './errors.ts';
import { baseChars, Cell, formatPosition, inBounds, type GridMap, type MapSource, type Position } from './map.ts';
import { fourRooms, isLayoutName, standardLayout, type LayoutName } from './layouts.ts';
import type { Task } from './model.ts';

/** A quadrant of the map; see {@link inQuadrant}. */
export type Quadrant = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';

/** Meta-train, meta-test and out-of-distribution tasks of one family. */
export interface TaskFamily {
  readonly name: string;
  readonly train: readonly Task[];
  /** Held out from meta-training, same distribution as `train`. */
  readonly test: readonly Task[];
  /** From a region no meta-training task comes from. */
  readonly ood: readonly Task[];
  /** A summary with counts and, for goal and start families, a map of the split. */
  describe(): string;
}

/**
 * True when the cell's centre lies strictly inside the quadrant, so cells on a middle
 * row or column (odd sizes) belong to no quadrant. A dimension of size 1 (a corridor)
 * is not split: its single row counts as both top and bottom.
 *
 * @example
 * ```ts
 * inQuadrant(8, 8, [0, 7], 'top-right'); // true
 * inQuadrant(8, 8, [4, 7], 'top-right'); // false
 * ```
 */
export function inQuadrant(height: number, width: number, [row, col]: Position, quadrant: Quadrant): boolean {
  const [vertical, horizontal] = quadrant.split('-') as ['top' | 'bottom', 'left' | 'right'];
  const rowOk = height === 1 || (vertical === 'top' ? 2 * row + 1 < height : 2 * row + 1 > height);
  const colOk = width === 1 || (horizontal === 'left' ? 2 * col + 1 < width : 2 * col + 1 > width);
  return rowOk && colOk;
}

/**
 * The walkable cell (not wall, not lava) closest to a corner of the map (Manhattan
 * distance, ties broken in reading order).
 *
 * @example
 * ```ts
 * cornerCell(openRoom(8), 'bottom-left'); // [7, 0]
 * ```
 */
export function cornerCell(map: GridMap, corner: Quadrant): Position {
  const cornerRow = corner.startsWith('top') ? 0 : map.height - 1;
  const cornerCol = corner.endsWith('left') ? 0 : map.width - 1;
  let best: Position | undefined;
  let bestDistance = Infinity;
  for (let r = 0; r < map.height; r++) {
    for (let c = 0; c < map.width; c++) {
      if (map.cells[r * map.width + c] !== Cell.Free) continue;
      const distance = Math.abs(r - cornerRow) + Math.abs(c - cornerCol);
      if (distance < bestDistance) {
        best = [r, c];
        bestDistance = distance;
      }
    }
  }
  if (!best) throw new GridWorldError('cornerCell: the map has no free cell');
  return best;
}

/** Options every task family shares: the layout, and how its in-distribution tasks split into train and test. */
export interface FamilyOptionsBase {
  /** A standard layout name or a map. Default `'open'`. */
  readonly layout?: LayoutName | MapSource;
  /** Side of a standard layout. Default 8 (use an odd size with `'fourRooms'`). */
  readonly size?: number;
  /** Fraction of the in-distribution tasks held out as meta-test tasks. Default 0.25. */
  readonly testFraction?: number;
  /** Seeds the train/test split. Default 0. */
  readonly seed?: number;
}

/** Layout, fixed start, OOD quadrant and train/test split of {@link goalFamily}. */
export interface GoalFamilyOptions extends FamilyOptionsBase {
  /** The fixed start. Default: the free cell nearest the bottom-left corner. */
  readonly start?: Position;
  /** Goals inside this quadrant form the OOD split. Default `'top-right'`. */
  readonly oodQuadrant?: Quadrant;
}

/**
 * Varying goals, fixed start. Every free cell reachable from the start is a goal
 * candidate; those in `oodQuadrant` become the OOD tasks, the rest are split into
 * train and test by a seeded shuffle.
 *
 * @example
 * ```ts
 * const family = goalFamily({ layout: 'open', size: 8, seed: 1 });
 * family.train.length; // 35: the 47 goals outside the top-right quadrant minus 12 held out
 * family.ood[0];       // { name: 'goal (0, 4)', layout, starts: [[7, 0]], goals: [[0, 4]] }
 * console.log(family.describe());
 * ```
 */
export function goalFamily(options: GoalFamilyOptions = {}): TaskFamily {
  const layout = standardLayout(options.layout ?? 'open', options.size ?? 8);
  const start = checkCell(layout, options.start ?? cornerCell(layout, 'bottom-left'), 'goalFamily', 'start');
  const quadrant = options.oodQuadrant ?? 'top-right';
  const split = splitCells(layout, start, quadrant, options, 'goalFamily');
  const toTask = (goal: Position): Task => ({ name: `goal ${formatPosition(goal)}`, layout, starts: [start], goals: [goal] });
  const name = `goalFamily(${layoutLabel(options, layout)})`;
  return {
    name,
    train: split.train.map(toTask),
    test: split.test.map(toTask),
    ood: split.ood.map(toTask),
    describe: () => describeSplit(name, layout, split, 'S', start, `goals; ood = goals in the ${quadrant} quadrant`),
  };
}

/** Layout, fixed goal, OOD quadrant and train/test split of {@link startFamily}. */
export interface StartFamilyOptions extends FamilyOptionsBase {
  /** The fixed goal. Default: the free cell nearest the top-right corner. */
  readonly goal?: Position;
  /** Starts inside this quadrant form the OOD split. Default `'top-left'`. */
  readonly oodQuadrant?: Quadrant;
}

/**
 * Varying starts, fixed goal: meta-train on starts outside `oodQuadrant` (by default
 * everything but the top-left), test OOD on starts inside it.
 *
 * @example
 * ```ts
 * const family = startFamily({ layout: 'fourRooms', size: 11 });
 * family.ood.every((t) => inQuadrant(11, 11, t.starts![0]!, 'top-left')); // true
 * ```
 */
export function startFamily(options: StartFamilyOptions = {}): TaskFamily {
  const layout = standardLayout(options.layout ?? 'open', options.size ?? 8);
  const goal = checkCell(layout, options.goal ?? cornerCell(layout, 'top-right'), 'startFamily', 'goal');
  const quadrant = options.oodQuadrant ?? 'top-left';
  const split = splitCells(layout, goal, quadrant, options, 'startFamily');
  const toTask = (start: Position): Task => ({ name: `start ${formatPosition(start)}`, layout, starts: [start], goals: [goal] });
  const name = `startFamily(${layoutLabel(options, layout)})`;
  return {
    name,
    train: split.train.map(toTask),
    test: split.test.map(toTask),
    ood: split.ood.map(toTask),
    describe: () => describeSplit(name, layout, split, 'G', goal, `starts; ood = starts in the ${quadrant} quadrant`),
  };
}

/** Map size and train/test split of {@link layoutFamily}. */
export interface LayoutFamilyOptions {
  /** Odd side of the four-rooms map. Default 11. */
  readonly size?: number;
  readonly testFraction?: number;
  readonly seed?: number;
}

/**
 * Four-rooms layouts with every combination of doorway positions; start bottom-left,
 * goal top-right. Layouts whose doorways all avoid the outer end of their wall are
 * split into train and test; layouts with at least one doorway at an outer end are OOD.
 *
 * @example
 * ```ts
 * const family = layoutFamily({ size: 9 }); // doorway distances 0..3 per wall
 * family.train.length + family.test.length; // 3^4 = 81
 * family.ood.length;                        // 4^4 - 3^4 = 175
 * ```
 */
export function layoutFamily(options: LayoutFamilyOptions = {}): TaskFamily {
  const size = options.size ?? 11;
  const probe = fourRooms(size); // validates size
  const half = (probe.height - 1) / 2;
  const outer = half - 1;
  const inDistribution: Task[] = [];
  const ood: Task[] = [];
  for (let up = 0; up < half; up++) {
    for (let down = 0; down < half; down++) {
      for (let left = 0; left < half; left++) {
        for (let right = 0; right < half; right++) {
          const layout = fourRooms(size, { up, down, left, right });
          const task: Task = {
            name: `fourRooms doorways up ${up} down ${down} left ${left} right ${right}`,
            layout, starts: layout.startMarkers, goals: layout.goalMarkers,
          };
          const touchesOuter = up === outer || down === outer || left === outer || right === outer;
          (touchesOuter ? ood : inDistribution).push(task);
        }
      }
    }
  }
  const { train, test } = splitTrainTest(inDistribution, options.testFraction, options.seed, 'layoutFamily');
  const name = `layoutFamily(fourRooms ${size}×${size})`;
  return {
    name, train, test, ood,
    describe: () => `${name}: ${train.length} train, ${test.length} test, ${ood.length} ood layouts; `
      + `ood = at least one doorway at the outer end of its wall (distance ${outer} from the centre)`,
  };
}

interface CellSplit {
  readonly train: Position[];
  readonly test: Position[];
  readonly ood: Position[];
}

/** Candidate cells (free, connected to `fixed`, not `fixed`) split by quadrant, then by a seeded shuffle. */
function splitCells(layout: GridMap, fixed: Position, quadrant: Quadrant, options: FamilyOptionsBase, caller: string): CellSplit {
  const connected = connectedCells(layout, fixed);
  const inDistribution: Position[] = [];
  const ood: Position[] = [];
  for (let r = 0; r < layout.height; r++) {
    for (let c = 0; c < layout.width; c++) {
      if (!connected[r * layout.width + c] || (r === fixed[0] && c === fixed[1])) continue;
      (inQuadrant(layout.height, layout.width, [r, c], quadrant) ? ood : inDistribution).push([r, c]);
    }
  }
  const { train, test } = splitTrainTest(inDistribution, options.testFraction, options.seed, caller);
  return { train: sortPositions(train), test: sortPositions(test), ood };
}

function sortPositions(positions: Position[]): Position[] {
  return positions.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Shuffles a copy of `items` with `Rng(seed)` and holds out `round(testFraction * n)` (at least one, never all). */
function splitTrainTest<T>(items: readonly T[], testFraction = 0.25, seed = 0, caller: string): { train: T[]; test: T[] } {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new GridWorldError(`${caller}: testFraction must be in [0, 1), got ${testFraction}`);
  }
  if (items.length === 0) throw new GridWorldError(`${caller}: no in-distribution tasks (the OOD region covers every candidate)`);
  const shuffled = new Rng(seed).shuffle(items.slice());
  const wanted = Math.round(testFraction * shuffled.length);
  const numTest = Math.min(shuffled.length - 1, testFraction > 0 ? Math.max(1, wanted) : 0);
  const test = shuffled.slice(0, numTest);
  const train = shuffled.slice(numTest);
  // Keep each split in the original order so that lists read naturally.
  const order = new Map(items.map((item, i) => [item, i]));
  const byOrder = (a: T, b: T): number => order.get(a)! - order.get(b)!;
  return { train: train.sort(byOrder), test: test.sort(byOrder) };
}

/** Cells reachable from `from` through free cells (4-neighbour moves; lava and walls block). */
function connectedCells(map: GridMap, [row, col]: Position): Uint8Array {
  const seen = new Uint8Array(map.height * map.width);
  const queue: number[] = [row * map.width + col];
  seen[queue[0]!] = 1;
  while (queue.length > 0) {
    const cell = queue.shift()!;
    const r = Math.floor(cell / map.width);
    const c = cell % map.width;
    for (const [dr, dc] of [[-1, 0], [0, 1], [1, 0], [0, -1]] as const) {
      const nr = r + dr;
      const nc = c + dc;
      if (nr < 0 || nr >= map.height || nc < 0 || nc >= map.width) continue;
      const target = nr * map.width + nc;
      if (!seen[target] && map.cells[target] === Cell.Free) {
        seen[target] = 1;
        queue.push(target);
      }
    }
  }
  return seen;
}

function checkCell(layout: GridMap, position: Position, caller: string, what: string): Position {
  if (!inBounds(layout, position)) {
    throw new GridWorldError(`${caller}: ${what} (${position.join(', ')}) is outside the ${layout.height}×${layout.width} map`);
  }
  const kind = layout.cells[position[0] * layout.width + position[1]];
  if (kind === Cell.Wall) throw new GridWorldError(`${caller}: ${what} ${formatPosition(position)} is on a wall`);
  if (kind === Cell.Lava) throw new GridWorldError(`${caller}: ${what} ${formatPosition(position)} is on lava`);
  return position;
}

function layoutLabel(options: FamilyOptionsBase, layout: GridMap): string {
  const kind = options.layout === undefined ? 'open' : isLayoutName(options.layout) ? options.layout : 'custom';
  return `${kind} ${layout.height}×${layout.width}`;
}

/** Counts plus a picture: `t` train, `e` test (held out), `o` OOD, and the fixed cell. */
function describeSplit(name: string, layout: GridMap, split: CellSplit, fixedChar: string, fixed: Position, what: string): string {
  const chars = baseChars(layout);
  for (const [r, c] of split.train) chars[r]![c] = 't';
  for (const [r, c] of split.test) chars[r]![c] = 'e';
  for (const [r, c] of split.ood) chars[r]![c] = 'o';
  chars[fixed[0]]![fixed[1]] = fixedChar;
  return [
    `${name}: ${split.train.length} train, ${split.test.length} test, ${split.ood.length} ood ${what}`,
    `legend: ${fixedChar} fixed ${fixedChar === 'S' ? 'start' : 'goal'}, t train, e test, o ood, # wall, L lava`,
    ...chars.map((row) => row.join('')),
  ].join('\n');
}
