// The delivery log: a partner's events with their attempts, and replay.
import { wireTime } from '../clock.ts';
import type { WebhookAttemptsTable, WebhookEventsTable } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import {
  listQueries,
  runList,
  type ListEnvelope,
  type ListQueryInput,
  type ListSpec,
} from '../partner-api/list-query.ts';
import { announceOutbox } from './outbox.ts';
import type { Executor } from '../db/index.ts';

const col = (c: string) => ({ column: `webhook_events.${c}`, type: 'string' as const });
const WEBHOOK_EVENT_LIST: ListSpec = {
  collection: 'webhook_events',
  fields: {
    id: col('id'),
    status: col('status'),
    event_type: col('event_type'),
    target_type: col('target_type'),
    target_id: col('target_id'),
    created_at: { column: 'webhook_events.created_at', type: 'time' },
    attempts: { column: 'webhook_events.attempts', type: 'number' },
    last_status_code: { column: 'webhook_events.last_status_code', type: 'number' },
  },
  tieBreaker: 'webhook_events.id',
  defaultSort: ['-created_at'],
  defaultLimit: 100,
  maxLimit: 1000,
};

function eventToWire(e: WebhookEventsTable) {
  let payload: unknown = e.body;
  try {
    payload = JSON.parse(e.body);
  } catch {
    /* stored as sent */
  }
  return {
    id: e.id,
    partner_id: e.partner_id,
    target_type: e.target_type,
    target_id: e.target_id,
    event_type: e.event_type,
    status: e.status,
    attempts: e.attempts,
    created_at: wireTime(e.created_at),
    next_attempt_at: e.status === 'pending' ? wireTime(e.available_at) : null,
    last_attempt_at: wireTime(e.last_attempt_at),
    last_status_code: e.last_status_code,
    last_error: e.last_error,
    delivered_at: wireTime(e.delivered_at),
    failed_at: wireTime(e.failed_at),
    expires_at: wireTime(e.expires_at),
    payload,
  };
}

function attemptToWire(a: WebhookAttemptsTable) {
  return {
    attempt: a.attempt,
    url: a.url,
    started_at: a.started_at,
    duration_ms: a.duration_ms,
    outcome: a.outcome,
    status_code: a.status_code,
    error: a.error,
    response_excerpt: a.response_excerpt,
    slow: a.slow === 1,
  };
}

export interface TimeRange {
  created_after?: string;
  created_before?: string;
}

function parseTime(name: string, v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (Number.isNaN(ms)) throw badRequest(`${name} must be an ISO-8601 time or unix seconds, got "${v}"`);
  return new Date(ms).toISOString();
}

export async function listWebhookEvents(
  deps: Deps,
  partnerId: string,
  query: ListQueryInput & TimeRange,
): Promise<ListEnvelope & { webhook_events: ReturnType<typeof eventToWire>[] }> {
  const after = parseTime('created_after', query.created_after);
  const before = parseTime('created_before', query.created_before);
  let base = deps.db.kysely.selectFrom('webhook_events').where('webhook_events.partner_id', '=', partnerId);
  if (after) base = base.where('webhook_events.created_at', '>=', after);
  if (before) base = base.where('webhook_events.created_at', '<', before);
  const { envelope, rows } = await runList(listQueries(base, query, WEBHOOK_EVENT_LIST, (q) => q.selectAll('webhook_events')));
  return { ...envelope, webhook_events: rows.map(eventToWire) };
}

export async function getWebhookEvent(deps: Deps, partnerId: string, eventId: string) {
  // The event and its attempts from one snapshot (an outcome commits both at once): read apart,
  // an attempt could show with the event not yet showing its outcome.
  const read = async (db: Executor) => {
    const e = await db.selectFrom('webhook_events').selectAll().where('id', '=', eventId).where('partner_id', '=', partnerId).executeTakeFirst();
    if (!e) throw notFound(`Webhook event ${eventId} not found`);
    const attempts = await db.selectFrom('webhook_attempts').selectAll().where('event_id', '=', eventId).orderBy('attempt').execute();
    return { ...eventToWire(e), attempt_log: attempts.map(attemptToWire) };
  };
  // (On SQLite a transaction is the snapshot; PostgreSQL's default isolation takes one per statement.)
  if (deps.db.kind === 'sqlite') return deps.db.kysely.transaction().execute(read);
  return deps.db.kysely.transaction().setIsolationLevel('repeatable read').execute(read);
}

/**
 * Sends events again: due now, with a fresh retry horizon. Delivered events may be replayed
 * too (receivers dedupe on the event id). On PostgreSQL events being delivered right now (leased)
 * are left alone; on SQLite claims are not written, so such an event is requeued, and the outcome
 * of the delivery in flight (itself a delivery of the event) is written over it.
 */
async function requeue(deps: Deps, partnerId: string, where: { ids?: string[]; status?: string; range?: TimeRange; eventType?: string }): Promise<number> {
  const now = deps.clock.now();
  let q = deps.db.kysely
    .updateTable('webhook_events')
    .set({
      status: 'pending',
      available_at: now.toISOString(),
      lease_owner: null,
      expires_at: new Date(now.getTime() + deps.config.webhookRetryHorizonMs).toISOString(),
      // A replayed event is pending again: neither failed nor delivered (the attempt log keeps both).
      failed_at: null,
      delivered_at: null,
    })
    .where('partner_id', '=', partnerId)
    .where('status', '!=', 'delivering');
  if (where.ids) q = q.where('id', 'in', where.ids);
  if (where.status) q = q.where('status', '=', where.status as WebhookEventsTable['status']);
  if (where.eventType) q = q.where('event_type', '=', where.eventType);
  const after = parseTime('created_after', where.range?.created_after);
  const before = parseTime('created_before', where.range?.created_before);
  if (after) q = q.where('created_at', '>=', after);
  if (before) q = q.where('created_at', '<', before);
  const res = await q.executeTakeFirst();
  const n = Number(res.numUpdatedRows);
  if (n > 0) await announceOutbox(deps, deps.db.kysely);
  return n;
}

export async function retryWebhookEvent(deps: Deps, partnerId: string, eventId: string) {
  const e = await deps.db.kysely.selectFrom('webhook_events').select(['id', 'status']).where('id', '=', eventId).where('partner_id', '=', partnerId).executeTakeFirst();
  if (!e) throw notFound(`Webhook event ${eventId} not found`);
  if (e.status !== 'delivering') await requeue(deps, partnerId, { ids: [eventId] });
  return getWebhookEvent(deps, partnerId, eventId);
}

export async function retryWebhookEvents(
  deps: Deps,
  partnerId: string,
  opts: { status?: 'failed' | 'pending' | 'delivered'; event_type?: string } & TimeRange,
): Promise<number> {
  return requeue(deps, partnerId, { status: opts.status ?? 'failed', range: opts, eventType: opts.event_type });
}
