// The messages table: one row per message in either direction, its status timestamps its history.
import type { Executor } from '../db/index.ts';
import { prepared, type Placeholder } from '../db/prepared.ts';
import type { Insertable } from 'kysely';
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
const values = (db: Executor, p: Placeholder) =>
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
  });
const insert = prepared(values);
// The same, for an id that may be stored already (a network's own id delivered again): nothing then.
const insertIfNew = prepared((db, p) => values(db, p).onConflict((oc) => oc.column('id').doNothing()));

/** Transactions whose message inserts are gathered and written in one statement (flushMessageInserts). */
const deferred = new WeakMap<Executor, unknown[][]>();

export async function insertMessage(tx: Executor, m: NewMessage): Promise<void> {
  const gathered = deferred.get(tx);
  if (gathered) gathered.push(rowParams(m));
  else await insert(tx, rowParams(m));
}

/**
 * From now on, insertMessage in this transaction only gathers its rows; flushMessageInserts writes
 * them in one INSERT (a batch of sends on PostgreSQL, where each statement is a round trip). A
 * failure of that INSERT fails the transaction, as one of the single inserts would have.
 */
export function deferMessageInserts(tx: Executor): void {
  deferred.set(tx, []);
}

export async function flushMessageInserts(tx: Executor): Promise<void> {
  const rows = deferred.get(tx);
  deferred.delete(tx);
  if (!rows || rows.length === 0) return;
  if (rows.length === 1) {
    await insert(tx, rows[0]!);
    return;
  }
  await tx.insertInto('messages').values(rows.map(rowObject)).execute();
}

/** The columns of rowParams, by name (a multi-row insert). */
function rowObject(r: unknown[]): Insertable<MessagesTable> {
  const v = r as [string, string, string, string, MessagesTable['direction'], string, string, string, MessagesTable['status'], string, MessagesTable['initiated_by'], string | null, string | null, string, string, string | null, string | null];
  return {
    id: v[0],
    channel_id: v[1],
    partner_id: v[2],
    client_id: v[3],
    direction: v[4],
    wa_id: v[5],
    type: v[6],
    content: v[7],
    status: v[8],
    error_code: null,
    error_title: null,
    category: v[9],
    initiated_by: v[10],
    template_name: v[11],
    context_id: v[12],
    created_at: v[13],
    modified_at: v[14],
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    status_plan: v[15],
    status_due_at: v[16],
  };
}

/**
 * Stores the message unless a message with its id is stored already; true when it was stored.
 * On PostgreSQL a concurrent transaction inserting the same id makes this one wait for its end,
 * then store nothing: of two deliveries of one message at once, exactly one stores it.
 */
export async function insertMessageIfNew(tx: Executor, m: NewMessage): Promise<boolean> {
  const r = await insertIfNew(tx, rowParams(m));
  return Number(r.numAffectedRows ?? 0) > 0;
}

function rowParams(m: NewMessage): unknown[] {
  return [
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
  ];
}
