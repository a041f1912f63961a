// The sandbox's control for Meta's account_update WABA webhook (an openwaba extension):
// POST /sandbox/v1/account_update raises ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION or DISABLED_UPDATE
// for the calling channel's WABA; GET shows the restrictions in force and the ban. See ../account-update.ts.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { assertSandboxChannel } from '../inbound.ts';
import { activeRestrictions, parseAccountUpdate, raiseAccountUpdate, RESTRICTION_TYPES } from '../account-update.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Sandbox (extension)'];

const Restriction = Type.Object({
  restriction_type: Type.Union(RESTRICTION_TYPES.map((t) => Type.Literal(t))),
  expiration: Type.String({ description: 'ISO-8601 UTC' }),
});
const Raised = Type.Object({
  value: Type.Record(Type.String(), Type.Unknown(), { description: "The account_update change's value, as the webhooks carry it" }),
  notified_channels: Type.Array(Type.String(), { description: "The WABA's numbers whose webhook gets the event (those with a webhook URL)" }),
  partner_event: Type.Union([Type.String(), Type.Null()], { description: 'account_violation or account_restriction (to the partner webhook), or null' }),
  restrictions: Type.Array(Restriction, { description: "The WABA's restrictions in force" }),
});

export const accountUpdateRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.post(
    '/sandbox/v1/account_update',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary:
          "Raise Meta's account_update webhook for the channel's WABA: ACCOUNT_VIOLATION {violation_info:{violation_type}}, " +
          'ACCOUNT_RESTRICTION {restriction_info:[{restriction_type, expiration?}]} (applied while it lasts), or DISABLED_UPDATE {ban_info:{waba_ban_state, waba_ban_date?}}. Sandbox channels only.',
        description:
          "Delivered in Cloud format to every number of the WABA that has a webhook; ACCOUNT_VIOLATION and ACCOUNT_RESTRICTION also reach the partner's webhook " +
          '(account_violation / account_restriction). A restriction replaces the WABA\'s restrictions until its expiration (default: one day; ISO-8601 or epoch seconds): ' +
          'RESTRICTED_BIZ_INITIATED_MESSAGING refuses sends to users whose 24-hour window is closed, RESTRICTED_CUSTOMER_INITIATED_MESSAGING sends to users whose window is open, ' +
          'both with Meta\'s error 131031 (HTTP 403). RESTRICTED_ADD_PHONE_NUMBER_ACTION is only reported. ' +
          "While a restriction lasts, GET /health_status shows the WABA entity LIMITED (one messaging restriction) or BLOCKED (both) with errors[], and the Partner API's WABA status is account_restriction. " +
          'DISABLED_UPDATE with waba_ban_state DISABLE bans the WABA until a REINSTATE: every send from its numbers is refused with 131031 (HTTP 403), the WABA entity is BLOCKED ' +
          "and the Partner API's WABA status account_banned; SCHEDULE_FOR_DISABLE is only reported. No partner event for DISABLED_UPDATE (the reference names none).",
        body: Type.Unknown({ description: '{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":"2026-12-08T10:00:00Z"}]}' }),
        response: { 200: Raised },
      },
    },
    async (request) => {
      const channel = request.channel!;
      // A number on Meta's network hears of its WABA from Meta.
      assertSandboxChannel(channel);
      const input = parseAccountUpdate(request.body, deps.clock.now());
      return raiseAccountUpdate(deps, channel, input);
    },
  );

  app.get(
    '/sandbox/v1/account_update',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary: "The restrictions in force on the channel's WABA, and since when it is banned (sandbox account_update)",
        response: {
          200: Type.Object({
            restrictions: Type.Array(Restriction),
            waba_banned_at: Type.Union([Type.String(), Type.Null()], { description: 'ISO-8601 UTC time of the DISABLED_UPDATE DISABLE in force; null when the WABA is not banned' }),
          }),
        },
      },
    },
    async (request) => ({ restrictions: activeRestrictions(request.channel!.waba_restrictions, deps.clock.now().getTime()), waba_banned_at: request.channel!.waba_banned_at }),
  );
};
