// One implementation of the Partner API's list conventions: `limit`, `offset`, `sort`
// (`field` / `-field`, comma-separated) and `filters` (a JSON object of dotted paths to values,
// matched by equality; Python-style single quotes tolerated), and the list envelope.
import { sql, type SelectQueryBuilder } from 'kysely';
import { badRequest } from '../errors.ts';

/** `number` fields are integer columns; `time` fields ISO timestamps as stored (with milliseconds). */
export type FieldType = 'string' | 'number' | 'boolean' | 'time';

export interface ListField {
  /**
   * Qualified column, e.g. `channels.status`; null for a field the objects always show as null
   * (a channel's `project`, which openwaba has no notion of): filtering on it by null matches
   * every row and by a value none, sorting on it changes nothing, as on the real platform.
   */
  column: string | null;
  type: FieldType;
  /** false: may be filtered but not sorted on. */
  sortable?: boolean;
}

export interface ListSpec {
  /** Name of the collection in the envelope: `clients`, `partner_channels`, … */
  collection: string;
  fields: Record<string, ListField>;
  /** Column that makes any order total (for stable paging). */
  tieBreaker: string;
  defaultSort: string[];
  defaultLimit: number;
  maxLimit: number;
  /** Columns searched (case-insensitive substring) by the free-text filter `q`, if supported. */
  search?: string[];
}

export interface ListQueryInput {
  limit?: string | number;
  offset?: string | number;
  sort?: string;
  filters?: string;
}

export type FilterValue = string | number | boolean | null;

export interface ParsedList {
  limit: number;
  offset: number;
  sort: string[];
  filters: Record<string, FilterValue>;
}

export interface ListEnvelope {
  count: number;
  total: number;
  limit: number;
  offset: number;
  sort: string[];
  filters: Record<string, FilterValue>;
}

function parseInteger(name: string, raw: string | number | undefined, def: number): number {
  if (raw === undefined || raw === '') return def;
  const s = String(raw).trim();
  if (!/^\d+$/.test(s)) throw badRequest(`${name} must be a non-negative integer, got "${String(raw)}"`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw badRequest(`${name} is too large: ${s}`);
  return n;
}

/**
 * Turns a Python-repr-ish object (`{'id': 'x', 'ok': True}`) into JSON. Strings in single quotes
 * become JSON strings; True/False/None become true/false/null. Text in double quotes is kept.
 */
export function pythonishToJson(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const quote = ch;
      let value = '';
      i++;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === '\\' && i + 1 < text.length) {
          const next = text[i + 1]!;
          value += next === quote ? next : '\\' + next;
          i += 2;
          continue;
        }
        value += text[i];
        i++;
      }
      if (i >= text.length) throw new SyntaxError('unterminated string');
      i++;
      // Re-read escapes of the original string as JSON would, then re-encode.
      let decoded: string;
      try {
        decoded = JSON.parse(`"${value.replace(/"/g, '\\"')}"`) as string;
      } catch {
        decoded = value;
      }
      out += JSON.stringify(decoded);
      continue;
    }
    const word = /^(True|False|None)\b/.exec(text.slice(i));
    if (word) {
      out += word[1] === 'True' ? 'true' : word[1] === 'False' ? 'false' : 'null';
      i += word[1]!.length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

export function parseFilters(raw: string | undefined, spec: ListSpec): Record<string, FilterValue> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    try {
      parsed = JSON.parse(pythonishToJson(raw));
    } catch {
      throw badRequest(`filters must be a JSON object such as {"id":"…"}; could not parse: ${raw.slice(0, 200)}`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('filters must be a JSON object of field paths to values');
  }
  const out: Record<string, FilterValue> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === 'q' && spec.search) {
      if (typeof value !== 'string') throw badRequest('filters.q must be a string');
      out.q = noNul('q', value);
      continue;
    }
    // Own properties only: `constructor`, `__proto__`, `toString` are not fields.
    const field = Object.hasOwn(spec.fields, key) ? spec.fields[key] : undefined;
    if (!field) {
      throw badRequest(`Unknown filter field "${key}". Allowed: ${[...Object.keys(spec.fields), ...(spec.search ? ['q'] : [])].join(', ')}`);
    }
    out[key] = coerce(key, value, field.type);
  }
  return out;
}

// Number fields are `integer` columns (32-bit on PostgreSQL, which refuses to compare them with
// 1.5 or 1e20 rather than finding nothing), and PostgreSQL text cannot hold NUL: both would be
// a 500 there, so they are a 400 here on both databases.
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function noNul(key: string, value: string): string {
  if (value.includes('\u0000')) throw badRequest(`filters.${key} must not contain NUL characters`);
  return value;
}

function coerce(key: string, value: unknown, type: FieldType): FilterValue {
  if (value === null) return null;
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw badRequest(`filters.${key} must be true or false`);
  }
  if (type === 'time') {
    if (typeof value !== 'string') throw badRequest(`filters.${key} must be a timestamp such as "2026-12-06T05:54:19Z" or a date such as "2026-12-06"`);
    timeRange(key, value);
    return value;
  }
  if (type === 'number') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(n) && n >= INT_MIN && n <= INT_MAX) return n;
    throw badRequest(`filters.${key} must be a number: an integer between ${INT_MIN} and ${INT_MAX}`);
  }
  if (typeof value === 'string') return noNul(key, value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badRequest(`filters.${key} must be a string, number, boolean or null`);
}

export function parseSort(raw: string | undefined, spec: ListSpec): string[] {
  if (raw === undefined) return [...spec.defaultSort];
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '-');
  if (parts.length === 0) return [...spec.defaultSort];
  for (const p of parts) {
    const name = p.startsWith('-') || p.startsWith('+') ? p.slice(1) : p;
    const field = Object.hasOwn(spec.fields, name) ? spec.fields[name] : undefined;
    if (!field || field.sortable === false) {
      const allowed = Object.entries(spec.fields).filter(([, f]) => f.sortable !== false).map(([k]) => k);
      throw badRequest(`Unknown sort field "${name}". Allowed: ${allowed.join(', ')}`);
    }
  }
  return parts.map((p) => (p.startsWith('+') ? p.slice(1) : p));
}

export function parseListQuery(q: ListQueryInput, spec: ListSpec): ParsedList {
  const limit = parseInteger('limit', q.limit, spec.defaultLimit);
  if (limit < 1) throw badRequest('limit must be at least 1');
  return {
    // Above the maximum we serve the maximum rather than fail: clients that ask for "everything"
    // with a big number still work, and the envelope tells them the limit applied.
    limit: Math.min(limit, spec.maxLimit),
    offset: parseInteger('offset', q.offset, 0),
    sort: parseSort(q.sort, spec),
    filters: parseFilters(q.filters, spec),
  };
}

const BOOL_AS_INT = (v: boolean) => (v ? 1 : 0);

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A time filter matches the instant written, to the precision written: the API shows times to
 * the second ("2026-12-06T05:54:19Z") while rows keep milliseconds, so equality with the stored
 * text would never match the value a client read. A date matches that whole (UTC) day, a time
 * without seconds that minute, with seconds that second, with a fraction that millisecond; no
 * zone means UTC.
 *
 * A fraction of zeros only (".000Z", ".0Z", ".000000Z") is that whole second: it is what a client
 * writes for a time it read from the API when its language formats every time with a fraction
 * (JavaScript's toISOString, Python's isoformat(timespec="milliseconds"), Java with millis), and
 * 360dialog stores seconds, so there "2026-12-01T10:00:00.000Z" equals the row shown as
 * "2026-12-01T10:00:00Z". A non-zero fraction names an instant inside a second: that millisecond.
 * (Range filters, `created_after`/`created_before` of the webhook event list, compare instants
 * and need no such rule: ".000Z" and "Z" are the same bound there.)
 */
function timeRange(key: string, value: string): { from: string; to: string } {
  const m = TIME.exec(value.trim());
  const bad = () => badRequest(`filters.${key} must be a timestamp such as "2026-12-06T05:54:19Z" or a date such as "2026-12-06", got "${value.slice(0, 40)}"`);
  if (!m) throw bad();
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const start = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0);
  // Date.UTC rolls over out-of-range parts (month 13, second 61): refuse them instead.
  const check = new Date(start);
  if (Number.isNaN(start) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59))) throw bad();
  let offsetMs = 0;
  if (zone && zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    offsetMs = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  }
  const span = frac && /[1-9]/.test(frac) ? 1 : s !== undefined ? 1_000 : h !== undefined ? 60_000 : 86_400_000;
  const at = start - offsetMs;
  return { from: new Date(at).toISOString(), to: new Date(at + span).toISOString() };
}

/** Adds the WHERE clauses of the parsed filters. */
export function applyFilters<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  parsed: ParsedList,
  spec: ListSpec,
): SelectQueryBuilder<DB, TB, O> {
  let out = qb;
  for (const [key, value] of Object.entries(parsed.filters)) {
    if (key === 'q' && spec.search) {
      const needle = `%${String(value).toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      const cols = spec.search;
      out = out.where(({ or }) =>
        or(cols.map((c) => sql<boolean>`lower(${sql.ref(c)}) like ${needle} escape '\\'`)),
      ) as typeof out;
      continue;
    }
    const field = spec.fields[key]!;
    if (field.column === null) {
      if (value !== null) out = out.where(sql<boolean>`1 = 0`) as typeof out;
      continue;
    }
    if (value === null) {
      out = out.where(sql<boolean>`${sql.ref(field.column)} is null`) as typeof out;
    } else if (field.type === 'time') {
      const { from, to } = timeRange(key, String(value));
      out = out.where(sql<boolean>`${sql.ref(field.column)} >= ${from} and ${sql.ref(field.column)} < ${to}`) as typeof out;
    } else {
      const v = typeof value === 'boolean' ? BOOL_AS_INT(value) : value;
      out = out.where(sql<boolean>`${sql.ref(field.column)} = ${v}`) as typeof out;
    }
  }
  return out;
}

/** Adds ORDER BY for the parsed sort, ending with the tie-breaker, and LIMIT/OFFSET. */
export function applyOrderAndPage<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  parsed: ParsedList,
  spec: ListSpec,
): SelectQueryBuilder<DB, TB, O> {
  let out = qb;
  let tieUsed = false;
  let lastDesc = false;
  for (const s of parsed.sort) {
    const desc = s.startsWith('-');
    const field = spec.fields[desc ? s.slice(1) : s]!;
    if (field.column === null) continue;
    if (field.column === spec.tieBreaker) tieUsed = true;
    lastDesc = desc;
    out = out.orderBy(sql.ref(field.column), desc ? 'desc' : 'asc') as typeof out;
  }
  // The tie-breaker follows the direction of the last key, so that an index ending in
  // (…, key, id) serves the whole order read forwards or backwards.
  if (!tieUsed) out = out.orderBy(sql.ref(spec.tieBreaker), lastDesc ? 'desc' : 'asc') as typeof out;
  return out.limit(parsed.limit).offset(parsed.offset) as typeof out;
}

export function envelope(parsed: ParsedList, total: number, count: number): ListEnvelope {
  return { count, total, limit: parsed.limit, offset: parsed.offset, sort: parsed.sort, filters: parsed.filters };
}

/**
 * The two queries of one list — a page of rows and the total — from a base query that already
 * names the tables and the tenant. Built, not run: runList runs them, tests read their plans.
 */
export function listQueries<DB, TB extends keyof DB, O, Row>(
  base: SelectQueryBuilder<DB, TB, O>,
  query: ListQueryInput,
  spec: ListSpec,
  selectRows: (filtered: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, Row>,
) {
  const parsed = parseListQuery(query, spec);
  const filtered = applyFilters(base, parsed, spec);
  return {
    parsed,
    rows: applyOrderAndPage(selectRows(filtered), parsed, spec),
    total: filtered.select((eb) => eb.fn.countAll<number>().as('n')),
  };
}

/** Runs both queries of a list; the envelope and the rows of this page. */
export async function runList<Row>(q: {
  parsed: ParsedList;
  rows: { execute(): Promise<Row[]> };
  total: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> };
}): Promise<{ envelope: ListEnvelope; rows: Row[] }> {
  const [rows, totalRow] = await Promise.all([q.rows.execute(), q.total.executeTakeFirstOrThrow()]);
  return { envelope: envelope(q.parsed, Number(totalRow.n), rows.length), rows };
}
