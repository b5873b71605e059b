/**
 * The one error type of the grid-world environments. Every message names the call
 * or option at fault and the offending value, so one line tells the user what to fix.
 */

/** Invalid maps, positions, actions, batch sizes or options of the grid worlds. */
export class GridWorldError extends Error {
  override name = 'GridWorldError';
}
