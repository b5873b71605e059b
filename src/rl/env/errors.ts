/**
 * The one error type of the grid-world environments. Every message names the call
 * or option at fault and the offending value, so one line tells the user what to fix.
 */

/**
 * Invalid maps, positions, actions, batch sizes or options of the grid worlds.
 * @example
 * ```ts
 * parseMap(['..', '.']); // throws GridWorldError: parseMap: ragged rows: row 1 has 1 columns, but row 0 has 2 …
 * ```
 */
export class GridWorldError extends Error {
  override name = 'GridWorldError';
}
