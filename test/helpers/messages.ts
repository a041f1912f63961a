// Message rows written straight into the database, for tests that need a history (usage
// counts) without sending each message through the API. Every column has a default.
import { randomBytes } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { Db } from '../../src/db/index.ts';
import type { MessagesTable } from '../../src/db/schema.ts';

export type MessageRowInput = Pick<MessagesTable, 'channel_id' | 'partner_id' | 'client_id' | 'direction' | 'created_at'> & Partial<Insertable<MessagesTable>>;

/** A whole message row: every column not given gets its default. */
export function messageRow(m: MessageRowInput): Insertable<MessagesTable> & { id: string } {
  const outbound = m.direction === 'outbound';
  return {
    id: `wamid.${randomBytes(12).toString('base64url')}`,
    wa_id: '4917612345678',
    type: 'text',
    content: '{}',
    status: outbound ? 'delivered' : 'received',
    error_code: null,
    error_title: null,
    category: null,
    initiated_by: outbound ? 'business' : 'user',
    template_name: null,
    context_id: null,
    modified_at: m.created_at,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    status_plan: null,
    status_due_at: null,
    ...m,
  } as Insertable<MessagesTable> & { id: string };
}

export async function insertMessageRow(db: Db, m: MessageRowInput): Promise<string> {
  const row = messageRow(m);
  await db.kysely.insertInto('messages').values(row).execute();
  return row.id;
}
