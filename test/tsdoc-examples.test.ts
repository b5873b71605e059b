/**
 * Every TSDoc `@example` in src/, run as written: those of the package's root exports
 * (`src/index.ts`, the members of its `continual` and `explore` namespaces included) and of
 * `metagrad/studies` (src/studies.ts), and those on declarations no entry exports (internal
 * helpers, module headers). The public examples are found
 * with the same compiler walk as test/api-docs.test.ts; each ```ts block (or one-line
 * `@example expr`) is transpiled and run in one async scope holding the root's names (and,
 * for a namespace member, the namespace's), what the example imports from `metagrad`,
 * `metagrad/core` or `metagrad/studies`, and the few names of test/tsdoc-prelude.ts.
 * An internal example (every other `/** … *\/` block of src/ with an `@example`) runs the same
 * way with its own module's exports in scope as well (and, under src/continual/ or
 * src/explore/, the namespace's names; test/tsdoc-internal.ts finds them).
 * Examples may also import `node:os` and `node:path`, and from `node:fs` anything besides the
 * prelude's stand-ins (a temporary directory for an example that writes files).
 *
 * Results an example states in a comment on a top-level statement are asserted
 * (`expr; // [6, 6]`, `const y = …; // y = 2`, `console.log(expr); // 3`,
 * `expr; // throws GradError: …`; test/tsdoc-expect.ts says how comments are read).
 * Comments inside blocks, and comments that do not read as a value, are prose.
 * A `// throws` comment that does not read as an error fails the test, as does an import
 * the scope cannot provide.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import * as api from '../src/index.ts';
import * as core from '../src/core.ts';
import * as studies from '../src/studies.ts';
import { root } from './api-walk.ts';
import { collect, STUDIES, type Example } from './tsdoc-collect.ts';
import { collectAll, exampleKey, type InternalExample } from './tsdoc-internal.ts';
import { mismatch, parseAssignments, parseStated, parseThrows, plain, type Expected } from './tsdoc-expect.ts';
import { PRELUDE_NAMES, prelude } from './tsdoc-prelude.ts';

/** Examples not run, by export name, each with why. */
const SKIP: Record<string, string> = {};

/** The modules an example may import from, by specifier (from `node:fs`, the prelude's names are its stand-ins). */
const ENTRIES: Record<string, Record<string, unknown>> = {
  metagrad: api, 'metagrad/core': core, 'metagrad/studies': studies, 'node:fs': { ...fs }, 'node:os': { ...os }, 'node:path': { ...path },
};

/** A check the instrumented code calls, by index. `line`: the line in the example's code (0-based). */
type Check =
  | { kind: 'value'; expected: Expected; comment: string; line: number }
  | { kind: 'throws'; name: string; fragments: string[]; comment: string; line: number };

interface Instrumented {
  js: string;
  checks: Check[];
  /** Names the example imports, by entry. */
  imports: { from: string; names: string[] }[];
  /** Identifiers the code mentions (only those names are passed in). */
  identifiers: Set<string>;
  /** What cannot run as written (an unreadable `// throws`, an import from elsewhere). */
  problems: string[];
}

/** The comment on the statement's line, or else the `//` lines right below it. */
function commentAfter(code: string, statement: ts.Statement, sf: ts.SourceFile): string | null {
  const trailing = ts.getTrailingCommentRanges(code, statement.end)?.find((c) => c.kind === ts.SyntaxKind.SingleLineCommentTrivia);
  if (trailing !== undefined) return code.slice(trailing.pos + 2, trailing.end);
  const line = sf.getLineAndCharacterOfPosition(statement.end).line;
  const below: string[] = [];
  for (const c of ts.getLeadingCommentRanges(code, statement.end) ?? []) {
    if (c.kind !== ts.SyntaxKind.SingleLineCommentTrivia || sf.getLineAndCharacterOfPosition(c.pos).line !== line + 1 + below.length) break;
    below.push(code.slice(c.pos + 2, c.end));
  }
  return below.length > 0 ? below.join('\n') : null;
}

function declaredNames(statement: ts.Statement): string[] {
  if (!ts.isVariableStatement(statement)) return [];
  const names: string[] = [];
  const visit = (n: ts.BindingName): void => {
    if (ts.isIdentifier(n)) names.push(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) visit(e.name);
  };
  for (const d of statement.declarationList.declarations) visit(d.name);
  return names;
}

/** `console.log(x)` → `x`: a stated result of a printed expression is the expression's. */
function printedArgument(e: ts.Expression): ts.Expression | null {
  if (!ts.isCallExpression(e) || e.arguments.length !== 1) return null;
  const callee = e.expression.getText();
  return callee === 'console.log' ? e.arguments[0]! : null;
}

/** `code` with its stated results turned into calls of `__check(i, () => value)`, transpiled to JS. */
function instrument(code: string): Instrumented {
  const sf = ts.createSourceFile('example.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const checks: Check[] = [];
  const imports: Instrumented['imports'] = [];
  const problems: string[] = [];
  const edits: { start: number; end: number; text: string }[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
  for (const statement of sf.statements) {
    const start = statement.getStart(sf), end = statement.end, line = lineOf(statement);
    if (ts.isImportDeclaration(statement)) {
      // Imports become scope: the package's entries, and the prelude's stand-ins for node:fs.
      const from = (statement.moduleSpecifier as ts.StringLiteral).text;
      const bindings = statement.importClause?.namedBindings;
      const names = bindings !== undefined && ts.isNamedImports(bindings) ? bindings.elements.map((e) => e.name.text) : [];
      if (bindings === undefined || !ts.isNamedImports(bindings) || statement.importClause?.name !== undefined) problems.push(`line ${line}: only named imports are supported: ${statement.getText(sf)}`);
      else if (from in ENTRIES) imports.push({ from, names: from === 'node:fs' ? names.filter((n) => !(PRELUDE_NAMES as readonly string[]).includes(n)) : names });
      else problems.push(`line ${line}: cannot provide ${statement.getText(sf)}`);
      edits.push({ start, end, text: '' });
      continue;
    }
    const comment = commentAfter(code, statement, sf);
    if (comment === null) continue;
    const thrown = parseThrows(comment);
    if (thrown !== null) {
      checks.push({ kind: 'throws', ...thrown, comment, line });
      edits.push({ start, end, text: `await __check(${checks.length - 1}, async () => { ${code.slice(start, end)} });` });
      continue;
    }
    if (/^\s*throws\b/.test(comment)) { problems.push(`line ${line}: '// ${comment.trim()}' does not read as 'throws SomeError: message'`); continue; }
    if (ts.isExpressionStatement(statement)) {
      const expected = parseStated(comment);
      if (expected === null) continue;
      checks.push({ kind: 'value', expected, comment, line });
      const printed = printedArgument(statement.expression);
      const target = printed ?? statement.expression;
      edits.push({ start: target.getStart(sf), end: target.end, text: `(await __check(${checks.length - 1}, async () => (${target.getText(sf)})))` });
      continue;
    }
    const declared = declaredNames(statement);
    // `const y = …; // 2` states y; `const [a, b] = …; // a = 1, b = 2` states each;
    // `const outer = sgd(…); // ε = 0.1` names something else: prose
    const single = declared.length === 1 && !/(?<![=<>!])=(?![=>])/.test(comment) ? parseStated(comment) : null;
    const assigned = single !== null ? [[declared[0]!, single] as [string, Expected]] : parseAssignments(comment, declared);
    if (assigned === null) continue;
    const calls = assigned.map(([name, expected]) => {
      checks.push({ kind: 'value', expected, comment: `${name} = ${comment.trim()}`, line });
      return `await __check(${checks.length - 1}, async () => ${name});`;
    });
    edits.push({ start: end, end, text: ` ${calls.join(' ')}` });
  }
  let out = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  const identifiers = new Set<string>();
  const visit = (n: ts.Node): void => { if (ts.isIdentifier(n)) identifiers.add(n.text); ts.forEachChild(n, visit); };
  visit(sf);
  const js = ts.transpileModule(`${out}\nexport {};\n`, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false },
    reportDiagnostics: false,
  }).outputText.replace(/^export \{\};\s*$/m, '');
  return { js, checks, imports, identifiers, problems };
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;

async function run(example: Example | InternalExample): Promise<void> {
  const { js, checks, imports, identifiers, problems } = instrument(example.code);
  const at = (line: number) => `line ${example.lines[line] ?? '?'}`;
  assert.ok(problems.length === 0, `${example.names[0]} (${example.where}): ${problems.join('; ')}`);
  // The root's names, a namespace's members for its own examples (an internal example: its
  // module's exports), the imports, then the prelude.
  const scope = new Map<string, unknown>(Object.entries(api));
  if ('module' in example) {
    // A module of a namespace's folder sees the namespace's names, then its own exports.
    for (const ns of ['continual', 'explore'] as const) if (example.module.startsWith(`src/${ns}/`)) for (const [k, v] of Object.entries(api[ns])) scope.set(k, v);
    for (const [k, v] of Object.entries(await import(pathToFileURL(join(root, example.module)).href) as object)) scope.set(k, v);
  }
  for (const ns of ['continual', 'explore'] as const) {
    if (example.names.some((n) => n.startsWith(`${ns}.`) || n.startsWith(`${STUDIES}${ns}.`))) for (const [k, v] of Object.entries(api[ns])) scope.set(k, v);
    // A study's example sees the study namespace's names as well as the library's.
    if (example.names.some((n) => n.startsWith(`${STUDIES}${ns}.`))) for (const [k, v] of Object.entries(studies[ns])) scope.set(k, v);
  }
  for (const { from, names } of imports) {
    for (const n of names) {
      assert.ok(n in ENTRIES[from]!, `${example.names[0]} (${example.where}): '${from}' exports no '${n}'`);
      scope.set(n, ENTRIES[from]![n]);
    }
  }
  const p = prelude();
  for (const n of PRELUDE_NAMES) scope.set(n, p[n]);
  const names = [...identifiers].filter((n) => scope.has(n));
  const failures: string[] = [];
  const check = async (i: number, f: () => Promise<unknown>): Promise<unknown> => {
    const c = checks[i]!;
    if (c.kind === 'throws') {
      let error: unknown;
      try { await f(); } catch (e) { error = e; }
      if (!(error instanceof Error)) { failures.push(`${at(c.line)}: expected ${c.name} to be thrown (// ${c.comment.trim()}), nothing was`); return; }
      if (error.name !== c.name && error.constructor.name !== c.name) failures.push(`${at(c.line)}: expected ${c.name}, got ${error.name}: ${error.message}`);
      let from = 0;
      for (const [k, fragment] of c.fragments.entries()) {
        const found = error.message.indexOf(fragment, from);
        if (found < 0 || (k === 0 && found !== 0)) { failures.push(`${at(c.line)}: ${c.name} message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}${k === 0 ? ' at its start' : ''}`); return; }
        from = found + fragment.length;
      }
      return;
    }
    const value = await f();
    const m = mismatch(plain(value), c.expected);
    if (m !== null) failures.push(`${at(c.line)} (// ${c.comment.trim()}): ${m}`);
    return value;
  };
  try {
    const fn = new AsyncFunction(...names, '__check', `'use strict';\n{\n${js}\n}`);
    await fn(...names.map((n) => scope.get(n)), check);
  } catch (e) {
    throw new Error(`${example.names[0]} (${example.where}) threw ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
  assert.ok(failures.length === 0, `${example.names[0]} (${example.where}): stated results differ:\n  ${failures.join('\n  ')}`);
}

const examples = collect();
const everyExample = collectAll();
const publicKeys = new Set(examples.map(exampleKey));
/** The examples no entry's walk reaches (on internal declarations, in module headers). */
const internal = everyExample.filter((e) => !publicKeys.has(exampleKey(e)));
const only = process.env.TSDOC_ONLY === undefined ? null : new RegExp(process.env.TSDOC_ONLY);

test('tsdoc examples: the walk finds the examples of the root exports', () => {
  assert.ok(examples.length > 300, `only ${examples.length} examples found`);
  // #20: the package's first example once threw; it must be among those run
  assert.ok(examples.some((e) => e.names.includes('(package)') && e.code.includes('grad(')), 'the example atop src/index.ts is collected');
  const stale = Object.keys(SKIP).filter((n) => !examples.some((e) => e.names.includes(n)));
  assert.equal(stale, [], `SKIP names no example: ${stale.join(', ')}`);
  const checks = examples.filter((e) => !e.names.some((n) => n in SKIP)).reduce((s, e) => s + instrument(e.code).checks.length, 0);
  console.log(`  tsdoc examples: ${examples.length} examples, ${Object.keys(SKIP).length} skipped, ${checks} stated results checked`);
});

test('tsdoc examples: every @example in src/ is run, the internal ones with their module in scope', () => {
  // The file walk finds the public examples too, so it misses none the export walk knows.
  const all = new Set(everyExample.map(exampleKey));
  const missed = examples.filter((e) => !all.has(exampleKey(e))).map((e) => `${e.names[0]} (${e.where})`);
  assert.equal(missed, [], 'the walk over src/ files finds every public example');
  assert.is(everyExample.length, examples.length + internal.length);
  // #20: the internal examples were never run before; each is a test below.
  assert.ok(internal.length >= 25, `only ${internal.length} internal examples found`);
  const checks = internal.reduce((s, e) => s + instrument(e.code).checks.length, 0);
  console.log(`  tsdoc examples: ${internal.length} internal examples, ${checks} stated results checked`);
});

for (const example of examples) {
  if (example.names.some((n) => n in SKIP)) continue;
  if (only !== null && !only.test(`${example.names.join(' ')} ${example.where}`)) continue;
  test(`tsdoc example: ${example.names.join(' = ')} (${example.where})`, async () => {
    const start = performance.now();
    try { await run(example); } finally { took.push([performance.now() - start, example.names[0]!]); }
  });
}

for (const example of internal) {
  if (only !== null && !only.test(`${example.names.join(' ')} ${example.where}`)) continue;
  test(`tsdoc example (internal): ${example.names[0]} (${example.where})`, async () => {
    const start = performance.now();
    try { await run(example); } finally { took.push([performance.now() - start, example.names[0]!]); }
  });
}

// TSDOC_TIME=1: the slowest examples (an example that trains must use tiny settings).
const took: [number, string][] = [];
test.after(() => {
  if (process.env.TSDOC_TIME) console.log(took.sort((a, b) => b[0] - a[0]).slice(0, 15).map(([ms, n]) => `  ${ms.toFixed(0).padStart(6)} ms  ${n}`).join('\n'));
});

test.run();
