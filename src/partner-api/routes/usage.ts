// Usage statistics: the balance object of a client, or of one of its channels, with the usage
// per day or month counted from the stored messages (see services/usage.ts).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { clientBalance, MAX_PERIODS } from '../../services/usage.ts';
import { ClientChannelParams, ClientParams, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';
import { PartnerRateLimits, RATE_LIMITED } from '../rate-limits.ts';

const BalanceQuery = Type.Object({
  start_date: Type.Optional(Type.String({ maxLength: 40, description: 'Unix seconds, inclusive (default: 11 months / 29 days before end_date)' })),
  end_date: Type.Optional(Type.String({ maxLength: 40, description: 'Unix seconds, inclusive (default: now)' })),
  granularity: Type.Optional(Type.String({ maxLength: 40, description: 'DAY or MONTH (any case; default MONTH)' })),
});

const Int = Type.Integer({ minimum: 0 });
const Money = Type.Number({ description: 'EUR' });
const usageProps: Record<string, typeof Int | typeof Money> = {};
for (const group of ['business_initiated', 'user_initiated', 'marketing', 'utility', 'authentication', 'service']) {
  usageProps[`${group}_quantity`] = Int;
  usageProps[`${group}_paid_quantity`] = Int;
  usageProps[`${group}_price`] = Money;
}
const UsagePeriod = Type.Object({
  period_date: Type.String({ description: 'Start of the day or month, UTC, e.g. 2023-10-01T00:00:00Z' }),
  quantity: Int,
  paid_quantity: Int,
  free_quantity: Int,
  free_tier: Int,
  free_entry_point: Int,
  ...usageProps,
  total_price: Money,
});
const Balance = Type.Object({
  balance: Type.Union([Type.Number(), Type.Null()], { description: 'Prepaid balance; 0 for partner-payment clients' }),
  currency: Type.String(),
  last_renewal: Type.Union([Type.Object({ date: Type.String(), amount: Type.Number() }), Type.Null()]),
  granularity: Type.Union([Type.Literal('DAY'), Type.Literal('MONTH')]),
  estimated_template_cost: Money,
  bi_price_for_currency_and_client_country: Money,
  ui_price_for_currency_and_client_country: Money,
  usage: Type.Array(UsagePeriod),
});

const description =
  'Counts inbound messages (user-initiated) and outbound messages with status sent, delivered or read (business-initiated) ' +
  'per period of their creation (UTC), priced with the sandbox price list (service free). ' +
  `At most ${MAX_PERIODS.DAY} days or ${MAX_PERIODS.MONTH} months per request.`;

export const usageRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Usage'];
  const limits = new PartnerRateLimits(deps);

  app.get(
    '/partners/:partner_id/clients/:client_id/info/balance',
    {
      schema: {
        tags,
        summary: "A client's balance and usage per day or month",
        description,
        security: PARTNER_SECURITY,
        params: ClientParams,
        querystring: BalanceQuery,
        response: { 200: Balance, ...PARTNER_ERRORS, ...RATE_LIMITED },
      },
    },
    async (request) => {
      const { partner_id, client_id } = request.params;
      limits.check('balance', partner_id);
      return clientBalance(deps, { partnerId: partner_id, clientId: client_id }, request.query);
    },
  );

  app.get(
    '/partners/:partner_id/clients/:client_id/channels/:channel_id/info/balance',
    {
      schema: {
        tags,
        summary: "One channel's usage per day or month (same shape as the client's balance)",
        description,
        security: PARTNER_SECURITY,
        params: ClientChannelParams,
        querystring: BalanceQuery,
        response: { 200: Balance, ...PARTNER_ERRORS, ...RATE_LIMITED },
      },
    },
    async (request) => {
      const { partner_id, client_id, channel_id } = request.params;
      limits.check('balance', partner_id);
      return clientBalance(deps, { partnerId: partner_id, clientId: client_id, channelId: channel_id }, request.query);
    },
  );
};
