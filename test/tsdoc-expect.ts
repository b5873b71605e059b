/**
 * Reading the results TSDoc examples state in comments, and checking them: `expr; // [6, 6]`,
 * `expr; // ≈ 0.347`, `const [a, b] = …; // a = 1, b = [2]`, `expr; // throws GradError: grad: …`.
 *
 * A stated value is a literal (number, string, `true`/`false`/`null`, `Infinity`, arrays,
 * objects), optionally after `≈` (equal to the printed digits) and optionally followed by
 * prose after `:`, `(`, `,`, `;`, `—` or a word; `x or y` allows either; `… = value` at the
 * end of a comment (or before `:`, `(`, … but not before a word) states the value of what
 * precedes it (`(0² + 2²) / 2 = 2`). A number
 * ending in `…` is truncated (`2.7182817…`), an array ending in `…` is a prefix, an object
 * with `...` may have more keys, and a bare object key (`{ curve, cluster: 0 }`) only has
 * to be present. Comments that do not read this way are prose and are not checked.
 */
import { Tensor } from '../src/index.ts';

/** A stated value. `tol`: allowed |actual − expected| for a number (0 for float32 rounding only). */
export type Expected =
  | { kind: 'number'; value: number; tol: number }
  | { kind: 'string' | 'boolean' | 'null'; value: unknown }
  | { kind: 'array'; items: Expected[]; prefix: boolean }
  | { kind: 'object'; entries: [string, Expected | null][]; open: boolean }
  | { kind: 'any'; options: Expected[] };

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void { while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++; }
  peek(text: string): boolean { this.ws(); return this.s.startsWith(text, this.i); }
  take(text: string): boolean { if (this.peek(text)) { this.i += text.length; return true; } return false; }
  rest(): string { return this.s.slice(this.i); }
}

const ELLIPSIS = ['…', '...'];

/** One literal at the reader's position, or null (the reader is then left anywhere). */
function literal(r: Reader, approx: boolean): Expected | null {
  if (r.take('≈')) approx = true;
  r.ws();
  const s = r.s, c = s[r.i];
  if (c === undefined) return null;
  if (c === '[') {
    r.i++;
    const items: Expected[] = [];
    let prefix = false;
    if (r.take(']')) return { kind: 'array', items, prefix };
    for (;;) {
      if (ELLIPSIS.some((e) => r.take(e))) { prefix = true; if (!r.take(']')) return null; break; }
      const item = literal(r, approx);
      if (item === null) return null;
      items.push(item);
      if (r.take(']')) break;
      if (!r.take(',')) return null;
    }
    return { kind: 'array', items, prefix };
  }
  if (c === '{') {
    r.i++;
    const entries: [string, Expected | null][] = [];
    let open = false;
    if (r.take('}')) return { kind: 'object', entries, open };
    for (;;) {
      if (ELLIPSIS.some((e) => r.take(e))) { open = true; if (!r.take('}')) return null; break; }
      r.ws();
      const key = /^(?:[A-Za-z_$][\w$]*|'[^']*'|"[^"]*")/.exec(r.rest());
      if (key === null) return null;
      r.i += key[0].length;
      const name = /^['"]/.test(key[0]) ? key[0].slice(1, -1) : key[0];
      if (r.take(':')) {
        const value = literal(r, approx);
        if (value === null) return null;
        entries.push([name, value]);
      } else entries.push([name, null]);
      if (r.take('}')) break;
      if (!r.take(',')) return null;
    }
    return { kind: 'object', entries, open };
  }
  if (c === "'" || c === '"') {
    let j = r.i + 1;
    while (j < s.length && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
    if (j >= s.length) return null;
    const text = s.slice(r.i, j + 1);
    r.i = j + 1;
    return { kind: 'string', value: JSON.parse(c === '"' ? text : `"${text.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) };
  }
  const word = /^(true|false|null)(?![\w$])/.exec(r.rest());
  if (word) {
    r.i += word[0].length;
    return word[1] === 'null' ? { kind: 'null', value: null } : { kind: 'boolean', value: word[1] === 'true' };
  }
  const num = /^([-−]?)(?:(Infinity|NaN)(?![\w$])|(\d+(?:\.(\d*))?(?:e[-+]?\d+)?))(?![\w$^²³·×/])/.exec(r.rest());
  if (num) {
    r.i += num[0].length;
    const sign = num[1] === '' ? 1 : -1;
    const value = sign * (num[2] !== undefined ? Number(num[2]) : Number(num[3]));
    const truncated = ELLIPSIS.some((e) => s.startsWith(e, r.i));
    if (truncated) r.i += s.startsWith('…', r.i) ? 1 : 3;
    const decimals = num[4]?.length ?? 0;
    const exponent = num[3] !== undefined && /e/.test(num[3]) ? Number(num[3].split('e')[1]) : 0;
    return { kind: 'number', value, tol: approx || truncated ? 10 ** (exponent - decimals) : 0 };
  }
  return null;
}

/**
 * A literal (or `a or b`) that is the whole of `text` up to prose; null if `text` does not
 * start with one. `strict`: the prose must open with a separator, not a word (after `=`,
 * `4 trials × 24 ticks` is not a stated 4).
 */
function statedValue(text: string, strict = false): Expected | null {
  const r = new Reader(text);
  const options: Expected[] = [];
  for (;;) {
    const value = literal(r, false);
    if (value === null) return null;
    options.push(value);
    const save = r.i;
    if (r.take('or ')) continue;
    r.i = save;
    break;
  }
  const rest = r.rest();
  // prose after the value: a separator or a word; anything else (an operator) means the comment is an expression
  if (!(rest.trim() === '' || /^\s*[:(,;—]/.test(rest) || (!strict && /^\s+[A-Za-z]/.test(rest)))) return null;
  return options.length === 1 ? options[0]! : { kind: 'any', options };
}

/** The value a comment states for the expression it follows, or null for prose. */
export function parseStated(comment: string): Expected | null {
  const text = comment.trim();
  // `… = value`: the last `=` that is not part of `==`, `<=`, `>=`, `!=` or `=>`
  const eq = [...text.matchAll(/(?<![=<>!])=(?![=>])/g)].map((m) => m.index!);
  if (eq.length > 0) {
    const after = statedValue(text.slice(eq[eq.length - 1]! + 1), true);
    if (after !== null) return after;
  }
  return statedValue(text);
}

/**
 * `name = value, name = value` (or `;`-separated) for names the statement declared; null
 * unless every part reads that way.
 */
export function parseAssignments(comment: string, declared: string[]): [string, Expected][] | null {
  const out: [string, Expected][] = [];
  const r = new Reader(comment.trim());
  for (;;) {
    r.ws();
    const m = /^([A-Za-z_$][\w$]*)\s*=(?![=>])/.exec(r.rest());
    if (m === null || !declared.includes(m[1]!)) return null;
    r.i += m[0].length;
    const value = literal(r, false);
    if (value === null) return null;
    out.push([m[1]!, value]);
    if (r.rest().trim() === '') return out;
    if (!r.take(',') && !r.take(';')) return null;
  }
}

/** A stated error: `throws Name: message` or `Name: message` (Name ending in Error); fragments between `…` must appear in order. */
export function parseThrows(comment: string): { name: string; fragments: string[] } | null {
  const m = /^\s*(?:throws\s+)?([A-Z]\w*Error)\b:?\s*(.*)$/s.exec(comment);
  if (m === null || (!/^\s*throws/.test(comment) && m[2] === '')) return null;
  const fragments = m[2]!.split(/…|\.\.\./).map((f) => f.trim()).filter((f) => f !== '');
  return { name: m[1]!, fragments };
}

/** Tensors as nested arrays, typed arrays as arrays, recursively through arrays and plain objects. */
export function plain(value: unknown): unknown {
  if (value instanceof Tensor) return value.toArray();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Float32 results printed as decimals: a few ulps of float32 (2⁻²³ ≈ 1.2e-7 relative), or 1e-7 near 0. */
const F32_RTOL = 4e-7, F32_ATOL = 1e-7;

/** Why `actual` does not match `expected` (at `path`), or null when it does. */
export function mismatch(actual: unknown, expected: Expected, path = '$'): string | null {
  const show = (v: unknown) => { try { return JSON.stringify(v) ?? String(v); } catch { return String(v); } };
  switch (expected.kind) {
    case 'any':
      return expected.options.some((o) => mismatch(actual, o, path) === null) ? null : `${path}: ${show(actual)} is none of the stated options`;
    case 'number': {
      if (typeof actual !== 'number') return `${path}: expected the number ${expected.value}, got ${show(actual)}`;
      const e = expected.value;
      if (Object.is(actual, e) || actual === e || (Number.isNaN(e) && Number.isNaN(actual))) return null;
      const tol = Math.max(expected.tol, F32_ATOL + F32_RTOL * Math.abs(e));
      return Math.abs(actual - e) <= tol ? null : `${path}: expected ${e}${expected.tol > 0 ? ` (± ${expected.tol})` : ''}, got ${actual}`;
    }
    case 'string': case 'boolean': case 'null':
      return actual === expected.value ? null : `${path}: expected ${show(expected.value)}, got ${show(actual)}`;
    case 'array': {
      if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`;
      if (expected.prefix ? actual.length < expected.items.length : actual.length !== expected.items.length) {
        return `${path}: expected ${expected.prefix ? 'at least ' : ''}${expected.items.length} items, got ${actual.length}: ${show(actual)}`;
      }
      for (let i = 0; i < expected.items.length; i++) {
        const m = mismatch(actual[i], expected.items[i]!, `${path}[${i}]`);
        if (m !== null) return m;
      }
      return null;
    }
    case 'object': {
      if (actual === null || typeof actual !== 'object') return `${path}: expected an object, got ${show(actual)}`;
      const obj = actual as Record<string, unknown>;
      for (const [key, value] of expected.entries) {
        if (!(key in obj)) return `${path}: no key '${key}' in ${show(actual)}`;
        if (value !== null) {
          const m = mismatch(plain(obj[key]), value, `${path}.${key}`);
          if (m !== null) return m;
        }
      }
      if (!expected.open) {
        const extra = Object.keys(obj).filter((k) => obj[k] !== undefined && !expected.entries.some(([e]) => e === k));
        if (extra.length > 0) return `${path}: unexpected keys ${extra.join(', ')} in ${show(actual)}`;
      }
      return null;
    }
  }
}
