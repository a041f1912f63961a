// The dispatcher: claims due outbox events, delivers them, records every attempt and
// reschedules failures. Several instances on one PostgreSQL share the work: a claim locks rows
// with FOR UPDATE SKIP LOCKED and leases them; a lease that runs out (an instance died
// mid-delivery) makes the event claimable again. Delivery is at-least-once: a receiver may see
// an event twice after a crash, always with the same event id (`webhook-id`).
import { sql } from 'kysely';
import type { Agent } from 'undici';
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Deps } from '../deps.ts';
import type { WebhookEventsTable } from '../db/schema.ts';
import { recordId } from '../ids.ts';
import { attemptDelivery, createDeliveryAgent, type AttemptResult } from './deliver.ts';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.ts';
import { outboxSignal } from './outbox.ts';
import { PgOutboxListener } from './pg-listener.ts';
import { nextAttemptAt, parseRetryAfter, type RetryPolicy } from './schedule.ts';
import { resolveTarget } from './targets.ts';

type EventRow = WebhookEventsTable;

export interface DispatcherOptions {
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  registry?: Registry;
  /** Longest sleep between looks at the outbox when nothing wakes the dispatcher. */
  pollMs?: number;
  /** How long a claim holds an event before another instance may take it. */
  leaseMs?: number;
}

const SCAN_FACTOR = 4;

export class Dispatcher {
  readonly instanceId = recordId('dsp');
  private readonly policy: RetryPolicy;
  private readonly agent: Agent;
  private readonly metrics: WebhookMetrics | undefined;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly inFlightByTarget = new Map<string, number>();
  private readonly queued = new Map<string, EventRow[]>();
  private readonly running = new Set<Promise<void>>();
  private queuedCount = 0;
  private active = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wakePending = false;
  private listener: PgOutboxListener | undefined;
  private lastPrune = 0;
  private readonly onSignal = () => this.wake();

  constructor(
    private readonly deps: Deps,
    private readonly opts: DispatcherOptions = {},
  ) {
    const c = deps.config;
    this.policy = { scheduleMs: c.webhookRetryScheduleMs, horizonMs: c.webhookRetryHorizonMs };
    this.agent = createDeliveryAgent({ connectTimeoutMs: c.webhookConnectTimeoutMs, timeoutMs: c.webhookTimeoutMs, perOrigin: c.webhookPerTargetConcurrency });
    this.metrics = opts.registry ? createWebhookMetrics(opts.registry, deps) : undefined;
    this.pollMs = opts.pollMs ?? 1000;
    this.leaseMs = opts.leaseMs ?? Math.max(60_000, 2 * c.webhookTimeoutMs + 30_000);
  }

  /** Starts the delivery loop (and, on PostgreSQL, LISTEN for other instances' commits). */
  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    outboxSignal(this.deps.db).on('enqueued', this.onSignal);
    if (this.deps.db.kind === 'postgres') {
      this.listener = new PgOutboxListener(this.deps.config.databaseUrl, this.onSignal, (err) =>
        this.opts.logger?.warn({ err }, 'outbox LISTEN connection problem; polling until it is back'),
      );
      await this.listener.start();
    }
    this.loop = this.run();
  }

  /** Stops claiming, lets deliveries in flight finish (bounded), and closes connections. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.active) return;
    this.active = false;
    outboxSignal(this.deps.db).off('enqueued', this.onSignal);
    this.wake();
    await this.loop;
    await this.listener?.stop();
    const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([this.idle(), grace]);
    // Events still queued here keep their lease and are claimed again once it expires.
    await this.agent.close().catch(() => {});
  }

  wake(): void {
    this.wakePending = true;
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private get busy(): number {
    return this.running.size + this.queuedCount;
  }

  private async run(): Promise<void> {
    while (this.active) {
      this.wakePending = false;
      let claimed = 0;
      try {
        claimed = await this.claimAndStart();
        await this.maybePrune();
      } catch (err) {
        this.opts.logger?.error({ err }, 'webhook dispatcher: claim failed; retrying');
        await this.sleep(this.pollMs);
        continue;
      }
      if (!this.active) break;
      if (claimed > 0 && this.busy < this.deps.config.webhookConcurrency) continue;
      if (this.wakePending) continue;
      await this.sleep(claimed > 0 ? this.pollMs : await this.untilNextDue());
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      t.unref();
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async untilNextDue(): Promise<number> {
    const row = await this.deps.db.kysely
      .selectFrom('webhook_events')
      .select('available_at')
      .where('status', 'in', ['pending', 'delivering'])
      .orderBy('available_at')
      .limit(1)
      .executeTakeFirst();
    if (!row) return this.pollMs;
    const ms = Date.parse(row.available_at) - this.deps.clock.now().getTime();
    return Math.max(1, Math.min(this.pollMs, ms));
  }

  /** Claims due events up to the free capacity and starts delivering them. Returns how many. */
  async claimAndStart(): Promise<number> {
    const c = this.deps.config;
    const free = c.webhookConcurrency - this.busy;
    if (free <= 0) return 0;
    const perTarget = c.webhookPerTargetConcurrency;
    const saturated = [...this.inFlightByTarget].filter(([, n]) => n >= perTarget).map(([t]) => t);
    const now = this.deps.clock.now();
    const rows = await this.claim(now, free, perTarget, saturated);
    for (const row of rows) this.schedule(row);
    return rows.length;
  }

  private async claim(now: Date, free: number, perTarget: number, saturated: string[]): Promise<EventRow[]> {
    const nowIso = now.toISOString();
    const leaseUntil = new Date(now.getTime() + this.leaseMs).toISOString();
    const pg = this.deps.db.kind === 'postgres';
    const notSaturated = saturated.length > 0 ? sql`and target_id not in (${sql.join(saturated)})` : sql``;
    // Candidates: due events, oldest first. On PostgreSQL they are locked, skipping rows another
    // instance is claiming right now. Of those, at most perTarget per target are taken, so a
    // claim never holds more for one receiver than can be in flight to it.
    const result = await sql<EventRow>`
      with candidates as (
        select id, target_id, available_at from webhook_events
        where status in ('pending', 'delivering') and available_at <= ${nowIso} ${notSaturated}
        order by available_at
        limit ${free * SCAN_FACTOR}
        ${pg ? sql`for update skip locked` : sql``}
      ),
      picked as (
        select id from (
          select id, available_at, row_number() over (partition by target_id order by available_at) as rn from candidates
        ) ranked
        where rn <= ${perTarget}
        order by available_at
        limit ${free}
      )
      update webhook_events
      set status = 'delivering', lease_owner = ${this.instanceId}, available_at = ${leaseUntil}
      where id in (select id from picked)
      returning *`.execute(this.deps.db.kysely);
    return result.rows;
  }

  private schedule(row: EventRow): void {
    const n = this.inFlightByTarget.get(row.target_id) ?? 0;
    if (n >= this.deps.config.webhookPerTargetConcurrency) {
      const q = this.queued.get(row.target_id) ?? [];
      q.push(row);
      this.queued.set(row.target_id, q);
      this.queuedCount++;
      return;
    }
    this.inFlightByTarget.set(row.target_id, n + 1);
    const p = this.deliver(row)
      .catch((err: unknown) => this.opts.logger?.error({ err, event: row.id }, 'webhook delivery bookkeeping failed'))
      .finally(() => {
        this.running.delete(p);
        const left = (this.inFlightByTarget.get(row.target_id) ?? 1) - 1;
        if (left <= 0) this.inFlightByTarget.delete(row.target_id);
        else this.inFlightByTarget.set(row.target_id, left);
        const q = this.queued.get(row.target_id);
        const next = q?.shift();
        if (q && q.length === 0) this.queued.delete(row.target_id);
        if (next) {
          this.queuedCount--;
          this.schedule(next);
        }
        this.wake();
      });
    this.running.add(p);
  }

  private async deliver(row: EventRow): Promise<void> {
    const deps = this.deps;
    const target = await resolveTarget(deps, row.target_type, row.target_id);
    const startedAt = deps.clock.now();
    const result = await attemptDelivery(this.agent, target, row, {
      timeoutMs: deps.config.webhookTimeoutMs,
      nowSeconds: Math.floor(startedAt.getTime() / 1000),
      userAgent: 'openwaba-webhooks/0.1',
    });
    await this.record(row, target?.url ?? null, startedAt, result);
  }

  private async record(row: EventRow, url: string | null, startedAt: Date, r: AttemptResult): Promise<void> {
    const deps = this.deps;
    const finishedAt = deps.clock.now();
    const attempt = row.attempts + 1;
    const slow = r.outcome !== 'no_endpoint' && r.durationMs > deps.config.webhookSlowMs;
    let update: Partial<EventRow>;
    let final: 'delivered' | 'failed' | undefined;
    if (r.outcome === 'delivered') {
      final = 'delivered';
      update = { status: 'delivered', delivered_at: finishedAt.toISOString() };
    } else {
      const retryAfterMs = parseRetryAfter(r.retryAfter, finishedAt.getTime());
      const next = nextAttemptAt(this.policy, Date.parse(row.created_at), finishedAt.getTime(), attempt, retryAfterMs);
      if (next === undefined) {
        final = 'failed';
        update = { status: 'failed', failed_at: finishedAt.toISOString() };
      } else {
        update = { status: 'pending', available_at: new Date(next).toISOString() };
      }
    }
    await deps.db.kysely.transaction().execute(async (tx) => {
      await tx
        .insertInto('webhook_attempts')
        .values({
          id: recordId('att'),
          event_id: row.id,
          attempt,
          url,
          started_at: startedAt.toISOString(),
          duration_ms: Math.round(r.durationMs),
          outcome: r.outcome,
          status_code: r.statusCode,
          error: r.error,
          response_excerpt: r.responseExcerpt,
          slow: slow ? 1 : 0,
        })
        .execute();
      // Fenced by the lease: if it ran out and another instance took the event, leave it be.
      await tx
        .updateTable('webhook_events')
        .set({
          ...update,
          attempts: attempt,
          lease_owner: null,
          last_attempt_at: startedAt.toISOString(),
          last_status_code: r.statusCode,
          last_error: r.error,
        })
        .where('id', '=', row.id)
        .where('lease_owner', '=', this.instanceId)
        .where('status', '=', 'delivering')
        .execute();
    });
    const m = this.metrics;
    if (m) {
      m.attempts.inc({ outcome: r.outcome });
      m.attemptDuration.observe(r.durationMs / 1000);
      if (slow) m.slowAttempts.inc();
      if (final === 'delivered') {
        m.delivered.inc();
        m.deliveryLatency.observe(Math.max(0, finishedAt.getTime() - Date.parse(row.created_at)) / 1000);
      } else if (final === 'failed') m.failed.inc();
    }
  }

  /** Resolves when nothing is in flight or queued in this instance. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * For tests and tools: deliver everything due now (by the injected clock), including
   * reschedules that fall due immediately, then return.
   */
  async drain(): Promise<void> {
    for (;;) {
      const n = await this.claimAndStart();
      await this.idle();
      if (n === 0 && this.queuedCount === 0) return;
    }
  }

  private async maybePrune(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if (now - this.lastPrune < 3600_000) return;
    this.lastPrune = now;
    await pruneWebhookEvents(this.deps);
  }
}

/** Deletes delivered and failed events (and their attempts) older than the retention. */
export async function pruneWebhookEvents(deps: Deps): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.config.webhookRetentionDays * 86400_000).toISOString();
  let total = 0;
  for (;;) {
    const ids = (
      await deps.db.kysely
        .selectFrom('webhook_events')
        .select('id')
        .where('status', 'in', ['delivered', 'failed'])
        .where('created_at', '<', cutoff)
        .limit(500)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return total;
    await deps.db.kysely.transaction().execute(async (tx) => {
      await tx.deleteFrom('webhook_attempts').where('event_id', 'in', ids).execute();
      await tx.deleteFrom('webhook_events').where('id', 'in', ids).execute();
    });
    total += ids.length;
  }
}
