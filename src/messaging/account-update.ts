// Meta's `account_update` WABA webhook in the sandbox: a developer raises a policy event for the
// channel's WABA (POST /sandbox/v1/account_update, routes/account-update.ts), and it goes where
// 360dialog forwards WABA-level webhooks and where the sandbox reports its own template reviews
// (templates/review.ts): in Cloud format to every number of the WABA that has a webhook, and, for
// the two events the reference names as partner events (§2: account_violation,
// account_restriction, "carries phone_number, violation_type"), to the partner's webhook.
//
// The payloads, as Meta documents them (developers.facebook.com …/webhooks/reference/account_update,
// "Track WABA policy violations"; the same shapes in client fixtures, e.g. whatsapp-business-java-api's
// accountRestricted.json / accountBanned.json):
//
//   ACCOUNT_VIOLATION    value: {phone_number, event, violation_info: {violation_type}}
//   ACCOUNT_RESTRICTION  value: {phone_number, event, restriction_info: [{restriction_type, expiration}],
//                               violation_info? (restrictions for Direct Send category misuse)}
//   DISABLED_UPDATE      value: {event, ban_info: {waba_ban_state: SCHEDULE_FOR_DISABLE|DISABLE|REINSTATE, waba_ban_date}}
//
// A restriction is applied while it lasts (enforceWabaRestrictions): RESTRICTED_BIZ_INITIATED_MESSAGING
// refuses sends to users whose 24-hour window is closed, RESTRICTED_CUSTOMER_INITIATED_MESSAGING
// sends to users whose window is open (replies). RESTRICTED_ADD_PHONE_NUMBER_ACTION is only
// reported: nothing here adds numbers to a WABA on a sandbox user's behalf that it could stop.
// A DISABLED_UPDATE takes effect by its ban_info.waba_ban_state (wabaBanOf): DISABLE bans the WABA
// (channels.waba_banned_at on every number of it, until a REINSTATE clears it): every sandbox send
// from its numbers, Cloud and On-Premise, is refused with 131031 as Meta refuses a locked account;
// GET /health_status shows the WABA entity BLOCKED and the Partner API's WABA status is
// account_banned (waba-restrictions.ts), the stored status showing again after the REINSTATE.
// SCHEDULE_FOR_DISABLE (Meta's warning before a ban) is only reported: nothing is refused for it.
// Templates and the other routes keep working while banned: neither the reference nor Meta's
// account_update page says what else a disabled WABA loses, and the sends are what a client has to
// handle. No partner event is raised for a DISABLED_UPDATE: the reference (§2) names none for a ban
// (only account_violation and account_restriction); the partner sees it in the WABA's status.
//
// Numbers on Meta's network hear of their WABA from Meta: network/meta/inbound.ts hands Meta's
// account_update to applyAccountUpdate, the same path as the sandbox's, so both deliver the same
// webhooks and partner events and store restrictions and bans alike (there Meta enforces them, not
// openwaba: send.ts refuses nothing for a number on Meta's network, whose status still shows them).
// While a restriction lasts it shows in GET /health_status and the Partner API's WABA status
// (waba-restrictions.ts), read against the clock, so its expiry needs no job.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { hydrateChannels } from '../services/channels.ts';
import { windowOpen } from '../network/sandbox.ts';
import { emitPartnerEvent, inTransaction } from '../webhooks/partner-events.ts';
import { emitChannelEvent } from './channel-webhook.ts';
import { wabaChangeWebhook } from './webhook-payloads.ts';
import { metaError } from './errors.ts';
import { arr, fail, isObj, obj, oneOf, onlyKeys, str, type Obj } from './validate/check.ts';
import { activeRestrictions, banDescription, RESTRICTION_TYPES, type RestrictionType, type WabaRestriction } from './waba-restrictions.ts';

export { activeRestrictions, RESTRICTION_TYPES, type RestrictionType, type WabaRestriction } from './waba-restrictions.ts';

export const ACCOUNT_UPDATE_EVENTS = ['ACCOUNT_VIOLATION', 'ACCOUNT_RESTRICTION', 'DISABLED_UPDATE'] as const;
export type AccountUpdateEvent = (typeof ACCOUNT_UPDATE_EVENTS)[number];
export const BAN_STATES = ['SCHEDULE_FOR_DISABLE', 'DISABLE', 'REINSTATE'] as const;

/** Meta's violation types are upper-case words (ADULT, SCAM, ALCOHOL, …): any such word is taken. */
const WORD = /^[A-Z][A-Z0-9_]{0,63}$/;
/** Meta's restrictions last days (1, 3, 5 or 7, 360dialog's policy page); without an expiration, one day. */
const DEFAULT_RESTRICTION_MS = 24 * 3600_000;
const MAX_RESTRICTION_MS = 90 * 24 * 3600_000;

/** Graph's date-time form, as Meta writes restriction expirations: 2026-12-08T10:00:00+0000. */
const graphTime = (iso: string) => iso.replace(/\.\d{3}Z$/, '+0000');

export interface AccountUpdateInput {
  event: AccountUpdateEvent;
  violationType?: string;
  restrictions?: WabaRestriction[];
  ban?: { waba_ban_state: (typeof BAN_STATES)[number]; waba_ban_date: string };
}

/**
 * A time as Meta writes a restriction's expiration ("2026-12-08T10:00:00+0000"; its docs also show
 * epoch seconds) or as ISO-8601, in ms; null for a value that is not such a time.
 */
function timeMs(v: unknown): number | null {
  let ms: number;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) ms = v * 1000;
  else if (typeof v === 'string' && /^\d{1,12}$/.test(v)) ms = Number(v) * 1000;
  else if (typeof v === 'string' && v.length <= 40 && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    // Meta's "+0000" as "+00:00"; no zone is UTC (Date.parse would read it as local time).
    const iso = v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
    ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  } else return null;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : null;
}

function expirationOf(v: unknown, field: string, nowMs: number): string {
  if (v === undefined) return new Date(nowMs + DEFAULT_RESTRICTION_MS).toISOString();
  const ms = timeMs(v);
  if (ms === null) {
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && v.length <= 40) throw fail(field, 'is not a valid time');
    throw fail(field, 'must be an ISO-8601 time ("2026-12-08T10:00:00Z", or "…+0000" as Meta writes it) or epoch seconds');
  }
  if (ms <= nowMs) throw fail(field, 'must be in the future (a restriction ends at its expiration)');
  if (ms > nowMs + MAX_RESTRICTION_MS) throw fail(field, 'must be at most 90 days ahead');
  return new Date(ms).toISOString();
}

/**
 * The restrictions an ACCOUNT_RESTRICTION that Meta sent puts in force (Meta's event lists those in
 * force, as the sandbox's does), or undefined for any other event. Meta's payload is signed and
 * forwarded as it came; only what is stored is checked here: an item of a restriction type not
 * known here, or without a time that is still ahead, is left out (and still forwarded).
 */
export function restrictionsFromMeta(value: Obj, nowMs: number): WabaRestriction[] | undefined {
  if (value.event !== 'ACCOUNT_RESTRICTION') return undefined;
  const items = Array.isArray(value.restriction_info) ? value.restriction_info : [];
  const kept = new Map<RestrictionType, WabaRestriction>();
  for (const item of items.slice(0, 100)) {
    if (!isObj(item) || !(RESTRICTION_TYPES as readonly unknown[]).includes(item.restriction_type)) continue;
    const ms = timeMs(item.expiration);
    if (ms === null || ms <= nowMs) continue;
    const type = item.restriction_type as RestrictionType;
    const had = kept.get(type);
    if (!had || Date.parse(had.expiration) < ms) kept.set(type, { restriction_type: type, expiration: new Date(ms).toISOString() });
  }
  return [...kept.values()];
}

/** The control's body, checked: a 400 in Meta's format naming the field otherwise. */
export function parseAccountUpdate(body: unknown, now: Date): AccountUpdateInput {
  if (!isObj(body)) throw fail('body', 'must be a JSON object such as {"event":"ACCOUNT_VIOLATION","violation_info":{"violation_type":"SCAM"}}');
  const event = oneOf(body.event, 'event', ACCOUNT_UPDATE_EVENTS);
  const violationType = (o: unknown, required: boolean): string | undefined => {
    if (o === undefined && !required) return undefined;
    const info = obj(o, 'violation_info');
    onlyKeys(info, 'violation_info', ['violation_type']);
    const t = str(info.violation_type, 'violation_info.violation_type', { max: 64 });
    if (!WORD.test(t)) throw fail('violation_info.violation_type', 'must be an upper-case word such as SCAM, ADULT or ALCOHOL');
    return t;
  };
  if (event === 'ACCOUNT_VIOLATION') {
    onlyKeys(body, 'body', ['event', 'violation_info']);
    return { event, violationType: violationType(body.violation_info, true) };
  }
  if (event === 'ACCOUNT_RESTRICTION') {
    onlyKeys(body, 'body', ['event', 'restriction_info', 'violation_info']);
    const items = arr(body.restriction_info, 'restriction_info', { min: 1, max: RESTRICTION_TYPES.length });
    const seen = new Set<string>();
    const restrictions = items.map((item, i) => {
      const o = obj(item, `restriction_info[${i}]`);
      onlyKeys(o, `restriction_info[${i}]`, ['restriction_type', 'expiration']);
      const type = oneOf(o.restriction_type, `restriction_info[${i}].restriction_type`, RESTRICTION_TYPES);
      if (seen.has(type)) throw fail(`restriction_info[${i}].restriction_type`, `${type} is listed twice`);
      seen.add(type);
      return { restriction_type: type, expiration: expirationOf(o.expiration, `restriction_info[${i}].expiration`, now.getTime()) };
    });
    return { event, restrictions, violationType: violationType(body.violation_info, false) };
  }
  onlyKeys(body, 'body', ['event', 'ban_info']);
  const ban = obj(body.ban_info, 'ban_info');
  onlyKeys(ban, 'ban_info', ['waba_ban_state', 'waba_ban_date']);
  const state = oneOf(ban.waba_ban_state, 'ban_info.waba_ban_state', BAN_STATES);
  // Meta writes the date as words ("January 31, 2021"); by default the day of the event.
  const date = ban.waba_ban_date === undefined ? now.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }) : str(ban.waba_ban_date, 'ban_info.waba_ban_date', { max: 64 });
  return { event, ban: { waba_ban_state: state, waba_ban_date: date } };
}

/** The `value` of Meta's account_update change for this event on this number. */
export function accountUpdateValue(input: AccountUpdateInput, phoneNumber: string): Obj {
  switch (input.event) {
    case 'ACCOUNT_VIOLATION':
      return { phone_number: phoneNumber, event: input.event, violation_info: { violation_type: input.violationType } };
    case 'ACCOUNT_RESTRICTION':
      return {
        phone_number: phoneNumber,
        event: input.event,
        restriction_info: input.restrictions!.map((r) => ({ restriction_type: r.restriction_type, expiration: graphTime(r.expiration) })),
        ...(input.violationType ? { violation_info: { violation_type: input.violationType } } : {}),
      };
    case 'DISABLED_UPDATE':
      return { event: input.event, ban_info: input.ban };
  }
}


/** Meta's WABA webhook (Cloud format) carrying one account_update change. */
export function accountUpdateWebhook(wabaExternalId: string, value: Obj, at: Date) {
  return wabaChangeWebhook(wabaExternalId, { field: 'account_update', value }, Math.floor(at.getTime() / 1000));
}

/**
 * What a DISABLED_UPDATE's ban_info does to the WABA's ban: DISABLE bans it, REINSTATE lifts the
 * ban; SCHEDULE_FOR_DISABLE, a state not known here, or any other event leaves it (undefined).
 */
export function wabaBanOf(value: Obj): 'DISABLE' | 'REINSTATE' | undefined {
  if (value.event !== 'DISABLED_UPDATE' || !isObj(value.ban_info)) return undefined;
  const state = value.ban_info.waba_ban_state;
  return state === 'DISABLE' || state === 'REINSTATE' ? state : undefined;
}

/**
 * The partner event an account_update raises, if the reference names one (§2). A DISABLED_UPDATE
 * (a ban) raises none: §2 names no event for it, and none is made up here.
 */
function partnerEventOf(event: unknown): 'account_violation' | 'account_restriction' | undefined {
  return event === 'ACCOUNT_VIOLATION' ? 'account_violation' : event === 'ACCOUNT_RESTRICTION' ? 'account_restriction' : undefined;
}

/** A number of a WABA, as the delivery of a WABA-level change needs it. */
export type WabaNumber = Pick<ChannelRow, 'id' | 'partner_id' | 'webhook_url' | 'phone_number'>;

/**
 * A WABA-level change (Meta's shape) to the webhook of every number given that has one, as 360dialog
 * forwards WABA-level webhooks: one outbox event per number, in the transaction of the change.
 * Returns the numbers whose webhook gets it.
 */
export async function deliverWabaChange(deps: Deps, tx: Executor, numbers: readonly WabaNumber[], eventType: 'template_status' | 'account_update', body: unknown): Promise<string[]> {
  const notified: string[] = [];
  for (const ch of numbers) if (await emitChannelEvent(deps, tx, ch, eventType, body)) notified.push(ch.id);
  return notified;
}

export interface WabaAccountUpdate {
  /** The WABA's id as the webhook names it (Meta's WABA id). */
  wabaExternalId: string;
  /** The entry's time (epoch seconds), when known. */
  time?: number;
  /** The account_update change's value, delivered as it is. */
  value: Obj;
  /** Every live number of the WABA (with or without a webhook): restrictions go on all of them. */
  numbers: readonly WabaNumber[];
  /** The restrictions in force from now on (an ACCOUNT_RESTRICTION), replacing the WABA's; undefined leaves them. */
  restrictions?: WabaRestriction[];
  /** The number the partner event is about; by default the one whose phone number the value names. */
  subjectId?: string;
}

/**
 * An account_update of a WABA, wherever it comes from (the sandbox's control, or Meta's webhook for
 * a WABA whose numbers are on Meta's network: network/meta/inbound.ts): the restrictions, and the
 * ban of a DISABLED_UPDATE (wabaBanOf), written on every number of the WABA, the change to every
 * number's webhook, and for ACCOUNT_VIOLATION and
 * ACCOUNT_RESTRICTION the partner event (the channel object with phone_number, violation_type and
 * restriction_info), once to each partner that serves a number of the WABA. All in tx.
 */
export async function applyAccountUpdate(deps: Deps, tx: Transaction<Database>, u: WabaAccountUpdate): Promise<{ notified: string[]; partnerEvent: string | null }> {
  if (u.restrictions !== undefined && u.numbers.length > 0) {
    await tx
      .updateTable('channels')
      .set({ waba_restrictions: u.restrictions.length ? JSON.stringify(u.restrictions) : null, modified_at: deps.clock.now().toISOString() })
      .where('id', 'in', u.numbers.map((n) => n.id))
      .execute();
  }
  const ban = wabaBanOf(u.value);
  if (ban !== undefined && u.numbers.length > 0) {
    const now = deps.clock.now().toISOString();
    const ids = u.numbers.map((n) => n.id);
    // A DISABLE for a WABA already banned keeps the time it was banned (Meta may send one twice).
    if (ban === 'DISABLE') await tx.updateTable('channels').set({ waba_banned_at: now, modified_at: now }).where('id', 'in', ids).where('waba_banned_at', 'is', null).execute();
    else await tx.updateTable('channels').set({ waba_banned_at: null, modified_at: now }).where('id', 'in', ids).where('waba_banned_at', 'is not', null).execute();
  }
  const body = wabaChangeWebhook(u.wabaExternalId, { field: 'account_update', value: u.value }, u.time);
  const notified = await deliverWabaChange(deps, tx, u.numbers, 'account_update', body);
  const partnerEvent = partnerEventOf(u.value.event);
  if (partnerEvent) {
    const named = typeof u.value.phone_number === 'string' ? u.value.phone_number.replace(/\D/g, '') : '';
    const violation = isObj(u.value.violation_info) && typeof u.value.violation_info.violation_type === 'string' ? u.value.violation_info.violation_type.slice(0, 64) : undefined;
    const partners = [...new Set(u.numbers.map((n) => n.partner_id))];
    for (const partnerId of partners) {
      const own = u.numbers.filter((n) => n.partner_id === partnerId);
      const subject = own.find((n) => n.id === u.subjectId) ?? own.find((n) => named !== '' && n.phone_number === named) ?? own[0]!;
      const fresh = await tx.selectFrom('channels').selectAll().where('id', '=', subject.id).executeTakeFirstOrThrow();
      const [wire] = await hydrateChannels(deps, [fresh], tx);
      // The channel object, as every channel event carries it, with the fields the reference names.
      await emitPartnerEvent(deps, tx, partnerId, partnerEvent, {
        ...wire,
        phone_number: subject.phone_number,
        ...(violation !== undefined ? { violation_type: violation } : {}),
        ...(Array.isArray(u.value.restriction_info) ? { restriction_info: u.value.restriction_info.slice(0, 100) } : {}),
      });
    }
  }
  return { notified, partnerEvent: partnerEvent ?? null };
}

export interface AccountUpdateResult {
  /** The webhook's change value, as delivered. */
  value: Obj;
  /** The numbers of the WABA whose webhook gets it. */
  notified_channels: string[];
  /** The partner event written, if any. */
  partner_event: string | null;
  /** The WABA's restrictions in force now. */
  restrictions: WabaRestriction[];
}

/**
 * Raises the event for the channel's WABA: a restriction replaces the WABA's restrictions (Meta's
 * event lists those in force) on every number of the WABA; then the webhooks, all in one
 * transaction with the change.
 */
export function raiseAccountUpdate(deps: Deps, channel: ChannelRow, input: AccountUpdateInput): Promise<AccountUpdateResult> {
  return inTransaction(deps, deps.db.kysely, async (tx) => {
    const now = deps.clock.now();
    const waba = await tx.selectFrom('waba_accounts').select('external_id').where('id', '=', channel.waba_account_id).executeTakeFirst();
    const value = accountUpdateValue(input, channel.phone_number);
    const numbers = await tx
      .selectFrom('channels')
      .select(['id', 'partner_id', 'webhook_url', 'phone_number'])
      .where('waba_account_id', '=', channel.waba_account_id)
      .orderBy('id')
      .execute();
    const { notified, partnerEvent } = await applyAccountUpdate(deps, tx, {
      wabaExternalId: waba?.external_id ?? channel.waba_account_id,
      time: Math.floor(now.getTime() / 1000),
      value,
      numbers,
      ...(input.event === 'ACCOUNT_RESTRICTION' ? { restrictions: input.restrictions! } : {}),
      subjectId: channel.id,
    });
    const restrictions = input.event === 'ACCOUNT_RESTRICTION' ? input.restrictions! : activeRestrictions(channel.waba_restrictions, now.getTime());
    return { value, notified_channels: notified, partner_event: partnerEvent, restrictions };
  });
}

/**
 * Refuses a sandbox send that the WABA's restrictions or ban forbid. Meta's code for a WABA "restricted
 * or disabled for violating a platform policy" is 131031 (title "Account has been locked", HTTP
 * 403); Meta documents 368 ("Temporarily blocked for policies violations") with the same
 * description. 131031 is the one in the messaging range (131xxx) that WhatsApp clients branch on,
 * so the sandbox answers it. A banned WABA (channel.waba_banned_at) refuses every send, with no
 * query. Only called for a channel with stored restrictions or a ban: no query else.
 */
export async function enforceWabaRestrictions(deps: Deps, channel: ChannelRow, waId: string, now: Date, tx: Executor = deps.db.kysely): Promise<void> {
  if (channel.waba_banned_at) {
    throw metaError(403, 131031, 'Account has been locked', `${banDescription(channel.waba_banned_at)} A REINSTATE (POST /sandbox/v1/account_update) lifts it.`);
  }
  const active = activeRestrictions(channel.waba_restrictions, now.getTime());
  const biz = active.find((r) => r.restriction_type === 'RESTRICTED_BIZ_INITIATED_MESSAGING');
  const customer = active.find((r) => r.restriction_type === 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING');
  if (!biz && !customer) return;
  const user = await tx.selectFrom('sandbox_users').select('last_inbound_at').where('channel_id', '=', channel.id).where('wa_id', '=', waId).executeTakeFirst();
  const open = windowOpen(user?.last_inbound_at, now.getTime());
  const hit = open ? customer : biz;
  if (!hit) return;
  const what = open ? 'replies to users who wrote in the last 24 hours (customer-initiated messaging)' : 'business-initiated messages (the 24-hour window with this user is closed)';
  throw metaError(
    403,
    131031,
    'Account has been locked',
    `The WhatsApp Business Account is restricted for violating a platform policy: no ${what} until ${hit.expiration} (${hit.restriction_type}; raised with POST /sandbox/v1/account_update).`,
  );
}
