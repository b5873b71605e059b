/**
 * Ctrl-C handling: the first SIGINT (or SIGTERM) asks the running job to stop after
 * the current iteration, so it can save what it has; a second one exits at once.
 *
 * A synchronous training loop never lets signal handlers run: the loop must await
 * {@link yieldToEventLoop} between iterations.
 */

/** A stop request shared between the signal handler and the loops that poll it. */
export interface StopSignal {
  readonly requested: boolean;
  /** Which signal asked to stop, e.g. `'SIGINT'`. */
  readonly reason: string | null;
  request(reason: string): void;
}

/** A stop signal that nothing but `request` sets (tests, library use). */
export function createStopSignal(): StopSignal {
  let reason: string | null = null;
  return {
    get requested() { return reason !== null; },
    get reason() { return reason; },
    request(r) { reason ??= r; },
  };
}

/**
 * Installs SIGINT/SIGTERM handlers that set `stop`; `onFirst` is told once (to print
 * "stopping…"), and a second signal exits with 130. Returns a function removing them.
 */
export function installInterruptHandlers(stop: StopSignal, onFirst: (signal: string) => void): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    if (stop.requested) process.exit(130);
    stop.request(signal);
    onFirst(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Resolves on the next turn of the event loop (lets signal handlers and I/O run). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
