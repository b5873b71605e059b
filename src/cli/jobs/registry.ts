/**
 * The CLI's job registry: the module every worker of a study imports (`CLI_JOBS`). Each
 * study's unit job is registered here under a name and loads its code only when first
 * run, so a worker pays only for the study it runs. A new study adds one line.
 */
import { registerJob } from '../../parallel/registry.ts';
import type { JobContext } from '../../parallel/types.ts';

/** This module's URL (`.ts` under tsx, `.js` in dist/): what study pools import. */
export const CLI_JOBS: string = import.meta.url;

registerJob('gridworld.run', async (args: Parameters<typeof import('./gridworld-unit.ts').runGridworldUnit>[0], ctx: JobContext) =>
  (await import('./gridworld-unit.ts')).runGridworldUnit(args, ctx));

registerJob('gridworld.part', async (args: Parameters<typeof import('./gridworld-parallel.ts').runGridworldPart>[0], ctx: JobContext) =>
  (await import('./gridworld-parallel.ts')).runGridworldPart(args, ctx));

registerJob('gridworld.partStep', async (args: Parameters<typeof import('./gridworld-parallel.ts').runGridworldPartStep>[0]) =>
  (await import('./gridworld-parallel.ts')).runGridworldPartStep(args));

registerJob('sinusoid.run', async (args: Parameters<typeof import('./sinusoid-unit.ts').runSinusoidUnit>[0], ctx: JobContext) =>
  (await import('./sinusoid-unit.ts')).runSinusoidUnit(args, ctx));

registerJob('continual.run', async (args: Parameters<typeof import('./continual-unit.ts').runContinualUnit>[0], ctx: JobContext) =>
  (await import('./continual-unit.ts')).runContinualUnit(args, ctx));

registerJob('explore.run', async (args: Parameters<typeof import('./explore-unit.ts').runExploreUnit>[0], ctx: JobContext) =>
  (await import('./explore-unit.ts')).runExploreUnit(args, ctx));

registerJob('ood.run', async (args: Parameters<typeof import('./ood-unit.ts').runOodUnit>[0], ctx: JobContext) =>
  (await import('./ood-unit.ts')).runOodUnit(args, ctx));
