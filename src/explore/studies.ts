/**
 * The exploration study's public pieces, for `metagrad/studies`: its configurations,
 * agents, diagnostics and figures (experiments.ts), its units and runners (study.ts, study-parallel.ts on workers), and the initialisation-sensitivity
 * study (sensitivity.ts).
 *
 * @module
 */

export * from './experiments.ts';
export * from './study.ts';
export * from './study-parallel.ts';
export { initSensitivity, sensitivityRun, summarize as summarizeSensitivity, type SensitivityRun, type SensitivityOptions } from './sensitivity.ts';
