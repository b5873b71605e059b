/**
 * `metagrad sinusoid`: MAML-family few-shot regression on sine waves — train, evaluate
 * in and out of distribution against pretrained and from-scratch baselines, report.
 */
import { UsageError, type ParsedArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { loadResume, runContext } from '../command.ts';
import { outputOptions, prepareOutput, trainingOptions } from '../options.ts';
import { trainAndReport } from '../run.ts';
import { checkStudyOptions, isStudyRun, runStudy, studyOptions, studyRunOptions } from '../study.ts';
import { SINUSOID_ALGORITHMS, SINUSOID_DEFAULTS, type SinusoidAlgorithm, type SinusoidConfig } from '../jobs/sinusoid-config.ts';

/** `'40,40'` → `[40, 40]`; throws a UsageError on anything else. */
export function parseHidden(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const sizes = parts.map(Number);
  if (parts.length === 0 || parts.length > 8 || !sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 4096)) {
    throw new UsageError(`--hidden must be 1 to 8 comma-separated layer widths in 1..4096 (e.g. --hidden 40,40), got '${text}'`);
  }
  return sizes;
}

/** The config from parsed options (all ranges already checked by the option table). */
export function sinusoidConfig(args: ParsedArgs): SinusoidConfig {
  const v = args.values;
  return {
    algorithm: v['algorithm'] as SinusoidAlgorithm,
    seed: v['seed'] as number,
    iterations: v['iterations'] as number,
    metaBatch: v['metaBatch'] as number,
    shots: v['shots'] as number,
    innerSteps: v['innerSteps'] as number,
    innerLr: v['innerLr'] as number,
    outerLr: v['outerLr'] as number,
    hidden: parseHidden(String(v['hidden'])),
    evalTasks: v['evalTasks'] as number,
    evalSteps: v['evalSteps'] as number,
    baselines: v['baselines'] as boolean,
  };
}

export const sinusoidCommand: Command = {
  spec: {
    name: 'sinusoid',
    summary: 'Few-shot sine-wave regression with the MAML family: meta-train, evaluate, report.',
    description: [
      'Meta-trains an MLP on tasks y = A·sin(x − φ), A ∈ [0.1, 5], φ ∈ [0, π], alongside a',
      'multi-task pretrained baseline on the same batches; then compares query MSE after',
      '0..k adaptation steps (meta-learned vs pretrained vs random init) on held-out tasks',
      'and on out-of-distribution amplitudes A ∈ [5, 10].',
    ].join('\n'),
    options: [
      { name: 'algorithm', short: 'a', type: 'choice', choices: SINUSOID_ALGORITHMS, default: SINUSOID_DEFAULTS.algorithm, description: 'meta-learning algorithm' },
      ...trainingOptions(SINUSOID_DEFAULTS),
      { name: 'shots', type: 'int', min: 1, max: 1000, default: SINUSOID_DEFAULTS.shots, description: 'support examples per task (K)' },
      { name: 'hidden', type: 'string', default: SINUSOID_DEFAULTS.hidden.join(','), placeholder: 'W,W', description: 'hidden layer widths' },
      { name: 'eval-tasks', type: 'int', min: 1, max: 10000, default: SINUSOID_DEFAULTS.evalTasks, description: 'held-out tasks per split in the evaluation' },
      { name: 'baselines', type: 'boolean', default: true, description: 'train the pretrained baseline too (--no-baselines to skip)' },
      ...studyOptions(),
      ...outputOptions('out/sinusoid'),
    ],
    examples: [
      'metagrad sinusoid',
      'metagrad sinusoid --algorithm fomaml --iterations 2000 --inner-steps 5',
      'metagrad sinusoid -n 50 --eval-tasks 20 --json > results.json',
      'metagrad sinusoid --seeds 3 --workers 3',
      'metagrad sinusoid --seeds 6 --shard 0/2 --out out/sin && metagrad sinusoid --seeds 6 --shard 1/2 --out out/sin && metagrad merge out/sin',
    ],
  },
  async run(args, io) {
    // The model code loads only when a job runs (help and bad input stay fast).
    const { createSinusoidJob } = await import('../jobs/sinusoid.ts');
    const fresh = sinusoidConfig(args);
    if (isStudyRun(args)) {
      checkStudyOptions(args);
      const seeds = (args.values['seeds'] as number | undefined) ?? 1;
      if (fresh.seed + seeds - 1 > 4294967295) throw new UsageError(`--seed ${fresh.seed} with --seeds ${seeds} runs seeds past 4294967295; pass a smaller --seed`);
      const run = studyRunOptions(args);
      const { SINUSOID_STUDY } = await import('../jobs/sinusoid-study.ts');
      const prepared = await prepareOutput(args);
      return runStudy(SINUSOID_STUDY, { ...run, config: { ...fresh, seeds } }, { ...prepared, stdout: io.stdout, stderr: io.stderr, stop: io.stop, startedAt: io.startedAt });
    }
    const resumeFile = args.values['resume'] as string | undefined;
    const { job, resume } = resumeFile !== undefined
      ? loadResume('sinusoid', resumeFile, fresh, args, (c) => createSinusoidJob(c))
      : { job: createSinusoidJob(fresh), resume: undefined };
    const prepared = await prepareOutput(args);
    return trainAndReport(job, runContext('sinusoid', prepared, args, io), resume);
  },
};
