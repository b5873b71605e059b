/**
 * The studies behind RESULTS.md, outside the library surface: `import { continual,
 * explore } from 'metagrad/studies'`. Each namespace holds a study's settings (the
 * tuned configurations), its runner and its figures; the CLI's `continual` and
 * `explore` commands and scripts/ are built on them. The library itself
 * (`import … from 'metagrad'`) keeps the building blocks they use: task streams,
 * continual learners and metrics, sign grids, sequence models and agents.
 *
 * @module
 */

export * as continual from './continual/experiments.ts';
export * as explore from './explore/studies.ts';
