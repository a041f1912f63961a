// 360dialog's WABA webhook: GET/POST /waba_webhook with the number's D360-API-KEY.
//
// 360dialog's Hub: "WABA Webhook: WhatsApp events related to all the phone numbers contained in
// the WABA will be sent to 1 single endpoint", with optional headers (docs.360dialog.com/docs/hub/
// webhook-url). Clients call it on the Messaging API host: a Chatwoot fork's
// Whatsapp360DialogCloudApiService#validate_provider_config? POSTs `#{base}/waba_webhook` {url} and
// checks for a 2xx; nahlah.ai sends GET /waba_webhook; the PHP SDK xiaoguo0426/whatsapp-360-dialog-sdk
// (WebhookApi::setWabaUrl / getWabaUrl) always POSTs {"url","headers","override_all"} (PHP encodes
// empty headers as `[]`), reads `message` from the answer, and reads {waba_id, phone_numbers, url,
// headers} from the GET (into typed properties: a missing waba_id is a PHP TypeError). The bodies
// are not in 360dialog's published API reference; what is answered here is what those clients send
// and read (our choice), with the {url, headers} of /v1/configs/webhook kept for older clients.
//
// In openwaba this is the WABA's override (waba_accounts.override_callback_uri, the one
// POST /subscribed_apps sets): where the events of the WABA's numbers without a webhook URL of
// their own go (status-facts.ts CHANNEL_WEBHOOK_URL), with the headers set here
// (waba_accounts.override_headers, migration 0047; channel-webhook.ts sends them). The headers follow
// the channel webhook's rules (reserved names, count, sizes; webhook-url-policy.ts). That a
// number's own URL wins over the WABA's is Meta's documented override order; for 360dialog's WABA
// webhook it is unconfirmed. Unlike /subscribed_apps there is no Meta verification request
// (360dialog's /v1/configs/webhook has none either); the webhook URL policy applies.
//
// override_all: not described in any 360dialog document found (only the PHP SDK sends it, with
// no comment beyond its name). Our reading: `true` makes the WABA's URL replace the numbers' own,
// once, at the time of the call: the webhook URL (and its headers) of every number of the WABA is
// removed, so that all their events go to the WABA's URL from then on; a number that later sets
// a URL of its own (POST /v1/configs/webhook) gets its events there again. Extra destinations
// (/multi_webhook) are kept. `false` (or absent) changes no number. override_all with no URL (a
// removal) is refused: it would leave every number with nowhere to deliver.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import type { Deps } from '../../deps.ts';
import { isoNow } from '../../clock.ts';
import { fail, isObj } from '../validate/check.ts';
import { checkWebhookHeaders, checkWebhookUrl } from '../webhook-url-policy.ts';
import { parseStoredHeaders } from '../../webhooks/targets.ts';
import { channelIdentity } from '../channel-webhook.ts';
import type { WebhookUrlPolicy } from '../../services/webhook-target-checks.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Webhook configuration'];
const cloud = { flavour: 'cloud' as const };
const Headers = Type.Record(Type.String(), Type.String());
const Config = Type.Object({
  waba_id: Type.String({ description: "The WABA's id (Meta's)" }),
  phone_numbers: Type.Array(Type.String(), { description: "The WABA's phone numbers (as the channels' phone_number)" }),
  url: Type.Union([Type.String(), Type.Null()]),
  headers: Headers,
});
const SetAnswer = Type.Object({
  url: Type.Union([Type.String(), Type.Null()]),
  headers: Headers,
  message: Type.String(),
});
const Body = Type.Unknown({
  description: '{"url":"https://…","headers":{…} (or [] for none),"override_all":false} ("" or null removes the WABA webhook)',
});

export interface WabaWebhookInput {
  /** The URL, or null to remove the WABA webhook. */
  url: string | null;
  headers: Record<string, string>;
  overrideAll: boolean;
}

const ALLOWED = ['url', 'headers', 'override_all'];

/** Reads and checks the POST body; throws a Cloud-format 400 naming the field. */
export function parseWabaWebhookBody(body: unknown, policy: WebhookUrlPolicy): WabaWebhookInput {
  if (!isObj(body)) throw fail('body', 'must be a JSON object such as {"url":"https://example.com/webhook"}');
  for (const k of Object.keys(body)) if (!ALLOWED.includes(k)) throw fail(k, `is not a known field (allowed: ${ALLOWED.join(', ')})`);
  if (!('url' in body)) throw fail('url', 'is required');
  let url: string | null;
  if (body.url === null || body.url === '') url = null;
  else if (typeof body.url === 'string') url = checkWebhookUrl(body.url, policy);
  else throw fail('url', 'must be a string');
  // PHP encodes an empty associative array as `[]`: an empty array is no headers; any other array is refused.
  let raw = body.headers;
  if (Array.isArray(raw)) {
    if (raw.length > 0) throw fail('headers', 'must be an object of header names to string values (or [] / {} for none)');
    raw = undefined;
  }
  const headers = checkWebhookHeaders(raw, policy);
  const overrideAll = body.override_all ?? false;
  if (typeof overrideAll !== 'boolean') throw fail('override_all', 'must be a boolean');
  if (url === null && Object.keys(headers).length > 0) throw fail('headers', 'cannot be set without a url');
  if (url === null && overrideAll) throw fail('override_all', 'needs a url: removing the WABA webhook and every number\'s own would leave the numbers with no webhook');
  return { url, headers, overrideAll };
}

const wabaOf = (wabaId: string | null) => {
  if (!wabaId) throw fail('waba', 'this number is not attached to a WhatsApp Business Account');
  return wabaId;
};

async function wabaPhoneNumbers(deps: Deps, partnerId: string, wabaId: string): Promise<string[]> {
  const rows = await deps.db.kysely
    .selectFrom('channels')
    .select('phone_number')
    .where('partner_id', '=', partnerId)
    .where('waba_account_id', '=', wabaId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.phone_number);
}

export const wabaWebhookRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.get(
    '/waba_webhook',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "The WABA's webhook: its URL (for all its numbers without a URL of their own) and headers, with the WABA's id and phone numbers",
        response: { 200: Config },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const wabaId = wabaOf(ch.waba_account_id);
      const waba = await deps.db.kysely
        .selectFrom('waba_accounts')
        .select(['override_callback_uri', 'override_headers'])
        .where('id', '=', wabaId)
        .where('partner_id', '=', ch.partner_id)
        .executeTakeFirst();
      const { wabaExternalId } = await channelIdentity(deps, ch);
      // phone_numbers: the SDK types it only as an array; the numbers as strings is our choice.
      return {
        waba_id: wabaExternalId ?? wabaId,
        phone_numbers: await wabaPhoneNumbers(deps, ch.partner_id, wabaId),
        url: waba?.override_callback_uri ?? null,
        headers: parseStoredHeaders(waba?.override_headers ?? null),
      };
    },
  );

  app.post(
    '/waba_webhook',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "Set the WABA's webhook URL and headers (events of all its numbers without a URL of their own go there)",
        description:
          'The same store as POST /subscribed_apps override_callback_uri, without a verification request. OPENWABA_WEBHOOK_URL_POLICY and the channel webhook\'s header rules apply; headers [] means none. override_all=true removes the webhook URL (and headers) of every number of the WABA, so that all their events go to this URL.',
        body: Body,
        response: { 200: SetAnswer },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const input = parseWabaWebhookBody(request.body, deps.config.webhookUrlPolicy);
      const wabaId = wabaOf(ch.waba_account_id);
      const now = isoNow(deps.clock);
      await deps.db.kysely.transaction().execute(async (tx) => {
        await tx
          .updateTable('waba_accounts')
          .set({ override_callback_uri: input.url, override_headers: Object.keys(input.headers).length ? JSON.stringify(input.headers) : null, modified_at: now })
          .where('id', '=', wabaId)
          .where('partner_id', '=', ch.partner_id)
          .execute();
        if (input.overrideAll) {
          await tx
            .updateTable('channels')
            .set({ webhook_url: null, webhook_headers: null, modified_at: now })
            .where('partner_id', '=', ch.partner_id)
            .where('waba_account_id', '=', wabaId)
            .where('webhook_url', 'is not', null)
            .execute();
        }
      });
      // 360dialog answers {"message": …} (the URL is applied within 15-20 seconds there; at once here).
      const message =
        input.url === null
          ? 'The WABA webhook URL has been removed.'
          : input.overrideAll
            ? "The WABA webhook URL has been set, replacing the webhook URLs of all the WABA's phone numbers."
            : 'The WABA webhook URL has been set.';
      return { url: input.url, headers: input.headers, message };
    },
  );
};
