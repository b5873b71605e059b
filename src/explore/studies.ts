/**
 * The exploration study's public pieces, for `metagrad/studies`: its configurations,
 * runner, diagnostics and figures (experiments.ts), and the initialisation-sensitivity
 * study (sensitivity.ts).
 *
 * @module
 */

export * from './experiments.ts';
export { initSensitivity, summarize as summarizeSensitivity, type SensitivityRun, type SensitivityOptions } from './sensitivity.ts';
