// Graph's token inspection, for clients that learn a token's app, validity and WABAs after
// Embedded Signup or at start-up:
//
//   GET /{version}/debug_token?input_token=<token>&access_token=<token>      (also without the version;
//       the inspecting token may also come as `Authorization: Bearer …` or `D360-API-KEY`)
//
// Confirmed (Meta's "Access Tokens: Debugging and Error Handling" and the WhatsApp Solution
// Providers' "Manage accounts" page): the answer is {"data":{app_id, type, application,
// data_access_expires_at, expires_at, is_valid, scopes, granular_scopes:[{scope, target_ids}],
// user_id}}; after Embedded Signup clients take the WABA id from the target_ids of the
// whatsapp_business_management scope (the first id is the newest WABA), and the inspecting token
// may be a system user token sent as `Authorization: Bearer`; the two tokens must be of the same
// app. An input token Graph cannot use is still a 200, its data `is_valid: false` with an `error`
// {code: 190, message} and `scopes: []` (our recollection of Meta's answers, matching the fixtures
// SDKs keep; Meta's exact message varies with why the token is unusable).
//
// openwaba's tokens are channel keys (D360-API-KEY, looked up hashed: messaging/auth.ts
// channelForApiKey). Our choices:
// - The inspector must be a live channel key; a bad one is refused as every Messaging API route
//   refuses it (auth.ts): 401 (unknown, revoked, missing) or 403 (cancelled or withdrawn channel).
//   The body is Graph's (OAuthException code 190, code 10 for the blocked key: graph-paths.ts
//   graphKeyError) on a Graph path (/{version}/debug_token), and on the unversioned path when the
//   key came as ?access_token= (Graph's form, Meta's own example of this call); a D360-API-KEY or
//   Authorization header (or nothing) on the unversioned path gets 360dialog's key error, as on
//   every other root path of the Messaging API (auth.ts).
// - The input token is valid when it is a live key of the inspector's own client (a tenant reaches
//   only its own keys: Graph's "same app"). A key of another client, an unknown or revoked key and
//   a key of a cancelled or withdrawn channel all get the same is_valid:false answer, so the
//   inspection tells nothing about other tenants (not even that the key exists).
// - type "SYSTEM_USER": what a business integration token is. app_id: the channel's app id (the id
//   GET /subscribed_apps names as whatsapp_business_api_data.id, the Partner API's
//   integration.app_id: stable for the channel), application "openwaba" (that entry's name).
//   user_id: a stable numeric id derived from the client (one "system user" per client).
//   expires_at and data_access_expires_at 0: a key does not expire (Graph's 0 for "never").
// - scopes whatsapp_business_management and whatsapp_business_messaging, each with the key's WABA
//   as its one target: the id GET /{version}/{waba-id} answers for it (Meta's WABA id for a number on
//   Meta's network, else the WABA's external_id). No business_management: a channel key reaches
//   no business portfolio. An invalid answer also carries `granular_scopes: []` (so a client that
//   reads target_ids before is_valid finds an empty list).
// - A missing input_token is Graph's 400 code 100 "The parameter input_token is required".
//
// The route sits outside the Messaging API's key check (app.ts registers it beside messagingApi,
// as routes/graph-app-token.ts): the key may come in the query on the unversioned path too. The
// request log censors input_token and access_token (http/logging.ts).
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { toApiError } from '../../errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { bearerToken, channelForApiKey, keyBlocked, usable } from '../auth.ts';
import { cloudErrorBody, messagingErrorHandler, metaError } from '../errors.ts';
import { documentErrorResponses } from '../error-responses.ts';
import { graphKeyError, graphPathOf } from '../graph-paths.ts';

export const DEBUG_TOKEN_SCOPES = ['whatsapp_business_management', 'whatsapp_business_messaging'] as const;
const INVALID_TOKEN = 'Invalid OAuth access token - Cannot parse access token';
const MAX_TOKEN = 512;

const TokenError = Type.Object({ code: Type.Integer(), message: Type.String() });
const DebugToken = Type.Object({
  data: Type.Object({
    app_id: Type.Optional(Type.String()),
    type: Type.Optional(Type.String()),
    application: Type.Optional(Type.String()),
    data_access_expires_at: Type.Optional(Type.Integer()),
    expires_at: Type.Optional(Type.Integer()),
    error: Type.Optional(TokenError),
    is_valid: Type.Boolean(),
    scopes: Type.Array(Type.String()),
    granular_scopes: Type.Optional(Type.Array(Type.Object({ scope: Type.String(), target_ids: Type.Array(Type.String()) }))),
    user_id: Type.Optional(Type.String()),
  }),
});

/** The inspecting key's channel, per request (set by the key check, read by the handler). */
const inspectors = new WeakMap<FastifyRequest, ChannelRow>();
/** Requests whose key came as ?access_token= (Graph's form, never a 360dialog client's): key errors in Graph's body on any path. */
const graphForm = new WeakSet<FastifyRequest>();

/** The inspecting key, in auth.ts's order: D360-API-KEY, then Authorization, then ?access_token=. */
function presentedKey(request: FastifyRequest): string | undefined {
  const raw = request.headers['d360-api-key'];
  const header = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (header !== undefined) return header;
  const bearer = bearerToken(request.headers.authorization);
  if (bearer !== undefined) return bearer;
  const q = (request.query as Record<string, unknown> | undefined)?.access_token;
  if (q === undefined) return undefined;
  graphForm.add(request);
  // A parameter given twice is no token (as auth.ts).
  return typeof q === 'string' ? q.trim() : undefined;
}


async function checkInspector(deps: Deps, request: FastifyRequest): Promise<void> {
  const key = presentedKey(request);
  inspectors.set(request, usable(key ? await channelForApiKey(deps, key) : undefined));
}

function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const e = toApiError(err);
  // Off a Graph path, a key that came as ?access_token= still gets Graph's key error (code 190 / 10).
  if ((e.extra as { d360?: boolean } | undefined)?.d360 && graphForm.has(request) && !graphPathOf(request)) {
    const g = graphKeyError(e);
    return reply.status(g.status).type('application/json; charset=utf-8').send(JSON.stringify(cloudErrorBody(g)));
  }
  return messagingErrorHandler(err, request, reply);
}

/** Graph's id of the channel's WABA: what GET /{version}/{waba-id} answers (graph-node.ts). */
async function graphWabaId(deps: Deps, ch: ChannelRow): Promise<string | undefined> {
  if (ch.network === 'meta') {
    const atMeta = await deps.db.kysely.selectFrom('meta_channels').select('waba_id').where('channel_id', '=', ch.id).executeTakeFirst();
    if (atMeta) return atMeta.waba_id;
  }
  const waba = await deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', ch.waba_account_id).where('client_id', '=', ch.client_id).executeTakeFirst();
  return waba?.external_id;
}

/** One numeric "system user" id per client: stable, and telling nothing of the client's own id. */
export function systemUserId(clientId: string): string {
  const h = createHash('sha256').update(`openwaba debug_token system user\0${clientId}`).digest();
  // 48 bits above 10^14: always 15 digits, a Graph-like id that stays a safe integer.
  return String(100_000_000_000_000 + h.readUIntBE(0, 6));
}

const invalid = () => ({ data: { error: { code: 190, message: INVALID_TOKEN }, is_valid: false, scopes: [] as string[], granular_scopes: [] } });

export const graphDebugTokenRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.setErrorHandler(errorHandler);
  // Its 400 and 401 documented as the Messaging API's routes' are (messaging/plugin.ts does the same there).
  app.addHook('onRoute', documentErrorResponses);
  // Before the body is read (as messagingApi's key check): a bad key is a 401 whatever else is wrong.
  app.addHook('onRequest', (request, _reply, done) => {
    checkInspector(deps, request).then(() => done(), done);
  });
  app.get(
    '/debug_token',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Channel'],
        summary: "Graph's token inspection: whether a channel key is valid, its app, scopes and the WABA it reaches",
        description:
          'Both tokens are channel keys (D360-API-KEY). The inspecting key comes as access_token, Authorization: Bearer or D360-API-KEY; input_token is valid when it is a live key of the same client. Its WABA (the id GET /{version}/{waba-id} answers) is the target of both WhatsApp scopes. An unusable input token answers 200 with is_valid false and error code 190.',
        security: [{ D360ApiKey: [] }],
        // access_token is Graph's token parameter, read by the key check above (as auth.ts reads it
        // on Graph paths), not a parameter of this route's own: not listed, as on every Graph path.
        querystring: Type.Object({ input_token: Type.Optional(Type.String({ maxLength: MAX_TOKEN, description: 'the token (channel key) to inspect' })) }, { additionalProperties: true }),
        response: { 200: DebugToken },
      },
    },
    async (request, reply) => {
      const inspector = inspectors.get(request)!;
      const input = (request.query as { input_token?: string }).input_token?.trim() ?? '';
      if (input === '') throw metaError(400, 100, 'The parameter input_token is required', 'The parameter input_token is required');
      reply.header('cache-control', 'no-store');
      const ch = await channelForApiKey(deps, input);
      // Another client's key answers exactly as an unknown one: nothing of another tenant shows.
      if (!ch || ch.client_id !== inspector.client_id || ch.partner_id !== inspector.partner_id || keyBlocked(ch)) return invalid();
      const wabaId = await graphWabaId(deps, ch);
      const targets = wabaId ? [wabaId] : [];
      return {
        data: {
          app_id: ch.app_id,
          type: 'SYSTEM_USER',
          application: 'openwaba',
          data_access_expires_at: 0,
          expires_at: 0,
          is_valid: true,
          scopes: [...DEBUG_TOKEN_SCOPES],
          granular_scopes: DEBUG_TOKEN_SCOPES.map((scope) => ({ scope, target_ids: targets })),
          user_id: systemUserId(ch.client_id),
        },
      };
    },
  );
};
