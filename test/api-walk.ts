/**
 * The walk over a package entry's exports with the TypeScript compiler API, shared by
 * test/api-docs.test.ts (every export documented) and test/tsdoc-examples.test.ts (every
 * `@example` run): each export, namespace members included, resolved to its declarations.
 */
import * as assert from 'uvu/assert';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The namespace re-exports (`export * as name`) whose members are public API too. */
export const NAMESPACES = ['continual', 'explore'];

/** `callable const`: a const whose type has call signatures, used as a function. */
export type Kind = 'function' | 'class' | 'callable const' | 'const' | 'interface' | 'type' | 'enum';

/** One declaration of one export. */
export interface ExportedDecl {
  /** The export's name, `prefix` and namespace included (`explore.argmax`). */
  name: string;
  kind: Kind;
  decl: ts.Declaration;
  /** `src/…/file.ts:line` of the declaration. */
  where: string;
  /** Path of the declaring file relative to the repository root. */
  file: string;
}

export function kindOf(decl: ts.Declaration, checker: ts.TypeChecker): Kind | null {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isVariableDeclaration(decl)) return checker.getTypeAtLocation(decl.name).getCallSignatures().length > 0 ? 'callable const' : 'const';
  if (ts.isInterfaceDeclaration(decl)) return 'interface';
  if (ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isEnumDeclaration(decl)) return 'enum';
  return null;
}

/**
 * The TSDoc block that documents `decl`: the nearest `/** … *\/` above it, unless that is
 * the file's header (tagged `@packageDocumentation` / `@module`, or opening the file and
 * set off from the declaration by a blank line), which TypeScript would attach to the
 * file's first statement.
 */
export function docOf(decl: ts.Declaration): ts.JSDoc | undefined {
  const docs = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc);
  const doc = docs[docs.length - 1];
  if (doc === undefined) return undefined;
  if (doc.tags?.some((t) => t.tagName.text === 'packageDocumentation' || t.tagName.text === 'module')) return undefined;
  const text = decl.getSourceFile().text;
  const opensFile = text.slice(0, doc.getStart()).trim() === '';
  if (opensFile && /\n[ \t]*\r?\n/.test(text.slice(doc.end, decl.getStart()))) return undefined;
  return doc;
}

/** A program over `files` (the entries), checked the way the package is built. */
export function programOf(files: string[]): ts.Program {
  return ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
}

/**
 * Every export of the entry `file`, its `NAMESPACES` members (named `ns.member`) included,
 * one row per kind of declaration (overloads: the first signature, which carries the docs
 * a reader's editor shows).
 */
export function walkExports(program: ts.Program, file: string, prefix = ''): ExportedDecl[] {
  const checker = program.getTypeChecker();
  const out: ExportedDecl[] = [];
  const visit = (moduleSymbol: ts.Symbol, prefix: string, top: boolean): void => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const name = prefix + exported.name;
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decls = symbol.declarations ?? [];
      if (top && NAMESPACES.includes(exported.name)) {
        assert.ok(decls.some(ts.isSourceFile), `${name} is a namespace re-export`);
        visit(symbol, `${name}.`, false);
        continue;
      }
      const known = decls.filter((d) => kindOf(d, checker) !== null);
      assert.ok(known.length > 0, `${name}: unrecognised declaration kinds ${decls.map((d) => ts.SyntaxKind[d.kind]).join(', ')}`);
      const seen = new Set<Kind>();
      for (const decl of known) {
        const kind = kindOf(decl, checker)!;
        if (seen.has(kind)) continue;
        seen.add(kind);
        const sf = decl.getSourceFile();
        const rel = relative(root, sf.fileName).split('\\').join('/');
        const line = sf.getLineAndCharacterOfPosition(decl.getStart(sf)).line + 1;
        out.push({ name, kind, decl, where: `${rel}:${line}`, file: rel });
      }
    }
  };
  const source = program.getSourceFile(file);
  assert.ok(source, `${file} is in the program`);
  visit(checker.getSymbolAtLocation(source)!, prefix, true);
  return out;
}
