/**
 * The error type of the learning half of `rl/` (policies, rollouts, estimators,
 * training and evaluation), plus the option checks they share. Every message names
 * the function, the option and the offending value.
 */

/**
 * Invalid options, shapes or batch sizes given to policies, rollouts, estimators or trainers.
 * @example
 * ```ts
 * tabularPolicy({ numStates: 0, numActions: 4 }); // throws RlError: tabularPolicy: numStates must be an integer ≥ 1, got 0
 * ```
 */
export class RlError extends Error {
  override name = 'RlError';
}

/** Throws unless `value` is an integer ≥ `min`. Returns it. */
export function checkInteger(caller: string, option: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RlError(`${caller}: ${option} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number in [min, max]. Returns it. */
export function checkNumber(caller: string, option: string, value: number, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = `${min === -Infinity ? '(-∞' : `[${min}`}, ${max === Infinity ? '∞)' : `${max}]`}`;
    throw new RlError(`${caller}: ${option} must be a finite number in ${range}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. Returns it. */
export function checkChoice<T extends string>(caller: string, option: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new RlError(`${caller}: ${option} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value;
}
