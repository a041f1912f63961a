// The dispatcher: claims due outbox events, delivers them, records every attempt and
// reschedules failures. Several instances on one PostgreSQL share the work: a claim locks rows
// with FOR UPDATE SKIP LOCKED and leases them; a lease that runs out (an instance died
// mid-delivery) makes the event claimable again. Delivery is at-least-once: a receiver may see
// an event twice after a crash, always with the same event id (`webhook-id`).
//
// Throughput: a claim takes a batch (claims.ts; per target a few rounds of what may be in flight
// to it), targets are resolved once per claim, and outcomes are written in batches
// (attempt-writer.ts). A claimed event starts only while its lease still covers a whole attempt;
// otherwise the lease is renewed first (or the event left to whoever took it over).
import type { Agent } from 'undici';
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Deps } from '../deps.ts';
import { recordId, sortableRecordId } from '../ids.ts';
import { WakeSignal } from '../jobs/wake-signal.ts';
import { AttemptWriter, type AttemptOutcomeRecord } from './attempt-writer.ts';
import { claimDueEvents, dispatcherStarted, dispatcherStopped, handBackEvents, mayClaim, nextDueAfter, renewLease, settleClaims, type ClaimedEvent } from './claims.ts';
import { attemptDelivery, createDeliveryAgent, type AttemptResult } from './deliver.ts';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.ts';
import { outboxSignal } from './outbox.ts';
import { PgOutboxListener } from './pg-listener.ts';
import { nextAttemptAt, parseRetryAfter } from './schedule.ts';
import { copyStatementFor, mayBeEndedByOwner, resolveTarget, type DeliveryTarget } from './targets.ts';

export interface DispatcherOptions {
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  registry?: Registry;
  /** Longest sleep between looks at the outbox when nothing wakes the dispatcher. */
  pollMs?: number;
  /** How long a claim holds an event before another instance may take it (default: config). */
  leaseMs?: number;
}

/** A claim looks at this many due events per event it may take (for one target at most its depth). */
const SCAN_FACTOR = 2;
/** Least time between two sweeps (claims that step over full targets' backlogs). */
const SWEEP_INTERVAL_MS = 50;
/**
 * Per target, this instance holds at most this many times the target's concurrency (one round
 * in flight, the next ones waiting) and claims again once two rounds have room: a claim is then
 * big enough to be cheap, and a round still waits while it runs.
 */
const CLAIM_DEPTH = 4;

interface Claimed {
  row: ClaimedEvent;
  leaseUntil: number;
  target: DeliveryTarget | undefined;
}

/** What this instance holds for one target: deliveries in flight, and claimed events waiting. */
interface TargetState {
  inFlight: number;
  queue: Claimed[];
  /** The last claim took as many as it could for this target: more may be due. */
  more: boolean;
}

export class Dispatcher {
  readonly instanceId = recordId('dsp');
  private readonly agent: Agent;
  private readonly metrics: WebhookMetrics | undefined;
  private readonly writer: AttemptWriter;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  /** A queued event starts only if its lease has at least this much left; else it is renewed. */
  private readonly minLeaseLeftMs: number;
  private readonly targets = new Map<string, TargetState>();
  private readonly running = new Set<Promise<void>>();
  /** Events held: waiting here or in flight over HTTP. */
  private held = 0;
  /** The last claim was cut short by this instance's concurrency, not by a lack of due events. */
  private capacityBound = false;
  /** The last claim took every due event it could see (no further claim needed until something changes). */
  private exhaustive = false;
  private lastClaimAt = new Date(0).toISOString();
  /** Something may have fallen due that only a sweep would find (new events, retries, time passing). */
  private sweepNeeded = true;
  private lastSweep = 0;
  private active = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly signal = new WakeSignal();
  private listener: PgOutboxListener | undefined;
  private readonly onSignal = () => {
    this.sweepNeeded = true;
    this.wake();
  };

  constructor(
    private readonly deps: Deps,
    private readonly opts: DispatcherOptions = {},
  ) {
    const c = deps.config;
    this.agent = createDeliveryAgent({
      connectTimeoutMs: c.webhookConnectTimeoutMs,
      timeoutMs: c.webhookTimeoutMs,
      perOrigin: c.webhookPerTargetConcurrency,
      publicOnly: c.webhookUrlPolicy === 'strict',
    });
    this.metrics = opts.registry ? createWebhookMetrics(opts.registry, deps) : undefined;
    this.writer = new AttemptWriter(deps.db, this.instanceId);
    this.pollMs = opts.pollMs ?? 1000;
    this.leaseMs = opts.leaseMs ?? c.webhookLeaseMs;
    const spare = Math.max(0, this.leaseMs - c.webhookTimeoutMs);
    this.minLeaseLeftMs = c.webhookTimeoutMs + Math.min(5_000, spare / 2);
  }

  /** Starts the delivery loop (and, on PostgreSQL, LISTEN for other instances' commits). */
  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    this.stopping = false;
    dispatcherStarted(this.deps.db);
    outboxSignal(this.deps.db).on('enqueued', this.onSignal);
    if (this.deps.db.kind === 'postgres') {
      this.listener = new PgOutboxListener(this.deps.config.databaseUrl, this.onSignal, (err) =>
        this.opts.logger?.warn({ err }, 'outbox LISTEN connection problem; polling until it is back'),
      );
      await this.listener.start();
    }
    this.loop = this.run();
  }

  /**
   * Stops claiming, hands back claimed events not yet started (due at once, for any instance),
   * lets deliveries in flight finish (bounded), and closes connections.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.active) {
      await this.agent.close().catch(() => {});
      return;
    }
    this.active = false;
    this.stopping = true;
    outboxSignal(this.deps.db).off('enqueued', this.onSignal);
    this.wake();
    await this.loop;
    await this.listener?.stop();
    await this.release().catch((err: unknown) => this.opts.logger?.warn({ err }, 'webhook dispatcher: could not hand back claimed events; they are retaken when their lease ends'));
    const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([this.idle(), grace]);
    await this.agent.close().catch(() => {});
    await dispatcherStopped(this.deps.db).catch(() => {});
  }

  wake(): void {
    this.signal.wake();
  }

  private async run(): Promise<void> {
    const concurrency = this.deps.config.webhookConcurrency;
    while (this.active) {
      this.signal.clear();
      let claimed = 0;
      try {
        claimed = await this.claimAndStart(this.sweepDue());
      } catch (err) {
        this.opts.logger?.error({ err }, 'webhook dispatcher: claim failed; retrying');
        this.signal.clear();
        await this.sleep(this.pollMs);
        continue;
      }
      if (!this.active) break;
      // Another process dispatches for this SQLite database: look again after a poll interval.
      if (this.standingBy) {
        await this.sleep(this.pollMs);
        continue;
      }
      // More may be due: claim again at once, unless only a sweep could find it and none is due yet.
      if (claimed > 0 && !this.exhaustive && this.held < concurrency && (this.room().full.length === 0 || this.sweepDue())) continue;
      if (this.signal.pending) continue;
      // Full: a finishing delivery wakes the loop. Else sleep until the next event falls due
      // (or, if only a sweep can tell what else is due, until the next sweep).
      let ms = this.pollMs;
      if (this.held < concurrency) {
        ms = await this.untilNextDue();
        if (!this.exhaustive && this.sweepNeeded) ms = Math.min(ms, Math.max(1, this.lastSweep + SWEEP_INTERVAL_MS - Date.now()));
      }
      if (await this.sleep(ms)) this.sweepNeeded = true;
    }
  }

  /** While the loop sleeps: when (by the clock) it looks again; while it works: -Infinity. */
  private sleepsUntil = -Infinity;

  private async sleep(ms: number): Promise<boolean> {
    this.sleepsUntil = this.deps.clock.now().getTime() + ms;
    try {
      return await this.signal.sleep(ms);
    } finally {
      this.sleepsUntil = -Infinity;
    }
  }


  /**
   * Whether the next claim may be a sweep: one that leaves full targets out, so as to find other
   * targets' due events behind their backlogs (claimDueEvents). A sweep steps over those
   * backlogs, so it runs only when something new may be due, and at most every SWEEP_INTERVAL_MS.
   */
  private sweepDue(): boolean {
    return this.sweepNeeded && Date.now() - this.lastSweep >= SWEEP_INTERVAL_MS;
  }

  /** Targets this instance cannot take more events for right now, and the room left for the others. */
  private room(): { full: string[]; caps: Map<string, number>; depth: number } {
    const depth = this.deps.config.webhookPerTargetConcurrency * CLAIM_DEPTH;
    const full: string[] = [];
    const caps = new Map<string, number>();
    for (const [t, s] of this.targets) {
      const left = depth - s.inFlight - s.queue.length;
      if (left <= 0) full.push(t);
      if (left < depth) caps.set(t, Math.max(0, left));
    }
    return { full, caps, depth };
  }

  /**
   * How long to sleep: until the next event falls due after the last claim's time (what was due
   * at that time the claims have seen; what was written since wakes the loop), at most pollMs.
   */
  private async untilNextDue(): Promise<number> {
    const next = await nextDueAfter(this.deps.db, this.lastClaimAt, this.room().full);
    if (!next) return this.pollMs;
    const ms = Date.parse(next) - this.deps.clock.now().getTime();
    return Math.max(1, Math.min(this.pollMs, ms));
  }

  /**
   * Claims due events up to the free capacity and starts delivering them. Returns how many.
   * sweep: when some targets are full, leave them out of the look (see sweepDue()).
   */
  async claimAndStart(sweep = true): Promise<number> {
    if (!(await this.mayClaim())) {
      this.exhaustive = false;
      return 0;
    }
    const free = this.deps.config.webhookConcurrency - this.held;
    if (free <= 0) {
      this.capacityBound = true;
      this.exhaustive = false;
      return 0;
    }
    const { full, caps, depth } = this.room();
    const sweeping = sweep && full.length > 0;
    const now = this.deps.clock.now();
    const scan = Math.min(free, depth) * SCAN_FACTOR;
    if (sweeping) this.lastSweep = Date.now();
    const rows = await claimDueEvents(this.deps.db, {
      owner: this.instanceId,
      now,
      leaseMs: this.leaseMs,
      limit: free,
      scan,
      perTarget: depth,
      caps,
      exclude: sweeping ? full : [],
    });
    this.lastClaimAt = now.toISOString();
    this.capacityBound = rows.length >= free;
    // Every due event it could see was taken (none held back by a cap or the capacity), and it
    // saw them all: the window was not filled, and no full target's events took room in it.
    const seenAll = rows.length < scan && (full.length === 0 || sweeping);
    if (rows.length === 0) {
      this.exhaustive = seenAll;
      if (seenAll) this.sweepNeeded = false;
      return 0;
    }
    // Where each target delivers, read once per claim (so a changed URL applies to the next one).
    const keys = new Map<string, { type: string; id: string }>();
    for (const r of rows) keys.set(`${r.target_type}:${r.target_id}`, { type: r.target_type, id: r.target_id });
    const resolved = new Map<string, DeliveryTarget | undefined>();
    try {
      await Promise.all([...keys].map(async ([k, t]) => resolved.set(k, await resolveTarget(this.deps, t.type, t.id))));
    } catch (err) {
      // Nothing started: hand the events back rather than leave them leased.
      await this.handBack(rows.map((r) => r.id)).catch(() => {});
      throw err;
    }
    // Oldest first within each target (RETURNING does not keep the claim's order); ids sort by
    // creation order within a millisecond (sortableRecordId).
    rows.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const perTarget = new Map<string, number>();
    for (const row of rows) {
      let s = this.targets.get(row.target_id);
      if (!s) {
        s = { inFlight: 0, queue: [], more: false };
        this.targets.set(row.target_id, s);
      }
      s.queue.push({ row, leaseUntil: Date.parse(row.available_at), target: resolved.get(`${row.target_type}:${row.target_id}`) });
      this.held++;
      perTarget.set(row.target_id, (perTarget.get(row.target_id) ?? 0) + 1);
    }
    let capped = false;
    for (const [t, n] of perTarget) {
      const more = n >= (caps.get(t) ?? depth);
      capped ||= more;
      this.targets.get(t)!.more = more;
      this.pump(t);
    }
    this.exhaustive = seenAll && !this.capacityBound && !capped;
    if (this.exhaustive) this.sweepNeeded = false;
    return rows.length;
  }

  private standingBy = false;

  /**
   * Whether this instance may claim (on SQLite: it holds the database's dispatching lock).
   * Another live process holding it makes this one stand by; one that loses the lock hands back
   * what it holds and has not started, so that the holder does not deliver those twice.
   */
  private async mayClaim(): Promise<boolean> {
    const lock = await mayClaim(this.deps.db, this.leaseMs);
    if (lock.held) {
      if (this.standingBy) this.opts.logger?.info('webhook dispatcher: took over the SQLite database; dispatching');
      this.standingBy = false;
      return true;
    }
    if (!this.standingBy) {
      this.opts.logger?.warn(
        { holder: lock.by },
        'webhook dispatcher: another process dispatches for this SQLite database; this one stands by until that one stops or its lease runs out',
      );
      await this.release();
    }
    this.standingBy = true;
    return false;
  }

  /** Starts waiting events of a target while it has free slots (none once stopping). */
  private pump(targetId: string): void {
    const s = this.targets.get(targetId);
    if (!s) return;
    // Started in the order they were written (the queue is oldest first); with more than one in
    // flight a receiver may still see them overlap (OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY=1
    // keeps them strictly in order, as long as none needs a retry).
    const perTarget = this.deps.config.webhookPerTargetConcurrency;
    while (!this.stopping && s.inFlight < perTarget && s.queue.length > 0) {
      const c = s.queue.shift()!;
      s.inFlight++;
      const p = this.deliver(c, s)
        .catch((err: unknown) => this.opts.logger?.error({ err, event: c.row.id }, 'webhook delivery bookkeeping failed'))
        .finally(() => this.running.delete(p));
      this.running.add(p);
    }
    if (s.inFlight === 0 && s.queue.length === 0) this.targets.delete(targetId);
  }

  /** A delivery slot of this target is free again: start the next, and claim more if worth it. */
  private slotFreed(targetId: string, s: TargetState): void {
    s.inFlight--;
    this.held--;
    this.pump(targetId);
    const c = this.deps.config;
    const worth = c.webhookPerTargetConcurrency * (CLAIM_DEPTH - 2);
    const left = c.webhookPerTargetConcurrency * CLAIM_DEPTH - s.inFlight - s.queue.length;
    if ((s.more && left >= worth) || (this.capacityBound && c.webhookConcurrency - this.held >= worth)) this.wake();
  }

  private async deliver(c: Claimed, s: TargetState): Promise<void> {
    const { row } = c;
    let slotHeld = true;
    const freeSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.slotFreed(row.target_id, s);
    };
    try {
      if (!(await this.holdLease(c))) return;
      // Ended by its owner since it was claimed (a copy whose destination was removed): not sent.
      if (mayBeEndedByOwner(row.target_type) && (await this.endedMeanwhile(row.id))) return;
      const deps = this.deps;
      const startedAt = deps.clock.now();
      const giveUp = c.target?.giveUp;
      // A target whose events are given up (targets.ts DeliveryTarget.giveUp): no request, the
      // event ends now (an attempt of outcome no_endpoint records why).
      const result: AttemptResult =
        giveUp !== undefined
          ? { outcome: 'no_endpoint', statusCode: null, error: giveUp, responseExcerpt: null, retryAfter: undefined, durationMs: 0 }
          : await attemptDelivery(this.agent, c.target, row, {
              timeoutMs: deps.config.webhookTimeoutMs,
              nowSeconds: Math.floor(startedAt.getTime() / 1000),
              userAgent: 'openwaba-webhooks/0.1',
              publicOnly: deps.config.webhookUrlPolicy === 'strict',
            });
      freeSlot();
      await this.record(row, c.target?.url ?? null, startedAt, result, giveUp !== undefined);
    } finally {
      freeSlot();
      // Also when the outcome could not be written: the event is then still due, and retaken.
      settleClaims(this.deps.db, [row.id]);
    }
  }

  /** Whether the event has ended (failed or delivered) or is gone since it was claimed: one read by primary key. */
  private async endedMeanwhile(eventId: string): Promise<boolean> {
    const e = await this.deps.db.kysely.selectFrom('webhook_events').select('status').where('id', '=', eventId).executeTakeFirst();
    return !e || e.status === 'failed' || e.status === 'delivered';
  }

  /** True if the lease covers a whole attempt from now (renewing it if needed); false if lost. */
  private async holdLease(c: Claimed): Promise<boolean> {
    const now = this.deps.clock.now().getTime();
    if (c.leaseUntil - now >= this.minLeaseLeftMs) return true;
    const until = now + this.leaseMs;
    if (!(await renewLease(this.deps.db, this.instanceId, c.row.id, new Date(until)))) {
      this.opts.logger?.warn({ event: c.row.id }, 'webhook dispatcher: lease ran out before delivery; another instance has the event');
      return false;
    }
    c.leaseUntil = until;
    return true;
  }

  private async record(row: ClaimedEvent, url: string | null, startedAt: Date, r: AttemptResult, givenUp = false): Promise<void> {
    const deps = this.deps;
    const finishedAt = deps.clock.now();
    const attempt = row.attempts + 1;
    const slow = r.outcome !== 'no_endpoint' && r.durationMs > deps.config.webhookSlowMs;
    let final: 'delivered' | 'failed' | undefined;
    let change: Pick<AttemptOutcomeRecord['event'], 'status' | 'available_at' | 'delivered_at' | 'failed_at'>;
    if (r.outcome === 'delivered') {
      final = 'delivered';
      change = { status: 'delivered', delivered_at: finishedAt.toISOString() };
    } else {
      const retryAfterMs = parseRetryAfter(r.retryAfter, finishedAt.getTime());
      const next = givenUp ? undefined : nextAttemptAt(deps.config.webhookRetryScheduleMs, Date.parse(row.expires_at), finishedAt.getTime(), attempt, retryAfterMs);
      if (next === undefined) {
        final = 'failed';
        change = { status: 'failed', failed_at: finishedAt.toISOString() };
      } else {
        change = { status: 'pending', available_at: new Date(next).toISOString() };
      }
    }
    // A delivered event of a target type that has copies (a channel's extra webhook
    // destinations) gets them written with its outcome, each with a retry horizon of its own.
    const copy =
      final === 'delivered' && copyStatementFor(row.target_type)
        ? { targetType: row.target_type, at: finishedAt.toISOString(), expiresAt: new Date(finishedAt.getTime() + deps.config.webhookRetryHorizonMs).toISOString() }
        : undefined;
    // Fenced by the lease: if it ran out and another instance took the event, its row is left be.
    const ours = await this.writer.write({
      copy,
      attempt: {
        id: sortableRecordId('att'),
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
      },
      event: { id: row.id, ...change, attempts: attempt, last_attempt_at: startedAt.toISOString(), last_status_code: r.statusCode, last_error: r.error },
    });
    settleClaims(deps.db, [row.id]);
    // A retry due at once, or before the sleeping loop's next look, wakes it (the look that
    // follows a sleep or a round of work finds later ones).
    const retryAt = ours && change.available_at ? Date.parse(change.available_at) : undefined;
    if (retryAt !== undefined && this.active && (retryAt <= finishedAt.getTime() || retryAt < this.sleepsUntil)) this.onSignal();
    const m = this.metrics;
    if (m) {
      m.attempts.inc({ outcome: r.outcome });
      m.attemptDuration.observe(r.durationMs / 1000);
      if (slow) m.slowAttempts.inc();
      if (ours && final === 'delivered') {
        m.delivered.inc();
        m.deliveryLatency.observe(Math.max(0, finishedAt.getTime() - Date.parse(row.created_at)) / 1000);
      } else if (ours && final === 'failed') m.failed.inc();
    }
  }

  /** Gives claimed events that have not started back to the outbox, due at once. */
  private async release(): Promise<void> {
    const ids: string[] = [];
    for (const [t, s] of this.targets) {
      for (const c of s.queue) ids.push(c.row.id);
      this.held -= s.queue.length;
      s.queue = [];
      if (s.inFlight === 0) this.targets.delete(t);
    }
    await this.handBack(ids);
  }

  private handBack(ids: string[]): Promise<void> {
    return handBackEvents(this.deps.db, this.instanceId, ids, this.deps.clock.now());
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
      if (n === 0 && this.held === 0) return;
    }
  }
}
