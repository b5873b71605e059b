/**
 * A table-driven command-line parser: each command lists its options once (name,
 * type, range, default, help text) and the same table drives parsing, validation,
 * "did you mean" suggestions and `--help`.
 *
 * Accepted forms: `--name value`, `--name=value`, `-x value` (declared short names),
 * `--flag` / `--no-flag` for booleans, `--` to end options. Option names are
 * kebab-case on the command line and camelCase in the parsed values.
 *
 * @example
 * ```ts
 * const spec: CommandSpec = {
 *   name: 'sinusoid', summary: 'MAML on sine waves',
 *   options: [{ name: 'iterations', type: 'int', min: 1, default: 100, description: 'meta-iterations' }],
 * };
 * parseArgs(['--iterations', '20'], spec).values.iterations; // 20
 * parseArgs(['--iteratons', '20'], spec); // throws UsageError: unknown option --iteratons … did you mean --iterations?
 * ```
 */

/** The kinds of value an option takes. */
export type OptionType = 'int' | 'number' | 'string' | 'boolean' | 'choice';

/** A parsed option value. */
export type OptionValue = number | string | boolean;

/** One row of an option table. */
export interface OptionSpec {
  /** Kebab-case long name without the dashes, e.g. `'inner-lr'`. */
  readonly name: string;
  /** One-letter alias without the dash, e.g. `'h'`. */
  readonly short?: string;
  readonly type: OptionType;
  /** Allowed values of a `'choice'` option. */
  readonly choices?: readonly string[];
  /** Inclusive lower bound of a numeric option. */
  readonly min?: number;
  /** Exclusive lower bound of a numeric option (e.g. 0 for "positive"). */
  readonly above?: number;
  /** Inclusive upper bound of a numeric option. */
  readonly max?: number;
  /** Used when the option is absent. Options without a default are `undefined` when absent. */
  readonly default?: OptionValue;
  /** One line for `--help`. */
  readonly description: string;
  /** Shown in help after the name, e.g. `'N'`, `'FILE'`. */
  readonly placeholder?: string;
}

/** A positional argument. */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** The last positional only: takes every further argument too (`DIR…`). */
  readonly variadic?: boolean;
}

/** A command: its option table plus the text of its help page. */
export interface CommandSpec {
  /** The command's words after the program name, e.g. `'sinusoid'`. */
  readonly name: string;
  /** One line, shown in the parent's command list. */
  readonly summary: string;
  /** Paragraphs shown under the usage line. */
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  readonly positionals?: readonly PositionalSpec[];
  readonly examples?: readonly string[];
}

/** The result of {@link parseArgs}: values by camelCase name, positionals in order. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, OptionValue | undefined>>;
  readonly positionals: readonly string[];
  /** Names (camelCase) of the options given explicitly on the command line. */
  readonly given: ReadonlySet<string>;
  /** `--help` / `-h` was given (other arguments are then not validated). */
  readonly help: boolean;
}

/** Bad command-line input: the message says what is wrong and how to fix it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `'inner-lr'` → `'innerLr'`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Levenshtein distance (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `word`, if close enough to be a plausible typo (distance at
 * most a third of the longer word, at least 1) or if one starts with the other.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  if (bestDistance <= limit) return best;
  const prefix = candidates.find((c) => word.length >= 3 && (c.startsWith(word) || word.startsWith(c)));
  return prefix;
}

const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'boolean', description: 'show this help and exit' };

function describeRange(o: OptionSpec): string {
  const what = o.type === 'int' ? 'an integer' : 'a number';
  const parts: string[] = [];
  if (o.above !== undefined) parts.push(`> ${o.above}`);
  if (o.min !== undefined) parts.push(`≥ ${o.min}`);
  if (o.max !== undefined) parts.push(`≤ ${o.max}`);
  return parts.length > 0 ? `${what} ${parts.join(' and ')}` : what;
}

/** A short range for help text: ` (1..100)`, ` (≥ 1)`, ` (> 0)`, or nothing. */
function rangeHint(o: OptionSpec): string {
  const lo = o.above !== undefined ? `> ${o.above}` : o.min !== undefined ? `≥ ${o.min}` : '';
  if (o.min !== undefined && o.max !== undefined) return ` (${o.min}..${o.max})`;
  const parts = [lo, o.max !== undefined ? `≤ ${o.max}` : ''].filter((p) => p !== '');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * A comma-separated list of names, each one of `allowed` (deduplicated, in order);
 * a UsageError naming the option, the offending name and the closest valid one.
 *
 * @example
 * ```ts
 * parseNameList('agents', 'dream,maml', ['dream', 'rl2', 'maml'], 'agent'); // ['dream', 'maml']
 * parseNameList('agents', 'dram', ['dream', 'rl2', 'maml'], 'agent'); // UsageError: --agents: unknown agent 'dram'; did you mean 'dream'? …
 * ```
 */
export function parseNameList<T extends string>(option: string, text: string, allowed: readonly T[], noun: string, example: readonly string[] = allowed): T[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`--${option} needs at least one of ${allowed.join(', ')} (e.g. --${option} ${example.join(',')})`);
  const out: T[] = [];
  for (const name of names) {
    if (!(allowed as readonly string[]).includes(name)) {
      const guess = closest(name, allowed);
      throw new UsageError(`--${option}: unknown ${noun} '${name}'${guess ? `; did you mean '${guess}'?` : ''} (${noun}s: ${allowed.join(', ')})`);
    }
    if (!out.includes(name as T)) out.push(name as T);
  }
  return out;
}

/** Converts and range-checks the text of one option value; throws a UsageError. */
export function convertValue(o: OptionSpec, text: string, command: string): OptionValue {
  const where = `--${o.name}`;
  const hint = `(see '${command} --help')`;
  switch (o.type) {
    case 'string':
      if (text === '') throw new UsageError(`${where} needs a non-empty value ${hint}`);
      return text;
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(t)) return true;
      if (['false', 'no', '0', 'off'].includes(t)) return false;
      throw new UsageError(`${where} takes no value or true/false, got '${text}'`);
    }
    case 'choice': {
      const choices = o.choices ?? [];
      if (choices.includes(text)) return text;
      const guess = closest(text, choices);
      throw new UsageError(
        `${where} must be one of ${choices.join(', ')}; got '${text}'${guess ? `. Did you mean '${guess}'?` : ''}`,
      );
    }
    case 'int':
    case 'number': {
      const trimmed = text.trim();
      const value = trimmed === '' ? NaN : Number(trimmed);
      const bad = !Number.isFinite(value) || (o.type === 'int' && !Number.isInteger(value))
        || (o.min !== undefined && value < o.min) || (o.max !== undefined && value > o.max)
        || (o.above !== undefined && !(value > o.above));
      if (bad) throw new UsageError(`${where} must be ${describeRange(o)}, got '${text}' ${hint}`);
      return value;
    }
  }
}

/**
 * Parses `argv` (the arguments after the command's own words) against `spec`.
 * Throws a {@link UsageError} for unknown options (suggesting the closest valid one),
 * missing or malformed values, out-of-range numbers and wrong positional counts.
 */
export function parseArgs(argv: readonly string[], spec: CommandSpec, program = 'metagrad'): ParsedArgs {
  const command = spec.name ? `${program} ${spec.name}` : program;
  const options = [...spec.options, HELP_OPTION];
  const byName = new Map(options.map((o) => [o.name, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values: Record<string, OptionValue | undefined> = {};
  const given = new Set<string>();
  const positionals: string[] = [];

  if (argv.includes('--help') || argv.includes('-h')) {
    return { values: defaults(spec.options), positionals: [], given, help: true };
  }

  const unknown = (flag: string): UsageError => {
    const guess = closest(flag.replace(/^-+/, ''), options.map((o) => o.name));
    const suggestion = guess ? `; did you mean --${guess}?` : '';
    return new UsageError(`unknown option ${flag} for '${command}'${suggestion} (see '${command} --help')`);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) { positionals.push(arg); continue; }

    let option: OptionSpec | undefined;
    let inline: string | undefined;
    let negated = false;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      option = byName.get(name);
      if (!option && name.startsWith('no-')) {
        const base = byName.get(name.slice(3));
        if (base?.type === 'boolean') { option = base; negated = true; }
      }
      if (!option) throw unknown(eq >= 0 ? arg.slice(0, eq) : arg);
    } else {
      option = byShort.get(arg.slice(1));
      if (!option || arg.length !== 2) throw unknown(arg);
    }

    const key = camelCase(option.name);
    if (option.type === 'boolean') {
      if (negated && inline !== undefined) throw new UsageError(`--no-${option.name} takes no value`);
      values[key] = negated ? false : inline === undefined ? true : convertValue(option, inline, command);
    } else {
      let text = inline;
      if (text === undefined) {
        const next = argv[i + 1];
        // A negative number is a value, not an option; anything else starting with '-' is not.
        if (next === undefined || (next.startsWith('-') && !/^-\d|^-\.\d/.test(next))) {
          const what = option.type === 'choice' ? `one of ${(option.choices ?? []).join(', ')}` : option.placeholder ?? 'a value';
          throw new UsageError(`--${option.name} needs ${what} (e.g. --${option.name} ${exampleValue(option)})`);
        }
        text = next;
        i++;
      }
      values[key] = convertValue(option, text, command);
    }
    given.add(key);
  }

  const declared = spec.positionals ?? [];
  const required = declared.filter((p) => p.required).length;
  if (positionals.length < required) {
    const missing = declared[positionals.length]!;
    throw new UsageError(`'${command}' needs ${missing.name} (${missing.description}); usage: ${usageLine(spec, program)}`);
  }
  if (positionals.length > declared.length && declared[declared.length - 1]?.variadic !== true) {
    const extra = positionals[declared.length]!;
    const guess = closest(extra.replace(/^-+/, ''), options.map((o) => o.name));
    throw new UsageError(
      `unexpected argument '${extra}' for '${command}'${guess ? `; did you mean --${guess}?` : ''} (see '${command} --help')`,
    );
  }

  return { values: { ...defaults(spec.options), ...values }, positionals, given, help: false };
}

function defaults(options: readonly OptionSpec[]): Record<string, OptionValue | undefined> {
  const out: Record<string, OptionValue | undefined> = {};
  for (const o of options) out[camelCase(o.name)] = o.default ?? (o.type === 'boolean' ? false : undefined);
  return out;
}

function exampleValue(o: OptionSpec): string {
  if (o.default !== undefined && typeof o.default !== 'boolean') return String(o.default);
  if (o.choices?.[0] !== undefined) return o.choices[0];
  return o.type === 'int' ? '10' : o.type === 'number' ? '0.1' : (o.placeholder ?? 'VALUE');
}

/** `metagrad sinusoid [options] <checkpoint>` */
export function usageLine(spec: CommandSpec, program = 'metagrad'): string {
  const pos = (spec.positionals ?? []).map((p) => `${p.required ? `<${p.name}>` : `[${p.name}]`}${p.variadic ? '…' : ''}`);
  return [program, spec.name, '[options]', ...pos].filter((s) => s !== '').join(' ');
}

/** The text of `--help` for a command, generated from its table. */
export function formatHelp(spec: CommandSpec, program = 'metagrad'): string {
  const lines = [`Usage: ${usageLine(spec, program)}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  if (spec.positionals && spec.positionals.length > 0) {
    lines.push('', 'Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(24)} ${p.description}`);
  }
  lines.push('', 'Options:');
  const left = (o: OptionSpec): string => {
    const value = o.type === 'boolean' ? '' : ` ${o.type === 'choice' ? `<${(o.choices ?? []).join('|')}>` : o.placeholder ?? (o.type === 'int' ? 'N' : o.type === 'number' ? 'X' : 'VALUE')}`;
    return `${o.short ? `-${o.short}, ` : '    '}--${o.name}${value}`;
  };
  const rows = [...spec.options, HELP_OPTION];
  const width = Math.min(40, Math.max(...rows.map((o) => left(o).length)));
  for (const o of rows) {
    const l = left(o);
    const range = o.type === 'int' || o.type === 'number' ? rangeHint(o) : '';
    const def = o.default !== undefined && o.default !== false ? ` [default: ${String(o.default)}]` : '';
    const text = `${o.description}${range}${def}`;
    lines.push(l.length > width ? `  ${l}\n  ${' '.repeat(width)}   ${text}` : `  ${l.padEnd(width)}   ${text}`);
  }
  if (spec.examples && spec.examples.length > 0) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return lines.join('\n');
}
