// Operator control of a channel's network: put a number on Meta's Cloud API with the ids and
// access token of its WhatsApp Business Account, or return it to the sandbox. The token is
// sealed (network/meta/secret-box.ts) and never answered; request bodies are not logged, and
// the log formatter censors an `access_token` field wherever a line would carry one.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.ts';
import { Channel, ErrorBody } from '../partner-api/schemas.ts';
import { getChannelWire } from '../services/channels.ts';
import { detachMetaChannel, META_ID_PATTERN, META_TOKEN_PATTERN } from '../network/meta/channels.ts';
import { attachVerified } from '../network/meta/number-check.ts';
import { registerAgain } from '../network/meta/embedded-signup.ts';
import { ApiError } from '../errors.ts';

const security: { [k: string]: string[] }[] = [{ AdminToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };
const ChannelIdParams = Type.Object({ channel_id: Type.String({ maxLength: 64 }) });

export const adminMetaRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Admin'];

  app.put(
    '/channels/:channel_id/meta',
    {
      schema: {
        tags,
        security,
        summary: "Put a channel on Meta's Cloud API (network meta, external_id = phone_number_id), or replace its credentials",
        description:
          'Sends and marks-as-read of the channel then go to Meta with this access token (a system-user token of the WABA with whatsapp_business_messaging). The token is stored sealed with OPENWABA_SECRET_KEY (409 when that is not set) and never shown again.',
        params: ChannelIdParams,
        body: Type.Object(
          {
            phone_number_id: Type.String({ pattern: META_ID_PATTERN, description: "Meta's id of the phone number" }),
            waba_id: Type.String({ pattern: META_ID_PATTERN, description: "Meta's id of the WhatsApp Business Account" }),
            access_token: Type.String({ pattern: META_TOKEN_PATTERN, writeOnly: true, description: 'Graph API access token; never returned' }),
            verify: Type.Optional(
              Type.Boolean({
                default: true,
                description:
                  "Ask Meta about the number with these credentials first (default): a wrong id or token is refused with Meta's reason, and the channel takes the number's phone number, verified name, quality rating and messaging limit. false: attach without asking (e.g. Meta unreachable from here)",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Channel, ...errors },
      },
    },
    async (request) => {
      const b = request.body;
      const input = { phoneNumberId: b.phone_number_id, wabaId: b.waba_id, accessToken: b.access_token };
      const row = await attachVerified(deps, request.params.channel_id, input, b.verify !== false);
      return getChannelWire(deps, row.partner_id, row.id);
    },
  );

  app.post(
    '/channels/:channel_id/meta/register',
    {
      schema: {
        tags,
        security,
        summary: "Register a number connected with Embedded Signup again at Meta (POST {phone_number_id}/register) with the two-step verification PIN openwaba keeps for it",
        description:
          'For when Meta asks for the number to be registered again (after a deregistration, a display-name change, a migration). 409 for a number attached by the operator (its PIN is the business\'s own, not kept here); Meta\'s refusal is a 400 with its reason, Meta unreachable a 502.',
        params: ChannelIdParams,
        response: { 200: Channel, ...errors },
      },
    },
    async (request) => {
      const ch = await deps.db.kysely.selectFrom('channels').select(['id', 'partner_id', 'terminated_at']).where('id', '=', request.params.channel_id).executeTakeFirst();
      if (!ch) throw new ApiError(404, `Channel ${request.params.channel_id} not found`);
      if (ch.terminated_at) throw new ApiError(409, `Channel ${ch.id} is terminated`);
      await registerAgain(deps, ch.id);
      return getChannelWire(deps, ch.partner_id, ch.id);
    },
  );

  app.delete(
    '/channels/:channel_id/meta',
    {
      schema: {
        tags,
        security,
        summary: 'Return a channel from Meta to the sandbox (its sealed token is deleted; it gets a new sandbox number id)',
        params: ChannelIdParams,
        response: { 200: Channel, ...errors },
      },
    },
    async (request) => {
      const row = await detachMetaChannel(deps, request.params.channel_id);
      return getChannelWire(deps, row.partner_id, row.id);
    },
  );
};
