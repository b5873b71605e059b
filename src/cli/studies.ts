/**
 * The studies that run through the shared runner (`study.ts`), by command: what `metagrad
 * merge` looks a shard's command up in. Each loads its code only when used.
 */
import type { GridRenderer } from '../report/figures.ts';
import type { StudyDefinition } from './study.ts';

/** A study definition with the renderer of its report's grid panels. */
export type LoadedStudy = StudyDefinition<Record<string, unknown>, unknown>;

/** Loaders of the studies, by command name. */
export const STUDIES: Readonly<Record<string, () => Promise<LoadedStudy>>> = {
  gridworld: async () => {
    const [{ GRIDWORLD_STUDY }, { renderPanel }] = await Promise.all([import('./jobs/gridworld-study.ts'), import('./jobs/gridworld-build.ts')]);
    return { ...GRIDWORLD_STUDY, renderGrid: renderPanel as GridRenderer } as unknown as LoadedStudy;
  },
  sinusoid: async () => (await import('./jobs/sinusoid-study.ts')).SINUSOID_STUDY as unknown as LoadedStudy,
  continual: async () => (await import('./jobs/continual-study.ts')).CONTINUAL_STUDY as unknown as LoadedStudy,
  explore: async () => {
    const [{ EXPLORE_STUDY }, { renderSignPanel }] = await Promise.all([import('./jobs/explore-study.ts'), import('../report/sign-grid.ts')]);
    return { ...EXPLORE_STUDY, renderGrid: ((p) => renderSignPanel(p)) as GridRenderer } as unknown as LoadedStudy;
  },
  ood: async () => (await import('./jobs/ood-study.ts')).OOD_STUDY as unknown as LoadedStudy,
};
