// A simulated user writes to the channel: the message gets a wamid, opens the 24-hour window,
// and goes to the channel's webhook in the channel's format.
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { transact } from '../webhooks/outbox.ts';
import { channelIdentity, emitChannelEvent } from './channel-webhook.ts';
import { inboundPayload } from './webhook-payloads.ts';
import { newMessageId } from './wamid.ts';
import { insertMessage } from './messages.ts';

export interface InboundMessage {
  from: string;
  /** The user's profile name; left out, the user keeps the one they have (a new user: "User <last 4 digits>"). */
  name?: string;
  type: string;
  /** The type object as it appears in the webhook (`text: {body}`, `interactive: {type, button_reply}`, …). */
  content: unknown;
  context?: { from: string; id: string };
}

export async function receiveInbound(deps: Deps, channel: ChannelRow, msg: InboundMessage): Promise<{ id: string; timestamp: string }> {
  const now = deps.clock.now();
  const iso = now.toISOString();
  const id = newMessageId(channel, msg.from);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  await transact(deps, async (tx) => {
    const fallback = `User ${msg.from.slice(-4)}`;
    const { name } = await tx
      .insertInto('sandbox_users')
      .values({ channel_id: channel.id, wa_id: msg.from, name: msg.name ?? fallback, last_inbound_at: iso, unreachable: 0, blocked: 0, created_at: iso, modified_at: iso })
      .onConflict((oc) =>
        // Without a name the user keeps theirs (one made by POST /sandbox/v1/users without a name gets the fallback now).
        oc.columns(['channel_id', 'wa_id']).doUpdateSet({ name: msg.name ?? sql<string>`coalesce(sandbox_users.name, ${fallback})`, last_inbound_at: iso, modified_at: iso }),
      )
      .returning('name')
      .executeTakeFirstOrThrow();
    await insertMessage(tx, {
      id,
      channel,
      direction: 'inbound',
      waId: msg.from,
      type: msg.type,
      content: msg.content,
      context: msg.context,
      contextId: msg.context?.id,
      status: 'received',
      category: 'service',
      at: iso,
    });
    // The webhook as it is now, in this transaction (it may have changed since the request's key was checked).
    const target = await tx
      .selectFrom('channels')
      .select(['id', 'partner_id', 'webhook_url', 'hosting_type', 'phone_number', 'external_id', 'waba_account_id'])
      .where('id', '=', channel.id)
      .executeTakeFirstOrThrow();
    if (!target.webhook_url) return;
    const message = { from: msg.from, id, timestamp, type: msg.type, [msg.type]: msg.content, ...(msg.context ? { context: msg.context } : {}) };
    await emitChannelEvent(
      deps,
      tx,
      target,
      'message',
      inboundPayload(await channelIdentity(deps, target, tx), { contact: { profile: { name: name ?? fallback }, wa_id: msg.from }, message }),
    );
  });
  return { id, timestamp };
}
