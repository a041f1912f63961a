// Channel API keys (D360-API-KEY): create (revoking earlier keys), list without secrets, revoke.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getChannel } from '../../services/channels.ts';
import { createChannelApiKey, listChannelApiKeys, revokeChannelApiKeys } from '../../services/channel-api-keys.ts';
import { successMeta } from '../errors.ts';
import { ChannelParams, SuccessMeta, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';


const CreatedKey = Type.Object(
  {
    id: Type.String(),
    address: Type.String({ description: 'Messaging API base URL for this key' }),
    api_key: Type.String({ description: 'The D360-API-KEY; shown only in this answer' }),
    app_id: Type.String(),
  },
  { description: 'Flat form, as real clients read it' },
);
const ListedKey = Type.Object({
  id: Type.String(),
  address: Type.String(),
  app_id: Type.String(),
  api_key_prefix: Type.String({ description: 'First characters of the key, to tell keys apart' }),
  created_at: Type.Union([Type.String(), Type.Null()]),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
});

export const channelApiKeyRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Channel API keys'];

  app.post(
    '/partners/:partner_id/channels/:channel_id/api_keys',
    {
      schema: {
        tags,
        summary: "Create the channel's D360-API-KEY (revokes its earlier keys)",
        description:
          'A terminated channel gets no key (400). Nor does a channel its client withdrew in Integrated Onboarding (the redirect\'s revoked=[…]): ' +
          '403 "Permission denied for partner …", as 360dialog answers a partner without the client\'s permission on a channel.',
        security: PARTNER_SECURITY,
        params: ChannelParams,
        response: { 201: CreatedKey, ...PARTNER_ERRORS },
      },
    },
    async (request, reply) => {
      const channel = await getChannel(deps, request.params.partner_id, request.params.channel_id);
      const created = await createChannelApiKey(deps, channel);
      // 360dialog answers 201; clients check for 2xx.
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/partners/:partner_id/channels/:channel_id/api_keys',
    {
      schema: {
        tags,
        summary: "List the channel's active keys (without secrets)",
        security: PARTNER_SECURITY,
        params: ChannelParams,
        response: { 200: Type.Object({ api_keys: Type.Array(ListedKey) }), ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const channel = await getChannel(deps, request.params.partner_id, request.params.channel_id);
      return { api_keys: await listChannelApiKeys(deps, channel) };
    },
  );

  app.delete(
    '/partners/:partner_id/channels/:channel_id/api_keys',
    {
      schema: {
        tags,
        summary: "Revoke all of the channel's keys",
        security: PARTNER_SECURITY,
        params: ChannelParams,
        response: { 200: SuccessMeta, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const channel = await getChannel(deps, request.params.partner_id, request.params.channel_id);
      const n = await revokeChannelApiKeys(deps, channel);
      return successMeta(`${n} API key(s) of channel ${channel.id} revoked`);
    },
  );

  app.delete(
    '/partners/:partner_id/channels/:channel_id/api_keys/:key_id',
    {
      schema: {
        tags,
        summary: 'Revoke one key of the channel (openwaba extension)',
        security: PARTNER_SECURITY,
        params: Type.Object({
          partner_id: Type.String({ maxLength: 64 }),
          channel_id: Type.String({ maxLength: 64 }),
          key_id: Type.String({ maxLength: 64 }),
        }),
        response: { 200: SuccessMeta, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const channel = await getChannel(deps, request.params.partner_id, request.params.channel_id);
      await revokeChannelApiKeys(deps, channel, request.params.key_id);
      return successMeta(`API key ${request.params.key_id} revoked`);
    },
  );
};
