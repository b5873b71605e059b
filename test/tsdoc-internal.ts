/**
 * The TSDoc examples of src/ that the public walk (test/tsdoc-collect.ts) does not reach:
 * those on declarations no entry exports (internal helpers, interface members of internal
 * types) and those in module headers other than the package's. Every `/** … *\/` block of
 * every src/ file is parsed on its own, so a header or a comment TypeScript would not
 * attach to a declaration is found too; test/tsdoc-examples.test.ts runs these with the
 * module's exports in scope.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { root } from './api-walk.ts';
import { codeOf, type Example } from './tsdoc-collect.ts';

/** An example with the module (`src/…`, repository-relative) whose exports it sees. */
export interface InternalExample extends Example {
  module: string;
}

/** The .ts files under src/, in path order. */
function sourceFiles(dir = join(root, 'src')): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The name of what the comment ending at `end` documents (`(module)` for a header). */
function subjectOf(text: string, end: number, header: boolean): string {
  if (header) return '(module)';
  const m = /^\s*(?:export\s+)?(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+([\w$]+)/.exec(text.slice(end))
    ?? /^\s*(?:readonly\s+)?([\w$]+)\??\s*[:(]/.exec(text.slice(end));
  return m?.[1] ?? '(comment)';
}

/**
 * Every `@example` of every doc comment in src/: `names` holds what it documents
 * (`file:name`), `where` the tag's line. `lines` and `code` are as in `collect()`, so an
 * example both walks find has the same key.
 */
export function collectAll(): InternalExample[] {
  const out: InternalExample[] = [];
  for (const path of sourceFiles()) {
    const text = readFileSync(path, 'utf8');
    const file = relative(root, path).split('\\').join('/');
    let tagLines = 0;
    for (const m of text.matchAll(/\/\*\*(?!\/)[\s\S]*?\*\//g)) {
      if (!m[0].includes('@example')) continue;
      // The comment alone, at its own lines, before a stand-in declaration it documents.
      const before = text.slice(0, m.index).replace(/[^\n]/g, ' ');
      const sf = ts.createSourceFile(path, `${before}${m[0]}\nconst __documented = 0;`, ts.ScriptTarget.ES2022, true);
      const doc = ts.getJSDocCommentsAndTags(sf.statements[0]!).filter(ts.isJSDoc).at(-1)!;
      const header = text.slice(0, m.index).trim() === '' || (doc.tags ?? []).some((t) => ['packageDocumentation', 'module'].includes(t.tagName.text));
      const subject = subjectOf(text, m.index + m[0].length, header);
      for (const tag of (doc.tags ?? []).filter((t) => t.tagName.text === 'example')) {
        tagLines++;
        const line = sf.getLineAndCharacterOfPosition(tag.getStart(sf)).line + 1;
        out.push({ names: [`${file}:${subject}`], where: `${file}:${line}`, module: file, ...codeOf(tag, sf) });
      }
    }
    const written = text.split('\n').filter((l) => /^\s*\*\s*@example\b/.test(l)).length;
    if (written !== tagLines) throw new Error(`tsdoc-internal: ${file} has ${written} '@example' lines but ${tagLines} parsed tags`);
  }
  return out;
}

/** The key by which an example found by both walks is recognised. */
export const exampleKey = (e: Example): string => `${e.where.split(':')[0]}|${e.lines[0]}|${e.code}`;
