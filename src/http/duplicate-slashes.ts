// Duplicate slashes in a request's path are merged before routing: a client whose base URL ends
// in a slash ("https://waba-v2.360dialog.io/", Chatwoot's WHATSAPP_CLOUD_BASE_URL) sends
// `POST //messages` or `POST //v21.0/{phone-number-id}/messages`, which 360dialog's front (nginx,
// merge_slashes on by default) serves as `/messages`. Merged before the Graph rewrite
// (messaging/graph-paths.ts), which reads the path's first characters; Fastify's router option
// ignoreDuplicateSlashes does the same at lookup, but only after the rewrite has seen the path.
// Only the path is touched: the query string is kept as it came, and an encoded slash (%2F) stays.
import type { IncomingMessage } from 'node:http';

/** The URL with runs of slashes in its path made one; unchanged (the same string) when there are none. */
export function mergeDuplicateSlashes(url: string): string {
  if (url.charCodeAt(0) !== 0x2f /* / */) return url; // an absolute-form target is left to the router
  // Every request and its log line come here: no string is made unless the path has a `//`.
  const double = url.indexOf('//');
  if (double === -1) return url;
  const q = url.indexOf('?');
  if (q !== -1 && double > q) return url;
  const path = q === -1 ? url : url.slice(0, q);
  return path.replace(/\/{2,}/g, '/') + (q === -1 ? '' : url.slice(q));
}

/** A rewriteUrl that merges duplicate slashes first, then hands the request to `next`. */
export function withMergedSlashes(next: (req: IncomingMessage) => string): (req: IncomingMessage) => string {
  return (req) => {
    const url = req.url ?? '/';
    const merged = mergeDuplicateSlashes(url);
    if (merged !== url) req.url = merged;
    return next(req);
  };
}
