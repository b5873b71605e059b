/**
 * `metagrad continual`: continual meta-learning on streams of tasks with unannounced
 * switches (issue 7) — replays the same seeded streams against sequential fine-tuning,
 * online MAML and task-clustered meta-learning, and reports performance along the
 * stream, the R matrix, cluster assignments and the metrics against the targets.
 */
import { UsageError, parseNameList, type ParsedArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { outputOptions, prepareOutput, SEED_OPTION } from '../options.ts';
import { runStudy, studyOptions, studyRunOptions } from '../study.ts';
import type { ExperimentName, LearnerKey } from '../../continual/experiments.ts';
import { CONTINUAL_LEARNERS as LEARNER_KEYS, CONTINUAL_PROBLEMS, DEFAULT_LEARNERS, type ContinualConfig } from '../jobs/continual-config.ts';

/** `'sequential,clustered'` → `['sequential', 'clustered']` (deduplicated, in order); a UsageError on unknown names. */
export function parseLearners(text: string): LearnerKey[] {
  return parseNameList('learners', text, LEARNER_KEYS, 'learner', DEFAULT_LEARNERS);
}

/** The config from parsed options; checks what the option table cannot (UsageError). */
export function continualConfig(args: ParsedArgs): ContinualConfig {
  const v = args.values;
  const problem = v['problem'] as (typeof CONTINUAL_PROBLEMS)[number];
  const seeds = v['seeds'] as number;
  const seed = v['seed'] as number;
  const steps = v['steps'] as number | undefined;
  const period = v['period'] as number | undefined;
  if (seed + seeds - 1 > 4294967295) throw new UsageError(`--seed ${seed} with --seeds ${seeds} runs seeds past 4294967295; pass a smaller --seed`);
  const problems: ExperimentName[] = problem === 'both' ? ['regression', 'gridworld'] : [problem];
  return {
    problems, seeds, seed, steps: steps ?? null, period: period ?? null,
    learners: parseLearners(String(v['learners'])),
  };
}

export const continualCommand: Command = {
  spec: {
    name: 'continual',
    summary: 'Continual meta-learning on task streams: forgetting, recovery, clusters, report.',
    description: [
      'Replays seeded task streams with unannounced switches (A, B, A, B, …, a new type C',
      'arriving mid-stream, a short out-of-distribution burst) against each learner:',
      'sequential fine-tuning, online MAML, task-clustered meta-learning (clustered) and',
      'clustered with change-point detection (clustered-cd). Regression: A sinusoids,',
      'B negated sinusoids, C lines. Grid world: the goal moves between corners.',
      'Reports the score along the stream with switch markers, the R matrix (score on every',
      'type after every stage), cluster assignments over time, and ACC/BWT/FWT, forgetting,',
      'retention, time to recover and purity with 95% CIs over seeds, against the targets',
      '(A retention ≥ 0.95 after B, recovery within one inner step, purity ≥ 0.95).',
      'The defaults take 10–20 s on a laptop CPU.',
    ].join('\n'),
    options: [
      { name: 'problem', short: 'p', type: 'choice', choices: CONTINUAL_PROBLEMS, default: 'both', description: 'which experiment to run' },
      { name: 'seeds', type: 'int', min: 1, max: 100, default: 5, description: 'seeds (streams) per learner; CIs are over these' },
      { name: 'steps', type: 'int', min: 4, max: 100000, placeholder: 'N', description: 'stream length (default: 240 regression, 120 gridworld)' },
      { name: 'period', type: 'int', min: 1, max: 100000, placeholder: 'N', description: 'steps per visit of a type (default: 30 regression, 15 gridworld; steps/8 with --steps)' },
      { name: 'learners', type: 'string', default: DEFAULT_LEARNERS.join(','), placeholder: 'L,L', description: `learners to compare, from ${LEARNER_KEYS.join(', ')}` },
      { ...SEED_OPTION, description: 'first seed: runs seeds seed, seed+1, … (same seed, same numbers)' },
      ...studyOptions({ seeds: false }),
      ...outputOptions('out/continual', { checkpoint: false }),
    ],
    examples: [
      'metagrad continual',
      'metagrad continual --problem gridworld --seeds 5',
      'metagrad continual --learners sequential,clustered,clustered-cd --steps 120 --period 15 --json > continual.json',
      'metagrad continual --seeds 10 --workers 4',
      'metagrad continual --seeds 10 --shard 0/2 --out out/cont && metagrad continual --seeds 10 --shard 1/2 --out out/cont && metagrad merge out/cont',
    ],
  },
  async run(args, io) {
    const config = continualConfig(args);
    const run = studyRunOptions(args);
    // The learners load only when a job runs (help and bad input stay fast).
    const [{ checkStreams }, { CONTINUAL_STUDY }] = await Promise.all([import('../jobs/continual.ts'), import('../jobs/continual-study.ts')]);
    checkStreams(config);
    const prepared = await prepareOutput(args);
    // Every replay (experiment × seed × learner) is a unit on the worker pool.
    return runStudy(CONTINUAL_STUDY, { ...run, config }, { ...prepared, stdout: io.stdout, stderr: io.stderr, stop: io.stop, startedAt: io.startedAt });
  },
};
