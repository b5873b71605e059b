/**
 * `metagrad explore`: exploration in meta-RL (issue 8) — trains DREAM-style decoupled
 * exploration, RL², MAML-RL and the transformer meta-learner on sign grids, meta-tests
 * them in and out of distribution against the oracle, measures how much their
 * exploration reveals about the task, and draws their exploration on the grid.
 */
import { UsageError, parseNameList, type ParsedArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { outputOptions, prepareOutput, SEED_OPTION } from '../options.ts';
import { runStudy, studyOptions, studyRunOptions } from '../study.ts';
import type { ExploreAgentName } from '../../explore/experiments.ts';
import {
  DEFAULT_EXPLORE_AGENTS, DEFAULT_EXPLORE_ITERATIONS, EXPLORE_AGENT_CHOICES as AGENTS, EXPLORE_VARIANT_CHOICES, type ExploreConfig,
} from '../jobs/explore-config.ts';
import type { ExploreVariant } from '../../explore/experiments.ts';

/** `'dream,maml'` → `['dream', 'maml']` (deduplicated, in order); a UsageError on unknown names. */
export function parseAgents(text: string): ExploreAgentName[] {
  return parseNameList('agents', text, AGENTS, 'agent', DEFAULT_EXPLORE_AGENTS);
}

/** The config from parsed options; checks what the option table cannot (UsageError). */
export function exploreConfig(args: ParsedArgs): ExploreConfig {
  const v = args.values;
  const seeds = v['seeds'] as number;
  const seed = v['seed'] as number;
  if (seed + seeds - 1 > 4294967295) throw new UsageError(`--seed ${seed} with --seeds ${seeds} runs seeds past 4294967295; pass a smaller --seed`);
  const agents = parseAgents(String(v['agents']));
  const given = v['iterations'] as number | undefined;
  const iterations = Object.fromEntries(agents.map((a) => [a, given ?? DEFAULT_EXPLORE_ITERATIONS[a]]));
  return { agents, variant: v['variant'] as ExploreVariant, seeds, seed, iterations, trials: v['trials'] as number };
}

const defaults = AGENTS.map((a) => `${a} ${DEFAULT_EXPLORE_ITERATIONS[a]}`).join(', ');

export const exploreCommand: Command = {
  spec: {
    name: 'explore',
    summary: 'Exploration in meta-RL on sign grids: DREAM, RL², MAML-RL, transformer, report.',
    description: [
      'Trains each agent on sign grids (the goal that pays is only told by a sign the agent',
      'must walk to), then meta-tests it: one exploration episode, then exploitation',
      'episodes, scored as a fraction of the oracle\'s return, in distribution and on unseen',
      'sign or goal placements (out of distribution), with 95% CIs over seeds. The',
      'information content of exploration is the accuracy of a probe predicting the correct',
      'goal from the exploration episode alone (chance: 1/4). The report draws exploration',
      'episodes on the grid per agent, training curves and both tables.',
      'Agents: dream (DREAM-style decoupled exploration), rl2 (GRU), maml (MAML-RL, DiCE),',
      'transformer (RL² with transformer blocks). Variants: standard (one sign), bits (the',
      'goal index spread over two signs, one bit each), noisy (a sign that lies 30% of the',
      'time). The defaults (DREAM and MAML-RL, 2 seeds,',
      'short budgets) take about 1–2 minutes on a laptop CPU; the full study with long',
      'budgets, 5 seeds and the init-sensitivity harness is scripts/explore.ts.',
    ].join('\n'),
    options: [
      { name: 'agents', short: 'a', type: 'string', default: DEFAULT_EXPLORE_AGENTS.join(','), placeholder: 'A,A', description: `agents to compare, from ${AGENTS.join(', ')}` },
      { name: 'variant', type: 'choice', choices: EXPLORE_VARIANT_CHOICES, default: 'standard', description: 'sign-grid variant: one sign, two bit signs, or a noisy sign' },
      { name: 'seeds', type: 'int', min: 1, max: 100, default: 2, description: 'training seeds per agent; CIs are over these' },
      { name: 'iterations', short: 'n', type: 'int', min: 1, max: 100000, placeholder: 'N', description: `training iterations of every agent (default: ${defaults})` },
      { name: 'trials', type: 'int', min: 4, max: 4096, default: 64, description: 'meta-test trials per split (the probe uses twice as many exploration episodes)' },
      { ...SEED_OPTION, description: 'first seed: runs seeds seed, seed+1, … (same seed, same numbers)' },
      ...studyOptions({ seeds: false }),
      ...outputOptions('out/explore-cli', { checkpoint: false }),
    ],
    examples: [
      'metagrad explore',
      'metagrad explore --agents dream,rl2,maml,transformer --seeds 3',
      'metagrad explore --variant bits --agents dream,rl2',
      'metagrad explore --agents maml --iterations 100 --json > explore.json',
      'metagrad explore --seeds 4 --workers 4',
      'metagrad explore --seeds 4 --shard 0/2 --out out/ex && metagrad explore --seeds 4 --shard 1/2 --out out/ex && metagrad merge out/ex',
    ],
  },
  async run(args, io) {
    const config = exploreConfig(args);
    const run = studyRunOptions(args);
    // The agents load only when a job runs (help and bad input stay fast).
    const [{ EXPLORE_STUDY }, { renderSignPanel }] = await Promise.all([import('../jobs/explore-study.ts'), import('../../report/sign-grid.ts')]);
    const prepared = await prepareOutput(args);
    // Every training run (seed × agent) is a unit on the worker pool.
    return runStudy({ ...EXPLORE_STUDY, renderGrid: (p) => renderSignPanel(p) }, { ...run, config }, { ...prepared, stdout: io.stdout, stderr: io.stderr, stop: io.stop, startedAt: io.startedAt });
  },
};
