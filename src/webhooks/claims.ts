// Claims: which dispatcher holds which events. The dispatcher calls only this module, which
// knows the two ways:
// - PostgreSQL: several instances share the outbox. A claim leases rows (FOR UPDATE SKIP
//   LOCKED, lease_owner, available_at = the lease's end); a lease is renewed before an attempt
//   it would not cover, and claimed events not attempted are handed back.
// - SQLite: one process dispatches per database file (it holds a lock row). Claims are held in
//   memory and write nothing (sqlite-claims.ts); settling an event (its outcome written) lets it
//   be claimed again if it is due again.
// Statuses are written as literals so that SQLite can use the partial index webhook_events_due.
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';
import type { WebhookEventsTable } from '../db/schema.ts';
import { claimSqlite, handBackSqlite, holdSqliteLock, settleSqlite, sqliteDispatcherStarted, sqliteDispatcherStopped, type LockState } from './sqlite-claims.ts';

/** What a delivery needs of a claimed event (fewer columns read: each costs on every claim). */
export type ClaimedEvent = Pick<WebhookEventsTable, 'id' | 'target_type' | 'target_id' | 'body' | 'attempts' | 'created_at' | 'expires_at' | 'available_at'>;
const CLAIMED_COLUMNS = 'id, target_type, target_id, body, attempts, created_at, expires_at, available_at';

export interface ClaimRequest {
  /** PostgreSQL: the lease's owner (the dispatcher instance) and length. */
  owner: string;
  now: Date;
  leaseMs: number;
  /** At most this many events in all. */
  limit: number;
  /** How many of the oldest due events to look at. */
  scan: number;
  /** Per target at most this many; `caps` overrides it for the targets named there (0: none). */
  perTarget: number;
  caps: Map<string, number>;
  /** Targets left out of the look altogether. */
  exclude: string[];
}

/**
 * Leases due events, oldest first, and returns them (with available_at = the lease's end). It
 * looks at the `scan` oldest due events (on PostgreSQL locking them, skipping rows another
 * instance is claiming right now) and takes of those, per target, at most its cap, so that a
 * claim never holds far more for one receiver than can be in flight to it. Leaving targets out
 * (`exclude`) finds other targets' due events behind a full target's backlog, but makes the
 * look step over that backlog.
 */
export async function claimDueEvents(db: Db, r: ClaimRequest): Promise<ClaimedEvent[]> {
  if (db.sqlite) return claimSqlite(db, r);
  const leaseUntil = new Date(r.now.getTime() + r.leaseMs).toISOString();
  const excluded = r.exclude.length > 0 ? sql`and target_id not in (${sql.join(r.exclude)})` : sql``;
  const cap =
    r.caps.size > 0
      ? sql`case target_id ${sql.join([...r.caps].map(([t, n]) => sql`when ${t} then cast(${n} as integer)`), sql` `)} else cast(${r.perTarget} as integer) end`
      : sql`cast(${r.perTarget} as integer)`;
  const result = await sql<ClaimedEvent>`
    with candidates as (
      select id, target_id, available_at from webhook_events
      where status in ('pending', 'delivering') and available_at <= ${r.now.toISOString()} ${excluded}
      order by available_at
      limit ${r.scan}
      for update skip locked
    ),
    picked as (
      select id from (
        select id, target_id, available_at, row_number() over (partition by target_id order by available_at) as rn from candidates
      ) ranked
      where rn <= ${cap}
      order by available_at
      limit ${r.limit}
    )
    update webhook_events
    set status = 'delivering', lease_owner = ${r.owner}, available_at = ${leaseUntil}
    where id in (select id from picked)
    returning ${sql.raw(CLAIMED_COLUMNS)}`.execute(db.kysely);
  return result.rows;
}

/** The earliest available_at after `after` among undelivered events, leaving out some targets. */
export async function nextDueAfter(db: Db, after: string, exclude: string[]): Promise<string | undefined> {
  const excluded = exclude.length > 0 ? sql`and target_id not in (${sql.join(exclude)})` : sql``;
  const res = await sql<{ available_at: string }>`
    select available_at from webhook_events
    where status in ('pending', 'delivering') and available_at > ${after} ${excluded}
    order by available_at
    limit 1`.execute(db.kysely);
  return res.rows[0]?.available_at;
}

/** Extends a lease this owner still holds; false if it has lost the event. */
export async function renewLease(db: Db, owner: string, eventId: string, until: Date): Promise<boolean> {
  if (db.sqlite) return true; // not reached: SQLite claims come with a lease that never runs out
  const res = await db.kysely
    .updateTable('webhook_events')
    .set({ available_at: until.toISOString() })
    .where('id', '=', eventId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'delivering')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Gives events this owner claimed but did not attempt back to the outbox, due at `now`. */
export async function handBackEvents(db: Db, owner: string, ids: string[], now: Date): Promise<void> {
  if (db.sqlite) return handBackSqlite(db, ids); // never marked: due as they were
  for (let i = 0; i < ids.length; i += 500) {
    await db.kysely
      .updateTable('webhook_events')
      .set({ status: 'pending', lease_owner: null, available_at: now.toISOString() })
      .where('id', 'in', ids.slice(i, i + 500))
      .where('lease_owner', '=', owner)
      .where('status', '=', 'delivering')
      .execute();
  }
}

/** Whether this dispatcher may claim now. SQLite: it holds (takes, renews) the file's dispatching lock. */
export function mayClaim(db: Db, leaseMs: number): Promise<LockState> {
  return db.sqlite ? holdSqliteLock(db, leaseMs) : Promise.resolve({ held: true });
}

/** The events' outcomes are written (or could not be): SQLite lets them be claimed again if due. */
export function settleClaims(db: Db, ids: Iterable<string>): void {
  if (db.sqlite) settleSqlite(db, ids);
}

/** A dispatcher started / stopped (SQLite: the last one of the process to stop gives up the lock). */
export function dispatcherStarted(db: Db): void {
  if (db.sqlite) sqliteDispatcherStarted(db);
}

export async function dispatcherStopped(db: Db): Promise<void> {
  if (db.sqlite) await sqliteDispatcherStopped(db);
}
