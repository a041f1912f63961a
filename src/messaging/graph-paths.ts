// Meta's Graph paths for the Cloud API, served by the same routes as 360dialog's.
//
// 360dialog's Cloud API is Meta's with the version and the `/{PHONE_NUMBER_ID}` prefix removed:
// the key names the number (reference §4: `POST /v19.0/{pnid}/messages` → `POST /messages`).
// Clients written for Meta (the Java whatsapp-business-java-api, pywa, heyoo, Meta's own Node
// SDK) build those Graph paths themselves and take only a base URL and a token. openwaba also
// answers the Graph paths, so such a client works by pointing its base URL at openwaba and using
// a channel's D360-API-KEY as its token (sent as `Authorization: Bearer …`, as they send it):
//
//   /{version}/{phone-number-id}/messages | media | whatsapp_business_profile
//                                | whatsapp_business_encryption | marketing_messages | block_users
//                                | message_qrdls | whatsapp_commerce_settings | register | deregister
//                                | request_code | verify_code | conversational_automation
//                                | business_compliance_info | groups
//   /{version}/{waba-id}/message_templates | phone_numbers | flows | subscribed_apps
//                        | migrate_message_templates | message_template_previews | template_analytics
//                        | upsert_message_templates | migrate_flows | product_catalogs | assigned_users
//                        | payment_configurations | payment_configuration | generate_payment_configuration_oauth_link
//                        | dataset   (Conversions API for Business Messaging: routes/conversion-events.ts)
//   /{version}/{dataset-id}/events              (POST: conversion events, /dataset/{id}/events; GET: Message History)
//   /{version}/{template-id}/unpause | compare  (/message_templates/{template-id}/…)
//   /{version}/{flow-id}/assets | publish | deprecate   (/flows/{flow-id}/…)
//   /{version}/{media-id}                       (GET, DELETE)
//   /{version}/{template-id}                    (POST: Meta's template edit; /message_templates/{id})
//   /{version}/{flow-id}                        (GET, POST, DELETE: the flow node)
//   /{version}/{group-id}[/invite_link | participants | join_requests]   (/groups/{group-id}/…: routes/groups.ts)
//   /{version}/message_template_library         (GET: Graph's root edge; the generic rewrite below)
//   /{version}/{app-id}/uploads, /{version}/upload:{session}   (Resumable Upload API; also /upload:{session})
//   /{version}/{app-id}/subscriptions           (the app's webhook subscription: routes/app-subscriptions.ts)
//   /{version}/oauth/access_token               (an app token for pywa's start-up: routes/graph-app-token.ts)
//
// The bare node `/{version}/{id}` names a media object, the key's phone number, a template (POST)
// or a flow: the rewrite cannot tell them apart without a lookup, so it keeps its media and
// template targets and the handlers decide after authentication (a flow of the key's WABA wins:
// routes/flows-node.ts flowNode; then the phone number node; then media or the template).
//
// The version (`v21.0`; Graph's are always `v<major>.<minor>`, which no openwaba path starts with)
// may be left out, as Graph allows; a Graph path without it must then start with a numeric id,
// so that no path of openwaba's own (`/messages/{id}`, `/sandbox/v1/…`) is read as one. The id in
// the path must be the key's own number (its phone number id, or its openwaba channel id) or, for
// message_templates and phone_numbers, its WABA (its Meta id, openwaba's, or for a number on
// Meta's network the WABA id it was attached with): anything else answers as Graph answers
// an object the token cannot see, 400 GraphMethodException code 100 subcode 33, and nothing is
// done. On a Graph path every error is in Graph's body, the key's own included (code 190 for a
// missing or wrong token, as Graph answers an unusable access token).
//
// The URL is rewritten before routing (Fastify's rewriteUrl), so the routes, their validation,
// their metrics labels and their tests are the root paths' own; what the rewrite saw is kept on
// the raw request for the check after authentication.
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import type { ChannelRow } from '../services/channels.ts';
import { fbtrace, type MetaErrorInfo } from './errors.ts';
import { graphNodeNotFound } from './media/not-found.ts';
import { marketingAliasToRoot } from './marketing-paths.ts';

/** Edges of a phone number node that openwaba serves at the root. */
const PHONE_EDGES = new Set([
  'messages',
  'media',
  'whatsapp_business_profile',
  'whatsapp_business_encryption',
  'marketing_messages',
  'block_users',
  'message_qrdls',
  'whatsapp_commerce_settings',
  'register',
  'deregister',
  'request_code',
  'verify_code',
  'conversational_automation',
  'business_compliance_info',
  'groups',
  // The Calling API (routes/calling.ts).
  'settings',
  'calls',
  'call_permissions',
  'message_history', // routes/message-history.ts
  'smb_app_data', // Coexistence (routes/coexistence.ts)
  'payments', // the payment lookup (payments/routes.ts)
  'official_business_account', // the OBA request (routes/official-business-account.ts)
]);
/** Edges of a WABA node that openwaba serves at the root. */
const WABA_EDGES = new Set(['message_templates', 'phone_numbers', 'flows', 'subscribed_apps', 'migrate_message_templates', 'message_template_previews', 'template_analytics', 'upsert_message_templates', 'migrate_flows', 'product_catalogs', 'assigned_users', 'payment_configurations', 'payment_configuration', 'generate_payment_configuration_oauth_link', 'dataset']);
/** Edges of a template node, served at /message_templates/{template-id}/…; the route looks the template up in the key's WABA. */
const TEMPLATE_EDGES = new Set(['unpause', 'compare']);
/** Edges of a flow node, served at /flows/{flow-id}/…; the flow is looked up in the key's WABA by the route. */
const FLOW_EDGES = new Set(['assets', 'publish', 'deprecate']);

const VERSION = /^v\d{1,3}\.\d{1,3}$/;
/** A group id of Meta's Groups API (messaging/groups.ts GROUP_ID). */
const GROUP_NODE = /^Y2FwaV9ncm91cDo[A-Za-z0-9_-]{1,200}$/;
/** A Graph node id: digits only. */
export const NUMERIC = /^\d{1,32}$/;

export interface GraphPath {
  /** The node the path named: a phone number or WABA id for an edge; the media id otherwise. */
  node: string;
  /** Whose node it must be: the key's number, the key's WABA, or (media) whatever the route checks. */
  owner: 'phone' | 'waba' | 'none';
}

const GRAPH = Symbol('openwaba.graphPath');
type Marked = IncomingMessage & { [GRAPH]?: GraphPath };

/**
 * The root path a Graph path stands for, or undefined when the path is not a Graph path. Only the
 * path is looked at; the query string is kept as it is.
 */
export function graphToRoot(url: string, method = 'GET'): { url: string; graph: GraphPath } | undefined {
  // Cheap refusals first: this runs for every request.
  const c = url.charCodeAt(1);
  const versioned = c === 0x76; /* v */
  if (!versioned && !(c >= 0x30 && c <= 0x39)) return undefined;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  const segs = path.split('/').slice(1);
  if (versioned) {
    if (!VERSION.test(segs[0]!)) return undefined;
    segs.shift();
  }
  if (segs.length > 0 && segs[segs.length - 1] === '') segs.pop(); // a trailing slash
  const [node, edge, ...rest] = segs;
  if (node === undefined || node === '') return undefined;
  if (edge !== undefined && (PHONE_EDGES.has(edge) || WABA_EDGES.has(edge))) {
    if (!versioned && !NUMERIC.test(node)) return undefined;
    return { url: '/' + [edge, ...rest].join('/') + query, graph: { node: decodeSegment(node), owner: PHONE_EDGES.has(edge) ? 'phone' : 'waba' } };
  }
  // Meta's Resumable Upload API (routes/resumable-upload.ts): /{app-id}/uploads takes any app id
  // (the key names the channel), /upload:{session} is served at /uploads/{session}.
  if (edge === 'uploads' && rest.length === 0 && (versioned || NUMERIC.test(node))) return { url: '/uploads' + query, graph: { node: decodeSegment(node), owner: 'none' } };
  // The app's webhook subscription (routes/app-subscriptions.ts): /{app-id}/subscriptions, any
  // numeric app id as for uploads (openwaba has no Meta app for sandbox numbers: the key names the channel).
  if (edge === 'subscriptions' && rest.length === 0 && NUMERIC.test(node)) return { url: '/subscriptions' + query, graph: { node, owner: 'none' } };
  if (versioned && edge === undefined && UPLOAD_SESSION.test(node)) return { url: uploadSessionUrl(node) + query, graph: { node: decodeSegment(node), owner: 'none' } };
  // A group node (Meta's Groups API): its id is recognisable (base64 of `capi_group:…`, never a
  // media, flow or template id), so it goes to routes/groups.ts directly, not to the bare-node
  // dispatch (graph-node.ts); the route checks that the group is the key's number's own.
  if (versioned && GROUP_NODE.test(node)) return { url: `/groups/${[node, ...segs.slice(1)].join('/')}${query}`, graph: { node, owner: 'none' } };
  if (edge !== undefined && FLOW_EDGES.has(edge) && NUMERIC.test(node)) {
    return { url: `/flows/${node}/${[edge, ...rest].join('/')}${query}`, graph: { node, owner: 'none' } };
  }
  // Unversioned, only the edges above are Graph's: `/123` is a media id at the root already.
  if (!versioned) return undefined;
  // POST /{version}/{template-id}/unpause, GET /{version}/{template-id}/compare (routes/template-upsert.ts).
  if (edge !== undefined && TEMPLATE_EDGES.has(edge) && rest.length === 0 && NUMERIC.test(node)) return { url: `/message_templates/${node}/${edge}${query}`, graph: { node, owner: 'none' } };
  // /{id}/events: a POST sends conversion events to a dataset (routes/conversion-events.ts checks
  // that it is the key's WABA's); any other method reads Meta's /{message-history-id}/events
  // (routes/message-history.ts, GET only).
  if (edge === 'events' && rest.length === 0 && method === 'POST') return { url: `/dataset/${node}/events${query}`, graph: { node, owner: 'none' } };
  if (edge === 'events' && rest.length === 0) return { url: `/message_history/${node}/events${query}`, graph: { node, owner: 'none' } };
  // POST /{version}/{template-id}: Meta's template edit, served at /message_templates/{id}.
  if (method === 'POST' && edge === undefined && NUMERIC.test(node)) return { url: `/message_templates/${node}${query}`, graph: { node, owner: 'none' } };
  // /{version}/{media-id}, and anything else under a version: the root path it names (a path
  // openwaba does not serve answers the root's 404, in Graph's body).
  return { url: '/' + segs.join('/') + query, graph: { node: decodeSegment(node), owner: 'none' } };
}

/** A Resumable Upload session as a path segment: `upload:<id>`, its colon possibly percent-encoded. */
const UPLOAD_SESSION = /^upload(?::|%3a)/i;
// An empty session (`/upload:`) is no session: '-' is never one of ours, so it is Graph's "does not
// exist" rather than POST /uploads/ (a new session).
const uploadSessionUrl = (segment: string) => '/uploads/' + (segment.slice(segment.charAt(6) === ':' ? 7 : 9) || '-');

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Fastify's rewriteUrl: Graph paths become the root paths they stand for. */
export function rewriteGraphUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  // 360dialog's /upload:{session} (no version): the colon would be read as a route parameter.
  if (url.charCodeAt(1) === 0x75 /* u */ && UPLOAD_SESSION.test(url.slice(1))) {
    const q = url.indexOf('?');
    const path = (q === -1 ? url : url.slice(0, q)).replace(/\/$/, '');
    if (path.indexOf('/', 1) === -1) return uploadSessionUrl(path.slice(1)) + (q === -1 ? '' : url.slice(q));
  }
  // /marketing/* and /v1/health_status (marketing-paths.ts).
  const alias = marketingAliasToRoot(url, req.method ?? 'GET');
  if (alias) {
    if (alias.graph) (req as Marked)[GRAPH] = alias.graph;
    return alias.url;
  }
  const hit = graphToRoot(url, req.method);
  if (!hit) return url;
  (req as Marked)[GRAPH] = hit.graph;
  return hit.url;
}

/** What the rewrite saw, when the request came on a Graph path. */
export function graphPathOf(request: FastifyRequest): GraphPath | undefined {
  return (request.raw as Marked)[GRAPH];
}

/**
 * A key error (360dialog's 401 "Invalid api_key", 403 "The endpoint is blocked") in Graph's body.
 * Graph answers a missing, malformed or unknown access token with OAuthException code 190; a
 * token whose use is blocked is openwaba's case (a cancelled or withdrawn channel): code 10,
 * Graph's "Application does not have permission for this action". Both keep their HTTP status.
 */
export function graphKeyError(e: ApiError): ApiError {
  const message = e.status === 401 ? 'Invalid OAuth access token - Cannot parse access token' : `(#10) ${e.message}`;
  const code = e.status === 401 ? 190 : 10;
  const graph = { message, type: 'OAuthException', code, fbtrace_id: fbtrace() };
  return new ApiError(e.status, message, { extra: { metaCode: code, title: e.message, graph } satisfies MetaErrorInfo });
}

/**
 * Checks that the node a Graph path named is the key's own (after authentication). A phone
 * number edge takes the channel's phone number id or its openwaba id; a WABA edge the WABA's Meta
 * id or its openwaba id.
 */
export async function checkGraphNode(deps: Deps, request: FastifyRequest, channel: ChannelRow): Promise<void> {
  const graph = graphPathOf(request);
  if (!graph || graph.owner === 'none') return;
  if (graph.owner === 'phone' ? graph.node === channel.external_id || graph.node === channel.id : await isKeysWaba(deps, channel, graph.node)) return;
  throw graphNodeNotFound(request.method, graph.node);
}

/** Whether `node` names the channel's WABA: openwaba's id, its Meta id, or (a number on Meta's network) the WABA id it was attached with. */
export async function isKeysWaba(deps: Deps, channel: ChannelRow, node: string): Promise<boolean> {
  if (node === channel.waba_account_id) return true;
  if (channel.waba_account_id) {
    const waba = await deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', channel.waba_account_id).executeTakeFirst();
    if (waba && node === waba.external_id) return true;
  }
  // A number on Meta's network: its WABA at Meta, which the client knows by Meta's id.
  if (channel.network === 'meta') {
    const atMeta = await deps.db.kysely.selectFrom('meta_channels').select('waba_id').where('channel_id', '=', channel.id).executeTakeFirst();
    if (atMeta && node === atMeta.waba_id) return true;
  }
  return false;
}
