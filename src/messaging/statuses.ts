// A message's status only moves forward: accepted → sent → delivered → read; failed ends it
// (only before delivery). Each move is stored and, for the channel's webhook, written to the outbox.
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database, MessagesTable } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { prepared } from '../db/prepared.ts';
import { emitChannelEvent } from './channel-webhook.ts';
import { statusPayload, type StatusItem } from './webhook-payloads.ts';
import type { StepFacts } from './status-facts.ts';

export type OutboundStatus = 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<string, number> = { accepted: 0, received: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

export function canMove(from: string, to: OutboundStatus): boolean {
  if (to === 'failed') return from === 'accepted' || from === 'sent';
  return (RANK[to] ?? 0) > (RANK[from] ?? 0) && from !== 'failed';
}

export interface StatusError {
  code: number;
  title: string;
  details: string;
}

/** A stable conversation id per channel, user, category and 24-hour period. */
function conversationId(channelId: string, waId: string, category: string, at: Date): string {
  const day = Math.floor(at.getTime() / 86_400_000);
  return createHash('sha256').update(`${channelId}|${waId}|${category}|${day}`).digest('hex').slice(0, 32);
}

/**
 * One UPDATE for every move, whatever steps it takes: each <status>_at is written only when that
 * step is taken (coalesce keeps the stored one), and the plan's progress is stored with it.
 * Guarded by the status read (WHERE status = the status the steps start from).
 */
const move = prepared((db, p) =>
  db
    .updateTable('messages')
    .set({
      status: p(0),
      modified_at: p(1),
      sent_at: sql<string | null>`coalesce(${p(2)}, sent_at)`,
      delivered_at: sql<string | null>`coalesce(${p(3)}, delivered_at)`,
      read_at: sql<string | null>`coalesce(${p(4)}, read_at)`,
      failed_at: sql<string | null>`coalesce(${p(5)}, failed_at)`,
      error_code: sql<number | null>`coalesce(${p(6)}, error_code)`,
      error_title: sql<string | null>`coalesce(${p(7)}, error_title)`,
      status_plan: p(8),
      status_due_at: p(9),
    })
    .where('id', '=', p<string>(10))
    .where('status', '=', p<MessagesTable['status']>(11)),
);
const savePlan = prepared((db, p) => db.updateTable('messages').set({ status_plan: p(0), status_due_at: p(1) }).where('id', '=', p<string>(2)));

export interface StatusMove {
  status: OutboundStatus;
  /** When it happened (ms since the epoch). */
  at: number;
  error?: StatusError;
  /**
   * What the network itself reported with the status (Meta's conversation and pricing): the
   * webhook shows these, as they came, instead of the sandbox's made-up ones.
   */
  reported?: Pick<StatusItem, 'conversation' | 'pricing' | 'biz_opaque_callback_data'>;
}

/** What the row keeps of its status plan after the move: the plan (null when done) and when its next step is due. */
export interface PlanProgress {
  steps: string | null;
  dueAt: string | null;
}

/**
 * Moves an outbound message through `moves` in order (a move that would not be forward from
 * where the previous left it is skipped), with one guarded UPDATE that also stores `plan`; writes
 * one status webhook event per move taken, in the same transaction. Returns how many were taken:
 * 0 when none was allowed, or another transaction moved the message first (then nothing is
 * written, not even the plan: that transaction owns it).
 */
export async function advanceStatus(deps: Deps, tx: Transaction<Database>, facts: StepFacts, moves: readonly StatusMove[], plan: PlanProgress): Promise<number> {
  if (facts.direction !== 'outbound') return 0;
  const taken: StatusMove[] = [];
  let status = facts.status;
  for (const m of moves) {
    if (!canMove(status, m.status)) continue;
    taken.push(m);
    status = m.status;
  }
  if (taken.length === 0) {
    if (plan.steps !== facts.status_plan || plan.dueAt !== facts.status_due_at) await savePlan(tx, [plan.steps, plan.dueAt, facts.id]);
    return 0;
  }
  const at: Partial<Record<OutboundStatus, string>> = {};
  let error: StatusError | undefined;
  for (const m of taken) {
    at[m.status] = new Date(m.at).toISOString();
    if (m.error) error = m.error;
  }
  const last = taken[taken.length - 1]!;
  const moved = await move(tx, [
    last.status,
    at[last.status],
    at.sent ?? null,
    at.delivered ?? null,
    at.read ?? null,
    at.failed ?? null,
    error?.code ?? null,
    error?.title ?? null,
    plan.steps,
    plan.dueAt,
    facts.id,
    facts.status,
  ]);
  // Guarded by the status read: another instance moved it meanwhile, and told the webhook.
  if (!moved.numAffectedRows) return 0;
  if (facts.webhook_url && facts.partner_id) {
    for (const m of taken) await emitStatusEvent(deps, tx, facts, m);
  }
  return taken.length;
}

/** The channel's status webhook event for one move (the payload's fields are not changed by moves). */
async function emitStatusEvent(deps: Deps, tx: Transaction<Database>, facts: StepFacts, m: StatusMove): Promise<void> {
  const category = facts.category ?? 'service';
  const item: StatusItem = {
    id: facts.id,
    status: m.status,
    timestamp: String(Math.floor(m.at / 1000)),
    recipient_id: facts.wa_id,
  };
  if (m.reported) {
    // As the network reported it (Meta's: a failed status may carry pricing too).
    if (m.reported.conversation) item.conversation = m.reported.conversation;
    if (m.reported.pricing) item.pricing = m.reported.pricing;
    if (m.reported.biz_opaque_callback_data !== undefined) item.biz_opaque_callback_data = m.reported.biz_opaque_callback_data;
  }
  if (m.status === 'failed' && m.error) {
    item.errors = [{ code: m.error.code, title: m.error.title, message: m.error.title, error_data: { details: m.error.details } }];
  } else if (!m.reported) {
    const conversationStart = new Date(Date.parse(facts.created_at));
    item.conversation = {
      id: conversationId(facts.channel_id, facts.wa_id, category, conversationStart),
      ...(m.status === 'sent' ? { expiration_timestamp: String(Math.floor(conversationStart.getTime() / 1000) + 86_400) } : {}),
      origin: { type: category },
    };
    item.pricing = { billable: category !== 'service', pricing_model: 'PMP', category };
  }
  const identity = {
    channel: { hosting_type: facts.hosting_type!, phone_number: facts.phone_number!, external_id: facts.external_id! },
    wabaExternalId: facts.waba_external_id ?? facts.waba_account_id!,
  };
  await emitChannelEvent(deps, tx, { id: facts.channel_id, partner_id: facts.partner_id!, webhook_url: facts.webhook_url }, 'status', statusPayload(identity, item));
}
