// On-Premise application settings: GET/PATCH /v1/settings/application.
//
// The shape is the On-Premises client's (Meta's reference, developers.facebook.com/docs/whatsapp/
// on-premises/reference/settings/app): {"settings":{"application":{callback_backoff_delay_ms,
// callback_persist, garbagecollector_enable, heartbeat_interval, max_callback_backoff_delay_ms,
// media:{auto_download}, notify_user_change_number, show_security_notifications,
// unhealthy_interval, wa_id, webhooks:{url, max_concurrent_requests, message:{sent,delivered,read}},
// verbose_logging, log_level}},"meta":{…}}. A Chatwoot-derived app's specs stub GET
// waba.360dialog.io/v1/settings/application; generic On-Premise clients PATCH it to set webhooks.url.
//
// openwaba has one setting here: webhooks.url, which is the channel's webhook URL (the one
// POST /v1/configs/webhook sets, same URL policy and errors). The other values are the reference's
// defaults, fixed (openwaba's delivery and retries are its own). A PATCH accepts and ignores every
// other documented field, and any unknown one too: an On-Premise client PATCHes the settings it
// keeps for a self-hosted Coreapp, which mean nothing here, and "if a field is not present in the
// request, no change is made" (the reference), so refusing them would only break such clients.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { ONPREM_META } from '../errors.ts';
import { fail, isObj } from '../validate/check.ts';
import { setChannelWebhook, webhookConfigOf } from '../channel-webhook.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const config = { flavour: 'onpremise' as const };
const tags = ['Channel (On-Premise)'];

export const onPremApplicationRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.get('/v1/settings/application', { config, schema: { tags, summary: 'The application settings (On-Premise shape): webhooks.url is the channel webhook URL', security } }, async (request) => {
    const ch = request.channel!;
    return {
      settings: {
        application: {
          callback_backoff_delay_ms: 3000,
          callback_persist: true,
          garbagecollector_enable: { media: false, messages: true },
          heartbeat_interval: 5,
          max_callback_backoff_delay_ms: 900000,
          media: { auto_download: [] as string[] },
          notify_user_change_number: true,
          show_security_notifications: false,
          unhealthy_interval: 30,
          wa_id: ch.phone_number,
          webhooks: { url: ch.webhook_url ?? '', max_concurrent_requests: 6, message: { sent: true, delivered: true, read: true } },
          verbose_logging: false,
          log_level: 'info',
        },
      },
      meta: ONPREM_META,
    };
  });

  app.patch(
    '/v1/settings/application',
    {
      config,
      schema: {
        tags,
        summary: 'Update the application settings: webhooks.url sets the channel webhook URL ("" removes it); other fields are accepted and ignored',
        security,
        body: Type.Unknown({ description: '{"webhooks":{"url":"https://…"}}' }),
      },
    },
    async (request) => {
      const body = request.body;
      if (!isObj(body)) throw fail('body', 'must be a JSON object such as {"webhooks":{"url":"https://example.com/webhook"}}');
      const hooks = body.webhooks;
      if (hooks !== undefined) {
        if (!isObj(hooks)) throw fail('webhooks', 'must be an object such as {"url":"https://example.com/webhook"}');
        // The channel's custom headers stay: the On-Premise settings have none.
        if (hooks.url !== undefined) await setChannelWebhook(deps, request.channel!, { url: hooks.url, headers: webhookConfigOf(request.channel!).headers });
      }
      return { meta: ONPREM_META };
    },
  );
};
