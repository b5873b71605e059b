/**
 * The TSDoc examples of the package's public entries (`metagrad` with its namespaces, and
 * `metagrad/studies`), found with the compiler walk of test/api-walk.ts: shared by
 * test/tsdoc-examples.test.ts (runs them) and test/tsdoc-types.test.ts (type-checks them).
 */
import { join, relative } from 'node:path';
import ts from 'typescript';
import { docOf, programOf, root, walkExports } from './api-walk.ts';

export interface Example {
  /** Every export name documented by this block (a re-export shares its declaration's doc). */
  names: string[];
  where: string;
  code: string;
  /** The source file's line of each line of `code` (1-based). */
  lines: number[];
}

/**
 * The code of one `@example` (its fenced blocks, or the whole tag text when it has none),
 * with the source line of each of its lines, found by matching the comment's lines in order.
 */
export function codeOf(tag: ts.JSDocTag, sf: ts.SourceFile): { code: string; lines: number[] } {
  const text = ts.getTextOfJSDocComment(tag.comment) ?? '';
  const fences = [...text.matchAll(/```(?:ts|typescript|js)?[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const code = fences.length > 0 ? fences.join('\n') : text;
  const source = sf.text.split('\n').map((l) => l.replace(/^\s*\*\s?/, '').trimEnd());
  let at = sf.getLineAndCharacterOfPosition(tag.getStart(sf)).line;
  const lines = code.split('\n').map((l) => {
    const line = l.trimEnd();
    const found = source.findIndex((s, i) => i >= at && (s === line || s.endsWith(`@example ${line}`)));
    if (found >= 0) at = found;
    return at + 1;
  });
  return { code, lines };
}

/** The examples of an entry's file header (`@packageDocumentation` / `@module`), which `docOf` leaves out. */
function headerExamples(program: ts.Program, file: string): Example[] {
  const text = program.getSourceFile(file)!.text;
  const range = ts.getLeadingCommentRanges(text, 0)?.find((c) => text.startsWith('/**', c.pos));
  if (range === undefined) return [];
  // The header alone, before a stand-in declaration it documents (the lines stay the file's).
  const sf = ts.createSourceFile(file, `${text.slice(0, range.end)}\nconst header = 0;`, ts.ScriptTarget.ES2022, true);
  const docs = ts.getJSDocCommentsAndTags(sf.statements[0]!).filter(ts.isJSDoc);
  const header = docs.find((d) => d.tags?.some((t) => t.tagName.text === 'packageDocumentation' || t.tagName.text === 'module'));
  const where = `${relative(root, file)}:1`;
  return (header?.tags ?? []).filter((t) => t.tagName.text === 'example').map((tag) => ({ names: ['(package)'], where, ...codeOf(tag, sf) }));
}

/** Prefix of the names of `metagrad/studies` exports (its namespaces share the root's names). */
export const STUDIES = 'metagrad/studies:';

let shared: ts.Program | undefined;
/** One program over both entries, built once. */
const entriesProgram = (): ts.Program => (shared ??= programOf([join(root, 'src', 'index.ts'), join(root, 'src', 'studies.ts')]));

/**
 * Every exported name, types included, by where an example sees it: `''` for the root,
 * `'continual.'` / `'explore.'` for a namespace, `'metagrad/studies:explore.'` … for a study namespace.
 */
export function exportedNames(): Map<string, Set<string>> {
  const program = entriesProgram();
  const out = new Map<string, Set<string>>();
  const all = [...walkExports(program, join(root, 'src', 'index.ts')), ...walkExports(program, join(root, 'src', 'studies.ts'), STUDIES)];
  for (const { name } of all) {
    const dot = name.lastIndexOf('.');
    const scope = dot < 0 ? '' : name.slice(0, dot + 1);
    if (!out.has(scope)) out.set(scope, new Set());
    out.get(scope)!.add(name.slice(dot + 1));
  }
  return out;
}

export function collect(): Example[] {
  const program = entriesProgram();
  const byDoc = new Map<string, Example>();
  for (const e of headerExamples(program, join(root, 'src', 'index.ts'))) byDoc.set(e.where, e);
  const exported = [...walkExports(program, join(root, 'src', 'index.ts')), ...walkExports(program, join(root, 'src', 'studies.ts'), STUDIES)];
  for (const { name, decl, where } of exported) {
    const tags = docOf(decl)?.tags?.filter((t) => t.tagName.text === 'example') ?? [];
    tags.forEach((tag, i) => {
      const key = `${where}#${i}`;
      const known = byDoc.get(key);
      if (known !== undefined) { known.names.push(name); return; }
      byDoc.set(key, { names: [name], where, ...codeOf(tag, decl.getSourceFile()) });
    });
  }
  return [...byDoc.values()];
}

