// Graph's paging.next / paging.previous for the Messaging API's lists.
//
// Meta's page links are the URL the caller used: the version prefix and the node id kept
// (`/v21.0/<waba-id>/message_templates`), every query parameter the caller sent kept (access_token
// included when it came as a parameter, fields, filters, summary, …), and only the cursor
// (`after`/`before`) replaced, with `limit` set to the page size. A client that follows `next` as
// it is, with no header (older Chatwoot's HTTParty.get(next_url), Weni's params={access_token}),
// then gets the next page. A Graph path is rewritten before routing (graph-paths.ts), so the path
// comes from the request's originalUrl, not from its routed url. A root path (360dialog's own
// `/message_templates`) links to itself the same way.
import type { FastifyRequest } from 'fastify';
import { isObj } from './validate/check.ts';

/** The caller's URL with these parameters set (an undefined or empty one left as the caller had it). */
export type CallerPageUrl = (set: Record<string, string | undefined>) => string;

/** The origin the links of a route built on the request's Host use. */
export const requestOrigin = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

/**
 * The page links of this request: `origin` (the public URL, or requestOrigin) + the path as the
 * caller sent it + the caller's query without its cursor, and the parameters given set.
 */
export function callerPageUrl(request: FastifyRequest, origin: string): CallerPageUrl {
  const raw = request.originalUrl;
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const kept = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  kept.delete('after');
  kept.delete('before');
  return (set) => {
    const p = new URLSearchParams(kept);
    for (const [k, v] of Object.entries(set)) if (v !== undefined && v !== '') p.set(k, v);
    const s = p.toString();
    return `${origin}${path}${s ? `?${s}` : ''}`;
  };
}

/**
 * One of Meta's paging URLs (a number on Meta's network: `https://graph.facebook.com/v23.0/<waba>/
 * message_templates?limit=25&after=…`) as the caller's: Meta's parameters (its cursor, limit and
 * the filters it was asked with) set on the caller's URL, Meta's access_token and appsecret_proof
 * (present when a token went as a parameter) dropped. Undefined when Meta's value is no URL.
 */
export function callerUrlOfMeta(metaUrl: unknown, pageUrl: CallerPageUrl): string | undefined {
  if (typeof metaUrl !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(metaUrl);
  } catch {
    return undefined;
  }
  url.searchParams.delete('access_token');
  url.searchParams.delete('appsecret_proof');
  return pageUrl(Object.fromEntries(url.searchParams));
}

/** A page of Meta's with its paging URLs (next, previous) as the caller's (callerUrlOfMeta); one that is no URL is dropped. */
export function withCallerPaging<T extends Record<string, unknown>>(page: T, pageUrl: CallerPageUrl): T {
  if (!isObj(page.paging)) return page;
  const paging: Record<string, unknown> = { ...page.paging };
  for (const k of ['next', 'previous'] as const) {
    if (paging[k] === undefined) continue;
    const url = callerUrlOfMeta(paging[k], pageUrl);
    if (url) paging[k] = url;
    else delete paging[k];
  }
  return { ...page, paging };
}
