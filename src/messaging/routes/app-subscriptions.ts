// Graph's app webhook subscription, for clients that set their callback URL at the app level
// (pywa, given callback_url with app_id and app_secret, does it at start-up after asking GET
// /oauth/access_token for an app token: routes/graph-app-token.ts):
//
//   POST /{version}/{app-id}/subscriptions  object=whatsapp_business_account, callback_url, verify_token,
//        fields (comma list or array), include_values?   → {"success":true}        (also /subscriptions)
//   GET  /{version}/{app-id}/subscriptions  → {"data":[{object, callback_url, active, fields:[{name,version}]}]}
//
// openwaba has no Meta app for sandbox numbers (our design): the app token is a channel key, so the
// subscription is that channel's, and the callback URL becomes the channel's webhook URL, the one
// POST /v1/configs/webhook sets (same storage, same URL policy; its custom headers stay). As Meta
// does, the URL is set only after it answers the verification GET (?hub.mode=subscribe&
// hub.challenge=…&hub.verify_token=…) with the challenge: the same request as the webhook overrides
// make (webhook-override.ts verifyCallback: no redirect followed, short deadline, strict policy
// refuses private addresses); a failure is Graph's 400 code 2200 and nothing changes. The app id in
// the path is any numeric id (graph-paths.ts), as for /{app-id}/uploads. `fields` are checked for
// form but not kept: every event of the number goes to its URL (our choice), and GET lists the
// fields openwaba sends. A number on Meta's network gets the same (openwaba's channel URL, where
// openwaba relays Meta's events): the app subscribed at Meta is openwaba's own, which a channel key
// must not change.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { graphBool, graphListParam, graphParams } from '../graph-params.ts';
import { verifyCallback } from '../webhook-override.ts';
import { checkWebhookUrl } from '../webhook-url-policy.ts';
import { setChannelWebhook, webhookConfigOf } from '../channel-webhook.ts';
import { arr, fail, type Obj } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Webhook configuration'];
const cloud = { flavour: 'cloud' as const };
const OBJECT = 'whatsapp_business_account';
const MAX_VERIFY_TOKEN = 256;
const MAX_FIELDS = 100;
const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The WABA webhook fields openwaba sends (GET's answer; our list). */
const SENT_FIELDS = [
  'messages',
  'message_template_status_update',
  'message_template_quality_update',
  'message_template_components_update',
  'template_category_update',
  'account_update',
  'phone_number_quality_update',
  'business_capability_update',
  'flows',
  'calls',
  'group_lifecycle_update',
];

const Success = Type.Object({ success: Type.Boolean() });
const Subscription = Type.Object(
  {
    object: Type.String(),
    callback_url: Type.String(),
    active: Type.Boolean(),
    fields: Type.Array(Type.Object({ name: Type.String(), version: Type.String() })),
  },
  { additionalProperties: true },
);

/** `fields`: Graph's comma list (pywa's `",".join(fields)`), a JSON array, or its JSON text. */
function fieldsParam(v: unknown): string[] {
  if (v === undefined || v === '') return [];
  const list = graphListParam(v, 'fields', 'field names');
  return arr(list, 'fields', { max: MAX_FIELDS }).map((f, i) => {
    if (typeof f !== 'string' || !FIELD_NAME.test(f)) throw fail(`fields[${i}]`, 'must be a webhook field name such as messages');
    return f;
  });
}

interface SubscriptionInput {
  callbackUrl: string;
  verifyToken: string;
}

export function parseSubscription(deps: MessagingOptions['deps'], p: Obj): SubscriptionInput {
  if (p.object !== OBJECT) throw fail('object', `must be ${OBJECT} (the only object openwaba serves)`);
  if (typeof p.callback_url !== 'string' || p.callback_url === '') throw fail('callback_url', 'is required (the URL that receives the webhooks)');
  const token = p.verify_token;
  if (typeof token !== 'string' || token === '' || token.length > MAX_VERIFY_TOKEN) throw fail('verify_token', `is required with callback_url: a string of at most ${MAX_VERIFY_TOKEN} characters`);
  fieldsParam(p.fields);
  graphBool(p.include_values, 'include_values');
  const callbackUrl = checkWebhookUrl(p.callback_url, deps.config.webhookUrlPolicy, 'callback_url');
  return { callbackUrl, verifyToken: token };
}

export const appSubscriptionRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.get(
    '/subscriptions',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "The app's webhook subscription (Graph's GET /{app-id}/subscriptions): the key's channel webhook URL",
        response: { 200: Type.Object({ data: Type.Array(Subscription) }) },
      },
    },
    async (request) => {
      const url = request.channel!.webhook_url;
      if (!url) return { data: [] };
      const version = deps.config.metaGraphVersion;
      return { data: [{ object: OBJECT, callback_url: url, active: true, fields: SENT_FIELDS.map((name) => ({ name, version })) }] };
    },
  );

  app.post(
    '/subscriptions',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "Set the key's channel webhook URL as Graph's app subscription (POST /{app-id}/subscriptions), after Meta's verification GET",
        description:
          'Parameters in the query string or the body: object=whatsapp_business_account, callback_url, verify_token, fields (comma list), include_values?. The URL must answer GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… with the challenge (HTTP 200) first; OPENWABA_WEBHOOK_URL_POLICY applies. The URL becomes the channel webhook (as POST /v1/configs/webhook).',
        querystring: Type.Object(
          {
            object: Type.Optional(Type.String({ maxLength: 64 })),
            callback_url: Type.Optional(Type.String({ maxLength: 2048 })),
            verify_token: Type.Optional(Type.String({ maxLength: MAX_VERIFY_TOKEN })),
            fields: Type.Optional(Type.String({ maxLength: 8192 })),
            include_values: Type.Optional(Type.String({ maxLength: 8 })),
          },
          { additionalProperties: true },
        ),
        body: Type.Unknown(),
        response: { 200: Success },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const input = parseSubscription(deps, graphParams(request));
      await verifyCallback(deps, input.callbackUrl, input.verifyToken);
      await setChannelWebhook(deps, ch, { url: input.callbackUrl, headers: webhookConfigOf(ch).headers });
      return { success: true };
    },
  );
};
