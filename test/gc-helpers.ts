/** The settled JS heap for memory-flatness tests: uvu runs without --expose-gc, so the flag is turned on and gc fetched from a fresh context. */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap bytes in use after four full collections. */
export function settledHeap(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}
