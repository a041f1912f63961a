// Writes the outcome of delivery attempts in batches: the attempts that finish while one batch is
// being written are written together in the next one (one transaction, one multi-row INSERT into
// webhook_attempts, one UPDATE of their events), instead of one transaction per attempt.
// Events delivered to a target whose owner copies them further (targets.ts: a channel's extra
// webhook destinations) get their copies written in the same transaction, one statement per
// batch and target type.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/index.ts';
import type { WebhookAttemptsTable, WebhookEventsTable } from '../db/schema.ts';
import { NOTIFY_CHANNEL, outboxSignal } from './outbox.ts';
import { copyStatementFor, type DeliveredEvents } from './targets.ts';

export interface AttemptOutcomeRecord {
  attempt: WebhookAttemptsTable;
  /** The event's new state. */
  event: Pick<WebhookEventsTable, 'id' | 'status' | 'attempts' | 'last_attempt_at' | 'last_status_code' | 'last_error'> & {
    available_at?: string;
    delivered_at?: string;
    failed_at?: string;
  };
  /** Set when the event was delivered and its target type has copies (registerCopyTargets): their times. */
  copy?: { targetType: string; at: string; expiresAt: string };
}

interface Pending {
  rec: AttemptOutcomeRecord;
  resolve: (updated: boolean) => void;
  reject: (err: unknown) => void;
}

/** Rows per statement: well under SQLite's and PostgreSQL's limits on bound parameters. */
const MAX_BATCH = 500;
/** A batch this big is written at once; a smaller one after LINGER_MS (or when the last write ends). */
const FULL_BATCH = 128;
const LINGER_MS = 10;

const SQLITE_INSERT_ATTEMPT = `
  insert into webhook_attempts (id, event_id, attempt, url, started_at, duration_ms, outcome, status_code, error, response_excerpt, slow)
  values (@id, @event_id, @attempt, @url, @started_at, @duration_ms, @outcome, @status_code, @error, @response_excerpt, @slow)`;

const SQLITE_UPDATE_EVENT = `
  update webhook_events
  set status = @status,
      attempts = @attempts,
      available_at = coalesce(@available_at, available_at),
      delivered_at = coalesce(@delivered_at, delivered_at),
      failed_at = coalesce(@failed_at, failed_at),
      lease_owner = null,
      last_attempt_at = @last_attempt_at,
      last_status_code = @last_status_code,
      last_error = @last_error
  where id = @id and status in ('pending', 'delivering')`;

export class AttemptWriter {
  private pending: Pending[] = [];
  private writing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    /** PostgreSQL: only events this lease owner still holds are updated (the lease fences late writers). */
    private readonly leaseOwner: string,
  ) {}

  /** Queues one outcome; resolves once written, with whether the event was still ours to update. */
  write(rec: AttemptOutcomeRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ rec, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing) return;
    if (this.pending.length >= FULL_BATCH) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
      return;
    }
    // Wait a moment for other answers to join the batch: one commit instead of many.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, LINGER_MS);
  }

  private async flush(): Promise<void> {
    if (this.writing || this.pending.length === 0) return;
    this.writing = true;
    const batch = this.pending.splice(0, MAX_BATCH);
    try {
      const updated = await this.writeBatch(batch.map((p) => p.rec));
      for (const p of batch) p.resolve(updated.has(p.rec.event.id));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.writing = false;
      // What came in meanwhile has waited a whole write already: written now, not after a linger.
      if (this.pending.length > 0) {
        clearTimeout(this.timer);
        this.timer = undefined;
        void this.flush();
      }
    }
  }

  /** The copy statements for the delivered events of the batch that were still ours to update. */
  private copyStatements(recs: AttemptOutcomeRecord[], ours: Set<string>): RawBuilder<unknown>[] {
    let byType: Map<string, DeliveredEvents> | undefined;
    for (const { copy, event } of recs) {
      if (!copy || !ours.has(event.id)) continue;
      byType ??= new Map();
      let d = byType.get(copy.targetType);
      if (!d) byType.set(copy.targetType, (d = { ids: [], now: copy.at, expiresAt: copy.expiresAt }));
      d.ids.push(event.id);
      if (copy.at > d.now) Object.assign(d, { now: copy.at, expiresAt: copy.expiresAt });
    }
    if (!byType) return [];
    const out: RawBuilder<unknown>[] = [];
    for (const [type, delivered] of byType) {
      const statement = copyStatementFor(type);
      if (statement) out.push(statement(this.db.kind, delivered));
    }
    return out;
  }

  private async writeBatch(recs: AttemptOutcomeRecord[]): Promise<Set<string>> {
    let copied = 0;
    const ours = await this.writeOutcomes(recs, (n) => (copied += n));
    // Copies are new outbox events: wake this process's dispatcher (others heard NOTIFY).
    if (copied > 0) outboxSignal(this.db).emit('enqueued');
    return ours;
  }

  private async writeOutcomes(recs: AttemptOutcomeRecord[], copied: (n: number) => void): Promise<Set<string>> {
    if (this.db.sqlite) {
      // SQLite: the same two statements per outcome, compiled once, in one transaction. No
      // lease fence: claims there are held in memory by the one dispatching process
      // (sqlite-claims.ts). lease_owner and 'delivering' only concern rows leased before that.
      return this.db.sqlite.run((prepare, transaction) => {
        const insert = prepare(SQLITE_INSERT_ATTEMPT);
        const update = prepare(SQLITE_UPDATE_EVENT);
        return transaction(() => {
          const ours = new Set<string>();
          for (const { attempt, event: e } of recs) {
            insert.run(attempt);
            const res = update.run({
              id: e.id,
              status: e.status,
              attempts: e.attempts,
              available_at: e.available_at ?? null,
              delivered_at: e.delivered_at ?? null,
              failed_at: e.failed_at ?? null,
              last_attempt_at: e.last_attempt_at,
              last_status_code: e.last_status_code,
              last_error: e.last_error,
            });
            if (res.changes > 0) ours.add(e.id);
          }
          for (const statement of this.copyStatements(recs, ours)) {
            const c = statement.compile(this.db.kysely);
            copied(prepare(c.sql).run(...c.parameters).changes);
          }
          return ours;
        });
      });
    }
    return this.db.kysely.transaction().execute(async (tx) => {
      await tx
        .insertInto('webhook_attempts')
        .values(recs.map((r) => r.attempt))
        .execute();
      // One UPDATE for the batch: each event's new values from a VALUES list. Fenced by the
      // lease: an event whose lease ran out and that another instance took is left alone.
      const values = sql.join(
        recs.map(
          ({ event: e }) =>
            sql`(${e.id}, ${e.status}, ${e.attempts}, ${e.available_at ?? null}, ${e.delivered_at ?? null}, ${e.failed_at ?? null}, ${e.last_attempt_at}, ${e.last_status_code}, ${e.last_error})`,
        ),
      );
      const res = await sql<{ id: string }>`
        with v(id, status, attempts, available_at, delivered_at, failed_at, last_attempt_at, last_status_code, last_error) as (values ${values})
        update webhook_events
        set status = v.status,
            attempts = cast(v.attempts as integer),
            available_at = coalesce(v.available_at, webhook_events.available_at),
            delivered_at = coalesce(v.delivered_at, webhook_events.delivered_at),
            failed_at = coalesce(v.failed_at, webhook_events.failed_at),
            lease_owner = null,
            last_attempt_at = v.last_attempt_at,
            last_status_code = cast(v.last_status_code as integer),
            last_error = v.last_error
        from v
        where webhook_events.id = v.id and webhook_events.lease_owner = ${this.leaseOwner} and webhook_events.status = 'delivering'
        returning webhook_events.id`.execute(tx);
      const ours = new Set(res.rows.map((r) => r.id));
      let n = 0;
      for (const statement of this.copyStatements(recs, ours)) n += Number((await statement.execute(tx)).numAffectedRows ?? 0);
      // Other instances hear of the copies when this transaction commits.
      if (n > 0) await sql`select pg_notify(${NOTIFY_CHANNEL}, '')`.execute(tx);
      copied(n);
      return ours;
    });
  }
}
