// A message's status only moves forward: accepted → sent → delivered → read; failed ends it
// (only before delivery). Each move is stored and, for the channel's webhook, written to the outbox.
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database, MessagesTable } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { prepared, type PreparedQuery } from '../db/prepared.ts';
import { emitChannelEvent } from './channel-webhook.ts';
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

// Each status step of every message runs these: compiled once (per status, with or without error).
/**
 * Everything a step needs in one read: the message, whether its channel has a webhook, and what
 * the webhook payload shows of the channel and its WABA.
 */
const stepFacts = prepared((db, p) =>
  db
    .selectFrom('messages')
    .leftJoin('channels', 'channels.id', 'messages.channel_id')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .select([
      'messages.direction',
      'messages.status',
      'messages.channel_id',
      'messages.wa_id',
      'messages.category',
      'messages.created_at',
      'channels.partner_id',
      'channels.webhook_url',
      'channels.hosting_type',
      'channels.phone_number',
      'channels.external_id',
      'channels.waba_account_id',
      'waba_accounts.external_id as waba_external_id',
    ])
    .where('messages.id', '=', p<string>(0)),
);
const moves = new Map<string, PreparedQuery<unknown>>();
/** UPDATE messages SET status, modified_at, <status>_at [, error_code, error_title] WHERE id = ? AND status = <the status read>. */
function moveStatus(status: OutboundStatus, withError: boolean): PreparedQuery<unknown> {
  const key = `${status}|${withError}`;
  let q = moves.get(key);
  if (!q) {
    q = prepared((db, p) => {
      const set: Partial<MessagesTable> = { status, modified_at: p(0), [`${status}_at`]: p(1) };
      let next = 2;
      if (withError) {
        set.error_code = p(next++);
        set.error_title = p(next++);
      }
      return db.updateTable('messages').set(set).where('id', '=', p<string>(next++)).where('status', '=', p<MessagesTable['status']>(next));
    });
    moves.set(key, q);
  }
  return q;
}

/**
 * Moves an outbound message to `status` if that is forward; writes the status webhook event in
 * the same transaction. Returns false when the move was not allowed, or another transaction
 * made it first (nothing written).
 */
export async function applyStatus(
  deps: Deps,
  tx: Transaction<Database>,
  messageId: string,
  status: OutboundStatus,
  at: Date,
  error?: StatusError,
): Promise<boolean> {
  const facts = (await stepFacts(tx, [messageId])).rows[0];
  if (!facts || facts.direction !== 'outbound' || !canMove(facts.status, status)) return false;
  const iso = at.toISOString();
  const moved = error
    ? await moveStatus(status, true)(tx, [iso, iso, error.code, error.title, messageId, facts.status])
    : await moveStatus(status, false)(tx, [iso, iso, messageId, facts.status]);
  // Guarded by the status read: another instance moved it meanwhile, and told the webhook.
  if (!moved.numAffectedRows) return false;
  if (!facts.webhook_url || !facts.partner_id) return true;
  // The payload's fields (id, wa_id, channel, category, created_at) are not changed by the move.
  const category = facts.category ?? 'service';
  const item: StatusItem = {
    id: messageId,
    status,
    timestamp: String(Math.floor(at.getTime() / 1000)),
    recipient_id: facts.wa_id,
  };
  if (status === 'failed' && error) {
    item.errors = [{ code: error.code, title: error.title, message: error.title, error_data: { details: error.details } }];
  } else {
    const conversationStart = new Date(Date.parse(facts.created_at));
    item.conversation = {
      id: conversationId(facts.channel_id, facts.wa_id, category, conversationStart),
      ...(status === 'sent' ? { expiration_timestamp: String(Math.floor(conversationStart.getTime() / 1000) + 86_400) } : {}),
      origin: { type: category },
    };
    item.pricing = { billable: category !== 'service', pricing_model: 'PMP', category };
  }
  const identity = {
    channel: { hosting_type: facts.hosting_type!, phone_number: facts.phone_number!, external_id: facts.external_id! },
    wabaExternalId: facts.waba_external_id ?? facts.waba_account_id!,
  };
  await emitChannelEvent(deps, tx, { id: facts.channel_id, partner_id: facts.partner_id, webhook_url: facts.webhook_url }, 'status', statusPayload(identity, item));
  return true;
}
