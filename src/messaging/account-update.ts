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
// A DISABLED_UPDATE is only reported too (no send is refused for it).
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { hydrateChannels } from '../services/channels.ts';
import { windowOpen } from '../network/sandbox.ts';
import { emitPartnerEvent, inTransaction } from '../webhooks/partner-events.ts';
import { emitChannelEvent } from './channel-webhook.ts';
import { metaError } from './errors.ts';
import { arr, fail, isObj, obj, oneOf, onlyKeys, str, type Obj } from './validate/check.ts';

export const ACCOUNT_UPDATE_EVENTS = ['ACCOUNT_VIOLATION', 'ACCOUNT_RESTRICTION', 'DISABLED_UPDATE'] as const;
export type AccountUpdateEvent = (typeof ACCOUNT_UPDATE_EVENTS)[number];
export const RESTRICTION_TYPES = ['RESTRICTED_BIZ_INITIATED_MESSAGING', 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING', 'RESTRICTED_ADD_PHONE_NUMBER_ACTION'] as const;
export type RestrictionType = (typeof RESTRICTION_TYPES)[number];
export const BAN_STATES = ['SCHEDULE_FOR_DISABLE', 'DISABLE', 'REINSTATE'] as const;

/** A stored restriction: expiration as ISO-8601 UTC. */
export interface WabaRestriction {
  restriction_type: RestrictionType;
  expiration: string;
}

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

function expirationOf(v: unknown, field: string, nowMs: number): string {
  if (v === undefined) return new Date(nowMs + DEFAULT_RESTRICTION_MS).toISOString();
  let ms: number;
  if (typeof v === 'number' && Number.isSafeInteger(v)) ms = v * 1000;
  else if (typeof v === 'string' && /^\d{1,12}$/.test(v)) ms = Number(v) * 1000;
  else if (typeof v === 'string' && v.length <= 40 && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    // Meta's "+0000" as "+00:00"; no zone is UTC (Date.parse would read it as local time).
    const iso = v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
    ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  }
  else throw fail(field, 'must be an ISO-8601 time ("2026-12-08T10:00:00Z", or "…+0000" as Meta writes it) or epoch seconds');
  if (Number.isNaN(ms)) throw fail(field, 'is not a valid time');
  if (ms <= nowMs) throw fail(field, 'must be in the future (a restriction ends at its expiration)');
  if (ms > nowMs + MAX_RESTRICTION_MS) throw fail(field, 'must be at most 90 days ahead');
  return new Date(ms).toISOString();
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
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: wabaExternalId, time: Math.floor(at.getTime() / 1000), changes: [{ field: 'account_update', value }] }],
  };
}

/** The partner event an account_update raises, if the reference names one (§2). */
function partnerEventOf(event: AccountUpdateEvent): 'account_violation' | 'account_restriction' | undefined {
  return event === 'ACCOUNT_VIOLATION' ? 'account_violation' : event === 'ACCOUNT_RESTRICTION' ? 'account_restriction' : undefined;
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
    if (input.event === 'ACCOUNT_RESTRICTION') {
      await tx
        .updateTable('channels')
        .set({ waba_restrictions: JSON.stringify(input.restrictions), modified_at: now.toISOString() })
        .where('waba_account_id', '=', channel.waba_account_id)
        .execute();
    }
    const waba = await tx.selectFrom('waba_accounts').select('external_id').where('id', '=', channel.waba_account_id).executeTakeFirst();
    const value = accountUpdateValue(input, channel.phone_number);
    const body = accountUpdateWebhook(waba?.external_id ?? channel.waba_account_id, value, now);
    const channels = await tx
      .selectFrom('channels')
      .select(['id', 'partner_id', 'webhook_url'])
      .where('waba_account_id', '=', channel.waba_account_id)
      .where('webhook_url', 'is not', null)
      .orderBy('id')
      .execute();
    for (const ch of channels) await emitChannelEvent(deps, tx, ch, 'account_update', body);
    const partnerEvent = partnerEventOf(input.event);
    if (partnerEvent) {
      const fresh = await tx.selectFrom('channels').selectAll().where('id', '=', channel.id).executeTakeFirstOrThrow();
      const [wire] = await hydrateChannels(deps, [fresh], tx);
      // The channel object, as every channel event carries it, with the fields the reference names.
      await emitPartnerEvent(deps, tx, channel.partner_id, partnerEvent, {
        ...wire,
        phone_number: channel.phone_number,
        ...(input.violationType ? { violation_type: input.violationType } : {}),
        ...(input.restrictions ? { restriction_info: value.restriction_info } : {}),
      });
    }
    const restrictions = input.event === 'ACCOUNT_RESTRICTION' ? input.restrictions! : activeRestrictions(channel.waba_restrictions, now.getTime());
    return { value, notified_channels: channels.map((c) => c.id), partner_event: partnerEvent ?? null, restrictions };
  });
}

/** The stored restrictions that have not expired at nowMs. */
export function activeRestrictions(stored: string | null, nowMs: number): WabaRestriction[] {
  if (!stored) return [];
  let list: unknown;
  try {
    list = JSON.parse(stored);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.filter((r): r is WabaRestriction => isObj(r) && typeof r.restriction_type === 'string' && typeof r.expiration === 'string' && Date.parse(r.expiration) > nowMs);
}

/**
 * Refuses a sandbox send that the WABA's restrictions forbid. Meta's code for a WABA "restricted
 * or disabled for violating a platform policy" is 131031 (title "Account has been locked", HTTP
 * 403); Meta documents 368 ("Temporarily blocked for policies violations") with the same
 * description. 131031 is the one in the messaging range (131xxx) that WhatsApp clients branch on,
 * so the sandbox answers it. Only called for a channel with stored restrictions: no query else.
 */
export async function enforceWabaRestrictions(deps: Deps, channel: ChannelRow, waId: string, now: Date, tx: Executor = deps.db.kysely): Promise<void> {
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
