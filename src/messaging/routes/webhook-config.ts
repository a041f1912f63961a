// The channel's webhook: GET/POST /v1/configs/webhook (also /configs/webhook) with {url, headers}.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { setChannelWebhook, webhookConfigOf } from '../channel-webhook.ts';
import { webhookConfigBody } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const Config = Type.Object({
  url: Type.Union([Type.String(), Type.Null()]),
  headers: Type.Record(Type.String(), Type.String()),
});
const Body = Type.Unknown({ description: '{"url":"https://…","headers":{"Authorization":"Basic …"}}' });

export const webhookConfigRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  for (const [path, flavour] of [['/v1/configs/webhook', 'onpremise'], ['/configs/webhook', 'cloud']] as const) {
    const tags = ['Webhook configuration'];
    app.get(path, { config: { flavour }, schema: { tags, summary: "The channel's webhook URL and custom headers", security, response: { 200: Config } } }, async (request) =>
      webhookConfigOf(request.channel!),
    );
    app.post(
      path,
      {
        config: { flavour },
        schema: {
          tags,
          summary: "Set the channel's webhook URL (and custom headers sent with every delivery)",
          description:
            'OPENWABA_WEBHOOK_URL_POLICY=strict applies the rules for Cloud API webhooks: https only, no "_" and no explicit port in the host, no private or loopback address.',
          security,
          body: Body,
          response: { 200: Config },
        },
      },
      async (request) => {
        return setChannelWebhook(deps, request.channel!, webhookConfigBody(request.body));
      },
    );
  }
};
