// The outbox's leases: claiming due events for one dispatcher instance, renewing a lease,
// handing claimed events back, and finding when the next event falls due. Statuses are written
// as literals so that SQLite can use the partial index webhook_events_due. On SQLite claims are
// held in memory instead (sqlite-claims.ts): one process dispatches there.
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';
import type { WebhookEventsTable } from '../db/schema.ts';
import { claimSqlite, settleSqlite } from './sqlite-claims.ts';

/** What a delivery needs of a claimed event (fewer columns read: each costs on every claim). */
export type ClaimedEvent = Pick<WebhookEventsTable, 'id' | 'target_type' | 'target_id' | 'body' | 'attempts' | 'created_at' | 'available_at'>;
const CLAIMED_COLUMNS = 'id, target_type, target_id, body, attempts, created_at, available_at';

export interface ClaimRequest {
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
  const leaseUntil = new Date(r.now.getTime() + r.leaseMs).toISOString();
  if (db.sqlite) return claimSqlite(db, r);
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
      ${db.kind === 'postgres' ? sql`for update skip locked` : sql``}
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
  if (db.sqlite) return true; // held in memory until settled
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
  if (db.sqlite) return settleSqlite(db, ids); // never marked: due as they were
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
