// What every Hub page knows about its request: the signed-in hub user's session (checked against
// the partner in the URL), and small helpers shared by the page groups.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { badRequest } from '../../errors.ts';
import { findHubUser } from '../../services/hub-users.ts';
import { renderPage } from '../render.ts';
import { readSession, type WebSession } from '../sessions.ts';

/** What a hub session stands for. */
/**
 * The body limit of the Hub forms with a long text field (a template's components, a Flow JSON).
 * The Hub's forms are read up to 64 KiB (web/plugin.ts), but URL-encoding writes a character as up
 * to 9 bytes (%XX for each of up to 3 UTF-8 bytes; a 4-byte character counts as two): 1 MiB holds
 * any such form whose fields are within their own character limits (at most ~62,000 characters in
 * all), so a long text gets the field's own refusal on the form rather than a 413 page.
 */
export const LONG_TEXT_FORM_BODY_LIMIT = 1024 * 1024;

export interface HubSubject {
  userId: string;
  partnerId: string;
  username: string;
}

export interface HubContext {
  session: WebSession<HubSubject>;
  partnerId: string;
  username: string;
  csrf: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Hub's partner-page hook; present on every /hub/partner/{pid}/… route. */
    hub: HubContext | null;
  }
}

/** The signed-in hub user, or undefined (no cookie, expired, or the user is gone). */
export async function currentHubSession(deps: Deps, request: FastifyRequest): Promise<WebSession<HubSubject> | undefined> {
  const s = await readSession<HubSubject>(deps, request, 'hub');
  if (!s || typeof s.subject?.userId !== 'string') return undefined;
  const user = await findHubUser(deps, s.subject.userId);
  if (!user || user.partner_id !== s.subject.partnerId) return undefined;
  return s;
}

export function hubOf(request: FastifyRequest): HubContext {
  if (!request.hub) throw new Error('Hub page without a hub context');
  return request.hub;
}

export function partnerPath(partnerId: string, rest = ''): string {
  return `/hub/partner/${encodeURIComponent(partnerId)}${rest}`;
}

/** Renders a Hub page with the navigation of the signed-in partner. */
export function hubPage(reply: FastifyReply, request: FastifyRequest, view: string, data: { title: string; nav?: string; [key: string]: unknown }, status = 200) {
  const hub = hubOf(request);
  return renderPage(reply, view, { scripts: ['/assets/hub.js'], ...data, partnerId: hub.partnerId, csrf: hub.csrf, username: hub.username, base: partnerPath(hub.partnerId) }, status);
}

/**
 * A form's address opened with GET (a reload of the 400 or 404 page its POST answered, a copied
 * URL) leads to the page the form is on, instead of a 404. (Successful POSTs answer 303 to a GET
 * page themselves: post/redirect/get.)
 */
export function formAddress(app: FastifyInstance, path: string, page: (request: FastifyRequest) => string): void {
  app.get(path, { schema: { hide: true } }, async (request, reply) => reply.redirect(page(request), 303));
}

/** One text field of a form (or query): a single string, bounded, without NUL characters. */
export function field(source: unknown, name: string, max = 2048): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const v = (source as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be given once, as text`);
  if (v.length > max) throw badRequest(`${name} is too long (at most ${max} characters)`);
  if (v.includes('\u0000')) throw badRequest(`${name} must not contain NUL characters`);
  return v;
}

/** Stored ISO time → "2026-01-01 12:00:00 UTC" (or an empty string). */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** Links of a list page: previous / next pages with the same filters. */
export function pager(path: string, params: Record<string, string | undefined>, env: { limit: number; offset: number; total: number; count: number }) {
  const href = (offset: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    q.set('limit', String(env.limit));
    q.set('offset', String(offset));
    return `${path}?${q.toString()}`;
  };
  // Past the end (an old link, a hand-written offset): nothing shown, and "previous" is the last page.
  const lastPage = Math.max(0, Math.floor((env.total - 1) / env.limit) * env.limit);
  return {
    from: env.count === 0 ? 0 : env.offset + 1,
    to: env.count === 0 ? 0 : env.offset + env.count,
    total: env.total,
    prev: env.offset > 0 ? href(env.count === 0 && env.offset > lastPage ? lastPage : Math.max(0, env.offset - env.limit)) : null,
    next: env.offset + env.count < env.total ? href(env.offset + env.limit) : null,
  };
}

/** Page sizes offered on list pages; a hand-written limit must still pass the list engine. */
export const PAGE_SIZES = ['10', '25', '50', '100'];

/**
 * A Hub list page's form, read from its query: each of `fields` (trimmed, at most `max`
 * characters), then sort and paging. `query` is what the list services take (`filters` holds the
 * fields that are set, under their filter names); `keep` is what the pager carries to the next page.
 */
export function listForm<K extends string>(source: unknown, fields: Record<K, { max: number; filter: string }>, defaultSort = '-created_at') {
  const values = {} as Record<K, string>;
  const filters: Record<string, string> = {};
  for (const name of Object.keys(fields) as K[]) {
    const v = field(source, name, fields[name].max)?.trim() ?? '';
    values[name] = v;
    if (v) filters[fields[name].filter] = v;
  }
  const sort = field(source, 'sort', 100) ?? defaultSort;
  const form = { ...values, sort, limit: field(source, 'limit', 10) || '25', offset: field(source, 'offset', 20) || '0' };
  return {
    form,
    query: { limit: form.limit, offset: form.offset, sort, filters: JSON.stringify(filters) },
    keep: { ...values, sort } as Record<string, string>,
  };
}
