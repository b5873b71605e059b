/**
 * The project rule "public API documented with TSDoc and an example", checked: every
 * export of the package's entries — `src/index.ts` (`metagrad`, the same names as
 * `metagrad/core`) and `src/studies.ts` (`metagrad/studies`), with the members of their
 * `continual` and `explore` namespaces —
 * is resolved to its declaration with the TypeScript compiler API. Functions and classes
 * (and consts that hold a function, like `sin` or `zeros`) need a TSDoc summary and a
 * non-empty `@example`; other consts, interfaces and type aliases need a summary. One
 * failure lists every offender with its file:line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { primitives } from '../src/ops/primitives.ts';
import { NAMESPACES, docOf, programOf, root, walkExports, type Kind } from './api-walk.ts';
import { join } from 'node:path';
import ts from 'typescript';
import * as api from '../src/index.ts';
import * as studiesApi from '../src/studies.ts';
import * as elementwise from '../src/ops/elementwise.ts';
import * as reduce from '../src/ops/reduce.ts';
import * as movement from '../src/ops/movement.ts';
import * as matmulOps from '../src/ops/matmul.ts';
import * as softmaxOps from '../src/ops/softmax.ts';
import * as losses from '../src/ops/losses.ts';

/** Each entry point of package.json's `exports`, its module, and the prefix its names get here. */
const ENTRIES = [
  { file: join(root, 'src', 'index.ts'), module: api as Record<string, unknown>, prefix: '' },
  { file: join(root, 'src', 'studies.ts'), module: studiesApi as Record<string, unknown>, prefix: 'studies:' },
];

/** Fewer checked exports than this means the enumeration is broken (689 on 2026-12-07, 71 of them in metagrad/studies). */
const MIN_CHECKED = 500;

interface Checked {
  name: string;
  kind: Kind;
  where: string;
  file: string;
  problems: string[];
}

function problemsOf(decl: ts.Declaration, kind: Kind): string[] {
  const doc = docOf(decl);
  if (doc === undefined) return ['no TSDoc comment'];
  const problems: string[] = [];
  if ((ts.getTextOfJSDocComment(doc.comment) ?? '').trim() === '') problems.push('empty summary');
  if (kind === 'function' || kind === 'class' || kind === 'callable const') {
    // A ```ts fence or a one-line `@example call() // result` (both styles are in src/).
    const example = doc.tags?.find((t) => t.tagName.text === 'example');
    if (example === undefined) problems.push('no @example');
    else if ((ts.getTextOfJSDocComment(example.comment) ?? '').replace(/```(ts)?/g, '').trim() === '') problems.push('empty @example');
  }
  return problems;
}

function collect(): Checked[] {
  const program = programOf(ENTRIES.map((e) => e.file));
  return ENTRIES.flatMap((entry) => walkExports(program, entry.file, entry.prefix)
    .map(({ name, kind, where, file, decl }) => ({ name, kind, where, file, problems: problemsOf(decl, kind) })));
}

const checked = collect();

test('api docs: the enumeration covers every runtime export of every entry', () => {
  const values = new Set(checked.filter((c) => c.kind !== 'interface' && c.kind !== 'type').map((c) => c.name));
  const runtime: string[] = [];
  for (const entry of ENTRIES) {
    for (const [key, value] of Object.entries(entry.module)) {
      if (NAMESPACES.includes(key)) runtime.push(...Object.keys(value as object).map((k) => `${entry.prefix}${key}.${k}`));
      else runtime.push(entry.prefix + key);
    }
  }
  const missed = runtime.filter((n) => !values.has(n));
  assert.equal(missed, [], `runtime exports the compiler walk did not check: ${missed.join(', ')}`);
  const extra = [...values].filter((n) => !runtime.includes(n));
  assert.equal(extra, [], `value declarations that are not runtime exports: ${extra.join(', ')}`);
  assert.ok(checked.length >= MIN_CHECKED, `only ${checked.length} exports checked (floor ${MIN_CHECKED})`);
  for (const ns of ['continual.', 'explore.', 'studies:continual.', 'studies:explore.']) assert.ok(checked.some((c) => c.name.startsWith(ns)), `${ns} members are checked`);
  console.log(`  api docs: ${checked.length} exports checked (${checked.filter((c) => c.name.startsWith('studies:')).length} in metagrad/studies)`);
  for (const kind of ['function', 'class', 'callable const', 'const', 'interface', 'type'] as const) {
    assert.ok(checked.some((c) => c.kind === kind), `some ${kind} exports are checked`);
  }
});

test('api docs: every export has a TSDoc summary; functions and classes an @example', () => {
  const offenders = checked.filter((c) => c.problems.length > 0)
    .sort((a, b) => a.file.localeCompare(b.file) || Number(a.where.split(':')[1]) - Number(b.where.split(':')[1]));
  const lines = offenders.map((c) => `  ${c.where}  ${c.kind} ${c.name}: ${c.problems.join(', ')}`);
  assert.ok(offenders.length === 0, `${offenders.length} of ${checked.length} exports are undocumented:\n${lines.join('\n')}`);
});

test('api docs: every op is public and no primitive definition is (src/ops/index.ts lists them by hand)', () => {
  // dense's rule shares matmul's folded weight cotangent; gemm (a jit fusion) reuses matmul's operand layout
  const INTERNAL = new Set(['sharedOperandGrad', 'productOperands', 'productShape']);
  const modules = { elementwise, reduce, movement, matmulOps, softmaxOps, losses };
  const forgotten: string[] = [];
  for (const [file, mod] of Object.entries(modules)) {
    for (const [name, value] of Object.entries(mod)) {
      const isPrimitive = name.endsWith('Prim');
      if (isPrimitive || INTERNAL.has(name)) assert.not.ok(name in api, `${name} (${file}) is internal but exported by src/index.ts`);
      else if (typeof value === 'function' && !(name in api)) forgotten.push(`${file}.${name}`);
    }
  }
  assert.equal(forgotten, [], `ops missing from src/ops/index.ts: ${forgotten.join(', ')}`);
});

test('primitive registry: every primitive the ops define is in src/ops/primitives.ts, under its own name', async () => {
  const files = ['elementwise', 'reduce', 'movement', 'gather', 'matmul', 'dense', 'axpy', 'gemm', 'conv', 'softmax', 'losses'];
  const listed = new Set<unknown>(Object.values(primitives));
  const missing: string[] = [];
  for (const f of files) {
    const mod = await import(`../src/ops/${f}.ts`) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) if (name.endsWith('Prim') && !listed.has(value)) missing.push(`${f}.${name}`);
  }
  assert.equal(missing, [], `primitives missing from the registry: ${missing.join(', ')}`);
  for (const [key, prim] of Object.entries(primitives)) {
    assert.is(prim.name, key, `registry key '${key}' names primitive '${prim.name}'`);
    assert.ok(typeof prim.forward === 'function' && (prim.vjp === 'nondiff' || typeof prim.vjp === 'function'), `${key}: forward and derivative rule`);
  }
});

test.run();
