// A message's status only moves forward: accepted → sent → delivered → read (→ played, a voice
// note's); failed ends it (only before delivery). Each move is stored and, for the channel's
// webhook, written to the outbox. `played` is told, not stored: the row stays `read` (what
// every count of read messages reads), and the plan, which takes each step once, keeps it from
// being told twice.
import { isGroupId } from './groups.ts';
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database, MessagesTable } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { prepared } from '../db/prepared.ts';
import { emitChannelEvent } from './channel-webhook.ts';
import { groupStatusContexts, isPerParticipant, participantStatuses, type GroupStatusContext } from './group-statuses.ts';
import { cloudStatusesPayload, statusPayload, type ReportedStatus, type StatusItem, type WebhookContact } from './webhook-payloads.ts';
import { isBsuid, sandboxBsuid } from '../network/bsuid.ts';
import type { StepFacts } from './status-facts.ts';
import type { StatusRecipient } from '../network/types.ts';

export type OutboundStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed';

const RANK: Record<string, number> = { accepted: 0, received: 0, sent: 1, delivered: 2, read: 3, played: 4, failed: 5 };

export function canMove(from: string, to: OutboundStatus): boolean {
  if (to === 'failed') return from === 'accepted' || from === 'sent';
  // A voice note is played once it was read (Meta's order); `from` is the stored status.
  if (to === 'played') return from === 'read';
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
  reported?: ReportedStatus;
  /** A sandbox user's username and hidden number, as the network's plan carries them (network/types.ts). */
  recipient?: StatusRecipient;
  /** The send's biz_opaque_callback_data, as the sandbox's plan carries it (network/types.ts). */
  opaque?: string;
  /** A utility template sent inside an open customer service window (free: see emitStatusEvent). */
  freeInWindow?: true;
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
  return advanceOne(deps, tx, facts, moves, plan, undefined);
}

/**
 * advanceStatus, with a round's group contexts read ahead (advanceStatuses): `pregrouped` has one
 * for each group message of the round; null: the round has none; undefined: not read ahead.
 */
async function advanceOne(
  deps: Deps,
  tx: Transaction<Database>,
  facts: StepFacts,
  moves: readonly StatusMove[],
  plan: PlanProgress,
  pregrouped: Map<string, GroupStatusContext> | null | undefined,
): Promise<number> {
  const w = planMove(facts, moves, plan);
  if (!w) return 0;
  const { taken, at, error } = w;
  if (taken.length === 0) {
    await savePlan(tx, [plan.steps, plan.dueAt, facts.id]);
    return 0;
  }
  const last = taken[taken.length - 1]!;
  const moved = await move(tx, [
    w.status,
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
    // A group message's statuses name the group, its delivered and read ones each member (group-statuses.ts).
    let group: GroupStatusContext | undefined;
    if (pregrouped) group = pregrouped.get(facts.id);
    else if (pregrouped === undefined && isGroupId(facts.wa_id)) group = (await groupStatusContexts(tx, [{ facts, moves: taken }])).get(facts.id);
    for (const m of taken) await emitStatusEvent(deps, tx, facts, m, group);
  }
  return taken.length;
}

/** One message's moves for advanceStatuses: what advanceStatus takes for one. */
export interface StatusAdvance {
  facts: StepFacts;
  moves: readonly StatusMove[];
  plan: PlanProgress;
}

/** What advanceStatus would write for one message: the moves taken and the row's new values, or nothing. */
function planMove(facts: StepFacts, moves: readonly StatusMove[], plan: PlanProgress) {
  if (facts.direction !== 'outbound') return undefined;
  const taken: StatusMove[] = [];
  let status = facts.status;
  for (const m of moves) {
    if (!canMove(status, m.status)) continue;
    taken.push(m);
    // played is not stored: the row stays read (see the top of this file).
    if (m.status !== 'played') status = m.status;
  }
  if (taken.length === 0) {
    if (plan.steps === facts.status_plan && plan.dueAt === facts.status_due_at) return undefined;
    return { taken, status: facts.status, at: {} as Partial<Record<OutboundStatus, string>>, error: undefined as StatusError | undefined };
  }
  const at: Partial<Record<OutboundStatus, string>> = {};
  let error: StatusError | undefined;
  for (const m of taken) {
    at[m.status] = new Date(m.at).toISOString();
    if (m.error) error = m.error;
  }
  return { taken, status, at, error };
}

/**
 * advanceStatus for many messages at once (a status round's batch). On PostgreSQL one guarded
 * UPDATE … FROM (VALUES …) moves them all: each statement is a round trip, and a busy sandbox
 * moves every message three times (bench:send on PostgreSQL). On SQLite, where a statement costs
 * no round trip, one prepared UPDATE per row measured faster than the set-based one.
 * Rows are expected locked by the caller (the round's FOR UPDATE SKIP LOCKED). Returns how many
 * moves were taken.
 */
export async function advanceStatuses(deps: Deps, tx: Transaction<Database>, items: readonly StatusAdvance[]): Promise<number> {
  // The round's group messages, whose members one statement reads for all of them (the one
  // isGroupId check an individual message gets, here instead of in emitStatusEvent).
  let groups: { facts: StepFacts; moves: readonly StatusMove[] }[] | undefined;
  for (const it of items) if (isGroupId(it.facts.wa_id)) (groups ??= []).push(it);
  const grouped = groups ? await groupStatusContexts(tx, groups) : null;
  if (deps.db.kind !== 'postgres' || items.length < 2) {
    let n = 0;
    for (const it of items) n += await advanceOne(deps, tx, it.facts, it.moves, it.plan, grouped);
    return n;
  }
  const writes: { it: StatusAdvance; w: NonNullable<ReturnType<typeof planMove>> }[] = [];
  for (const it of items) {
    const w = planMove(it.facts, it.moves, it.plan);
    if (w) writes.push({ it, w });
  }
  if (writes.length === 0) return 0;
  const now = deps.clock.now().toISOString();
  const values = writes.map(
    ({ it, w }) =>
      sql`(${it.facts.id}::text, ${it.facts.status}::text, ${w.status}::text, ${w.taken.length ? (w.at[w.taken[w.taken.length - 1]!.status] ?? now) : null}::text,
        ${w.at.sent ?? null}::text, ${w.at.delivered ?? null}::text, ${w.at.read ?? null}::text, ${w.at.failed ?? null}::text,
        ${w.error?.code ?? null}::integer, ${w.error?.title ?? null}::text, ${it.plan.steps}::text, ${it.plan.dueAt}::text)`,
  );
  const moved = await sql<{ id: string }>`
    update messages as m set
      status = v.status,
      modified_at = coalesce(v.modified_at, m.modified_at),
      sent_at = coalesce(v.sent_at, m.sent_at),
      delivered_at = coalesce(v.delivered_at, m.delivered_at),
      read_at = coalesce(v.read_at, m.read_at),
      failed_at = coalesce(v.failed_at, m.failed_at),
      error_code = coalesce(v.error_code, m.error_code),
      error_title = coalesce(v.error_title, m.error_title),
      status_plan = v.status_plan,
      status_due_at = v.status_due_at
    from (values ${sql.join(values)}) as v(id, prev, status, modified_at, sent_at, delivered_at, read_at, failed_at, error_code, error_title, status_plan, status_due_at)
    where m.id = v.id and m.status = v.prev
    returning m.id`.execute(tx);
  const done = new Set(moved.rows.map((r) => r.id));
  let n = 0;
  for (const { it, w } of writes) {
    // Guarded by the status read: another instance moved it meanwhile, and told the webhook.
    if (!done.has(it.facts.id) || w.taken.length === 0) continue;
    n += w.taken.length;
    if (it.facts.webhook_url && it.facts.partner_id) for (const m of w.taken) await emitStatusEvent(deps, tx, it.facts, m, grouped?.get(it.facts.id));
  }
  return n;
}

/**
 * The channel's status webhook event for one move (the payload's fields are not changed by moves).
 * `group`: set for a message to a group (its context; undefined for a message to a user).
 */
async function emitStatusEvent(deps: Deps, tx: Transaction<Database>, facts: StepFacts, m: StatusMove, group: GroupStatusContext | undefined): Promise<void> {
  const category = facts.category ?? 'service';
  // The On-Premise API's statuses have no played (reference §5.2): a Cloud number's voice notes only.
  if (m.status === 'played' && facts.hosting_type === 'onpremise') return;
  const item: StatusItem = {
    id: facts.id,
    status: m.status,
    timestamp: String(Math.floor(m.at / 1000)),
    recipient_id: facts.wa_id,
  };
  // A group message's statuses name the group (Meta's Groups API: recipient_type "group").
  if (group) item.recipient_type = 'group';
  let contact: WebhookContact | undefined;
  if (!m.reported && isBsuid(facts.wa_id)) {
    // A sandbox send to a BSUID no simulated user has (stored under it; it fails): as Meta's
    // failed status of a send to a BSUID, it names the BSUID.
    item.recipient_user_id = facts.wa_id;
  } else if (!m.reported && m.status !== 'failed' && facts.partner_id && /^\d+$/.test(facts.wa_id)) {
    // A sandbox user's BSUID, as Meta puts the recipient's in every sent/delivered/read status
    // (network/bsuid.ts). A failed one has it only when the message was sent to a BSUID; sandbox
    // sends to a known user's BSUID are stored under the user's number, so failed statuses go without.
    item.recipient_user_id = sandboxBsuid(deps.config.secretKey, facts.partner_id, facts.wa_id);
    // And the contacts entry Meta sends with those statuses (ReportedStatus.contact): clients
    // such as pywa (MessageStatus.from_update reads value["contacts"][0]) require it. A user's
    // username is in delivered and read ones, not in sent ones; a send to the BSUID of a user
    // who hides their number leaves the number out, recipient_id too, which names the BSUID the
    // business sent to instead (On-Premise webhooks show such a user by BSUID as well).
    const r = m.recipient;
    const username = r?.username !== undefined && m.status !== 'sent' ? { profile: { username: r.username } } : {};
    if (r?.hideNumber) item.recipient_id = item.recipient_user_id;
    contact = { ...username, ...(r?.hideNumber ? {} : { wa_id: facts.wa_id }), user_id: item.recipient_user_id };
  } else if (!m.reported && m.status === 'failed' && m.recipient?.hideNumber && facts.partner_id && /^\d+$/.test(facts.wa_id)) {
    // A failed send to the BSUID of a user who hides their number: the BSUID the business sent to,
    // as Meta's failed status of a send to a BSUID, and never the number it stands for.
    item.recipient_user_id = sandboxBsuid(deps.config.secretKey, facts.partner_id, facts.wa_id);
    item.recipient_id = item.recipient_user_id;
  }
  if (m.reported) {
    // Meta's BSUID fields as Meta sent them (network/meta/notification.ts).
    if (m.reported.recipient_user_id !== undefined) item.recipient_user_id = m.reported.recipient_user_id;
    if (m.reported.recipient_parent_user_id !== undefined) item.recipient_parent_user_id = m.reported.recipient_parent_user_id;
    contact = m.reported.contact;
    // As the network reported it (Meta's: a failed status may carry pricing too).
    if (m.reported.conversation) item.conversation = m.reported.conversation;
    if (m.reported.pricing) item.pricing = m.reported.pricing;
    if (m.reported.biz_opaque_callback_data !== undefined) item.biz_opaque_callback_data = m.reported.biz_opaque_callback_data;
  } else if (m.opaque !== undefined) {
    // The sandbox echoes the send's biz_opaque_callback_data in every status, failed ones too, as Meta does.
    item.biz_opaque_callback_data = m.opaque;
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
    item.pricing = pmpPricing(category, m.freeInWindow === true);
  }
  const identity = {
    channel: { hosting_type: facts.hosting_type!, phone_number: facts.phone_number!, external_id: facts.external_id! },
    wabaExternalId: facts.waba_external_id ?? facts.waba_account_id!,
  };
  const channel = { id: facts.channel_id, partner_id: facts.partner_id!, webhook_url: facts.webhook_url };
  if (group?.members && isPerParticipant(facts, m)) {
    // Delivered and read: an item per member, in one event; none for a group nobody is in (group-statuses.ts).
    if (group.members.length === 0) return;
    const each = participantStatuses(deps.config.secretKey, facts.partner_id!, item, group.members);
    await emitChannelEvent(deps, tx, channel, 'status', cloudStatusesPayload(identity, each.statuses, each.contacts));
    return;
  }
  await emitChannelEvent(deps, tx, channel, 'status', statusPayload(identity, item, contact));
}

/**
 * A sandbox status's pricing as Meta's per-message pricing (PMP, since July 2025) writes it:
 * `type` regular (billed), free_customer_service (a free-form message, which only goes inside the
 * user's customer service window, or a utility template delivered while it is open) or
 * free_entry_point (messages in the 72 hours after a reply to a click-to-WhatsApp ad or a Facebook
 * Page call to action; the sandbox has no such entry point, so it never writes that one).
 * `billable` stays for clients that read it (deprecated by Meta in favour of `type`): false
 * exactly when free.
 */
export function pmpPricing(category: string, freeInWindow: boolean): NonNullable<StatusItem['pricing']> {
  const free = category === 'service' || (category === 'utility' && freeInWindow);
  return { billable: !free, pricing_model: 'PMP', category, type: free ? 'free_customer_service' : 'regular' };
}
