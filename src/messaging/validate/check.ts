// Small checks that name the offending field in Meta's words: every violation is a 400 with
// Meta's code 100 ("Invalid parameter") or 131009 ("Parameter value is not valid") and details
// that say which field and which rule.
import { jsonNestsDeeperThan } from '../../http/json-depth.ts';
import { metaError } from '../errors.ts';

/** The nesting a JSON text in a form field may have: app.ts's MAX_JSON_DEPTH for JSON bodies. */
const MAX_FIELD_JSON_DEPTH = 64;

export type Obj = Record<string, unknown>;

// String.prototype.isWellFormed is ES2024; this is the same test for Node 20's lib.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const fail = (field: string, rule: string) => metaError(400, 100, 'Invalid parameter', `${field}: ${rule}`);
export const badValue = (field: string, rule: string) => metaError(400, 131009, 'Parameter value is not valid', `${field}: ${rule}`);

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, field: string): Obj {
  if (v === undefined) throw fail(field, 'is required');
  if (!isObj(v)) throw fail(field, 'must be an object');
  return v;
}

/**
 * An object or array parameter, also taken as its JSON text. Meta's Graph API decodes a structured
 * parameter sent as a JSON string, and real clients rely on it: whatsapp-api-js sends `contacts`
 * so (its Contacts.toJSON), Chatwoot an interactive message's `action` (JSON.generate of the hash,
 * to Meta and to 360dialog alike; Meta delivers and checks it as the object: chatwoot/chatwoot#8288).
 * The decoded value is what gets checked and stored; a string that is no JSON stays as it is, for the
 * caller's check to refuse ("must be an object" / "must be an array"). Both flavours take it: the
 * same clients send it to either.
 */
export function fromJsonText(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  // As deep as a JSON body may be (app.ts): deeper text stays text, and is then refused as not an
  // object or array (a form field's JSON is not checked by the body parser's depth limit).
  if (jsonNestsDeeperThan(v, MAX_FIELD_JSON_DEPTH)) return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

export function optObj(v: unknown, field: string): Obj | undefined {
  return v === undefined ? undefined : obj(v, field);
}

export function str(v: unknown, field: string, opts: { max?: number; min?: number } = {}): string {
  if (v === undefined || v === null) throw fail(field, 'is required');
  if (typeof v !== 'string') throw fail(field, 'must be a string');
  if (LONE_SURROGATE.test(v)) throw fail(field, 'must be valid Unicode text (it contains a lone surrogate)');
  // PostgreSQL cannot store NUL in text or jsonb and SQLite would: refused on both, so that a
  // send does not depend on the database behind it.
  if (v.includes('\0')) throw fail(field, 'must not contain NUL characters');
  const min = opts.min ?? 1;
  const len = [...v].length;
  if (len < min) throw fail(field, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (opts.max !== undefined && len > opts.max) throw fail(field, `must be at most ${opts.max} characters (got ${len})`);
  return v;
}

export function optStr(v: unknown, field: string, opts: { max?: number; min?: number } = {}): string | undefined {
  return v === undefined ? undefined : str(v, field, opts);
}

export function bool(v: unknown, field: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw fail(field, 'must be true or false');
  return v;
}

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

export function num(v: unknown, field: string, opts: { min?: number; max?: number } = {}): number {
  if (v === undefined || v === null) throw fail(field, 'is required');
  // A string (form bodies, clients that quote numbers) must be written in decimal: Number() would
  // also read "0x10", "0b1" and "Infinity", which no client means as a number here.
  const n = typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw fail(field, 'must be a number');
  if (opts.min !== undefined && n < opts.min) throw fail(field, `must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw fail(field, `must be at most ${opts.max}`);
  return n;
}

export function arr(v: unknown, field: string, opts: { min?: number; max?: number } = {}): unknown[] {
  if (v === undefined) throw fail(field, 'is required');
  if (!Array.isArray(v)) throw fail(field, 'must be an array');
  if (opts.min !== undefined && v.length < opts.min) throw fail(field, `must have at least ${opts.min} item${opts.min === 1 ? '' : 's'}`);
  if (opts.max !== undefined && v.length > opts.max) throw fail(field, `must have at most ${opts.max} item${opts.max === 1 ? '' : 's'} (got ${v.length})`);
  return v;
}

export function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  const s = str(v, field);
  if (!allowed.includes(s as T)) throw fail(field, `must be one of ${allowed.join(', ')} (got "${s.slice(0, 50)}")`);
  return s as T;
}

/** Rejects keys that are not in `allowed` — catches typos such as `bodyy`. */
export function onlyKeys(o: Obj, field: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw fail(`${field}.${k}`, `is not a known field (allowed: ${allowed.join(', ')})`);
  }
}

/** WhatsApp ids and phone numbers: digits (a leading + and separators are tolerated). */
export function recipient(v: unknown, field = 'to'): string {
  const s = str(v, field, { max: 32 });
  const digits = s.replace(/[\s()+.-]/g, '');
  if (!/^\d{6,15}$/.test(digits)) throw badValue(field, `must be a phone number or WhatsApp id of 6 to 15 digits (got "${s}")`);
  return digits;
}

/** An absolute http(s) URL with a host (Meta fetches media links and opens CTA URLs). */
export function httpUrl(v: unknown, field: string, opts: { max?: number } = {}): string {
  const s = str(v, field, { max: opts.max ?? 2048 });
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw badValue(field, 'must be an absolute http(s) URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw badValue(field, `must be an http(s) URL (got ${u.protocol.replace(/:$/, '')})`);
  if (!u.hostname) throw badValue(field, 'must name a host');
  return s;
}

/** A string, or a number given where Meta also takes one (template button `index`). */
export function intLike(v: unknown, field: string, opts: { min: number; max: number }): number {
  if (v === undefined || v === null) throw fail(field, 'is required');
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw fail(field, 'must be a whole number');
  if (n < opts.min || n > opts.max) throw fail(field, `must be between ${opts.min} and ${opts.max} (got ${n})`);
  return n;
}

/** Remembers values and throws when one repeats: button ids, row ids, template button indexes. */
export class Unique {
  private readonly seen = new Map<string, string>();
  constructor(private readonly what: string) {}
  add(value: string, field: string): void {
    const first = this.seen.get(value);
    if (first !== undefined) throw badValue(field, `${this.what} "${value.slice(0, 50)}" is already used by ${first}; it must be unique`);
    this.seen.set(value, field);
  }
}

/** A webhook configuration body `{url, headers?}` (POST /v1/configs/webhook, /waba_webhook): an object with `url` and no other field than `headers`; their values are the caller's to check. */
export function webhookConfigBody(body: unknown): { url: unknown; headers: unknown } {
  if (!isObj(body)) throw fail('body', 'must be a JSON object such as {"url":"https://example.com/webhook"}');
  if (!('url' in body)) throw fail('url', 'is required');
  for (const k of Object.keys(body)) if (k !== 'url' && k !== 'headers') throw fail(k, 'is not a known field (allowed: url, headers)');
  return { url: body.url, headers: body.headers };
}
