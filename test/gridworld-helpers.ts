/** Shared helpers of the grid-world tests (this file holds no suites). */
import * as assert from 'uvu/assert';
import { GridWorldError } from '../src/rl/env/index.ts';

/** Asserts `fn` throws a GridWorldError whose message contains every fragment. */
export function throwsGridWorldError(fn: () => unknown, ...fragments: string[]): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, GridWorldError, `expected a GridWorldError, got ${String(error)}`);
    const message = (error as Error).message;
    for (const fragment of fragments) {
      assert.ok(message.includes(fragment), `message ${JSON.stringify(message)} lacks ${JSON.stringify(fragment)}`);
    }
    return;
  }
  assert.unreachable(`expected a GridWorldError containing ${fragments.map((f) => JSON.stringify(f)).join(', ')}`);
}
