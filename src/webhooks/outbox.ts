// The outbox: an event is a row written in the same transaction as the state change that
// causes it. After the commit the dispatcher is woken: in this process directly, and on
// PostgreSQL through NOTIFY (delivered by PostgreSQL only when the transaction commits) so
// that every instance hears of it.
import { EventEmitter } from 'node:events';
import { sql, type Transaction } from 'kysely';
import type { Db, Executor } from '../db/index.ts';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { sortableRecordId } from '../ids.ts';

export const NOTIFY_CHANNEL = 'openwaba_outbox';

/** channel_destination: one of a channel's extra webhook destinations (messaging/multi-webhook.ts). */
export type TargetType = 'partner' | 'channel' | 'channel_destination';

export interface NewOutboxEvent {
  partnerId: string;
  targetType: TargetType;
  targetId: string;
  eventType: string;
  /** The exact body to send: a string is sent as is, anything else as its JSON. */
  body: string | ((eventId: string) => unknown);
}

const signals = new WeakMap<Db, EventEmitter>();
/** In-process signal raised after an outbox write has committed. */
export function outboxSignal(db: Db): EventEmitter {
  let e = signals.get(db);
  if (!e) {
    e = new EventEmitter();
    e.setMaxListeners(0);
    signals.set(db, e);
  }
  return e;
}

const afterCommit = new WeakMap<Transaction<Database>, (() => void)[]>();

/**
 * Runs fn in a transaction; callbacks registered with onCommit(tx, …) — such as waking the
 * dispatcher — run once it has committed. Use this for every transaction that may emit events.
 */
export async function transact<T>(deps: Deps, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  const callbacks: (() => void)[] = [];
  const result = await deps.db.kysely.transaction().execute(async (tx) => {
    afterCommit.set(tx, callbacks);
    return fn(tx);
  });
  for (const cb of callbacks) cb();
  return result;
}

/** Runs cb once tx has committed (at once for autocommit executors). */
export function onCommit(deps: Deps, tx: Executor, cb: () => void): void {
  const list = afterCommit.get(tx as Transaction<Database>);
  if (list) list.push(cb);
  else if (tx.isTransaction) {
    // A transaction not opened with transact(): we cannot see its commit. Wake now and again
    // shortly; the dispatcher's poll is the last safety net.
    cb();
    setTimeout(cb, 50).unref();
  } else cb(); // autocommit: already committed when we get here
}

/** Writes one event into the outbox (inside tx) and arranges the wake-up after commit. */
export async function enqueueEvent(deps: Deps, tx: Executor, ev: NewOutboxEvent): Promise<string> {
  const id = sortableRecordId('evt');
  const now = deps.clock.now();
  const body = typeof ev.body === 'string' ? ev.body : JSON.stringify(ev.body(id));
  await tx
    .insertInto('webhook_events')
    .values({
      id,
      partner_id: ev.partnerId,
      target_type: ev.targetType,
      target_id: ev.targetId,
      event_type: ev.eventType,
      body,
      status: 'pending',
      attempts: 0,
      available_at: now.toISOString(),
      lease_owner: null,
      expires_at: new Date(now.getTime() + deps.config.webhookRetryHorizonMs).toISOString(),
      created_at: now.toISOString(),
      last_attempt_at: null,
      last_status_code: null,
      last_error: null,
      delivered_at: null,
      failed_at: null,
    })
    .execute();
  await announceOutbox(deps, tx);
  return id;
}

/**
 * Tells every dispatcher that events are due once tx commits: this process's directly, other
 * instances' through NOTIFY on PostgreSQL (delivered by PostgreSQL only on commit).
 */
export async function announceOutbox(deps: Deps, tx: Executor): Promise<void> {
  if (deps.db.kind === 'postgres' && !announced.has(tx)) {
    await sql`select pg_notify(${NOTIFY_CHANNEL}, '')`.execute(tx);
    // One NOTIFY per transaction is enough (PostgreSQL folds identical ones anyway): a status
    // round writing 32 events paid 32 round trips for it.
    if (tx.isTransaction) announced.add(tx);
  }
  onCommit(deps, tx, () => outboxSignal(deps.db).emit('enqueued'));
}

/** Transactions that have sent their NOTIFY already. */
const announced = new WeakSet<Executor>();
