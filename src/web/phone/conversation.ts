// The conversation between one simulated user and one channel, as the phone shows it: the last
// messages both ways, oldest first, reactions attached to the message they react to, replies
// quoting the message they answer. Always scoped to the session's channel and user.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { removalOf } from '../../messaging/content-retention.ts';
import { findTemplate } from '../../messaging/templates/store.ts';
import { bubbleOf, reactionOf, snippet, type Bubble, type StoredMessage } from './bubbles.ts';
import { templateView, type TemplateView } from './template-view.ts';
import { businessView, userFacts } from '../user-view.ts';
import { typingUntil } from '../../messaging/typing-indicator.ts';
import { callOf, type PhoneCall } from './calls.ts';
import { byTime, callLog } from './call-log.ts';
import { paymentsFingerprint, paymentStatesOf } from '../../messaging/payments/payment-states.ts';
import { orderState, type OrderStatusView } from './orders.ts';

export const CONVERSATION_LIMIT = 100;

/** What a completed flow message's button says after its target. */
export const FLOW_SUBMITTED = ' · submitted';
const submitted = <T extends { target: string }>(l: T): T => (l.target.endsWith(FLOW_SUBMITTED) ? l : { ...l, target: `${l.target}${FLOW_SUBMITTED}` });

/** Marks the flow button of a flow message (its link) or of a template (its FLOW button, which opens the flow's page) as submitted. */
function markFlowSubmitted(b: Bubble): void {
  if (b.flowHref && b.links) b.links = b.links.map(submitted);
  if (b.templateButtons) b.templateButtons = b.templateButtons.map((x) => (x.kind === 'link' && x.href?.startsWith('/sandbox/phone/flow/') ? submitted(x) : x));
}
const COLUMNS = ['id', 'direction', 'type', 'content', 'status', 'error_code', 'error_title', 'context_id', 'created_at'] as const;

/**
 * A cheap fingerprint of the conversation: it changes when a message is added or any status moves
 * (statuses only move forward and each sets its own timestamp, so the counts below grow), and when
 * the business starts or stops typing (typing: until when, or null; typing-indicator.ts), and when
 * a call with the user starts, is answered or ends (call: the live call, or null; calls.ts).
 */
export async function conversationState(deps: Deps, channel: ChannelRow, waId: string): Promise<{ version: string; typing: string | null; call: PhoneCall | null }> {
  const r = await deps.db.kysely
    .selectFrom('messages')
    .select([
      sql<number>`count(*)`.as('n'),
      sql<number>`count(sent_at)`.as('s'),
      sql<number>`count(delivered_at)`.as('d'),
      sql<number>`count(read_at)`.as('r'),
      sql<number>`count(failed_at)`.as('f'),
      sql<string | null>`max(created_at)`.as('last'),
      // In the same round trip: the poll stays one query.
      sql<string | null>`(select typing_until from sandbox_users where channel_id = ${channel.id} and wa_id = ${waId})`.as('typing_until'),
      // The user's live call, newest first (index calls_channel_user).
      sql<string | null>`(select id || '|' || direction || '|' || state || '|' || coalesce(start_time, '') from calls where channel_id = ${channel.id} and wa_id = ${waId} and state in ('ringing', 'pre_accepted', 'accepted') order by created_at desc limit 1)`.as('live_call'),
      // The user's payments of orders (payment-states.ts): a payment made on the phone redraws its order.
      paymentsFingerprint(channel.id, waId).as('payments'),
    ])
    .where('channel_id', '=', channel.id)
    .where('wa_id', '=', waId)
    .executeTakeFirstOrThrow();
  const typing = typingUntil(r.typing_until, deps.clock.now());
  const call = callOf(r.live_call);
  const raw = [r.n, r.s, r.d, r.r, r.f, r.last ?? '', typing ?? '', call ? `${call.id}|${call.state}` : '', r.payments ?? ''].map(String).join('|');
  return { version: `"${createHash('sha256').update(`${channel.id}|${waId}|${raw}`).digest('base64url').slice(0, 27)}"`, typing, call };
}

/** One message of this conversation (for taps and reactions), or undefined. */
export async function findConversationMessage(deps: Deps, channel: ChannelRow, waId: string, id: string): Promise<StoredMessage | undefined> {
  return deps.db.kysely.selectFrom('messages').select(COLUMNS).where('channel_id', '=', channel.id).where('wa_id', '=', waId).where('id', '=', id).executeTakeFirst();
}

/** The template a template message names, drawn with the parameters it was sent with. */
export async function templateFor(deps: Deps, channel: ChannelRow, m: StoredMessage, cache = new Map<string, string | null>()): Promise<TemplateView | undefined> {
  // A removed content names no template: nothing to look up.
  if (m.type !== 'template' || removalOf(m.content)) return undefined;
  let sent: Record<string, unknown>;
  try {
    sent = (JSON.parse(m.content) as { template?: Record<string, unknown> }).template ?? {};
  } catch {
    return undefined;
  }
  const name = typeof sent.name === 'string' ? sent.name : '';
  const lang = typeof (sent.language as { code?: unknown } | undefined)?.code === 'string' ? (sent.language as { code: string }).code : '';
  const key = `${name}\u0000${lang}`;
  if (!cache.has(key)) cache.set(key, (await findTemplate(deps, channel.waba_account_id, name, lang))?.components ?? null);
  const components = cache.get(key);
  return components ? templateView(components, sent, `/sandbox/phone/flow/${encodeURIComponent(m.id)}`) : undefined;
}

/** A bubble for one message on its own (used to resolve a tap on its buttons). */
export async function bubbleFor(deps: Deps, channel: ChannelRow, m: StoredMessage): Promise<Bubble> {
  return bubbleOf(m, await templateFor(deps, channel, m));
}

export async function loadConversation(deps: Deps, channel: ChannelRow, waId: string): Promise<Bubble[]> {
  const rows = (
    await deps.db.kysely
      .selectFrom('messages')
      .select(COLUMNS)
      .where('channel_id', '=', channel.id)
      .where('wa_id', '=', waId)
      // The user's messages to a group are in the group's chat (groups.ts on the phone), not this
      // one; left out here so that they do not take places of the conversation's last messages.
      .where('group_id', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(CONVERSATION_LIMIT)
      .execute()
  ).reverse();

  const cache = new Map<string, string | null>();
  const bubbles: Bubble[] = [];
  const byId = new Map<string, Bubble>();
  for (const m of rows) {
    // The user opening the chat (request_welcome, request-welcome.ts) is no message on their phone.
    if (m.type === 'request_welcome') continue;
    // A reaction past the content retention no longer says which emoji, nor on which message:
    // it drew nothing of its own before (it was shown on its target), and draws nothing now.
    if (m.type === 'reaction' && removalOf(m.content)) continue;
    const reaction = reactionOf(m);
    if (reaction) {
      const target = byId.get(reaction.target);
      const by = m.direction === 'inbound' ? 'you' : 'business';
      if (target) {
        // The latest reaction of each side wins; an empty emoji takes it away.
        target.meta.reactions = target.meta.reactions.filter((r) => r.by !== by);
        if (reaction.emoji) target.meta.reactions.push({ by, emoji: reaction.emoji });
        continue;
      }
      const b = bubbleOf(m);
      b.note = reaction.emoji ? `${by === 'you' ? 'You' : 'The business'} reacted ${reaction.emoji} to an earlier message` : `${by === 'you' ? 'You' : 'The business'} removed a reaction`;
      b.text = undefined;
      bubbles.push(b);
      continue;
    }
    const b = bubbleOf(m, await templateFor(deps, channel, m, cache));
    if (m.context_id) {
      const q = byId.get(m.context_id);
      b.quote = q ? snippet(q) : 'a message';
      // The user's interactive answer to a flow message (or a template with a FLOW button) is its
      // nfm_reply: WhatsApp shows the flow's button as submitted.
      if (q && m.direction === 'inbound' && m.type === 'interactive') markFlowSubmitted(q);
    }
    byId.set(b.id, b);
    bubbles.push(b);
  }
  await withOrderStates(deps, channel, waId, bubbles);
  // Ended calls show as call log lines among the messages (call-log.ts); with the message list
  // full, only those since its oldest message (older ones would sit in a gap).
  const since = rows.length === CONVERSATION_LIMIT ? rows[0]!.created_at : undefined;
  return byTime(bubbles, await callLog(deps, channel.id, waId, CONVERSATION_LIMIT, since));
}

/**
 * Each order's payment (made on the phone or by POST /sandbox/v1/payments) and the latest
 * order_status the business sent for its reference id, on the order's bubble (its meta.order).
 */
async function withOrderStates(deps: Deps, channel: ChannelRow, waId: string, bubbles: Bubble[]): Promise<void> {
  if (!bubbles.some((b) => b.order)) return;
  const payments = await paymentStatesOf(deps.db.kysely, channel.id, waId);
  const latest = new Map<string, OrderStatusView>();
  // Oldest first: the last order_status of a reference id wins.
  for (const b of bubbles) if (b.orderStatus && b.from === 'business') latest.set(b.orderStatus.referenceId, b.orderStatus);
  for (const b of bubbles) {
    if (b.order) b.meta.order = orderState(b.order, b.meta.status, payments.get(b.order.referenceId), latest.get(b.order.referenceId));
  }
}

/**
 * The head of the conversation on the user's own phone: their username, and whether they hide
 * their number, in which case the page says how the business sees them (username and BSUID).
 */
export interface PhoneUserProfile {
  username: string | null;
  hidesNumber: boolean;
  /** The user's BSUID on this channel's partner: what the business answers a hidden number at. */
  userId: string | null;
}

export async function phoneUserProfile(deps: Deps, channel: ChannelRow, waId: string): Promise<PhoneUserProfile> {
  const facts = (await userFacts(deps, channel.id, [waId])).get(waId);
  const seen = businessView(deps, channel, waId, facts);
  return { username: seen.username, hidesNumber: facts?.hidesNumber === true, userId: seen.userId };
}

/** The signature of a bubble's changing part, so the script redraws only what moved. */
export function metaSignature(b: Bubble): string {
  return createHash('sha256').update(JSON.stringify(b.meta)).digest('base64url').slice(0, 16);
}
