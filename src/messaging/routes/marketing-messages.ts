// Marketing Messages Lite API: POST /marketing_messages (a MARKETING template send, as 360dialog
// exposes Graph's /{phone-number-id}/marketing_messages), and the sandbox's control of a WABA's
// MM Lite status, GET/POST /sandbox/v1/marketing_messages_lite. See ../marketing-messages.ts.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { metaError } from '../errors.ts';
import { isObj, oneOf, onlyKeys } from '../validate/check.ts';
import { CloudSent } from './messages.ts';
import { MM_LITE_STATUSES, marketingSendFor, mmLiteStatusOf, setMmLiteStatus, validateMarketingSend } from '../marketing-messages.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];

const MarketingBody = Type.Unknown({
  description:
    'A Cloud API template message ({messaging_product:"whatsapp", recipient_type:"individual", to | recipient, type:"template", template:{name, language:{code, policy?}, components?}, biz_opaque_callback_data?}) of a MARKETING template, with the optional message_activity_sharing (boolean) and product_policy ("CLOUD_API_FALLBACK" | "STRICT")',
});
const MmLiteStatus = Type.Object({
  marketing_messages_lite_api_status: Type.Union(MM_LITE_STATUSES.map((s) => Type.Literal(s)), { description: "The channel's WABA's MM Lite status, as the Partner API's WABA settings show it" }),
});

/** The MM Lite status is the WABA's: Meta holds it for a number on Meta's network. */
function assertSandbox(channel: ChannelRow): void {
  if (channel.network !== 'sandbox') {
    throw metaError(409, 100, 'Not a sandbox channel', "This channel is on Meta's Cloud API: its WABA's Marketing Messages Lite API status is Meta's (the business accepts the terms in WhatsApp Manager or 360dialog's Hub)");
  }
}

export const marketingMessageRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, messenger }) => {
  app.post(
    '/marketing_messages',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Messaging (Cloud)'],
        summary: 'Send a MARKETING template through the Marketing Messages Lite API (MM Lite): the /messages body of a template send, plus message_activity_sharing and product_policy',
        security,
        body: MarketingBody,
        response: { 200: CloudSent },
      },
    },
    async (request) => {
      const channel = request.channel!;
      const { msg, graphFields } = validateMarketingSend(request.body);
      const marketing = await marketingSendFor(deps, channel, graphFields);
      const sent = await messenger.send(channel, msg, request.log, { marketing });
      // Meta's answer names message_status; the sandbox's take is always "accepted".
      const status = sent.messageStatus ?? (channel.network === 'meta' ? undefined : 'accepted');
      const message = status === undefined ? { id: sent.id } : { id: sent.id, message_status: status };
      return { messaging_product: 'whatsapp' as const, contacts: [{ input: sent.input, ...(sent.contact ?? { wa_id: sent.waId }) }], messages: [message] };
    },
  );

  const tags = ['Sandbox (extension)'];
  app.get(
    '/sandbox/v1/marketing_messages_lite',
    { config: { flavour: 'cloud' }, schema: { tags, security, summary: "The channel's WABA's Marketing Messages Lite API status", response: { 200: MmLiteStatus } } },
    async (request) => ({ marketing_messages_lite_api_status: await mmLiteStatusOf(deps, request.channel!.waba_account_id) }),
  );

  app.post(
    '/sandbox/v1/marketing_messages_lite',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary:
          "Set the channel's WABA's Marketing Messages Lite API status (all its numbers): ONBOARDED (the terms accepted, as in 360dialog's Hub; the default), ELIGIBLE (not accepted) or INELIGIBLE. Sandbox channels only.",
        body: Type.Unknown({ description: '{"marketing_messages_lite_api_status":"ONBOARDED"|"ELIGIBLE"|"INELIGIBLE"}' }),
        response: { 200: MmLiteStatus },
      },
    },
    async (request) => {
      const channel = request.channel!;
      assertSandbox(channel);
      const b = request.body;
      if (!isObj(b)) throw metaError(400, 100, 'Invalid parameter', 'body: must be a JSON object with marketing_messages_lite_api_status');
      onlyKeys(b, 'body', ['marketing_messages_lite_api_status']);
      const status = oneOf(b.marketing_messages_lite_api_status, 'marketing_messages_lite_api_status', MM_LITE_STATUSES);
      await setMmLiteStatus(deps, channel.waba_account_id, status);
      return { marketing_messages_lite_api_status: status };
    },
  );
};
