// Channels: the list (`partner_channels`), one by id, and the cancellation-request control.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { CHANNEL_LIST, getChannelWire, listChannels } from '../../services/channels.ts';
import { setCancellationRequest } from '../../services/channel-lifecycle.ts';
import { Channel, ChannelList, ChannelParams, ClientChannelParams, listQuery, PartnerIdParams, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';


export const channelRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Channels'];

  app.get(
    '/partners/:partner_id/channels',
    {
      schema: {
        tags,
        summary: "List the partner's channels",
        description:
          'Filter with filters={"id":"…CH"}, {"setup_info.phone_number":"49…"}, {"client_id":"…CL"}, {"status":"ready"}, {"q":"free text"}; sort with sort=-created_at,id.',
        security: PARTNER_SECURITY,
        params: PartnerIdParams,
        querystring: listQuery(CHANNEL_LIST),
        response: { 200: ChannelList, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      return listChannels(deps, request.params.partner_id, request.query);
    },
  );

  app.get(
    '/partners/:partner_id/channels/:channel_id',
    {
      schema: {
        tags,
        summary: 'Retrieve one channel (openwaba extension; same object as in the list)',
        security: PARTNER_SECURITY,
        params: ChannelParams,
        response: { 200: Channel, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      return getChannelWire(deps, request.params.partner_id, request.params.channel_id);
    },
  );

  app.post(
    '/partners/:partner_id/clients/:client_id/channels/:channel_id/control/cancellation_request',
    {
      schema: {
        tags,
        summary: "Request (enabled=true) or revoke (enabled=false) a channel's cancellation",
        security: PARTNER_SECURITY,
        params: ClientChannelParams,
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Channel, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const { partner_id, client_id, channel_id } = request.params;
      return setCancellationRequest(deps, partner_id, client_id, channel_id, request.body.enabled);
    },
  );
};
