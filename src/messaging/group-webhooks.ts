// The Groups API's webhooks (Meta's "Webhooks for Groups API"), in the Cloud format every number
// with groups has: the `whatsapp_business_account` envelope, one change whose field is
// group_lifecycle_update (created, deleted) or group_participants_update (a user joined, asked to
// join, was removed), and a `groups` array in its value. They go through the channel's outbox
// like its messages and statuses (channel-webhook.ts).
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import type { ChannelRow } from '../services/channels.ts';
import { channelIdentity, emitChannelEvent } from './channel-webhook.ts';

export type GroupWebhookField = 'group_lifecycle_update' | 'group_participants_update';

/** Writes one group webhook (one `groups[]` item) into the channel's outbox, in tx. */
export async function emitGroupEvent(deps: Deps, tx: Executor, ch: ChannelRow, field: GroupWebhookField, item: Record<string, unknown>, at: Date): Promise<void> {
  if (!ch.webhook_url) return;
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
  await emitChannelEvent(deps, tx, ch, 'group', body);
}
