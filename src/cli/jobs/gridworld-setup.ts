/**
 * Registers the `'cli.gridworld'` policy setup: a `metagrad gridworld` run's policy,
 * environment and training tasks, built in any thread from the run's config (plain
 * data), so MAML-RL's task stages can run on workers (`--workers`).
 */
import { registerPolicySetup } from '../../rl/mamlrl-parallel.ts';
import { gridworldPolicySetup } from './gridworld.ts';
import type { GridworldConfig } from './gridworld-config.ts';

registerPolicySetup('cli.gridworld', (options) => gridworldPolicySetup(options as unknown as GridworldConfig));
