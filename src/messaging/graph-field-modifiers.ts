// Graph's field modifiers: `fields=analytics.start(1700000000).end(1700086400).granularity(DAY)
// .phone_numbers(["4915…"]),name` — a field name, then `.modifier(value)` any number of times. The
// values may hold commas and brackets (`phone_numbers(["a","b"])`), so the fields list is split at
// top-level commas only. A modifier's value is kept as written; the field decides what it means
// (unixModifier, listModifier below). Anything that does not parse is Graph's 400 code 100 naming
// the field, never a 5xx.
import type { ApiError } from '../errors.ts';
import { metaError } from './errors.ts';

export interface ModifiedField {
  name: string;
  /** Modifier name → its value as written (without the parentheses). */
  mods: Map<string, string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Graph's 400 for a field whose modifiers it cannot read; `field` is the field's name. */
export function badModifier(field: string, details: string): ApiError {
  const f = field.slice(0, 64);
  return metaError(400, 100, `(#100) Invalid parameter for field ${f}`, `fields: ${f}: ${details}`);
}

/**
 * Splits `fields` at the commas that are not inside (), [], {} or a quoted string. Unbalanced
 * brackets are left for parseModifiedField to refuse (the piece keeps them).
 */
export function splitFields(s: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  let quote = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (CLOSE[c]) stack.push(CLOSE[c]!);
    else if (stack.length > 0 && c === stack[stack.length - 1]) stack.pop();
    else if (c === ',' && stack.length === 0) {
      out.push(s.slice(from, i));
      from = i + 1;
    }
  }
  out.push(s.slice(from));
  return out;
}

/** The index of the parenthesis closing the one at `open`, or -1 (quotes and nested brackets respected). */
function closing(s: string, open: number): number {
  const stack: string[] = [];
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (CLOSE[c]) stack.push(CLOSE[c]!);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** `name.mod(value).mod2(value)` → its name and modifiers; malformed → Graph's 400 naming the field. */
export function parseModifiedField(raw: string): ModifiedField {
  const s = raw.trim();
  const dot = s.search(/[.(]/);
  const name = dot === -1 ? s : s.slice(0, dot);
  if (!NAME.test(name)) throw badModifier(name || s, `"${s.slice(0, 80)}" is not a field name followed by .modifier(value) parts`);
  const mods = new Map<string, string>();
  let i = name.length;
  while (i < s.length) {
    if (s[i] !== '.') throw badModifier(name, `expected ".modifier(value)" at "${s.slice(i, i + 40)}"`);
    const open = s.indexOf('(', i);
    const mod = open === -1 ? s.slice(i + 1) : s.slice(i + 1, open);
    if (!NAME.test(mod)) throw badModifier(name, `"${mod.slice(0, 40)}" is not a modifier name (modifiers are written .name(value))`);
    if (open === -1) throw badModifier(name, `modifier ${mod} has no (value)`);
    const close = closing(s, open);
    if (close === -1) throw badModifier(name, `the value of ${mod} has unbalanced brackets or quotes`);
    if (mods.has(mod)) throw badModifier(name, `modifier ${mod} is given twice`);
    mods.set(mod, s.slice(open + 1, close));
    i = close + 1;
  }
  return { name, mods };
}

/** The latest second an analytics window may name (9999-12-31T23:59:59Z). */
const MAX_UNIX = 253_402_300_799;

/** A Unix timestamp in seconds; `required` refuses a missing one. */
export function unixModifier(f: ModifiedField, mod: string, required: true): number;
export function unixModifier(f: ModifiedField, mod: string, required: boolean): number | undefined;
export function unixModifier(f: ModifiedField, mod: string, required: boolean): number | undefined {
  const raw = f.mods.get(mod)?.trim().replace(/^["']|["']$/g, '');
  if (raw === undefined || raw === '') {
    if (required) throw badModifier(f.name, `${mod}(<unix seconds>) is required`);
    return undefined;
  }
  if (!/^\d{1,16}$/.test(raw)) throw badModifier(f.name, `${mod} must be a Unix timestamp in seconds, got "${raw.slice(0, 40)}"`);
  const n = Number(raw);
  if (n > MAX_UNIX) throw badModifier(f.name, `${mod} must be a Unix timestamp in seconds${n <= MAX_UNIX * 1000 ? ' (this looks like milliseconds)' : ''}, got ${raw}`);
  return n;
}

/**
 * A list value: `["a","b"]` (JSON, as Meta's examples write it), `[a,b]`, `a,b`, or empty (`[]`,
 * nothing): no filter. Items are strings; numbers are taken as written.
 */
export function listModifier(f: ModifiedField, mod: string): string[] | undefined {
  const raw = f.mods.get(mod)?.trim();
  if (raw === undefined) return undefined;
  let items: unknown[];
  if (raw.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(raw);
      if (!Array.isArray(v)) throw new Error();
      items = v;
    } catch {
      if (!raw.endsWith(']')) throw badModifier(f.name, `${mod} must be a list such as ["A","B"]`);
      items = raw.slice(1, -1).split(',');
    }
  } else items = raw.split(',');
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') throw badModifier(f.name, `${mod} must be a list of strings`);
    const v = String(item).trim().replace(/^["']|["']$/g, '').trim();
    if (v === '') continue;
    if (v.length > 64) throw badModifier(f.name, `${mod} has an item longer than 64 characters`);
    out.push(v);
  }
  if (out.length > 200) throw badModifier(f.name, `${mod} has more than 200 items`);
  return out.length > 0 ? out : undefined;
}

/** A list of enum values (upper-cased); an unknown one is the 400, naming the known ones. */
export function enumListModifier<T extends string>(f: ModifiedField, mod: string, known: readonly T[]): T[] | undefined {
  const list = listModifier(f, mod)?.map((v) => v.toUpperCase());
  for (const v of list ?? []) if (!(known as readonly string[]).includes(v)) throw badModifier(f.name, `${mod}: "${v.slice(0, 40)}" is not one of ${known.join(', ')}`);
  return list as T[] | undefined;
}

/** Refuses a modifier the field does not take. */
export function onlyModifiers(f: ModifiedField, known: readonly string[]): void {
  for (const m of f.mods.keys()) if (!known.includes(m)) throw badModifier(f.name, `${m} is not a modifier of ${f.name} (${known.join(', ')})`);
}
