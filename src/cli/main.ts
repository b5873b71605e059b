/**
 * The `metagrad` command line: dispatches to a subcommand, turns bad input into a
 * one-line error with exit code 2, and wires Ctrl-C to a clean stop.
 *
 * Exit codes: 0 success, 1 unexpected failure, 2 bad input (nothing written),
 * 130 interrupted (what was computed is written, marked `"interrupted": true`).
 *
 *   node --import tsx src/cli/main.ts gridworld --help
 *   npx metagrad sinusoid --iterations 200 --json
 *   npx metagrad continual --problem gridworld --seeds 5
 *   npx metagrad explore --agents dream,maml --seeds 2
 */
import { pathToFileURL } from 'node:url';
import { closest, formatHelp, parseArgs, UsageError, type CommandSpec } from './args.ts';
import type { Command, CommandIO } from './command.ts';
import { createStopSignal, installInterruptHandlers } from './interrupt.ts';
import { packageVersion } from './runtime.ts';
import { CheckpointError } from '../io/checkpoint.ts';
import { sinusoidCommand } from './commands/sinusoid.ts';
import { gridworldCommand } from './commands/gridworld.ts';
import { benchCommand } from './commands/bench.ts';
import { evalCommand } from './commands/eval.ts';
import { continualCommand } from './commands/continual.ts';
import { exploreCommand } from './commands/explore.ts';
import { oodCommand } from './commands/ood.ts';
import { mergeCommand } from './commands/merge.ts';

/** Every subcommand, in help order. */
export const COMMANDS: readonly Command[] = [gridworldCommand, sinusoidCommand, continualCommand, exploreCommand, oodCommand, evalCommand, mergeCommand, benchCommand];

const PROGRAM = 'metagrad';

/** The top-level help: the commands and global flags. */
export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Meta-learning in TypeScript: MAML-family regression and grid-world meta-RL, continual',
    'meta-learning on task streams, exploration in meta-RL, with reports.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}   ${c.spec.summary}`),
    '',
    'Options:',
    '  -h, --help      show help (also after a command: metagrad gridworld --help)',
    '  -v, --version   print the version',
    '',
    `With no command, '${PROGRAM}' prints this help; 'npm start' runs '${PROGRAM} gridworld' with defaults.`,
  ].join('\n');
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (command) return command;
  const guess = closest(name, COMMANDS.map((c) => c.spec.name));
  throw new UsageError(`unknown command '${name}'${guess ? `; did you mean '${guess}'?` : ''} (commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}; see '${PROGRAM} --help')`);
}

/** Whether an error is the user's input (exit 2) rather than a failure (exit 1). */
function isInputError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof CheckpointError;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code.
 * Never throws; errors go to `io.stderr` as one line.
 */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h') { io.stdout.write(`${topLevelHelp()}\n`); return 0; }
    if (first === '--version' || first === '-v') { io.stdout.write(`${packageVersion()}\n`); return 0; }
    if (first === 'help') {
      const target = rest[0];
      io.stdout.write(`${target === undefined ? topLevelHelp() : formatHelp(findCommand(target).spec, PROGRAM)}\n`);
      return 0;
    }
    if (first.startsWith('-')) {
      throw new UsageError(`'${first}' must come after a command (commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}; see '${PROGRAM} --help')`);
    }
    const command = findCommand(first);
    const args = parseArgs(rest, command.spec as CommandSpec, PROGRAM);
    if (args.help) { io.stdout.write(`${formatHelp(command.spec, PROGRAM)}\n`); return 0; }
    return await command.run(args, io);
  } catch (e) {
    if (isInputError(e)) {
      io.stderr.write(`${PROGRAM}: error: ${e.message}\n`);
      return 2;
    }
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    io.stderr.write(`${PROGRAM}: failed: ${message}\n`);
    if (process.env['METAGRAD_DEBUG'] && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    else io.stderr.write('(set METAGRAD_DEBUG=1 for a stack trace)\n');
    return 1;
  }
}

/** Runs the CLI on `process.argv` with real streams and signal handling; sets `process.exitCode`. */
export async function runFromProcess(): Promise<void> {
  const stop = createStopSignal();
  const dispose = installInterruptHandlers(stop, (signal) => {
    process.stderr.write(`\n${signal}: stopping after the current step and saving results (press Ctrl-C again to quit at once)\n`);
  });
  // Piped output closed early (`metagrad … --json | head`): stop quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });
  try {
    process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stop, startedAt: Date.now() });
  } finally {
    dispose();
  }
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  await runFromProcess();
}
