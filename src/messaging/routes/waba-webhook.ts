// 360dialog's WABA webhook: GET/POST /waba_webhook {url, headers?} with the number's D360-API-KEY.
//
// 360dialog's Hub: "WABA Webhook: WhatsApp events related to all the phone numbers contained in
// the WABA will be sent to 1 single endpoint" (docs.360dialog.com/docs/hub/webhook-url). Clients
// call it on the Messaging API host: a Chatwoot fork's Whatsapp360DialogCloudApiService
// #validate_provider_config? POSTs `#{base}/waba_webhook` {url} and checks for a 2xx; nahlah.ai
// sends GET /waba_webhook. The request and answer bodies are not in 360dialog's published API
// reference: they are taken to be those of /v1/configs/webhook ({url} in, {url, headers} out),
// which is what those clients send and read (our choice).
//
// In openwaba this is the WABA's override (waba_accounts.override_callback_uri, the one
// POST /subscribed_apps sets): where the events of the WABA's numbers without a webhook URL of
// their own go (status-facts.ts CHANNEL_WEBHOOK_URL). That a number's own URL wins over the WABA's
// is Meta's documented override order; for 360dialog's WABA webhook it is unconfirmed. Unlike
// /subscribed_apps there is no Meta verification request (360dialog's /v1/configs/webhook has
// none either); the webhook URL policy applies. openwaba keeps no headers at the WABA level, so
// custom headers are refused with a 400 rather than silently dropped; `{}` is accepted.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { isoNow } from '../../clock.ts';
import { fail, isObj, webhookConfigBody } from '../validate/check.ts';
import { checkWebhookUrl } from '../webhook-url-policy.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Webhook configuration'];
const cloud = { flavour: 'cloud' as const };
const Config = Type.Object({ url: Type.Union([Type.String(), Type.Null()]), headers: Type.Record(Type.String(), Type.String()) });
const Body = Type.Unknown({ description: '{"url":"https://…"} ("" or null removes the WABA webhook)' });

export const wabaWebhookRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  const wabaOf = (wabaId: string | null) => {
    if (!wabaId) throw fail('waba', 'this number is not attached to a WhatsApp Business Account');
    return wabaId;
  };

  app.get(
    '/waba_webhook',
    { config: cloud, schema: { tags, security, summary: "The WABA's webhook URL (for all its numbers without a URL of their own)", response: { 200: Config } } },
    async (request) => {
      const waba = await deps.db.kysely.selectFrom('waba_accounts').select('override_callback_uri').where('id', '=', wabaOf(request.channel!.waba_account_id)).executeTakeFirst();
      return { url: waba?.override_callback_uri ?? null, headers: {} };
    },
  );

  app.post(
    '/waba_webhook',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "Set the WABA's webhook URL (events of all its numbers without a URL of their own go there)",
        description: 'The same store as POST /subscribed_apps override_callback_uri, without a verification request. OPENWABA_WEBHOOK_URL_POLICY applies. Custom headers are not kept at the WABA level: only {} is accepted.',
        body: Body,
        response: { 200: Config },
      },
    },
    async (request) => {
      const body = webhookConfigBody(request.body);
      if (body.headers !== undefined && body.headers !== null && !(isObj(body.headers) && Object.keys(body.headers).length === 0)) {
        throw fail('headers', 'custom headers are not supported on the WABA webhook; set them on the number with POST /v1/configs/webhook');
      }
      let url: string | null;
      if (body.url === null || body.url === '') url = null;
      else if (typeof body.url === 'string') url = checkWebhookUrl(body.url, deps.config.webhookUrlPolicy);
      else throw fail('url', 'must be a string');
      const wabaId = wabaOf(request.channel!.waba_account_id);
      await deps.db.kysely.updateTable('waba_accounts').set({ override_callback_uri: url, modified_at: isoNow(deps.clock) }).where('id', '=', wabaId).execute();
      return { url, headers: {} };
    },
  );
};
