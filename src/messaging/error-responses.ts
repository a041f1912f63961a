// The Messaging API's error bodies in the OpenAPI document: every route says what a 400 and a 401
// look like there (errors.ts renders them). Before this, /openapi.json showed the Messaging API's
// routes with their successes only, so a client generated from it knew none of the three formats.
//
// The schemas also serialize those answers, so they hold what the handlers send and no more than
// is certain: every property but the envelope's own key is optional and every object open,
// because a number on Meta's network passes Meta's own error object through unchanged (reference
// §4.3), with fields of Meta's choosing.
import type { RouteOptions } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { RouteErrorBody, RouteFlavour } from './errors.ts';

const open = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: true, ...(description ? { description } : {}) });
const opt = <T extends TSchema>(t: T) => Type.Optional(t);

/** 360dialog's own body for a missing or wrong D360-API-KEY, in every flavour (reference §4.3). */
export const KeyErrorBody = open(
  { meta: open({ success: opt(Type.Boolean()), http_code: opt(Type.Integer()), developer_message: opt(Type.String()) }) },
  'Missing or invalid D360-API-KEY: {"meta":{"success":false,"http_code":401,"developer_message":"Invalid api_key"}}',
);

/** Meta's Cloud API error (reference §4.3); error_data.details names the field. */
export const CloudErrorBody = open(
  {
    error: open({
      message: opt(Type.String({ description: 'e.g. "(#100) Invalid parameter"' })),
      type: opt(Type.String()),
      code: opt(Type.Number({ description: "Meta's error code: 100, 131009, 131047, 132000, 132001, …" })),
      error_subcode: opt(Type.Number()),
      // error_data and fbtrace_id follow, undeclared: Graph's error_data is sometimes a string, and
      // undeclared fields keep the order the handler wrote them in.
    }),
  },
  'Cloud API error (Meta\'s body): {"error":{"message","type","code","error_data":{"messaging_product","details"},"fbtrace_id"}}',
);

/** The On-Premise error body (reference §6). */
export const OnPremErrorBody = open(
  {
    errors: Type.Array(open({ code: opt(Type.Number()), title: opt(Type.String()), details: opt(Type.String()), href: opt(Type.String()) })),
    meta: opt(open({ api_status: opt(Type.String()), version: opt(Type.String()) })),
  },
  'On-Premise error: {"errors":[{"code","title","details","href"}],"meta":{"api_status","version"}}',
);

/** 360dialog's newer services (/multi_webhook): {"error":"<text>"} (reference §4.1). */
const MessageErrorBody = Type.Object({ error: Type.String() }, { description: '{"error":"<text>"}' });

interface RouteErrorConfig {
  flavour?: RouteFlavour;
  errorBody?: RouteErrorBody;
}

/** The 400 body of a route: by its errorBody, else by its flavour (a 'channel' route answers in either). */
function badRequestBody(route: RouteOptions): TSchema {
  const cfg = (route.config ?? {}) as RouteErrorConfig;
  if (cfg.errorBody === 'message') return MessageErrorBody;
  if (cfg.flavour === 'channel') return Type.Union([CloudErrorBody, OnPremErrorBody], { description: "In the calling number's format: Cloud API or On-Premise" });
  const flavour = cfg.flavour ?? (route.url.startsWith('/v1/') ? 'onpremise' : 'cloud');
  return flavour === 'onpremise' ? OnPremErrorBody : CloudErrorBody;
}

/** An onRoute hook: adds the 400 and 401 answers to a route's schema (a route's own entries win). */
export function documentErrorResponses(route: RouteOptions): void {
  const schema = (route.schema ?? {}) as { response?: Record<string, unknown> };
  route.schema = { ...schema, response: { 400: badRequestBody(route), 401: KeyErrorBody, ...schema.response } };
}
