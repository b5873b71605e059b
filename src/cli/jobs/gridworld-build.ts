/**
 * Building the grid-world job for the CLI: environment errors become input errors
 * (exit 2), and report panels are drawn with the environment's SVG renderer.
 */
import { UsageError } from '../args.ts';
import type { MetaJob } from '../job.ts';
import type { GridPanel } from '../../report/figures.ts';
import { renderSvg, tabularModel, GridWorldError } from '../../rl/env/index.ts';
import { RlError } from '../../rl/errors.ts';
import { createGridworldJob } from './gridworld.ts';
import type { GridworldConfig } from './gridworld-config.ts';

/** Creates the job, turning the environment's validation errors into input errors. */
export function buildGridworldJob(config: GridworldConfig, mapFile?: string): MetaJob {
  try {
    return createGridworldJob(config);
  } catch (e) {
    if (e instanceof GridWorldError || e instanceof RlError || e instanceof RangeError) {
      const where = mapFile !== undefined ? `--map ${mapFile}` : `--family ${config.family}${config.family === 'layout' ? '' : ` --layout ${config.layout}`} --size ${config.size}`;
      throw new UsageError(`${where}: ${e.message.replace(/^\w+: /, '')}`);
    }
    throw e;
  }
}

/** Draws a report panel with the environment's SVG renderer. */
export function renderPanel(panel: GridPanel): string {
  const model = tabularModel(panel.map.join('\n'));
  return renderSvg(model, { trajectory: panel.trajectory, cellSize: 22 });
}
