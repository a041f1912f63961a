// What Meta's webhooks tell us, written down: messages WhatsApp users sent to a number on Meta's
// Cloud API are stored with Meta's ids and go to the channel's webhook (the same path as a
// sandbox user's, messaging/inbound.ts); statuses move the messages the channel sent through
// Meta forward. One notification is one transaction: Meta gets its 200 only once everything in
// it is committed, and an error makes it retry the whole notification later.
import type { FastifyBaseLogger } from 'fastify';
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { applyAccountUpdate, deliverWabaChange, restrictionsFromMeta } from '../../messaging/account-update.ts';
import { wabaChangeWebhook } from '../../messaging/webhook-payloads.ts';
import { storeInbound } from '../../messaging/inbound.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { transact } from '../../webhooks/outbox.ts';
import { channelForPhoneNumberId } from './channels.ts';
import { keepEarlyStatus, mayBeEarly, moveMetaStatus, waitingStatuses } from './early-statuses.ts';
import { servedMediaUrl } from './media-proxy.ts';
import { recordMetaCalls } from './call-records.ts';
import { firstForwarding } from './forwarded-changes.ts';
import { forgetMetaTemplateLists } from './templates-360-list.ts';
import { FORWARDED_WABA_FIELDS, type MetaInboundMessage, type MetaLimitChange, type MetaNotification, type MetaNumberEvent, type MetaStatus, type MetaWabaChange } from './notification.ts';
import { channelIdentity, channelWebhookUrl, emitChannelEvent } from '../../messaging/channel-webhook.ts';

export interface AppliedNotification {
  /** Inbound messages stored (and sent to the channel's webhook). */
  stored: number;
  /** Inbound messages already stored by an earlier delivery of the same notification. */
  repeated: number;
  /** Statuses that moved a message forward. */
  moved: number;
  /** Statuses of messages not in our store, or that would not move theirs forward. */
  notMoved: number;
  /** Recent statuses of messages not stored yet: kept until their message is (early-statuses.ts). */
  kept: number;
  /** phone_number_ids attached to no channel here. */
  unknownNumbers: string[];
  /** Template and account changes of a WABA passed on, counted once per channel they went to. */
  forwarded: number;
  /** Meta WABA ids attached to no live channel here: their changes were dropped. */
  unknownWabas: string[];
  /** Calls and group changes of a number passed on to its channel's webhook. */
  events: number;
  /** Changes (a WABA's, a number's calls and groups) already passed on by an earlier delivery of the same notification. */
  alreadyForwarded: number;
}

export async function applyNotification(deps: Deps, n: MetaNotification, log: FastifyBaseLogger): Promise<AppliedNotification> {
  const result: AppliedNotification = { stored: 0, repeated: 0, moved: 0, notMoved: 0, kept: 0, unknownNumbers: [], forwarded: 0, unknownWabas: [], events: 0, alreadyForwarded: 0 };
  if (n.changes.length === 0 && n.wabaChanges.length === 0 && n.limitChanges.length === 0 && n.numberEvents.length === 0) return result;
  await transact(deps, async (tx) => {
    const channels = new Map<string, ChannelRow | undefined>();
    /** The live channel of a phone_number_id, or undefined (then named in unknownNumbers). */
    const liveChannel = async (phoneNumberId: string): Promise<ChannelRow | undefined> => {
      if (!channels.has(phoneNumberId)) channels.set(phoneNumberId, await channelForPhoneNumberId(deps, phoneNumberId, tx));
      const channel = channels.get(phoneNumberId);
      // A number attached to no channel (detached, or Meta's app also serves numbers openwaba does
      // not): skipped, yet answered 200, or Meta would retry it for days. A terminated channel
      // takes nothing either.
      if (!channel || channel.status === 'terminated' || channel.terminated_at) {
        if (!result.unknownNumbers.includes(phoneNumberId)) {
          result.unknownNumbers.push(phoneNumberId);
          log.warn({ phone_number_id: phoneNumberId, terminated: channel ? true : undefined }, 'Meta webhook: no channel takes this phone_number_id; its messages, statuses, calls and group changes are skipped');
        }
        return undefined;
      }
      return channel;
    };
    for (const change of n.changes) {
      const channel = await liveChannel(change.phoneNumberId);
      if (!channel) continue;
      for (const m of change.messages) {
        if (await storeMessage(deps, tx, channel, m)) result.stored++;
        else result.repeated++;
      }
      for (const s of change.statuses) {
        const r = await moveStatus(deps, tx, channel, s);
        if (r === 'moved') result.moved++;
        else if (r === 'kept') result.kept++;
        else result.notMoved++;
      }
    }
    for (const w of n.wabaChanges) {
      const to = await forwardWabaChange(deps, tx, w);
      if (to === 'repeated') result.alreadyForwarded++;
      else if (to === undefined) {
        // A WABA none of whose numbers is attached here (Meta's app also serves other WABAs, or
        // they were detached): dropped, yet answered 200, as for an unknown phone_number_id.
        if (!result.unknownWabas.includes(w.wabaId)) {
          result.unknownWabas.push(w.wabaId);
          log.warn({ waba_id: w.wabaId, field: w.change.field }, 'Meta webhook: no channel is attached to this WABA; its change is dropped');
        }
      } else result.forwarded += to;
    }
    for (const e of n.numberEvents) {
      const channel = await liveChannel(e.phoneNumberId);
      if (!channel) continue;
      // A number's calls are written down too (call-records.ts), webhook or not.
      if (e.change.field === 'calls') await recordMetaCalls(deps, tx, channel.id, e.change.value);
      const went = await forwardNumberEvent(deps, tx, channel, e);
      if (went === 'repeated') result.alreadyForwarded++;
      else if (went) result.events++;
    }
    for (const l of n.limitChanges) await applyLimitChange(deps, tx, l);
  });
  return result;
}

/**
 * A calls or group change of a number (NUMBER_EVENT_FIELDS) goes to its channel's webhook (its own
 * URL, else its WABA's override) as Meta sent it: one entry (Meta's WABA id and time), one change.
 * The event type is the sandbox's for the same webhook: `group` for the group fields; for `calls`,
 * `status` when it carries only call statuses, else `message` (messaging/call-webhooks.ts). A change this
 * channel already got (Meta's retry of the notification) goes no more (forwarded-changes.ts).
 * Whether it went (false: no webhook; 'repeated': it went with an earlier delivery).
 */
async function forwardNumberEvent(deps: Deps, tx: Transaction<Database>, channel: ChannelRow, e: MetaNumberEvent): Promise<boolean | 'repeated'> {
  const url = channel.webhook_url ?? (await channelWebhookUrl(tx, channel.id));
  if (!url) return false;
  // Written down only when it goes: a change that found no webhook may go with a later retry.
  const first = await firstForwarding(deps, tx, { target: channel.id, ...(e.wabaId !== undefined ? { entryId: e.wabaId } : {}), ...(e.time !== undefined ? { time: e.time } : {}), change: e.change });
  if (!first) return 'repeated';
  const v = e.change.value;
  const eventType = e.change.field !== 'calls' ? 'group' : Array.isArray(v.statuses) && !Array.isArray(v.calls) ? 'status' : 'message';
  // Meta names the WABA in the entry; were it missing, the channel's WABA as its other webhooks name it.
  const wabaId = e.wabaId ?? (await channelIdentity(deps, channel, tx)).wabaExternalId;
  const body = wabaChangeWebhook(wabaId, e.change, e.time);
  return (await emitChannelEvent(deps, tx, { ...channel, webhook_url: url }, eventType, body)) !== undefined;
}

/** The number's messaging limit as Meta moved it (the Partner API's current_limit); numbers of no channel here are left alone. */
async function applyLimitChange(deps: Deps, tx: Transaction<Database>, l: MetaLimitChange): Promise<void> {
  const ids = await tx
    .selectFrom('meta_channels')
    .innerJoin('channels', 'channels.id', 'meta_channels.channel_id')
    .select('channels.id')
    .where('meta_channels.waba_id', '=', l.wabaId)
    .where('channels.phone_number', '=', l.phoneNumber)
    .where('channels.network', '=', 'meta')
    .execute();
  if (ids.length === 0) return;
  await tx
    .updateTable('channels')
    .set({ current_limit: l.currentLimit, modified_at: deps.clock.now().toISOString() })
    .where('id', 'in', ids.map((r) => r.id))
    .execute();
}

/**
 * A change of a WABA goes, as Meta sent it (one entry, one change), to the webhook of every live
 * channel attached to that WABA: Meta's notification names the WABA, not a number. Template fields
 * are template_status events; account fields (ACCOUNT_WABA_FIELDS) account_update events, and an
 * account_update takes the sandbox's path (applyAccountUpdate: restrictions stored on the WABA's
 * numbers, partner events). A change already passed on (Meta's retry of the notification) is
 * neither passed on nor applied again (forwarded-changes.ts): the first delivery's transaction did both.
 * Returns how many webhooks it went to, undefined when no live channel is attached to the WABA, or
 * 'repeated'.
 */
async function forwardWabaChange(deps: Deps, tx: Transaction<Database>, w: MetaWabaChange): Promise<number | undefined | 'repeated'> {
  const numbers = await tx
    .selectFrom('meta_channels')
    .innerJoin('channels', 'channels.id', 'meta_channels.channel_id')
    .select(['channels.id', 'channels.partner_id', 'channels.webhook_url', 'channels.phone_number'])
    .where('meta_channels.waba_id', '=', w.wabaId)
    .where('channels.network', '=', 'meta')
    .where('channels.status', '!=', 'terminated')
    .orderBy('channels.id')
    .execute();
  if (FORWARDED_WABA_FIELDS.has(w.change.field)) {
    // The WABA's templates changed at Meta: the 360 lists kept from Meta's pages go (templates-360-list.ts).
    forgetMetaTemplateLists(deps, w.wabaId);
  }
  if (numbers.length === 0) return undefined;
  if (!(await firstForwarding(deps, tx, { target: `waba:${w.wabaId}`, entryId: w.wabaId, ...(w.time !== undefined ? { time: w.time } : {}), change: w.change }))) return 'repeated';
  if (w.change.field === 'account_update') {
    const restrictions = restrictionsFromMeta(w.change.value, deps.clock.now().getTime());
    const { notified } = await applyAccountUpdate(deps, tx, {
      wabaExternalId: w.wabaId,
      ...(w.time !== undefined ? { time: w.time } : {}),
      value: w.change.value,
      numbers,
      ...(restrictions !== undefined ? { restrictions } : {}),
    });
    return notified.length;
  }
  const body = wabaChangeWebhook(w.wabaId, w.change, w.time);
  const eventType = FORWARDED_WABA_FIELDS.has(w.change.field) ? 'template_status' : 'account_update';
  return (await deliverWabaChange(deps, tx, numbers, eventType, body)).length;
}

/**
 * Stores one inbound message unless its id is already stored (Meta delivers a notification again
 * when our 200 did not reach it; of two deliveries at the same moment, on two instances or two
 * connections, exactly one stores it: storeInbound inserts with ON CONFLICT DO NOTHING first).
 */
async function storeMessage(deps: Deps, tx: Transaction<Database>, channel: ChannelRow, m: MetaInboundMessage): Promise<boolean> {
  // The user's time, but never later than ours: a clock ahead would stretch the 24-hour window.
  const at = new Date(Math.min(m.atMs, deps.clock.now().getTime()));
  // A user whose number Meta does not share (a username user: no messages[].from, no
  // contacts[].wa_id, only the BSUID) is stored under their BSUID: m.from is the BSUID then, and
  // goes where a number goes (messages.wa_id, sandbox_users.wa_id). Everything that reads wa_id
  // takes it as an opaque key: the conversation (the 24-hour window, mark-as-read of a user's
  // earlier messages, the send limits per user) and the webhook's recipient_id. A BSUID cannot be
  // mistaken for a number (it has a letter country code and a dot), and a reply sent to it
  // (POST /messages with `recipient`, validate/message.ts) finds the same conversation. The same
  // user writing later with their number shows up as a second conversation, as they would on
  // Meta's side until the client links the two by the BSUID that both carry.
  return storeInbound(deps, tx, channel, 'meta', {
    id: m.id,
    from: m.from,
    identity: m.identity,
    name: m.name,
    type: m.type,
    content: withOurMediaUrl(deps, channel.id, m.content),
    context: m.context,
    ...(m.groupId !== undefined ? { groupId: m.groupId } : {}),
    extra: m.extra,
    at,
    timestamp: m.timestamp,
  });
}

/**
 * A media object's `url` on Meta's CDN (Meta's webhooks may carry one) becomes the download URL
 * openwaba serves for this number, as GET /{media_id} gives it: the receiver holds no Meta token,
 * and a bare swap of lookaside's host would lack the number's binding (openwaba_sig).
 */
function withOurMediaUrl(deps: Deps, channelId: string, content: unknown): unknown {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return content;
  const url = (content as { url?: unknown }).url;
  if (typeof url !== 'string') return content;
  const ours = servedMediaUrl(deps, channelId, url);
  return ours === undefined ? content : { ...content, url: ours };
}

/**
 * Moves one of the channel's outbound messages forward (never back), with Meta's time, error,
 * conversation and pricing, and writes the channel's status webhook event. A recent status of a
 * message not stored (yet) waits for it (early-statuses.ts); other statuses of messages not in
 * our store (sent with the number's token outside openwaba, or before the channel was attached)
 * are skipped: the channel's webhook gets only statuses of messages it sent through openwaba.
 */
async function moveStatus(deps: Deps, tx: Transaction<Database>, channel: ChannelRow, s: MetaStatus): Promise<'moved' | 'not-moved' | 'kept'> {
  // With any of its statuses still waiting (kept before the message was stored): all in order.
  const found = await moveMetaStatus(deps, tx, channel.id, s, () => waitingStatuses(tx, s.id, channel.id));
  if (found !== 'absent') return found;
  if (!mayBeEarly(deps, s)) return 'not-moved';
  await keepEarlyStatus(deps, tx, channel.id, s);
  return 'kept';
}
