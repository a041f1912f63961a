// The Groups API's webhooks (Meta's "Webhooks for Groups API"), in the Cloud format every number
// with groups has: the `whatsapp_business_account` envelope, one change whose field is
// group_lifecycle_update (created, deleted), group_participants_update (a user joined, asked to
// join, was removed, left, withdrew a request), group_settings_update (subject, description,
// picture changed) or group_status_update (suspended, suspension cleared), and a `groups` array in its value. They go through the channel's outbox
// like its messages and statuses (channel-webhook.ts).
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import type { ChannelRow } from '../services/channels.ts';
import { channelIdentity, channelWebhookUrl, emitChannelEvent } from './channel-webhook.ts';

export type GroupWebhookField = 'group_lifecycle_update' | 'group_participants_update' | 'group_settings_update' | 'group_status_update';

/** Writes one group webhook (one `groups[]` item) into the channel's outbox, in tx. */
export async function emitGroupEvent(deps: Deps, tx: Executor, ch: ChannelRow, field: GroupWebhookField, item: Record<string, unknown>, at: Date): Promise<void> {
  // The number's own URL, else its WABA's override (as its messages and statuses go).
  const url = ch.webhook_url ?? (await channelWebhookUrl(tx, ch.id));
  if (!url) return;
  const who = await channelIdentity(deps, ch, tx);
  const body = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: who.wabaExternalId,
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: ch.phone_number, phone_number_id: ch.external_id },
              groups: [{ timestamp: String(Math.floor(at.getTime() / 1000)), ...item }],
            },
          },
        ],
      },
    ],
  };
  await emitChannelEvent(deps, tx, { ...ch, webhook_url: url }, 'group', body);
}
