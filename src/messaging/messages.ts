// The messages table: one row per message in either direction, its status timestamps its history.
import type { Executor } from '../db/index.ts';
import { prepared } from '../db/prepared.ts';
import type { MessagesTable } from '../db/schema.ts';
import type { ChannelRow } from '../services/channels.ts';

export interface NewMessage {
  id: string;
  channel: Pick<ChannelRow, 'id' | 'partner_id' | 'client_id'>;
  direction: MessagesTable['direction'];
  waId: string;
  type: string;
  /** The type object; stored as `{type, <type>: content, context?}`. */
  content: unknown;
  context?: unknown;
  contextId?: string | null;
  status: MessagesTable['status'];
  category: string;
  templateName?: string | null;
  at: string;
  /** Statuses still to come (the network's plan), stored with the message. */
  plan?: { steps: string; dueAt: string };
}

// Every send (and every inbound message) runs this insert: compiled once.
const insert = prepared((db, p) =>
  db.insertInto('messages').values({
    id: p(0),
    channel_id: p(1),
    partner_id: p(2),
    client_id: p(3),
    direction: p(4),
    wa_id: p(5),
    type: p(6),
    content: p(7),
    status: p(8),
    error_code: null,
    error_title: null,
    category: p(9),
    initiated_by: p(10),
    template_name: p(11),
    context_id: p(12),
    created_at: p(13),
    modified_at: p(14),
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    status_plan: p(15),
    status_due_at: p(16),
  }),
);

export async function insertMessage(tx: Executor, m: NewMessage): Promise<void> {
  await insert(tx, [
    m.id,
    m.channel.id,
    m.channel.partner_id,
    m.channel.client_id,
    m.direction,
    m.waId,
    m.type,
    JSON.stringify({ type: m.type, [m.type]: m.content, ...(m.context ? { context: m.context } : {}) }),
    m.status,
    m.category,
    m.direction === 'outbound' ? 'business' : 'user',
    m.templateName ?? null,
    m.contextId ?? null,
    m.at,
    m.at,
    m.plan?.steps ?? null,
    m.plan?.dueAt ?? null,
  ]);
}
