// A simulated user writes to the channel: the message gets a wamid, opens the 24-hour window,
// and goes to the channel's webhook in the channel's format.
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { transact } from '../webhooks/outbox.ts';
import { channelIdentity, emitChannelEvent } from './channel-webhook.ts';
import { inboundPayload } from './webhook-payloads.ts';
import { newWamid } from './wamid.ts';

export interface InboundMessage {
  from: string;
  name: string;
  type: string;
  /** The type object as it appears in the webhook (`text: {body}`, `interactive: {type, button_reply}`, …). */
  content: unknown;
  context?: { from: string; id: string };
}

export async function receiveInbound(deps: Deps, channel: ChannelRow, msg: InboundMessage): Promise<{ id: string; timestamp: string }> {
  const now = deps.clock.now();
  const iso = now.toISOString();
  const id = newWamid(msg.from);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  await transact(deps, async (tx) => {
    await tx
      .insertInto('sandbox_users')
      .values({ channel_id: channel.id, wa_id: msg.from, name: msg.name, last_inbound_at: iso, unreachable: 0, blocked: 0, created_at: iso, modified_at: iso })
      .onConflict((oc) => oc.columns(['channel_id', 'wa_id']).doUpdateSet({ name: msg.name, last_inbound_at: iso, modified_at: iso }))
      .execute();
    await tx
      .insertInto('messages')
      .values({
        id,
        channel_id: channel.id,
        partner_id: channel.partner_id,
        client_id: channel.client_id,
        direction: 'inbound',
        wa_id: msg.from,
        type: msg.type,
        content: JSON.stringify({ type: msg.type, [msg.type]: msg.content, ...(msg.context ? { context: msg.context } : {}) }),
        status: 'received',
        error_code: null,
        error_title: null,
        category: 'service',
        initiated_by: 'user',
        template_name: null,
        context_id: msg.context?.id ?? null,
        created_at: iso,
        modified_at: iso,
        sent_at: null,
        delivered_at: null,
        read_at: null,
        failed_at: null,
      })
      .execute();
    const fresh = await tx.selectFrom('channels').selectAll().where('id', '=', channel.id).executeTakeFirstOrThrow();
    const message = { from: msg.from, id, timestamp, type: msg.type, [msg.type]: msg.content, ...(msg.context ? { context: msg.context } : {}) };
    await emitChannelEvent(
      deps,
      tx,
      fresh,
      'message',
      inboundPayload(await channelIdentity(deps, fresh, tx), { contact: { profile: { name: msg.name }, wa_id: msg.from }, message }),
    );
  });
  return { id, timestamp };
}
