// Per-channel usage (pricing analytics) and the Click-to-WhatsApp tracking switch:
//
//   GET  /partners/{pid}/clients/{cid}/channels/{chid}/info/usage?start_date&end_date&granularity
//   POST /partners/{pid}/clients/{cid}/channels/{chid}/enable_ctwa | disable_ctwa
//
// Shapes and choices: services/channel-usage.ts and services/channel-ctwa.ts. The partner is the
// authenticated one (plugin); a client or channel of another partner is "not found".
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { channelUsage } from '../../services/channel-usage.ts';
import { setCtwaTracking } from '../../services/channel-ctwa.ts';
import { MAX_PERIODS } from '../../services/usage.ts';
import { ClientChannelParams, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';
import { PartnerRateLimits, RATE_LIMITED } from '../rate-limits.ts';

const UsageQuery = Type.Object({
  start_date: Type.Optional(Type.String({ maxLength: 40, description: 'Unix seconds, inclusive (default: 29 days / 11 months before end_date)' })),
  end_date: Type.Optional(Type.String({ maxLength: 40, description: 'Unix seconds, inclusive (default: now)' })),
  granularity: Type.Optional(Type.String({ maxLength: 40, description: 'DAILY or MONTHLY (also DAY, MONTH; any case; default DAILY)' })),
});

const DataPoint = Type.Object({
  start: Type.Integer({ description: 'Start of the period, Unix seconds (UTC)' }),
  end: Type.Integer({ description: 'End of the period (exclusive), Unix seconds' }),
  phone_number: Type.String(),
  pricing_type: Type.Union([Type.Literal('REGULAR'), Type.Literal('FREE_CUSTOMER_SERVICE')]),
  pricing_category: Type.Union([Type.Literal('MARKETING'), Type.Literal('MARKETING_LITE'), Type.Literal('UTILITY'), Type.Literal('AUTHENTICATION'), Type.Literal('SERVICE')]),
  volume: Type.Integer({ minimum: 0 }),
  cost: Type.Number({ description: 'EUR' }),
});
const Usage = Type.Object({
  pricing_analytics: Type.Object({ data: Type.Array(Type.Object({ data_points: Type.Array(DataPoint) })) }),
  currency: Type.String(),
  granularity: Type.Union([Type.Literal('DAILY'), Type.Literal('MONTHLY')]),
});
const Success = Type.Object({ success: Type.Boolean() });

export const channelSignalRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const limits = new PartnerRateLimits(deps);

  app.get(
    '/partners/:partner_id/clients/:client_id/channels/:channel_id/info/usage',
    {
      schema: {
        tags: ['Usage'],
        summary: "One channel's pricing analytics: delivered messages per period and pricing category",
        description:
          "Meta's pricing analytics shape. Counts the channel's outbound messages with status delivered or read per period of their creation (UTC), " +
          `priced with the sandbox price list (service free, MM Lite at the marketing price). At most ${MAX_PERIODS.DAY} days or ${MAX_PERIODS.MONTH} months per request.`,
        security: PARTNER_SECURITY,
        params: ClientChannelParams,
        querystring: UsageQuery,
        response: { 200: Usage, ...PARTNER_ERRORS, ...RATE_LIMITED },
      },
    },
    async (request) => {
      const { partner_id, client_id, channel_id } = request.params;
      limits.check('balance', partner_id);
      return channelUsage(deps, { partnerId: partner_id, clientId: client_id, channelId: channel_id }, request.query);
    },
  );

  for (const [action, enabled] of [['enable_ctwa', true], ['disable_ctwa', false]] as const) {
    app.post(
      `/partners/:partner_id/clients/:client_id/channels/:channel_id/${action}`,
      {
        schema: {
          tags: ['Channels'],
          summary: `${enabled ? 'Switch on' : 'Switch off'} Click-to-WhatsApp tracking (Signals API) for a channel`,
          // 360dialog's docs show no response body: {"success":true} is what any client of a 200 accepts.
          description: 'No body. Answers {"success":true}; switching to the state the channel is in succeeds too.',
          security: PARTNER_SECURITY,
          params: ClientChannelParams,
          response: { 200: Success, ...PARTNER_ERRORS },
        },
      },
      async (request) => {
        const { partner_id, client_id, channel_id } = request.params;
        await setCtwaTracking(deps, { partnerId: partner_id, clientId: client_id, channelId: channel_id }, enabled);
        return { success: true };
      },
    );
  }
};
