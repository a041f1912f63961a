// 360dialog's `/marketing/*` paths, and `/v1/health_status`, served by the root routes.
//
// 360dialog documents the Marketing Messages endpoints under /marketing/ as well
// (docs.360dialog.com/docs/messaging-api/api-reference/marketing-messages; the PHP SDK
// xiaoguo0426/whatsapp-360-dialog-sdk MarketingApi calls them there). Each is the root route's:
//
//   POST     /marketing/marketing_messages      → /marketing_messages
//   GET|POST /marketing/dataset                 → /dataset
//   GET|POST /marketing/{waba-id}/dataset       → /{waba-id}/dataset (graph-paths.ts: /dataset, the id checked against the key's WABA)
//   POST     /marketing/{dataset-id}/events     → /dataset/{dataset-id}/events
//   GET      /marketing/message_templates       → /message_templates
//   GET      /marketing/{template-id}           → /message_templates/{template-id}
//   GET      /marketing/template_analytics      → /template_analytics
//
// POST /marketing/template_analytics?enable=true (turning analytics on: always on here) and GET
// /marketing/reachestimate, /marketing/dataset_quality and /marketing/{ad-object-id}/insights
// (Meta's Marketing API: openwaba has no ads, so a 400 that says so) are routes of their own
// (routes/marketing.ts). Any
// other /marketing/ path is not rewritten and answers the Cloud API's 404 (errors.ts CLOUD_PREFIXES).
//
// GET /v1/health_status → /health_status: an Odoo module (Rayner1812/odoo-whatsapp-api-18) calls
// the Cloud health status with the On-Premise prefix.
//
// Called by rewriteGraphUrl (graph-paths.ts) before routing, so validation, metrics and errors are
// the root routes' own.
import { graphToRoot, type GraphPath } from './graph-paths.ts';

/** /v1/health_status (a trailing slash allowed), its query kept in group 1. */
const HEALTH_STATUS = /^\/v1\/health_status\/?(\?.*)?$/s;
/** Root edges served as /marketing/{edge}. */
const ROOT_EDGES = new Set(['marketing_messages', 'dataset', 'message_templates', 'template_analytics']);
/** Names under /marketing/ that are not template ids (routes/marketing.ts). */
const OWN_ROUTES = new Set(['reachestimate', 'dataset_quality']);

/** The root path an alias stands for (with the Graph node to check, for /{waba-id}/dataset), or undefined. */
export function marketingAliasToRoot(url: string, method: string): { url: string; graph?: GraphPath } | undefined {
  if (url.charCodeAt(1) === 0x76 /* v */) {
    const m = HEALTH_STATUS.exec(url);
    return m ? { url: `/health_status${m[1] ?? ''}` } : undefined;
  }
  if (!url.startsWith('/marketing/')) return undefined;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  const segs = path.slice('/marketing/'.length).split('/');
  if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop(); // a trailing slash
  const [first, second, ...rest] = segs;
  if (first === undefined || first === '' || rest.length > 0) return undefined;
  if (second === undefined) {
    // POST /marketing/template_analytics (turning analytics on) has no root route: routes/marketing.ts.
    if (first === 'template_analytics' && method !== 'GET') return undefined;
    if (ROOT_EDGES.has(first)) return { url: `/${first}${query}` };
    if (OWN_ROUTES.has(first) || method !== 'GET') return undefined;
    return { url: `/message_templates/${first}${query}` };
  }
  if (second === 'events' && method === 'POST') return { url: `/dataset/${first}/events${query}` };
  if (second === 'dataset') {
    const hit = graphToRoot(`/${first}/dataset${query}`, method);
    return hit ? { url: hit.url, graph: hit.graph } : undefined;
  }
  return undefined;
}
