import * as assert from 'uvu/assert';
import { RlError } from '../src/rl/errors.ts';

/** Asserts `fn` throws an {@link RlError} whose message matches `pattern`. */
export function throwsRl(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, RlError, `expected an RlError, got ${String(error)}`);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an RlError matching ${pattern}`);
}
