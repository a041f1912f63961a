// Graph's app access token, for clients that ask for one before they subscribe their callback URL
// (pywa, given callback_url with app_id and app_secret, calls this at start-up, then POST
// /{app-id}/subscriptions: routes/app-subscriptions.ts):
//
//   GET /{version}/oauth/access_token?grant_type=client_credentials&client_id=<app id>&client_secret=<secret>
//       → 200 {"access_token":"…","token_type":"bearer"}          (also without the version)
//
// openwaba has no Meta app for its sandbox numbers, so (our design) the "app secret" is one of
// the caller's channel keys (a D360-API-KEY), and the token answered is that same key: no new
// secret is minted or stored, and the token then works wherever the key does (as `Authorization:
// Bearer …` or `?access_token=`). The secret is looked up as the key of any request is (hashed,
// the hash compared in constant time: messaging/auth.ts channelForApiKey); a key that is unknown,
// revoked, or whose channel is cancelled or withdrawn is refused alike. client_id is taken as any
// Graph id (digits): the key names the channel, as it does for /{app-id}/uploads.
//
// Refusals are Graph's OAuthException, status 400: a wrong or missing secret is "Error validating
// client secret." (Meta's text; Graph has answered it with code 1: facebookarchive/php-graph-sdk#538),
// an id that is no number "Error validating application. Invalid application ID." (code 101, our
// recollection of Meta's, unconfirmed), another grant_type code 100 (our choice: only the client
// credentials grant is served). The route sits outside the Messaging API's key check (app.ts
// registers it beside messagingApi): the key comes in the query. The request log censors
// client_secret (http/logging.ts).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { channelForApiKey, keyBlocked } from '../auth.ts';
import { fbtrace, messagingErrorHandler, type MetaErrorInfo } from '../errors.ts';

function oauthError(code: number, message: string): ApiError {
  const graph = { message, type: 'OAuthException', code, fbtrace_id: fbtrace() };
  return new ApiError(400, message, { extra: { metaCode: code, title: message, graph } satisfies MetaErrorInfo });
}

const badSecret = () => oauthError(1, 'Error validating client secret.');

const Token = Type.Object({ access_token: Type.String(), token_type: Type.String() });

export const graphAppTokenRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.setErrorHandler(messagingErrorHandler);
  app.get(
    '/oauth/access_token',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Webhook configuration'],
        summary: "An app access token (Graph's client credentials grant): the token is the channel key given as client_secret",
        description:
          'openwaba has no Meta app for sandbox numbers: client_secret is one of your channel keys (D360-API-KEY) and the token answered is that key, for POST /{version}/{app-id}/subscriptions. client_id: any numeric id.',
        querystring: Type.Object(
          {
            grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'client_credentials' })),
            client_id: Type.Optional(Type.String({ maxLength: 64, description: 'the app id (any digits)' })),
            client_secret: Type.Optional(Type.String({ maxLength: 512, description: 'a channel key (D360-API-KEY)' })),
          },
          { additionalProperties: true },
        ),
        response: { 200: Token },
      },
    },
    async (request, reply) => {
      const q = request.query as { grant_type?: string; client_id?: string; client_secret?: string };
      if (q.grant_type !== 'client_credentials') throw oauthError(100, 'Unsupported grant_type: only grant_type=client_credentials is served (an app access token)');
      if (q.client_id === undefined || !/^\d{1,32}$/.test(q.client_id)) throw oauthError(101, 'Error validating application. Invalid application ID.');
      const secret = q.client_secret?.trim() ?? '';
      const channel = await channelForApiKey(deps, secret);
      if (!channel || keyBlocked(channel)) throw badSecret();
      reply.header('cache-control', 'no-store');
      return { access_token: secret, token_type: 'bearer' };
    },
  );
};
