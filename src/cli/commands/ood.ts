/**
 * `metagrad ood`: the out-of-distribution study (issue 17) — tabular, MLP-with-position,
 * MLP over the absolute grid, convolutional and egocentric policies meta-trained the same
 * way (MAML-RL) on goal, start and layout families, adapted in and out of distribution,
 * with the OOD gap per architecture and a diagnostic of why each fails; optionally DREAM's
 * exploitation heads on the sign grid's unseen goal placements.
 */
import { UsageError, parseNameList, type ParsedArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { outputOptions, prepareOutput, SEED_OPTION } from '../options.ts';
import { runStudy, studyOptions, studyRunOptions } from '../study.ts';
import {
  OOD_ARCHS, OOD_DEFAULTS, OOD_FAMILIES, OOD_QUICK, OOD_SIGN_HEADS, type OodArch, type OodConfig, type OodFamily, type OodSignHead,
} from '../jobs/ood-config.ts';

/** The config from parsed options (`--quick` fills in what was not given). */
export function oodConfig(args: ParsedArgs): OodConfig {
  const v = args.values;
  const seeds = v['seeds'] as number, seed = v['seed'] as number;
  if (seed + seeds - 1 > 4294967295) throw new UsageError(`--seed ${seed} with --seeds ${seeds} runs seeds past 4294967295; pass a smaller --seed`);
  const given = (name: string): boolean => args.given.has(name);
  const quick = v['quick'] === true ? OOD_QUICK : {};
  const pick = <K extends keyof OodConfig & string>(key: K, name: string): OodConfig[K] => (given(name) ? v[key] : (quick[key] ?? v[key])) as OodConfig[K];
  const list = <T extends string>(option: string, key: string, allowed: readonly T[], noun: string): T[] => {
    const text = String(v[key]).trim();
    return text === 'none' ? [] : parseNameList<T>(option, text, allowed, noun);
  };
  const families = list<OodFamily>('families', 'families', OOD_FAMILIES, 'family');
  const archs = list<OodArch>('archs', 'archs', OOD_ARCHS, 'architecture');
  const signHeads = list<OodSignHead>('sign-heads', 'signHeads', OOD_SIGN_HEADS, 'head');
  if ((families.length === 0 || archs.length === 0) && signHeads.length === 0) {
    throw new UsageError('nothing to run: give --families and --archs (grid worlds), or --sign-heads (sign grid), other than none');
  }
  return {
    families, archs, signHeads,
    seeds, seed,
    scale: pick('scale', 'scale'), episodeScale: pick('episodeScale', 'episodeScale'), evalTasks: pick('evalTasks', 'evalTasks'),
    steps: pick('steps', 'steps'), draws: pick('draws', 'draws'), dreamIterations: pick('dreamIterations', 'dreamIterations'),
    trials: pick('trials', 'trials'), jit: v['jit'] as boolean,
  };
}

const D = OOD_DEFAULTS;

export const oodCommand: Command = {
  spec: {
    name: 'ood',
    summary: 'Out-of-distribution study: tabular, MLP, conv and egocentric policies, ID vs OOD, report.',
    description: [
      'Meta-trains each architecture with MAML-RL (DiCE, Meta-SGD, the grid-world study\'s',
      'settings per family, scaled by --scale and --episode-scale) on each task family, then',
      'adapts it 0..k steps on held-out (ID) and out-of-distribution tasks (goals or starts in',
      'an unseen quadrant; four-rooms layouts with a doorway where training never had one)',
      'and scores every step exactly as a fraction of the DP optimum. Reports the OOD gap per',
      'architecture and why each fails (how often its episodes reach the goal before',
      'adaptation; how many inputs on the way to an OOD goal no training task produced).',
      '--sign-heads adds DREAM on the sign grid\'s unseen goal placements per exploitation head.',
      'The defaults (goal 8×8, four architectures, 2 seeds, 0.4× iterations and 0.5× episodes)',
      'take a few minutes per seed on one core; the full study is scripts/ood.ts.',
    ].join('\n'),
    options: [
      { name: 'families', short: 'f', type: 'string', default: D.families.join(','), placeholder: 'F,F', description: `task families, from ${OOD_FAMILIES.join(', ')}, or none` },
      { name: 'archs', short: 'a', type: 'string', default: D.archs.join(','), placeholder: 'A,A', description: `architectures, from ${OOD_ARCHS.join(', ')}, or none` },
      { name: 'sign-heads', type: 'string', default: D.signHeads.length === 0 ? 'none' : D.signHeads.join(','), placeholder: 'H,H', description: `DREAM exploitation heads on the sign grid, from ${OOD_SIGN_HEADS.join(', ')}, or none` },
      { name: 'seeds', type: 'int', min: 1, max: 1000, default: D.seeds, description: 'seeds per configuration; CIs are over these' },
      { name: 'scale', type: 'number', above: 0, default: D.scale, description: 'multiplies every family\'s meta-iterations (and DREAM\'s)' },
      { name: 'episode-scale', type: 'number', above: 0, default: D.episodeScale, description: 'multiplies every family\'s episodes per batch' },
      { name: 'eval-tasks', type: 'int', min: 1, max: 1000, default: D.evalTasks, description: 'tasks per evaluation split (evenly spaced)' },
      { name: 'steps', short: 'k', type: 'int', min: 1, max: 20, default: D.steps, description: 'adaptation steps on the curves' },
      { name: 'draws', type: 'int', min: 1, max: 100, default: D.draws, description: 'independent adaptations per task, averaged' },
      { name: 'dream-iterations', type: 'int', min: 1, max: 100000, default: D.dreamIterations, description: 'DREAM training iterations at --scale 1' },
      { name: 'trials', type: 'int', min: 4, max: 4096, default: D.trials, description: 'sign-grid meta-test trials per split' },
      { name: 'jit', type: 'boolean', default: D.jit, description: 'compile MAML-RL\'s meta-gradient (--no-jit: eager)' },
      { name: 'quick', type: 'boolean', description: 'smoke run: tiny budgets for every part (seconds)' },
      { ...SEED_OPTION, description: 'first seed: runs seeds seed, seed+1, … (same seed, same numbers)' },
      ...studyOptions({ seeds: false }),
      ...outputOptions('out/ood', { checkpoint: false }),
    ],
    examples: [
      'metagrad ood',
      'metagrad ood --families goal5,goal8,start8,layout9 --archs tabular,mlp,conv,egocentric --seeds 5',
      'metagrad ood --sign-heads full,relative --families goal8 --archs egocentric',
      'metagrad ood --quick --json > ood.json',
      'metagrad ood --seeds 6 --shard 0/2 --out out/ood && metagrad ood --seeds 6 --shard 1/2 --out out/ood && metagrad merge out/ood',
    ],
  },
  async run(args, io) {
    const config = oodConfig(args);
    const run = studyRunOptions(args);
    // The RL code loads only when a job runs (help and bad input stay fast).
    const { OOD_STUDY } = await import('../jobs/ood-study.ts');
    const prepared = await prepareOutput(args);
    return runStudy(OOD_STUDY, { ...run, config }, { ...prepared, stdout: io.stdout, stderr: io.stderr, stop: io.stop, startedAt: io.startedAt });
  },
};
