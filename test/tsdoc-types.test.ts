/**
 * Every TSDoc `@example` of the public entries type-checks, with the project's compiler
 * options, as the user would write it: each example becomes a module that imports the
 * names it uses from the entry that documents them (the root's names; a namespace
 * member's example also sees the namespace's names, a `metagrad/studies` example the
 * study namespace's), its own `import … from 'metagrad…'` lines pointed at src/, and the
 * prelude's `writeFileSync` and `jobsUrl` declared (test/tsdoc-prelude.ts).
 * test/tsdoc-examples.test.ts runs the same examples.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import ts from 'typescript';
import { root } from './api-walk.ts';
import { collect, exportedNames, STUDIES, type Example } from './tsdoc-collect.ts';

/** Where each entry's names come from (a namespace from its own module). */
const SOURCES = {
  root: 'src/index.ts',
  continual: 'src/continual/index.ts',
  explore: 'src/explore/index.ts',
  'studies:continual': 'src/continual/experiments.ts',
  'studies:explore': 'src/explore/studies.ts',
} as const;
const SPECIFIERS: Record<string, string> = { metagrad: 'src/index.ts', 'metagrad/core': 'src/core.ts', 'metagrad/studies': 'src/studies.ts' };

/** Every name an example declares itself (bindings, functions, classes, parameters, imports). */
function declared(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const binding = (n: ts.BindingName): void => {
    if (ts.isIdentifier(n)) names.add(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) binding(e.name);
  };
  const visit = (n: ts.Node): void => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) && !ts.isBindingElement(n)) binding(n.name);
    else if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) && n.name) names.add(n.name.text);
    else if (ts.isImportSpecifier(n)) names.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return names;
}

/** The example as a module: imports of the names it uses, then its code. */
function moduleOf(example: Example, file: string, exported: Map<string, Set<string>>): string {
  const sf = ts.createSourceFile(file, example.code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const own = declared(sf);
  const used = new Set<string>();
  const visit = (n: ts.Node): void => { if (ts.isIdentifier(n)) used.add(n.text); ts.forEachChild(n, visit); };
  visit(sf);
  const wanted = (n: string): boolean => used.has(n) && !own.has(n);
  // Later entries win, as in the runner's scope: root, then the namespace, then the study namespace.
  const from = new Map<string, string>();
  const names = (scope: string): Set<string> => exported.get(scope) ?? new Set();
  for (const n of names('')) if (wanted(n)) from.set(n, SOURCES.root);
  for (const ns of ['continual', 'explore'] as const) {
    const member = example.names.some((n) => n.startsWith(`${ns}.`) || n.startsWith(`${STUDIES}${ns}.`));
    if (member) for (const n of names(`${ns}.`)) if (wanted(n)) from.set(n, SOURCES[ns]);
    if (example.names.some((n) => n.startsWith(`${STUDIES}${ns}.`))) for (const n of names(`${STUDIES}${ns}.`)) if (wanted(n)) from.set(n, SOURCES[`studies:${ns}`]);
  }
  const bySource = new Map<string, string[]>();
  for (const [n, src] of from) bySource.set(src, [...(bySource.get(src) ?? []), n]);
  const lines = [...bySource].map(([src, names]) => `import { ${names.join(', ')} } from '${relativeTo(file, src)}';`);
  if (wanted('writeFileSync') && !own.has('writeFileSync')) lines.push('declare function writeFileSync(path: string, data: string | Uint8Array): void;');
  if (wanted('jobsUrl')) lines.push('declare const jobsUrl: string;');
  const code = example.code.replace(/from '(metagrad(?:\/core|\/studies)?)'/g, (_m, spec: string) => `from '${relativeTo(file, SPECIFIERS[spec]!)}'`);
  return `${lines.join('\n')}\n${code}\nexport {};\n`;
}

/** `src` (repository-relative) as an import specifier from `file` (under test/). */
const relativeTo = (_file: string, src: string): string => `../${src}`;

test('tsdoc examples type-check', () => {
  const examples = collect();
  const exported = exportedNames();
  const files = new Map<string, string>();
  examples.forEach((e, i) => files.set(join(root, 'test', `__tsdoc_example_${i}.ts`), moduleOf(e, `__tsdoc_example_${i}.ts`, exported)));
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile.bind(host), exists = host.fileExists.bind(host), source = host.getSourceFile.bind(host);
  host.readFile = (f) => files.get(f) ?? read(f);
  host.fileExists = (f) => files.has(f) || exists(f);
  host.getSourceFile = (f, v, onError, create) => (files.has(f) ? ts.createSourceFile(f, files.get(f)!, v) : source(f, v, onError, create));
  const program = ts.createProgram([...files.keys()], { ...config.options, noEmit: true, verbatimModuleSyntax: false } /* imports here serve types and values alike */, host);
  const problems: string[] = [];
  for (const [file] of files) {
    const sf = program.getSourceFile(file)!;
    const example = examples[Number(/_(\d+)\.ts$/.exec(file)![1])]!;
    const importLines = files.get(file)!.split('\n').findIndex((l) => !l.startsWith('import {') && !l.startsWith('declare '));
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line - importLines;
      problems.push(`${example.names[0]} (${example.where}, example line ${example.lines[line] ?? '?'}): ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
  }
  assert.ok(problems.length === 0, `${problems.length} type errors in examples:\n  ${problems.join('\n  ')}`);
});

test.run();
