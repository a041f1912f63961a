// A message's status only moves forward: accepted → sent → delivered → read; failed ends it
// (only before delivery). Each move is stored and, for the channel's webhook, written to the outbox.
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database, MessagesTable } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { emitChannelEvent, channelIdentity } from './channel-webhook.ts';
import { statusPayload, type StatusItem } from './webhook-payloads.ts';

export type OutboundStatus = 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<string, number> = { accepted: 0, received: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

export function canMove(from: string, to: OutboundStatus): boolean {
  if (to === 'failed') return from === 'accepted' || from === 'sent';
  return (RANK[to] ?? 0) > (RANK[from] ?? 0) && from !== 'failed';
}

export interface StatusError {
  code: number;
  title: string;
  details: string;
}

/** A stable conversation id per channel, user, category and 24-hour period. */
function conversationId(channelId: string, waId: string, category: string, at: Date): string {
  const day = Math.floor(at.getTime() / 86_400_000);
  return createHash('sha256').update(`${channelId}|${waId}|${category}|${day}`).digest('hex').slice(0, 32);
}

/**
 * Moves an outbound message to `status` if that is forward; writes the status webhook event in
 * the same transaction. Returns false when the move was not allowed (nothing written).
 */
export async function applyStatus(
  deps: Deps,
  tx: Transaction<Database>,
  messageId: string,
  status: OutboundStatus,
  at: Date,
  error?: StatusError,
): Promise<boolean> {
  const msg = await tx.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  if (!msg || msg.direction !== 'outbound' || !canMove(msg.status, status)) return false;
  const iso = at.toISOString();
  const set: Partial<MessagesTable> = { status, modified_at: iso, [`${status}_at`]: iso };
  if (error) {
    set.error_code = error.code;
    set.error_title = error.title;
  }
  await tx.updateTable('messages').set(set).where('id', '=', messageId).where('status', '=', msg.status).execute();
  const channel = await tx.selectFrom('channels').selectAll().where('id', '=', msg.channel_id).executeTakeFirst();
  if (!channel?.webhook_url) return true;
  const category = msg.category ?? 'service';
  const item: StatusItem = {
    id: msg.id,
    status,
    timestamp: String(Math.floor(at.getTime() / 1000)),
    recipient_id: msg.wa_id,
  };
  if (status === 'failed' && error) {
    item.errors = [{ code: error.code, title: error.title, message: error.title, error_data: { details: error.details } }];
  } else {
    const conversationStart = new Date(Date.parse(msg.created_at));
    item.conversation = {
      id: conversationId(msg.channel_id, msg.wa_id, category, conversationStart),
      ...(status === 'sent' ? { expiration_timestamp: String(Math.floor(conversationStart.getTime() / 1000) + 86_400) } : {}),
      origin: { type: category },
    };
    item.pricing = { billable: category !== 'service', pricing_model: 'PMP', category };
  }
  await emitChannelEvent(deps, tx, channel, 'status', statusPayload(await channelIdentity(deps, channel, tx), item));
  return true;
}
