/**
 * `metagrad gridworld`: meta-RL on a grid-world task family — MAML-RL meta-training,
 * adaptation in and out of distribution against pretrained and from-scratch policies,
 * trajectory pictures, report. `npm start` runs this with its defaults.
 */
import { readFileSync } from 'node:fs';
import { availableCores } from '../../parallel/cores.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { loadResume, runContext } from '../command.ts';
import { outputOptions, prepareOutput, trainingOptions } from '../options.ts';
import { trainAndReport } from '../run.ts';
import type { MetaJob } from '../job.ts';
import { checkStudyOptions, isStudyRun, runStudy, studyOptions, studyRunOptions } from '../study.ts';
import {
  GRIDWORLD_ABSENT_KEYS, GRIDWORLD_ALGORITHMS, GRIDWORLD_DEFAULTS, GRIDWORLD_ESTIMATORS, GRIDWORLD_FAMILIES,
  GRIDWORLD_LAYOUTS, GRIDWORLD_POLICIES, type GridworldConfig,
} from '../jobs/gridworld-config.ts';

/** Reads `--map FILE`; a missing or unreadable file is a UsageError. */
export function readMapFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UsageError(`--map ${file}: cannot read the map (${why}); pass a text file with one row per line ('#' wall, '.' free, 'L' lava)`);
  }
}

/** The config from parsed options (ranges already checked by the option table). */
export function gridworldConfig(args: ParsedArgs): GridworldConfig {
  const v = args.values;
  const mapFile = v['map'] as string | undefined;
  return {
    algorithm: v['algorithm'] as GridworldConfig['algorithm'],
    estimator: v['estimator'] as GridworldConfig['estimator'],
    family: v['family'] as GridworldConfig['family'],
    layout: v['layout'] as GridworldConfig['layout'],
    map: mapFile === undefined ? null : readMapFile(mapFile),
    size: v['size'] as number,
    horizon: v['horizon'] as number,
    policy: v['policy'] as GridworldConfig['policy'],
    seed: v['seed'] as number,
    iterations: v['iterations'] as number,
    metaBatch: v['metaBatch'] as number,
    episodes: v['episodes'] as number,
    innerSteps: v['innerSteps'] as number,
    innerLr: v['innerLr'] as number,
    learnInnerLr: v['learnInnerLr'] as boolean,
    entropyBonus: v['entropyBonus'] as number,
    weightDecay: v['weightDecay'] as number,
    outerLr: v['outerLr'] as number,
    evalSteps: v['evalSteps'] as number,
    evalTasks: v['evalTasks'] as number,
    baselines: v['baselines'] as boolean,
    jit: v['jit'] as boolean,
  };
}

const D = GRIDWORLD_DEFAULTS;

export const gridworldCommand: Command = {
  spec: {
    name: 'gridworld',
    summary: 'Grid-world meta-RL with MAML-RL: meta-train, evaluate in and out of distribution, report.',
    description: [
      'Meta-trains a policy over a family of grid-world tasks (goal family: the goal moves;',
      'start family: the start moves; layout family: four-rooms doorways move), alongside a',
      'multi-task policy-gradient baseline. Then adapts the meta-learned, pretrained and',
      'random policies on held-out and out-of-distribution tasks and scores them with the',
      'exact expected return. The defaults (the settings of scripts/gridworld.ts for the',
      '8×8 goal family) take 13–60 s on one core.',
    ].join('\n'),
    options: [
      { name: 'algorithm', short: 'a', type: 'choice', choices: GRIDWORLD_ALGORITHMS, default: D.algorithm, description: 'maml (second order) or fomaml (first order)' },
      { name: 'estimator', type: 'choice', choices: GRIDWORLD_ESTIMATORS, default: D.estimator, description: 'meta-gradient estimator of maml' },
      { name: 'family', type: 'choice', choices: GRIDWORLD_FAMILIES, default: D.family, description: 'what varies between tasks' },
      { name: 'layout', type: 'choice', choices: GRIDWORLD_LAYOUTS, default: D.layout, description: 'standard layout of the goal and start families' },
      { name: 'map', type: 'string', placeholder: 'FILE', description: "custom layout: a text file, one row per line ('#' wall, '.' free, 'L' lava)" },
      { name: 'size', type: 'int', min: 3, max: 31, default: D.size, description: 'side of the standard layout (odd for fourRooms and the layout family)' },
      { name: 'horizon', type: 'int', min: 1, max: 1000, default: D.horizon, description: 'episode length limit' },
      { name: 'policy', type: 'choice', choices: GRIDWORLD_POLICIES, default: D.policy, description: 'tabular logits, or an MLP over grid channels' },
      ...trainingOptions(D),
      { name: 'episodes', type: 'int', min: 1, max: 10000, default: D.episodes, description: 'episodes per inner and outer batch' },
      { name: 'learn-inner-lr', type: 'boolean', default: D.learnInnerLr, description: 'meta-learn per-parameter inner step sizes, Meta-SGD (--no-learn-inner-lr: plain MAML)' },
      { name: 'entropy-bonus', type: 'number', min: 0, default: D.entropyBonus, description: "weight of the initial policy's entropy in the meta-objective" },
      { name: 'weight-decay', type: 'number', min: 0, default: D.weightDecay, description: 'decoupled weight decay of the outer update (toward the uniform policy)' },
      { name: 'eval-tasks', type: 'int', min: 1, max: 1000, default: D.evalTasks, description: 'at most this many tasks per evaluation split' },
      { name: 'baselines', type: 'boolean', default: true, description: 'train the pretrained baseline too (--no-baselines to skip)' },
      { name: 'jit', type: 'boolean', default: D.jit, description: 'compile the meta-gradient with jit (--no-jit: eager; same numbers to float32 rounding)' },
      ...studyOptions({ singleRun: "a single run's two trainings (MAML, baseline)" }),
      ...outputOptions('out/gridworld'),
    ],
    examples: [
      'metagrad gridworld',
      'metagrad gridworld --family start --layout fourRooms --size 7 --horizon 20',
      'metagrad gridworld --map my-map.txt --iterations 300 --out out/my-map',
      'metagrad gridworld --seeds 8 --workers 4',
      'metagrad gridworld --seeds 8 --shard 0/2 --out out/gw && metagrad gridworld --seeds 8 --shard 1/2 --out out/gw && metagrad merge out/gw',
    ],
  },
  async run(args, io) {
    // The RL code loads only when a job runs (help and bad input stay fast).
    const { buildGridworldJob, renderPanel } = await import('../jobs/gridworld-build.ts');
    const fresh = gridworldConfig(args);
    const mapFile = args.values['map'] as string | undefined;
    if (isStudyRun(args)) {
      checkStudyOptions(args);
      const seeds = (args.values['seeds'] as number | undefined) ?? 1;
      if (fresh.seed + seeds - 1 > 4294967295) throw new UsageError(`--seed ${fresh.seed} with --seeds ${seeds} runs seeds past 4294967295; pass a smaller --seed`);
      const run = studyRunOptions(args);
      buildGridworldJob(fresh, mapFile); // bad maps and families are input errors here, before any worker starts
      const { GRIDWORLD_STUDY } = await import('../jobs/gridworld-study.ts');
      const prepared = await prepareOutput(args);
      return runStudy({ ...GRIDWORLD_STUDY, renderGrid: renderPanel }, { ...run, config: { ...fresh, seeds } }, { ...prepared, stdout: io.stdout, stderr: io.stderr, stop: io.stop, startedAt: io.startedAt });
    }
    const create = (c: GridworldConfig): MetaJob => buildGridworldJob(c, mapFile);
    const resumeFile = args.values['resume'] as string | undefined;
    const { job, resume } = resumeFile !== undefined
      ? loadResume('gridworld', resumeFile, fresh, args, create, GRIDWORLD_ABSENT_KEYS)
      : { job: create(fresh), resume: undefined };
    const prepared = await prepareOutput(args);
    const context = runContext('gridworld', prepared, args, io, renderPanel);
    // With baselines a run is two independent trainings: one per worker, the same files.
    const workers = (args.values['workers'] as number | undefined) ?? availableCores();
    if (workers > 1 && (job.config as GridworldConfig).baselines) {
      const { trainAndReportParts } = await import('../jobs/gridworld-parallel.ts');
      return trainAndReportParts(job.config as GridworldConfig, context, resume);
    }
    return trainAndReport(job, context, resume);
  },
};
