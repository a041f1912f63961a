// Rewriting the bodies of old outbox events in place: the way personal data leaves an event that
// is kept longer than the data may be (a message's content, once past
// OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS, leaves the inbound message events that carry it:
// messaging/webhook-content-retention.ts). This module owns the table and how it is walked; the
// caller owns the body format and says what each body becomes.
//
// The walk is index-backed and bounded without a migration of its own. An index made for it would
// have to be built over the whole outbox, and on PostgreSQL CREATE INDEX (inside the migrator's
// transaction, so never CONCURRENTLY) holds off every insert into the outbox — every send — until
// it is done. Instead:
// - the events of one type are read partner by partner through webhook_events_partner_type
//   (partner_id, event_type, created_at; migration 0002), a range scan in created_at order up to
//   the cutoff, in batches of a bounded size, one short transaction each;
// - the partners are found by a loose scan of the partner_id-led indexes (one lookup per partner);
// - how far the walk has got (every event of the type created before it has been rewritten) is
//   kept in instance_settings, so an hourly run reads only what came past the cutoff since the last
//   one, never the history done before. A later cutoff only moves it forward; an earlier one (the
//   retention made longer) finds nothing to do. Events are only ever written with created_at =
//   now, which is never before a cutoff in the past, so nothing lands behind it.
// A run interrupted half-way leaves the mark where it was; the next run reads that stretch again
// and finds the rewritten events already done (the caller's rewrite returns them unchanged).
// Every update is guarded by the body it replaces, so two instances running the same hour, or an
// event rewritten meanwhile, never get a body written over with one made from an older version.
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import { raiseSetting, readSetting } from '../services/instance-settings.ts';

/** An event as the caller's rewrite sees it. */
export interface StoredEventBody {
  id: string;
  target_type: string;
  target_id: string;
  created_at: string;
  body: string;
}

/**
 * One change a rewrite asks for: the events `ids` whose body is exactly `from` get `to` (ids other
 * than the event read may be named, e.g. copies of it that carry the same body).
 */
export interface BodyChange {
  ids: string[];
  from: string;
  to: string;
}

export interface BodyRewriteWalk {
  eventType: string;
  /** Events created before this (ISO) are rewritten. */
  before: string;
  /** instance_settings key under which the walk keeps how far it has got. */
  progressKey: string;
  /** Events per batch (and transaction). */
  batchSize: number;
  /** The changes for a batch of events (none for those already as they should be). */
  rewrite(events: StoredEventBody[]): Promise<BodyChange[]>;
}

/** An ISO time ms milliseconds later (or earlier). */
const shifted = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/**
 * The next events of a partner and type created in [from, before), oldest first: a range of
 * webhook_events_partner_type, read in its order. The range is written as BETWEEN from AND the
 * millisecond before `before` (created_at is always an ISO time to the millisecond): given as
 * `>= from AND < before`, SQLite, which has no statistics, walks webhook_events_partner_created
 * instead, reading every event of the partner, statuses included, to find the few of this type.
 */
export function eventsForRewrite(db: Executor, q: { partnerId: string; eventType: string; from: string; before: string; limit: number }) {
  return db
    .selectFrom('webhook_events')
    .select(['id', 'target_type', 'target_id', 'created_at', 'body'])
    .where('partner_id', '=', q.partnerId)
    .where('event_type', '=', q.eventType)
    .where((eb) => eb.between('created_at', q.from, shifted(q.before, -1)))
    .orderBy('created_at')
    .limit(q.limit);
}

/** The rest of one instant: every event of a partner and type created exactly at `at`. */
function eventsAt(db: Executor, partnerId: string, eventType: string, at: string) {
  return db
    .selectFrom('webhook_events')
    .select(['id', 'target_type', 'target_id', 'created_at', 'body'])
    .where('partner_id', '=', partnerId)
    .where('event_type', '=', eventType)
    .where('created_at', '=', at);
}

/** The partner after `after` (in index order) that has events at all, or undefined. */
async function nextPartner(db: Executor, after: string | undefined): Promise<string | undefined> {
  let q = db.selectFrom('webhook_events').select('partner_id').orderBy('partner_id').limit(1);
  if (after !== undefined) q = q.where('partner_id', '>', after);
  return (await q.executeTakeFirst())?.partner_id;
}

/** Applies a batch's changes in one transaction; how many events changed. */
async function apply(deps: Deps, changes: BodyChange[]): Promise<number> {
  if (changes.length === 0) return 0;
  let changed = 0;
  await deps.db.kysely.transaction().execute(async (tx) => {
    for (const c of changes) {
      const r = await tx.updateTable('webhook_events').set({ body: c.to }).where('id', 'in', c.ids).where('body', '=', c.from).executeTakeFirst();
      changed += Number(r.numUpdatedRows);
    }
  });
  return changed;
}

/** A turn of the event loop between batches (and SQLite's write lock free for others). */
export const turn = () => new Promise((resolve) => setImmediate(resolve));


/**
 * Rewrites the bodies of the events of one type created before the cutoff and not yet rewritten
 * (see the top of this file); returns how many events changed. Between batches the event loop
 * gets a turn and SQLite's write lock is free for others.
 */
export async function rewriteOldEventBodies(deps: Deps, walk: BodyRewriteWalk): Promise<number> {
  const db = deps.db.kysely;
  const done = (await readSetting(deps.db.kysely, walk.progressKey)) ?? '';
  if (done >= walk.before) return 0;
  let total = 0;
  for (let partnerId = await nextPartner(db, undefined); partnerId !== undefined; partnerId = await nextPartner(db, partnerId)) {
    let from = done;
    for (;;) {
      const batch = await eventsForRewrite(db, { partnerId, eventType: walk.eventType, from, before: walk.before, limit: walk.batchSize }).execute();
      total += await apply(deps, await walk.rewrite(batch));
      if (batch.length < walk.batchSize) break;
      // Go on after the batch's last instant; first the rest of that instant, which the limit may
      // have cut (events written in one millisecond; those in the batch are already done).
      const last = batch[batch.length - 1]!.created_at;
      await turn();
      total += await apply(deps, await walk.rewrite(await eventsAt(db, partnerId, walk.eventType, last).execute()));
      from = shifted(last, 1);
      await turn();
    }
  }
  // Only forward: another instance may have finished a later cutoff meanwhile.
  await raiseSetting(deps.db.kysely, walk.progressKey, walk.before);
  return total;
}
