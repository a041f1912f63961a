// The messages table: one row per message in either direction, its status timestamps its history.
import type { Executor } from '../db/index.ts';
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
}

export async function insertMessage(tx: Executor, m: NewMessage): Promise<void> {
  await tx
    .insertInto('messages')
    .values({
      id: m.id,
      channel_id: m.channel.id,
      partner_id: m.channel.partner_id,
      client_id: m.channel.client_id,
      direction: m.direction,
      wa_id: m.waId,
      type: m.type,
      content: JSON.stringify({ type: m.type, [m.type]: m.content, ...(m.context ? { context: m.context } : {}) }),
      status: m.status,
      error_code: null,
      error_title: null,
      category: m.category,
      initiated_by: m.direction === 'outbound' ? 'business' : 'user',
      template_name: m.templateName ?? null,
      context_id: m.contextId ?? null,
      created_at: m.at,
      modified_at: m.at,
      sent_at: null,
      delivered_at: null,
      read_at: null,
      failed_at: null,
    })
    .execute();
}
