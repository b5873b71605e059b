/**
 * Arguments of the research scripts, parsed by the CLI's table-driven parser
 * (src/cli/args.ts): each script lists its options once, and gets `--help`, range
 * checks and "did you mean" for free. Bad input exits with status 2 and one line
 * naming the flag, before any work starts.
 *
 * @example
 * ```ts
 * const args = scriptArgs('scripts/continual.ts', {
 *   name: '', summary: 'Continual meta-learning experiments',
 *   options: [{ name: 'seeds', type: 'int', min: 1, default: 5, description: 'seeds per experiment' }],
 * });
 * args.seeds; // 5, or what --seeds gave
 * ```
 */
import { formatHelp, parseArgs, parseNameList, UsageError, type CommandSpec, type OptionValue } from '../src/cli/args.ts';

/** Parsed values by camelCase option name, as {@link parseArgs} returns them. */
export type ScriptValues = Readonly<Record<string, OptionValue | undefined>>;

/** Parses `argv` for the script at `path` (as typed after `node --import tsx`); exits on `--help` or bad input. */
export function scriptArgs(path: string, spec: CommandSpec, argv: readonly string[] = process.argv.slice(2)): ScriptValues {
  const program = `node --import tsx ${path}`;
  try {
    const parsed = parseArgs(argv, spec, program);
    if (parsed.help) {
      process.stdout.write(`${formatHelp(spec, program)}\n`);
      process.exit(0);
    }
    return parsed.values;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageFailure(e.message);
  }
}

/** Reports a bad combination of options the table cannot express, the same way, and exits 2. */
export function usageFailure(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** A comma-separated list option whose items must come from `allowed` (see {@link parseNameList}); exits 2 otherwise. */
export function listOption<T extends string>(name: string, text: string, allowed: readonly T[], noun: string): T[] {
  try {
    return parseNameList(name, text, allowed, noun);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageFailure(e.message);
  }
}
