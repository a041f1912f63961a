// A channel's webhook: its URL and custom headers (POST /v1/configs/webhook), where the
// dispatcher delivers the channel's events, and the enqueueing of those events.
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { isoNow } from '../clock.ts';
import type { ChannelRow } from '../services/channels.ts';
import { enqueueEvent } from '../webhooks/outbox.ts';
import { parseStoredHeaders, registerCopyTargets, registerTargetResolver } from '../webhooks/targets.ts';
import { checkWebhookHeaders, checkWebhookUrl } from './webhook-url-policy.ts';
import { invalidParameter } from './errors.ts';
import type { ChannelIdentity } from './webhook-payloads.ts';
import { copiesForDestinations, destinationTarget } from './multi-webhook-delivery.ts';
import { CHANNEL_WEBHOOK_URL, WABA_EXTERNAL_ID } from './status-facts.ts';

export interface ChannelWebhookConfig {
  url: string | null;
  headers: Record<string, string>;
}


export function webhookConfigOf(channel: ChannelRow): ChannelWebhookConfig {
  return { url: channel.webhook_url, headers: parseStoredHeaders(channel.webhook_headers) };
}

export async function setChannelWebhook(deps: Deps, channel: ChannelRow, input: { url: unknown; headers?: unknown }): Promise<ChannelWebhookConfig> {
  let url: string | null;
  if (input.url === null || input.url === '') url = null;
  else if (typeof input.url === 'string') url = checkWebhookUrl(input.url, deps.config.webhookUrlPolicy);
  else throw invalidParameter('url must be a string');
  const headers = checkWebhookHeaders(input.headers, deps.config.webhookUrlPolicy);
  await deps.db.kysely
    .updateTable('channels')
    .set({ webhook_url: url, webhook_headers: Object.keys(headers).length ? JSON.stringify(headers) : null, modified_at: isoNow(deps.clock) })
    .where('id', '=', channel.id)
    .execute();
  return { url, headers };
}

registerTargetResolver('channel', async (deps, channelId) => {
  const ch = await deps.db.kysely
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .leftJoin('channel_webhook_app_secrets as s', 's.channel_id', 'channels.id')
    .select(['channels.webhook_url', 'channels.webhook_headers', 'waba_accounts.override_callback_uri', 'waba_accounts.override_headers', 's.app_secret'])
    .where('channels.id', '=', channelId)
    .executeTakeFirst();
  if (!ch) return undefined;
  // Messaging webhooks are not signed by 360dialog; custom headers (e.g. Authorization) authenticate them.
  // A number with a webhook app secret (webhook-app-secret.ts) also gets Meta's X-Hub-Signature-256,
  // read here at delivery time, so a changed secret applies to pending retries.
  const hubSecret = ch.app_secret ?? null;
  if (ch.webhook_url) return { url: ch.webhook_url, headers: parseStoredHeaders(ch.webhook_headers), secret: null, sign360: false, hubSecret };
  // No URL of the number's own: its WABA's override (CHANNEL_WEBHOOK_URL, the same order the
  // events were written by). The number's custom headers belong to its own URL and are not sent
  // there; the WABA's own (POST /waba_webhook, routes/waba-webhook.ts) are. Meta signs the override's deliveries too.
  return { url: ch.override_callback_uri ?? null, headers: parseStoredHeaders(ch.override_headers), secret: null, sign360: false, hubSecret };
});

// The number's extra webhook destinations (POST /multi_webhook) get a copy of each event the
// main webhook has received (multi-webhook-delivery.ts).
registerCopyTargets('channel', copiesForDestinations);
registerTargetResolver('channel_destination', destinationTarget, { endedByOwner: true });

export async function channelIdentity(
  deps: Deps,
  channel: ChannelIdentity['channel'] & Pick<ChannelRow, 'id' | 'waba_account_id'>,
  tx: Executor = deps.db.kysely,
): Promise<ChannelIdentity> {
  const row = await tx
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .leftJoin('meta_channels', 'meta_channels.channel_id', 'channels.id')
    .select(WABA_EXTERNAL_ID.as('waba_external_id'))
    .where('channels.id', '=', channel.id)
    .executeTakeFirst();
  return { channel, wabaExternalId: row?.waba_external_id ?? channel.waba_account_id };
}

/**
 * Where the channel's events go now: its own webhook URL, else its WABA's override
 * (CHANNEL_WEBHOOK_URL), read in tx. For event writers that hold a ChannelRow, whose
 * `webhook_url` is the number's own column only.
 */
export async function channelWebhookUrl(tx: Executor, channelId: string): Promise<string | null> {
  const row = await tx
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .select(CHANNEL_WEBHOOK_URL.as('webhook_url'))
    .where('channels.id', '=', channelId)
    .executeTakeFirst();
  return row?.webhook_url ?? null;
}

/**
 * Writes a channel event (an inbound message or a status) into the outbox. A channel without a
 * webhook URL gets none: like the real platform, nothing is kept for a receiver that does not exist
 * (nor sent to its extra destinations, which get copies of what the main webhook has received).
 */
export async function emitChannelEvent(
  deps: Deps,
  tx: Executor,
  channel: Pick<ChannelRow, 'id' | 'partner_id' | 'webhook_url'>,
  eventType: 'message' | 'status' | 'template_status' | 'account_update' | 'group',
  body: unknown,
): Promise<string | undefined> {
  if (!channel.webhook_url) return undefined;
  return enqueueEvent(deps, tx, { partnerId: channel.partner_id, targetType: 'channel', targetId: channel.id, eventType, body: JSON.stringify(body) });
}
