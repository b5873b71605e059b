/**
 * `metagrad eval <checkpoint>`: evaluates a saved checkpoint (sinusoid or gridworld,
 * told apart by the file's kind) and writes results.json and report.html, without
 * training.
 */
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { runContext } from '../command.ts';
import { outputOptions, prepareOutput } from '../options.ts';
import { curvesOf, evaluate, writeOutputs } from '../run.ts';
import type { MetaJob } from '../job.ts';
import { CheckpointError, loadCheckpoint } from '../../io/checkpoint.ts';
import type { GridRenderer } from '../../report/figures.ts';
import { SINUSOID_DEFAULTS, type SinusoidConfig } from '../jobs/sinusoid-config.ts';
import { GRIDWORLD_ABSENT_KEYS, GRIDWORLD_DEFAULTS, type GridworldConfig } from '../jobs/gridworld-config.ts';

/**
 * `defaults` overlaid with the checkpoint's config, checking that every key has the
 * default's type (so a hand-edited file fails here, clearly, not deep in training code).
 */
export function savedConfig<C extends Record<string, unknown>>(defaults: C, saved: unknown, file: string): C {
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) throw new CheckpointError(file, 'has no config object');
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, def] of Object.entries(defaults)) {
    if (!(key in saved)) continue;
    const value = (saved as Record<string, unknown>)[key];
    const ok = Array.isArray(def) ? Array.isArray(value) && value.every((v) => typeof v === 'number')
      : def === null ? value === null || typeof value === 'string'
        : typeof value === typeof def && (typeof value !== 'number' || Number.isFinite(value));
    if (!ok) throw new CheckpointError(file, `config.${key} is ${JSON.stringify(value)}, expected a value like ${JSON.stringify(def)}`);
    out[key] = value;
  }
  return out as C;
}

interface Factory {
  readonly defaults: Record<string, unknown>;
  /** Loads the job's code on demand. */
  readonly load: () => Promise<{ create: (config: Record<string, unknown>) => MetaJob; renderGrid?: GridRenderer }>;
}

const FACTORIES: Record<string, Factory> = {
  sinusoid: {
    defaults: SINUSOID_DEFAULTS,
    load: async () => {
      const { createSinusoidJob } = await import('../jobs/sinusoid.ts');
      return { create: (c) => createSinusoidJob(c as SinusoidConfig) };
    },
  },
  gridworld: {
    // A checkpoint lacking a newer key is read with the value it meant when written.
    defaults: { ...GRIDWORLD_DEFAULTS, ...GRIDWORLD_ABSENT_KEYS },
    load: async () => {
      const { buildGridworldJob, renderPanel } = await import('../jobs/gridworld-build.ts');
      return { create: (c) => buildGridworldJob(c as GridworldConfig), renderGrid: renderPanel };
    },
  },
};

export const evalCommand: Command = {
  spec: {
    name: 'eval',
    summary: 'Evaluate a saved checkpoint (from sinusoid or gridworld) and write its report.',
    positionals: [{ name: 'checkpoint', description: 'a checkpoint.json written by metagrad sinusoid or gridworld', required: true }],
    options: [
      { name: 'eval-steps', short: 'k', type: 'int', min: 1, max: 100, description: "adaptation steps to evaluate (default: the checkpoint's)" },
      { name: 'eval-tasks', type: 'int', min: 1, max: 10000, description: "tasks per evaluation split (default: the checkpoint's)" },
      ...outputOptions('out/eval', { checkpoint: false }),
    ],
    examples: ['metagrad eval out/gridworld/checkpoint.json', 'metagrad eval out/sinusoid/checkpoint.json -k 20 --json'],
  },
  async run(args, io) {
    const file = args.positionals[0]!;
    const checkpoint = loadCheckpoint(file);
    const factory = FACTORIES[checkpoint.kind];
    if (!factory) {
      throw new UsageError(`checkpoint ${file} was written by '${checkpoint.kind}'; eval knows ${Object.keys(FACTORIES).join(' and ')}`);
    }
    const config = savedConfig(factory.defaults, checkpoint.config, file);
    for (const key of ['evalSteps', 'evalTasks']) if (args.values[key] !== undefined) config[key] = args.values[key];
    const { create, renderGrid } = await factory.load();
    const job = create(config);
    const state = job.restore(checkpoint, file);
    const prepared = await prepareOutput(args);
    const ctx = runContext('eval', prepared, args, io, renderGrid);
    const evaluation = await evaluate(job, state, ctx);
    const interrupted = io.stop.requested || !evaluation.complete;
    const curves = curvesOf(checkpoint.extra, checkpoint.iteration, job.curve.key);
    writeOutputs(job, ctx, { iterations: Number(config['iterations'] ?? checkpoint.iteration), completed: checkpoint.iteration, curves }, evaluation, interrupted, false);
    return interrupted ? 130 : 0;
  },
};
