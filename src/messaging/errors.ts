// Error bodies of the Messaging API, one per flavour:
// - Cloud (`/messages`, `/media`, …): Meta's `{"error":{message,type,code,error_data,fbtrace_id}}`;
// - On-Premise (`/v1/…`): `{"errors":[{code,title,details,href}],"meta":{api_status,version}}`;
// - 360dialog's own key check (any flavour): `{"meta":{"success":false,"http_code":401,
//   "developer_message":"Invalid api_key"}}` — the documented 360 text, in the legacy body that
//   clients such as n8n read (`.meta.developer_message`).
import { randomBytes } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, toApiError } from '../errors.ts';
import { graphKeyError, graphPathOf, graphToRoot } from './graph-paths.ts';

export type Flavour = 'cloud' | 'onpremise';
/** A route's `config.flavour`: fixed, or 'channel': the calling channel's hosting type (routes both flavours share). */
export type RouteFlavour = Flavour | 'channel';
/**
 * A route's `config.errorBody`: 'message' for 360dialog's newer services (/multi_webhook), which
 * answer errors as `{"error":"<text>"}` (OpenAPI `utils.ErrorResp`); the key check still answers
 * in the legacy body every Messaging API route shares.
 */
export type RouteErrorBody = 'message';

export interface MetaErrorInfo {
  /** Meta's error code: 100 invalid parameter, 131009 bad value, 131047 window closed, … */
  metaCode: number;
  /** Meta's short title, e.g. "Invalid parameter". */
  title: string;
  subcode?: number;
  /** Meta's error_user_title and error_user_msg, which Graph adds to some errors (e.g. template creation's). */
  userTitle?: string;
  userMsg?: string;
  /**
   * An error Meta's Graph API answered (a send or mark-as-read through a channel on Meta's
   * network): its `error` object, which Cloud clients get as Meta gave it (reference §4.3:
   * "Meta errors are passed through with Meta's body"), and On-Premise clients as Meta's
   * code, title and details, without the On-Premise renumbering of our own errors.
   */
  graph?: Record<string, unknown>;
}

/** An error with Meta's code and title; `details` is the human explanation naming the field. */
export function metaError(status: number, metaCode: number, title: string, details: string, opts: { retryAfter?: number; subcode?: number; userTitle?: string; userMsg?: string } = {}): ApiError {
  return new ApiError(status, details, {
    retryAfter: opts.retryAfter,
    extra: { metaCode, title, subcode: opts.subcode, userTitle: opts.userTitle, userMsg: opts.userMsg } satisfies MetaErrorInfo,
  });
}

export const invalidParameter = (details: string) => metaError(400, 100, 'Invalid parameter', details);

/** 360dialog's key errors are marked so that they render in 360's body in every flavour. */
export function d360Error(status: number, message: string): ApiError {
  return new ApiError(status, message, { extra: { d360: true } });
}

/** A trace id shaped like Meta's `fbtrace_id`. */
export const fbtrace = () => 'A' + randomBytes(15).toString('base64url').slice(0, 20);
export const ONPREM_META = { api_status: 'stable', version: '2.53.2' };

function metaInfo(e: ApiError): MetaErrorInfo {
  const extra = (e.extra ?? {}) as Partial<MetaErrorInfo>;
  if (typeof extra.metaCode === 'number') return { metaCode: extra.metaCode, title: extra.title ?? 'Error', subcode: extra.subcode, userTitle: extra.userTitle, userMsg: extra.userMsg, graph: extra.graph };
  if (e.status === 404) return { metaCode: 100, title: 'Unsupported request' };
  if (e.status === 429) return { metaCode: 130429, title: 'Rate limit hit' };
  if (e.status >= 500) return { metaCode: 131000, title: 'Something went wrong' };
  return { metaCode: 100, title: 'Invalid parameter' };
}

export function cloudErrorBody(e: ApiError) {
  const m = metaInfo(e);
  if (m.graph) return { error: m.graph };
  return {
    error: {
      message: `(#${m.metaCode}) ${m.title}`,
      type: 'OAuthException',
      code: m.metaCode,
      ...(m.subcode !== undefined ? { error_subcode: m.subcode } : {}),
      ...(m.userMsg !== undefined ? { is_transient: false, error_user_title: m.userTitle, error_user_msg: m.userMsg } : {}),
      error_data: { messaging_product: 'whatsapp', details: e.message },
      fbtrace_id: fbtrace(),
    },
  };
}

export function onpremErrorBody(e: ApiError) {
  const m = metaInfo(e);
  if (m.graph) return { errors: [{ code: m.metaCode, title: m.title, details: e.message, href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/' }], meta: ONPREM_META };
  // On-Premise used its own numbers for the common cases (1006 not found, 1008 missing, 1009 bad value).
  if (m.metaCode === 100 && e.status === 404) m.title = 'Resource not found';
  const code = m.metaCode === 100 ? (e.status === 404 ? 1006 : /required|missing/i.test(e.message) ? 1008 : 1009) : m.metaCode === 131009 ? 1009 : m.metaCode;
  return {
    errors: [{ code, title: m.title, details: e.message, href: 'https://developers.facebook.com/docs/whatsapp/on-premises/errors/' }],
    meta: ONPREM_META,
  };
}

export function d360ErrorBody(e: ApiError) {
  return { meta: { success: false, http_code: e.status, developer_message: e.message } };
}

/** Which flavour a request is: its route's, else by path (On-Premise paths start with /v1/). */
export function flavourOf(request: FastifyRequest): Flavour {
  const cfg = request.routeOptions.config as { flavour?: RouteFlavour } | undefined;
  if (cfg?.flavour === 'channel' && request.channel) return request.channel.hosting_type === 'onpremise' ? 'onpremise' : 'cloud';
  if (cfg?.flavour && cfg.flavour !== 'channel') return cfg.flavour;
  return request.url.startsWith('/v1/') ? 'onpremise' : 'cloud';
}

/** Paths the Cloud flavour owns besides the single-segment GET/DELETE /{media_id}. */
const CLOUD_PREFIXES = ['/messages', '/media', '/message_templates', '/phone_numbers', '/whatsapp_business_profile', '/whatsapp_business/', '/health_status', '/flows', '/block_users', '/message_qrdls', '/whatsapp_commerce_settings', '/register', '/deregister', '/request_code', '/verify_code', '/configs/', '/sandbox/', '/uploads', '/calling', '/settings', '/calls', '/call_permissions', '/groups', '/message_history', '/oauth', '/payment_configuration', '/payments', '/dataset', '/marketing'];

/**
 * The messaging flavour a path belongs to, for errors raised before any route matched (a URL
 * that cannot be decoded, a path parameter over the length limit); undefined when the path is
 * not the Messaging API's.
 */
export function messagingFlavourOfPath(path: string): Flavour | undefined {
  if (path.startsWith('/v1/')) return 'onpremise';
  if (graphToRoot(path)) return 'cloud';
  if (CLOUD_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) return 'cloud';
  if (/^\/[^/]+\/?$/.test(path)) return 'cloud';
  return undefined;
}

export function renderMessagingError(e: ApiError, flavour: Flavour) {
  if ((e.extra as { d360?: boolean } | undefined)?.d360) return d360ErrorBody(e);
  return flavour === 'onpremise' ? onpremErrorBody(e) : cloudErrorBody(e);
}

export function messagingErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const e = toApiError(err);
  if (e.status >= 500) request.log.error({ err }, 'messaging api request failed');
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  // A Graph path (graph-paths.ts): Graph's body for every error, the key's own included.
  if (graphPathOf(request)) {
    const g = (e.extra as { d360?: boolean } | undefined)?.d360 ? graphKeyError(e) : e;
    // Serialized here: the routes' documented 401 is 360dialog's body, which this is not.
    return reply.status(g.status).type('application/json; charset=utf-8').send(JSON.stringify(cloudErrorBody(g)));
  }
  const cfg = request.routeOptions.config as { errorBody?: RouteErrorBody } | undefined;
  if (cfg?.errorBody === 'message' && !(e.extra as { d360?: boolean } | undefined)?.d360) return reply.status(e.status).send({ error: e.message });
  return reply.status(e.status).send(renderMessagingError(e, flavourOf(request)));
}
