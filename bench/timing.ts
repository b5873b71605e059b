/**
 * CPU-time measurement shared by the bench suites that compare against an
 * external peer in the same process (benchmark.js measures wall time, which
 * the shared machines make noisy; CPU time of this thread is steadier).
 */

export interface Timing { readonly median: number; readonly q1: number; readonly q3: number }

/** CPU ms per call: calls are batched to ≥ 20 ms of CPU per round; median and quartiles over rounds. */
export function cpuTime(call: () => void, rounds = 21): Timing {
  let perRound = 1;
  for (;;) {
    const start = process.cpuUsage();
    for (let i = 0; i < perRound; i++) call();
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= 20) break;
    perRound *= 2;
  }
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < perRound; i++) call();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1000 / perRound);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.round(q * (rounds - 1))]!;
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}
