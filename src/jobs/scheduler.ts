// Durable jobs: work due at a time (a sandbox message's next status, a template's review) kept
// in the database, so that a restart or crash loses none. A job's effect and its removal commit
// in one transaction; due jobs are taken with FOR UPDATE SKIP LOCKED on PostgreSQL, so several
// instances share them and none runs twice.
import { sql, type Transaction } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, JobsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import { prepared } from '../db/prepared.ts';
import type { Deps } from '../deps.ts';
import { recordId } from '../ids.ts';
import { onCommit, outboxSignal, transact } from '../webhooks/outbox.ts';
import { WakeSignal } from './wake-signal.ts';

export type JobRow = JobsTable;

/** The kinds of due work: jobs, and each registered due source (by its index). */
interface Kinds {
  jobs: boolean;
  sources: boolean[];
}

/** What a handler decides: the job is finished, or it runs again at `at` with a new payload. */
export type JobOutcome = { done: true } | { again: Date; payload: unknown };

export type JobHandler = (deps: Deps, tx: Transaction<Database>, job: JobRow, payload: unknown) => Promise<JobOutcome>;

const handlers = new Map<string, JobHandler>();

export function registerJobHandler(kind: string, handler: JobHandler): void {
  handlers.set(kind, handler);
}

/**
 * Due work kept in another table than jobs (a sandbox message's status plan lives in its row):
 * run by the scheduler in the same batches, transactions and loop as jobs.
 */
export interface DueSource<T extends { id: string } = { id: string }> {
  name: string;
  /** Up to `limit` items due at `now`, oldest first (on PostgreSQL locked, skipping locked ones). */
  take(tx: Transaction<Database>, now: string, limit: number, pg: boolean, db: Deps['db']): Promise<T[]>;
  /** The item again if it is still due work, locked on PostgreSQL (running items one by one after a failed batch). */
  takeOne(tx: Transaction<Database>, id: string, pg: boolean): Promise<T | undefined>;
  apply(deps: Deps, tx: Transaction<Database>, item: T): Promise<void>;
  /** Applies a whole batch at once (fewer statements), when the source can; otherwise apply() runs per item. */
  applyAll?(deps: Deps, tx: Transaction<Database>, items: T[]): Promise<void>;
  /** After a failure: try the item again at `until`. */
  defer(db: Deps['db'], id: string, until: string): Promise<void>;
  /** When the earliest item falls due (ISO), if any. */
  nextDue(db: Deps['db']): Promise<string | undefined>;
}

const sources: DueSource[] = [];

export function registerDueSource<T extends { id: string }>(source: DueSource<T>): void {
  sources.push(source as unknown as DueSource);
}

// Compiled once: a sandbox send enqueues one job, and every status step updates or deletes one.
const insertJob = prepared((db, p) =>
  db.insertInto('jobs').values({
    id: p(0),
    kind: p(1),
    ref_id: p(2),
    payload: p(3),
    status: 'pending',
    available_at: p(4),
    lease_owner: null,
    attempts: 0,
    last_error: null,
    created_at: p(5),
    finished_at: null,
  }),
);
const deleteJob = prepared((db, p) => db.deleteFrom('jobs').where('id', '=', p<string>(0)));
const rescheduleJob = prepared((db, p) => db.updateTable('jobs').set({ available_at: p(0), payload: p(1) }).where('id', '=', p<string>(2)));

export async function enqueueJob(deps: Deps, tx: Executor, job: { kind: string; refId: string; at: Date; payload: unknown }): Promise<string> {
  const id = recordId('job');
  await insertJob(tx, [id, job.kind, job.refId, JSON.stringify(job.payload), job.at.toISOString(), deps.clock.now().toISOString()]);
  signalJobsDue(deps, tx, job.at);
  return id;
}

/** Once tx commits, wakes the scheduler for work due at `at` (if it would not look by then anyway). */
/** Whether a job of this kind for this row is still to run (pending). */
export async function hasPendingJob(db: Executor, kind: string, refId: string): Promise<boolean> {
  const job = await db.selectFrom('jobs').select('id').where('ref_id', '=', refId).where('kind', '=', kind).where('status', '=', 'pending').executeTakeFirst();
  return job !== undefined;
}

export function signalJobsDue(deps: Deps, tx: Executor, at: Date): void {
  const dueAt = at.getTime();
  onCommit(deps, tx, () => outboxSignal(deps.db).emit('jobs', dueAt));
}

/**
 * Jobs (and items of each due source) per transaction: a batch holds the event loop while it
 * runs, so keep it short. (128 was measured against 32 on a busy sandbox: fewer commits, but lower
 * throughput and a higher p99.)
 */
const BATCH = 32;
/**
 * The condition of the partial index jobs_due, word for word: SQLite uses a partial index only
 * for queries that repeat its WHERE terms (status = 'pending' alone scans the whole table).
 */
const DUE_INDEX = sql<boolean>`status in ('pending', 'running')`;
const FAILURE_BACKOFF_MS = [1_000, 5_000, 30_000, 120_000, 600_000];
/**
 * After a round, the loop sleeps at least this long (unless a job due at once wakes it), so that
 * jobs falling due one after another (a busy sandbox's statuses) run in batches, not one by one.
 */
const COALESCE_MS = 10;

export class JobScheduler {
  private active = false;
  private loop: Promise<void> | undefined;
  private readonly signal = new WakeSignal();
  /** Failures of due-source items run one by one (in memory: how long the next retry waits). */
  private readonly failures = new Map<string, number>();
  /** While sleeping: when (by the clock) the sleep ends. */
  private wakeAt: number | undefined;
  /** While working: the earliest due time of the jobs enqueued meanwhile. */
  private signalledDue = Infinity;
  private readonly onSignal = (dueAt?: number) => {
    const now = this.deps.clock.now().getTime();
    if (typeof dueAt === 'number' && dueAt > now) {
      // A job due later than the loop's next look needs no wake-up: the loop comes for it in time.
      if (this.wakeAt === undefined) this.signalledDue = Math.min(this.signalledDue, dueAt);
      else if (dueAt < this.wakeAt) this.wake();
      return;
    }
    this.wake();
  };

  constructor(
    private readonly deps: Deps,
    private readonly opts: { logger?: Pick<FastifyBaseLogger, 'error' | 'warn'>; pollMs?: number } = {},
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    outboxSignal(this.deps.db).on('jobs', this.onSignal);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    outboxSignal(this.deps.db).off('jobs', this.onSignal);
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.signal.wake();
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    while (this.active) {
      this.signal.clear();
      try {
        await this.runDue();
      } catch (err) {
        this.opts.logger?.error({ err }, 'job scheduler: run failed; retrying');
      }
      if (!this.active) break;
      // runDue() ran every batch that was due; only a wake-up during it calls for another round.
      if (this.signal.pending) continue;
      this.signalledDue = Infinity;
      const next = await this.untilNextDue(pollMs);
      const now = this.deps.clock.now().getTime();
      const ms = Math.max(COALESCE_MS, Math.min(next, this.signalledDue - now));
      this.wakeAt = now + ms;
      await this.signal.sleep(ms);
      this.wakeAt = undefined;
    }
  }

  private async untilNextDue(pollMs: number): Promise<number> {
    try {
      const row = await this.deps.db.kysely.selectFrom('jobs').select('available_at').where(DUE_INDEX).where('status', '=', 'pending').orderBy('available_at').limit(1).executeTakeFirst();
      const dues = [row?.available_at, ...(await Promise.all(sources.map((s) => s.nextDue(this.deps.db))))].filter((d): d is string => d !== undefined);
      if (dues.length === 0) return pollMs;
      const next = Math.min(...dues.map((d) => Date.parse(d)));
      return Math.max(1, Math.min(pollMs, next - this.deps.clock.now().getTime()));
    } catch {
      return pollMs;
    }
  }

  /** Runs every job due now (by the injected clock), in batches. Returns how many ran. */
  async runDue(): Promise<number> {
    let total = 0;
    // Which kinds to take: at first all; then only those whose last batch was full (the others
    // had nothing more due; what falls due meanwhile waits for the next round).
    let kinds: Kinds = { jobs: true, sources: sources.map(() => true) };
    for (;;) {
      const { ran, full } = await this.runBatch(kinds);
      total += ran;
      if (!full.jobs && !full.sources.some(Boolean)) return total;
      kinds = full;
      // A batch runs on the event loop without a break (SQLite is synchronous): let requests in
      // between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** One batch of jobs and of each due source's items (of the kinds asked for). full: which kinds had a whole batch due. */
  private async runBatch(kinds: Kinds): Promise<{ ran: number; full: Kinds }> {
    const deps = this.deps;
    const now = deps.clock.now().toISOString();
    const pg = deps.db.kind === 'postgres';
    try {
      // Fast path: the whole batch in one transaction.
      return await transact(deps, async (tx) => {
        const jobs = kinds.jobs ? await this.take(tx, now, pg) : [];
        for (const job of jobs) await this.apply(tx, job);
        let ran = jobs.length;
        const full: Kinds = { jobs: jobs.length >= BATCH, sources: sources.map(() => false) };
        for (const [i, source] of sources.entries()) {
          if (!kinds.sources[i]) continue;
          const items = await source.take(tx, now, BATCH, pg, deps.db);
          if (source.applyAll) await source.applyAll(deps, tx, items);
          else for (const item of items) await source.apply(deps, tx, item);
          ran += items.length;
          full.sources[i] = items.length >= BATCH;
        }
        return { ran, full };
      });
    } catch (err) {
      this.opts.logger?.warn({ err }, 'job batch failed; running its jobs one by one');
    }
    const jobsRan = kinds.jobs ? await this.runJobsOneByOne(now) : 0;
    let ran = jobsRan;
    const full: Kinds = { jobs: jobsRan >= BATCH, sources: sources.map(() => false) };
    for (const [i, source] of sources.entries()) {
      if (!kinds.sources[i]) continue;
      const n = await this.runSourceOneByOne(source, now, pg);
      ran += n;
      full.sources[i] = n >= BATCH;
    }
    return { ran, full };
  }

  /** After a failed batch: each due item of a source alone; a failing one is tried again later, less and less often. */
  private async runSourceOneByOne(source: DueSource, now: string, pg: boolean): Promise<number> {
    const deps = this.deps;
    const ids = (await transact(deps, (tx) => source.take(tx, now, BATCH, pg, deps.db))).map((i) => i.id);
    for (const id of ids) {
      const key = `${source.name}:${id}`;
      try {
        await transact(deps, async (tx) => {
          const item = await source.takeOne(tx, id, pg);
          if (item) await source.apply(deps, tx, item);
        });
        this.failures.delete(key);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        if (this.failures.size < 10_000) this.failures.set(key, n);
        const delay = FAILURE_BACKOFF_MS[Math.min(n - 1, FAILURE_BACKOFF_MS.length - 1)]!;
        await source.defer(deps.db, id, new Date(deps.clock.now().getTime() + delay).toISOString()).catch(() => {});
        this.opts.logger?.error({ err, item: id, source: source.name, failures: n }, 'due work failed; will retry');
      }
    }
    return ids.length;
  }

  private async runJobsOneByOne(now: string): Promise<number> {
    const deps = this.deps;
    // Slow path: each job alone, so that one failing job cannot hold back the others.
    const ids = (await deps.db.kysely.selectFrom('jobs').select('id').where(DUE_INDEX).where('status', '=', 'pending').where('available_at', '<=', now).orderBy('available_at').limit(BATCH).execute()).map((r) => r.id);
    for (const id of ids) {
      try {
        await transact(deps, async (tx) => {
          let q = tx.selectFrom('jobs').selectAll().where('id', '=', id).where('status', '=', 'pending');
          if (deps.db.kind === 'postgres') q = q.forUpdate().skipLocked();
          const job = await q.executeTakeFirst();
          if (job) await this.apply(tx, job);
        });
      } catch (err) {
        const job = await deps.db.kysely.selectFrom('jobs').select(['attempts']).where('id', '=', id).executeTakeFirst();
        const attempts = (job?.attempts ?? 0) + 1;
        const delay = FAILURE_BACKOFF_MS[Math.min(attempts - 1, FAILURE_BACKOFF_MS.length - 1)]!;
        await deps.db.kysely
          .updateTable('jobs')
          .set({ attempts, last_error: String((err as Error).message ?? err).slice(0, 500), available_at: new Date(deps.clock.now().getTime() + delay).toISOString() })
          .where('id', '=', id)
          .execute();
        this.opts.logger?.error({ err, job: id }, 'job failed; will retry');
      }
    }
    return ids.length;
  }

  private async take(tx: Transaction<Database>, now: string, pg: boolean): Promise<JobRow[]> {
    const res = await sql<JobRow>`
      select * from jobs where ${DUE_INDEX} and status = 'pending' and available_at <= ${now}
      order by available_at limit ${BATCH} ${pg ? sql`for update skip locked` : sql``}`.execute(tx);
    return res.rows;
  }

  private async apply(tx: Transaction<Database>, job: JobRow): Promise<void> {
    const handler = handlers.get(job.kind);
    if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
    const outcome = await handler(this.deps, tx, job, JSON.parse(job.payload));
    if ('done' in outcome) {
      await deleteJob(tx, [job.id]);
    } else {
      await rescheduleJob(tx, [outcome.again.toISOString(), JSON.stringify(outcome.payload), job.id]);
    }
  }
}
