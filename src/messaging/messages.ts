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
  /** A message written to one of the number's groups (Groups API): stored in the content as `group_id`. */
  groupId?: string;
  contextId?: string | null;
  status: MessagesTable['status'];
  category: string;
  templateName?: string | null;
  at: string;
  /** Statuses still to come (the network's plan), stored with the message. */
  plan?: { steps: string; dueAt: string };
}

/** The columns a new message always starts without. */
const STARTS_NULL = { error_code: null, error_title: null, sent_at: null, delivered_at: null, read_at: null, failed_at: null } as const;

/** The columns a new message sets: one list for the prepared insert (its parameters, in this order) and the batch's multi-row insert. */
function setColumns(m: NewMessage) {
  return {
    id: m.id,
    channel_id: m.channel.id,
    partner_id: m.channel.partner_id,
    client_id: m.channel.client_id,
    direction: m.direction,
    wa_id: m.waId,
    type: m.type,
    content: JSON.stringify({ type: m.type, [m.type]: m.content, ...(m.context ? { context: m.context } : {}), ...(m.groupId ? { group_id: m.groupId } : {}) }),
    status: m.status,
    category: m.category,
    initiated_by: m.direction === 'outbound' ? ('business' as const) : ('user' as const),
    template_name: m.templateName ?? null,
    context_id: m.contextId ?? null,
    created_at: m.at,
    modified_at: m.at,
    status_plan: m.plan?.steps ?? null,
    status_due_at: m.plan?.dueAt ?? null,
  };
}
type SetColumn = keyof ReturnType<typeof setColumns>;
const SET = Object.keys(setColumns({ id: '', channel: { id: '', partner_id: '', client_id: '' }, direction: 'outbound', waId: '', type: 't', content: null, status: 'accepted', category: '', at: '' })) as SetColumn[];

const rowOf = (m: NewMessage): Insertable<MessagesTable> => ({ ...setColumns(m), ...STARTS_NULL });
/**
 * A participant's message to a group also sets `group_id` (migration 0041; groups.ts groupMessages
 * reads by it): its own INSERT, so that the prepared one every send runs names no extra column.
 */
const groupRow = (m: NewMessage): Insertable<MessagesTable> => ({ ...rowOf(m), group_id: m.groupId ?? null });
const rowParams = (m: NewMessage): unknown[] => {
  const row = setColumns(m);
  return SET.map((c) => row[c]);
};

// Every send (and every inbound message) runs this insert: compiled once.
const values = (db: Executor, p: Placeholder) =>
  db.insertInto('messages').values({ ...STARTS_NULL, ...Object.fromEntries(SET.map((c, i) => [c, p(i)])) } as Insertable<MessagesTable>);
const insert = prepared(values);
// The same, for an id that may be stored already (a network's own id delivered again): nothing then.
const insertIfNew = prepared((db, p) => values(db, p).onConflict((oc) => oc.column('id').doNothing()));

/** Transactions whose message inserts are gathered and written in one statement (flushMessageInserts). */
const deferred = new WeakMap<Executor, Insertable<MessagesTable>[]>();

export async function insertMessage(tx: Executor, m: NewMessage): Promise<void> {
  if (m.groupId) {
    await tx.insertInto('messages').values(groupRow(m)).execute();
    return;
  }
  const gathered = deferred.get(tx);
  if (gathered) gathered.push(rowOf(m));
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
  await tx.insertInto('messages').values(rows).execute();
}


/**
 * Stores the message unless a message with its id is stored already; true when it was stored.
 * On PostgreSQL a concurrent transaction inserting the same id makes this one wait for its end,
 * then store nothing: of two deliveries of one message at once, exactly one stores it.
 */
export async function insertMessageIfNew(tx: Executor, m: NewMessage): Promise<boolean> {
  if (m.groupId) {
    const g = await tx.insertInto('messages').values(groupRow(m)).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    return Number(g.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  const r = await insertIfNew(tx, rowParams(m));
  return Number(r.numAffectedRows ?? 0) > 0;
}

