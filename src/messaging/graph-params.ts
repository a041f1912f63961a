// Graph's parameters: Graph takes any parameter in the query string or in the body (JSON or a
// form), and clients of Meta's Cloud API do both (whatsapp-api-js puts them in the query,
// meta-cloud-api and the official Node SDK in a JSON body, Python's and PHP's clients post forms).
// Routes that mirror such Graph edges read them through here.
import type { FastifyRequest } from 'fastify';
import { fail, isObj, type Obj } from './validate/check.ts';

/**
 * The query's parameters, then the body's over them (a JSON object or a parsed form). An
 * `access_token` named by the client is dropped: the key is the header here, and a token is never
 * passed on (to Meta, for a number on its network).
 */
export function graphParams(request: FastifyRequest): Obj {
  const query = isObj(request.query) ? request.query : {};
  const body = request.body;
  if (body !== undefined && body !== null && !isObj(body)) throw fail('body', 'must be a JSON object (or the parameters in the query string)');
  // Spread, not Object.assign: an own `__proto__` key of a parsed body stays a plain key.
  const out: Obj = { ...query, ...(isObj(body) ? body : {}) };
  delete out.access_token;
  return out;
}

/**
 * A Graph boolean: JSON true/false, or the text "true"/"false" a query or form carries. "1"/"0"
 * and any letter case are taken too, as Graph does, since clients send Python's `True` or PHP's
 * `1` (our choice where Meta's docs only show true/false).
 */
export function graphBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw fail(field, `must be true or false (got ${JSON.stringify(v)?.slice(0, 50) ?? String(v)})`);
}


/** A Graph cursor of a list keyed by one text column: base64url of `<prefix>:<key>`. */
export const encodeGraphCursor = (prefix: string, key: string) => Buffer.from(`${prefix}:${key}`).toString('base64url');

/**
 * Graph's cursor paging of such a list (block_users, groups): `limit` from 1 to `max` (25 by
 * default; a larger one is taken as `max`), then `after` or `before` (never both), each a cursor the
 * list gave (encodeGraphCursor with `prefix`, its key matching `key`); the errors name the parameter.
 */
export function graphCursorPage(
  q: { limit?: string; after?: string; before?: string },
  opts: { prefix: string; key: RegExp; max: number },
): { limit: number; after?: string; before?: string } {
  let limit = 25;
  if (q.limit !== undefined) {
    if (!/^\d{1,7}$/.test(q.limit) || Number(q.limit) < 1) throw fail('limit', `must be a whole number from 1 to ${opts.max}`);
    limit = Math.min(Number(q.limit), opts.max);
  }
  if (q.after !== undefined && q.before !== undefined) throw fail('after', 'cannot be combined with before: page one way at a time');
  const decode = (v: string, field: string): string => {
    const s = /^[A-Za-z0-9_-]{1,512}$/.test(v) ? Buffer.from(v, 'base64url').toString() : '';
    const key = s.startsWith(opts.prefix + ':') ? s.slice(opts.prefix.length + 1) : '';
    if (!opts.key.test(key)) throw fail(field, 'is not a cursor this list gave (use paging.cursors.after or .before of a previous page)');
    return key;
  };
  return {
    limit,
    ...(q.after !== undefined ? { after: decode(q.after, 'after') } : {}),
    ...(q.before !== undefined ? { before: decode(q.before, 'before') } : {}),
  };
}

/** Where a page's previous or next link points: the same list, from a cursor, at a page size. */
export type GraphPageUrl = (cursor: { after?: string; before?: string }, limit: number) => string;

/**
 * Graph's `paging` of a non-empty page read with graphCursorPage: its cursors (`first`, `last`:
 * the page's first and last keys, encoded), and `previous`/`next` links where Graph gives them.
 * Going forward, a next page exists when more rows came, a previous one when the page came from a
 * cursor; going backward (`before`), the other way round.
 */
export function graphPaging(p: { first: string; last: string; more: boolean; after?: string; before?: string; limit: number; pageUrl: GraphPageUrl }) {
  const backward = p.before !== undefined;
  const hasNext = backward ? true : p.more;
  const hasPrevious = backward ? p.more : p.after !== undefined;
  return {
    cursors: { before: p.first, after: p.last },
    ...(hasPrevious ? { previous: p.pageUrl({ before: p.first }, p.limit) } : {}),
    ...(hasNext ? { next: p.pageUrl({ after: p.last }, p.limit) } : {}),
  };
}

/**
 * A Graph list parameter as clients send it: a comma-separated string (pywa's `",".join(…)`), a
 * JSON array, or the JSON text of one. Strings are split (blank items dropped) or parsed; anything
 * else is handed back as it came, for the caller's own checks. `what` names the items in the error.
 */
export function graphListParam(v: unknown, field: string, what: string): unknown {
  if (typeof v !== 'string') return v;
  if (!v.trim().startsWith('[')) return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw fail(field, `must be a comma-separated list of ${what} or a JSON array of them`);
  }
}
