// Reads the body of one of Meta's webhook notifications into checked updates, without touching
// the database: which numbers it is about, the messages their users wrote, and the statuses of
// messages sent. Meta's shape (reference §5.1):
//   {"object":"whatsapp_business_account","entry":[{"id":"<WABA id>","changes":[{"field":"messages",
//     "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number","phone_number_id"},
//              "contacts":[…],"messages":[…],"statuses":[…],"errors":[…]}}]}]}
// Whatever does not fit (a message that is not an object, an id that is no id, a timestamp
// that is not digits) is skipped and named in `skipped`, never thrown: Meta answers a 4xx with
// days of retries, and the rest of the notification is still good. Only a body that is not a
// notification at all, or one far larger than Meta sends, is refused (NotificationRefused).
import { ApiError } from '../../errors.ts';
import type { InboundContext } from '../../messaging/inbound.ts';
import type { OutboundStatus, StatusError } from '../../messaging/statuses.ts';
import type { ReportedStatus, WebhookContact } from '../../messaging/webhook-payloads.ts';
import { isBsuid, type UserIdentity } from '../bsuid.ts';
import { META_ENUM, META_ID_PATTERN } from './channels.ts';
import { isObj } from '../../messaging/validate/check.ts';

/**
 * Messages and statuses in one notification. Meta sends one or a few per POST (it batches up to
 * some hundreds under load; its documentation names no exact maximum), and all of one POST are
 * written in one transaction: a body with more is refused rather than holding the database.
 */
export const MAX_UPDATES = 1000;
/** Changes about a number (each a lookup of its channel) in one notification. */
export const MAX_NUMBER_CHANGES = 1000;
/** How many skipped items are named in the log line (the rest are counted). */
const MAX_REASONS = 20;

export interface MetaInboundMessage {
  id: string;
  /**
   * Who wrote: Meta's `from` (the user's phone number as WhatsApp id), or, when Meta omits it (a
   * user with a username whose number Meta does not share), the user's BSUID (`from_user_id`).
   * It keys the conversation: see storeMessage in inbound.ts.
   */
  from: string;
  /** The user's BSUID fields and username (business-scoped user ids, network/bsuid.ts), when Meta gave them. */
  identity?: UserIdentity;
  /** The user's profile name from the change's contacts, when Meta gave one. */
  name?: string;
  type: string;
  /** The type object as Meta sent it (`text: {body}`, `image: {id, mime_type, sha256}`, …). */
  content: unknown;
  context?: InboundContext;
  /** The group the user wrote to (Meta's `group_id`, Groups API), when it is a group message. */
  groupId?: string;
  /** The other fields of Meta's message object (referral, errors, identity, …), passed on as they came. */
  extra: Record<string, unknown>;
  /** Meta's timestamp as it came (epoch seconds) and in ms. */
  timestamp: string;
  atMs: number;
}

export interface MetaStatus {
  id: string;
  status: OutboundStatus;
  atMs: number;
  error?: StatusError;
  reported: ReportedStatus;
}

export interface MetaNumberChange {
  phoneNumberId: string;
  messages: MetaInboundMessage[];
  statuses: MetaStatus[];
}

/** A change about a WABA (its templates and its account: FORWARDED_WABA_FIELDS, ACCOUNT_WABA_FIELDS), passed on to the channels of that WABA as Meta sent it. */
export interface MetaWabaChange {
  wabaId: string;
  /** The entry's `time` (epoch seconds), when Meta gave one. */
  time?: number;
  change: { field: string; value: Record<string, unknown> };
}

/**
 * The WABA-level fields that reach the channels' webhooks, as 360dialog forwards them and as the
 * sandbox reports its own template reviews (message_template_status_update, messaging/templates/
 * review.ts): a number's owner learns there that its template was approved, paused or recategorised.
 */
export const FORWARDED_WABA_FIELDS = new Set(['message_template_status_update', 'message_template_quality_update', 'message_template_components_update', 'template_category_update']);

/**
 * The WABA's account fields, forwarded the same way (360dialog forwards WABA-level webhooks to its
 * clients): account_update (policy violations, restrictions, bans, and Meta's other account events
 * such as VERIFIED_ACCOUNT; an ACCOUNT_VIOLATION or ACCOUNT_RESTRICTION also raises the partner
 * event and a restriction is stored, messaging/account-update.ts), phone_number_quality_update
 * (also moves the number's current_limit) and business_capability_update (the WABA's limits, e.g.
 * max_daily_conversation_per_phone, max_phone_numbers_per_business).
 */
export const ACCOUNT_WABA_FIELDS = new Set(['account_update', 'phone_number_quality_update', 'business_capability_update']);

/**
 * Fields about one number (value.metadata.phone_number_id) other than `messages`, passed on to that
 * number's channel as Meta sent them: the Calling API's `calls` (value.calls[]: connect, terminate;
 * value.statuses[] of type "call": RINGING, ACCEPTED, REJECTED) and the Groups API's four fields
 * (value.groups[]). The calls and groups of a number on Meta's network are Meta's (the Calling and
 * Groups routes proxy to Meta), so nothing is stored: the channel's webhook gets them, in the
 * Cloud format its sandbox twin gets (messaging/call-webhooks.ts, group-webhooks.ts).
 */
export const NUMBER_EVENT_FIELDS = new Set(['calls', 'group_lifecycle_update', 'group_participants_update', 'group_settings_update', 'group_status_update']);

/** A change of NUMBER_EVENT_FIELDS about one number, to go to its channel's webhook as it came. */
export interface MetaNumberEvent {
  phoneNumberId: string;
  /** The entry's id (the WABA's), as Meta sent it. */
  wabaId?: string;
  /** The entry's `time` (epoch seconds), when Meta gave one. */
  time?: number;
  change: { field: string; value: Record<string, unknown> };
}

/** A number's messaging limit changed (phone_number_quality_update): the number by its display digits within its WABA. */
export interface MetaLimitChange {
  wabaId: string;
  /** display_phone_number's digits. */
  phoneNumber: string;
  /** TIER_250, TIER_1K, … TIER_UNLIMITED. */
  currentLimit: string;
}

export interface MetaNotification {
  changes: MetaNumberChange[];
  /** Messaging limits Meta moved (the channel's current_limit follows). */
  limitChanges: MetaLimitChange[];
  /** Changes of a WABA's templates and account (FORWARDED_WABA_FIELDS, ACCOUNT_WABA_FIELDS). */
  wabaChanges: MetaWabaChange[];
  /** Calls and group changes of a number (NUMBER_EVENT_FIELDS), for its channel's webhook. */
  numberEvents: MetaNumberEvent[];
  /** Other fields (security, user_preferences, …): not handled. */
  ignoredFields: string[];
  /** Why items were skipped (the first few), and how many were. */
  skipped: string[];
  skippedCount: number;
}

type Obj = Record<string, unknown>;

const META_ID = new RegExp(META_ID_PATTERN);
/** Meta's message ids (wamid.<base64>) and user ids: printable ASCII, no spaces, bounded. */
const PRINTABLE_ID = /^[\x21-\x7e]{1,256}$/;
const WA_ID = /^[\x21-\x7e]{1,64}$/;
/** Epoch seconds as digits (12 digits reach the year 33658). Meta sends strings; a number is taken too. */
const EPOCH_SECONDS = /^[0-9]{1,12}$/;
/** A message type names a field of the message: lower-case words, never one of the fields every message has. */
const TYPE = /^[a-z][a-z_]{0,31}$/;
// from_user_id / from_parent_user_id are read into the message's identity (and written back in
// the channel's Cloud webhook by webhook-payloads.ts), not passed on among the other fields.
// group_id (a message a participant wrote to a group, Meta's Groups API) is read into groupId: the
// webhook names the group as Meta did, and the message does not open the user's 24-hour window.
const CORE_FIELDS = new Set(['from', 'id', 'timestamp', 'type', 'context', 'from_user_id', 'from_parent_user_id', 'group_id']);
// played: Meta's status of a voice note the user played ("Your voice message is played by the
// WhatsApp user's device", Meta's status webhook reference), after read. It goes to the channel's
// webhook (Cloud numbers only) and is not stored: messaging/statuses.ts, early-statuses.ts.
const STATUSES = new Set<string>(['sent', 'delivered', 'read', 'played', 'failed']);

function epochSeconds(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) v = String(v);
  return typeof v === 'string' && EPOCH_SECONDS.test(v) ? v : undefined;
}

/** Text for a column: a string without NUL (PostgreSQL refuses it), of at most max characters. */
function columnText(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max && !v.includes('\u0000') ? v : undefined;
}

class Reader {
  readonly out: MetaNotification = { changes: [], limitChanges: [], wabaChanges: [], numberEvents: [], ignoredFields: [], skipped: [], skippedCount: 0 };
  private updates = 0;
  private numberChanges = 0;

  skip(why: string): void {
    this.out.skippedCount++;
    if (this.out.skipped.length < MAX_REASONS) this.out.skipped.push(why);
  }

  read(body: unknown): MetaNotification {
    if (!isObj(body)) throw new ApiError(400, 'The notification must be a JSON object');
    // Another product's notification (page, instagram…) sent to this URL: nothing for us.
    if (body.object !== 'whatsapp_business_account') {
      this.out.ignoredFields.push(`object ${typeof body.object === 'string' ? body.object.slice(0, 64) : typeof body.object}`);
      return this.out;
    }
    if (!Array.isArray(body.entry)) throw new ApiError(400, 'entry must be an array');
    for (const [i, entry] of body.entry.entries()) {
      if (!isObj(entry) || !Array.isArray(entry.changes)) {
        this.skip(`entry[${i}]: not an object with a changes array`);
        continue;
      }
      for (const [j, change] of entry.changes.entries()) this.change(change, `entry[${i}].changes[${j}]`, entry);
    }
    return this.out;
  }

  private change(change: unknown, at: string, entry: Obj): void {
    if (!isObj(change) || typeof change.field !== 'string') return this.skip(`${at}: not an object with a field`);
    if (change.field === 'phone_number_quality_update') {
      // Forwarded as it came, and the limit taken from it: counted once.
      if (this.wabaChange(change.field, change.value, entry, at)) this.limitChange(change.value, entry, at);
      return;
    }
    if (FORWARDED_WABA_FIELDS.has(change.field) || ACCOUNT_WABA_FIELDS.has(change.field)) return void this.wabaChange(change.field, change.value, entry, at);
    if (NUMBER_EVENT_FIELDS.has(change.field)) return this.numberEvent(change.field, change.value, entry, at);
    if (change.field !== 'messages') {
      if (this.out.ignoredFields.length < MAX_REASONS) this.out.ignoredFields.push(change.field.slice(0, 64));
      return;
    }
    const value = change.value;
    if (!isObj(value) || !isObj(value.metadata)) return this.skip(`${at}.value: no metadata`);
    const phoneNumberId = value.metadata.phone_number_id;
    if (typeof phoneNumberId !== 'string' || !META_ID.test(phoneNumberId)) return this.skip(`${at}.value.metadata.phone_number_id: not a phone number id`);
    if (++this.numberChanges > MAX_NUMBER_CHANGES) throw new ApiError(400, `More than ${MAX_NUMBER_CHANGES} changes about numbers in one notification`);
    const contacts = this.contacts(value.contacts);
    const out: MetaNumberChange = { phoneNumberId, messages: [], statuses: [] };
    if (value.messages !== undefined) {
      if (!Array.isArray(value.messages)) this.skip(`${at}.value.messages: not an array`);
      else value.messages.forEach((m, k) => this.message(m, contacts, out, `${at}.value.messages[${k}]`));
    }
    if (value.statuses !== undefined) {
      if (!Array.isArray(value.statuses)) this.skip(`${at}.value.statuses: not an array`);
      else value.statuses.forEach((s, k) => this.status(s, contacts, out, `${at}.value.statuses[${k}]`));
    }
    // value.errors: problems Meta reports about the number itself (e.g. 131000 at its end). There
    // is no event of ours to carry them; the route logs that some came.
    if (Array.isArray(value.errors) && value.errors.length) this.skip(`${at}.value.errors: ${value.errors.length} error(s) reported by Meta, not forwarded`);
    if (out.messages.length || out.statuses.length) this.out.changes.push(out);
  }

  /**
   * Meta's phone_number_quality_update: `{display_phone_number, event (UPGRADE, DOWNGRADE, FLAGGED,
   * UNFLAGGED…), current_limit}`. Only the limit is taken: the event says a quality rating moved,
   * not to which colour.
   */
  private limitChange(value: unknown, entry: Obj, at: string): void {
    // Called once wabaChange took the change: counted, the entry's id and the value checked there.
    if (!isObj(value) || typeof entry.id !== 'string') return;
    const digits = typeof value.display_phone_number === 'string' ? value.display_phone_number.replace(/\D/g, '') : '';
    if (!/^\d{6,15}$/.test(digits)) return this.skip(`${at}.value.display_phone_number: not a phone number`);
    if (typeof value.current_limit !== 'string' || !META_ENUM.test(value.current_limit)) return this.skip(`${at}.value.current_limit: not a limit tier`);
    this.out.limitChanges.push({ wabaId: entry.id, phoneNumber: digits, currentLimit: value.current_limit });
  }

  /** A calls or group change (NUMBER_EVENT_FIELDS): its number checked, its value passed on as it came. */
  private numberEvent(field: string, value: unknown, entry: Obj, at: string): void {
    this.count();
    if (!isObj(value) || !isObj(value.metadata)) return this.skip(`${at}.value: no metadata`);
    const phoneNumberId = value.metadata.phone_number_id;
    if (typeof phoneNumberId !== 'string' || !META_ID.test(phoneNumberId)) return this.skip(`${at}.value.metadata.phone_number_id: not a phone number id`);
    if (++this.numberChanges > MAX_NUMBER_CHANGES) throw new ApiError(400, `More than ${MAX_NUMBER_CHANGES} changes about numbers in one notification`);
    const wabaId = typeof entry.id === 'string' && META_ID.test(entry.id) ? entry.id : undefined;
    const time = typeof entry.time === 'number' && Number.isSafeInteger(entry.time) && entry.time >= 0 ? entry.time : undefined;
    this.out.numberEvents.push({ phoneNumberId, ...(wabaId !== undefined ? { wabaId } : {}), ...(time !== undefined ? { time } : {}), change: { field, value } });
  }

  /** Whether the change was taken (false: skipped, named in `skipped`). */
  private wabaChange(field: string, value: unknown, entry: Obj, at: string): boolean {
    this.count();
    if (typeof entry.id !== 'string' || !META_ID.test(entry.id)) {
      this.skip(`${at}: the entry's id is not a WABA id`);
      return false;
    }
    if (!isObj(value)) {
      this.skip(`${at}.value: not an object`);
      return false;
    }
    const time = typeof entry.time === 'number' && Number.isSafeInteger(entry.time) && entry.time >= 0 ? entry.time : undefined;
    this.out.wabaChanges.push({ wabaId: entry.id, ...(time !== undefined ? { time } : {}), change: { field, value } });
    return true;
  }

  private count(): void {
    if (++this.updates > MAX_UPDATES) throw new ApiError(400, `More than ${MAX_UPDATES} messages and statuses in one notification`);
  }

  /**
   * The change's contacts, each under its wa_id and its user_id (a user whose number Meta does not
   * share has no wa_id). Business-scoped user ids (Meta's page as copied at support.chatarchitect.com,
   * Mar 31 2026; dualhook.com/docs/contacts-bsuid-webhooks): `contacts[].user_id` (the BSUID,
   * always sent once BSUIDs are live), `contacts[].parent_user_id` (only with parent BSUIDs
   * enabled), `contacts[].profile.username` (only for users with a username), `contacts[].wa_id`
   * (only when Meta shares the number). Fields that do not fit are left out, not the contact.
   */
  private contacts(contacts: unknown): Map<string, WebhookContact> {
    const byId = new Map<string, WebhookContact>();
    if (!Array.isArray(contacts)) return byId;
    for (const c of contacts.slice(0, MAX_UPDATES)) {
      if (!isObj(c)) continue;
      const waId = typeof c.wa_id === 'string' && WA_ID.test(c.wa_id) ? c.wa_id : undefined;
      const userId = isBsuid(c.user_id) ? c.user_id : undefined;
      const parentUserId = isBsuid(c.parent_user_id) ? c.parent_user_id : undefined;
      const profile = isObj(c.profile) ? c.profile : {};
      const name = columnText(profile.name, 1024);
      const username = columnText(profile.username, 256);
      const contact: WebhookContact = {
        ...(name !== undefined || username !== undefined ? { profile: { ...(name !== undefined ? { name } : {}), ...(username !== undefined ? { username } : {}) } } : {}),
        ...(waId !== undefined ? { wa_id: waId } : {}),
        ...(userId !== undefined ? { user_id: userId } : {}),
        ...(parentUserId !== undefined ? { parent_user_id: parentUserId } : {}),
      };
      if (waId !== undefined) byId.set(waId, contact);
      if (userId !== undefined) byId.set(userId, contact);
    }
    return byId;
  }

  private message(m: unknown, contacts: Map<string, WebhookContact>, out: MetaNumberChange, at: string): void {
    this.count();
    if (!isObj(m)) return this.skip(`${at}: not an object`);
    if (typeof m.id !== 'string' || !PRINTABLE_ID.test(m.id)) return this.skip(`${at}.id: not a message id`);
    // `from` is conditional since BSUIDs: Meta leaves it out for a user with a username whose
    // number it does not share, and sends `from_user_id` (the BSUID) always, `from_parent_user_id`
    // with parent BSUIDs enabled (dualhook.com/docs/contacts-bsuid-webhooks; Meta's page as copied at
    // support.chatarchitect.com). Such a message is kept, keyed by the BSUID.
    const fromUserId = isBsuid(m.from_user_id) ? m.from_user_id : undefined;
    const fromPhone = typeof m.from === 'string' && WA_ID.test(m.from) ? m.from : undefined;
    if (m.from !== undefined && fromPhone === undefined) return this.skip(`${at}.from: not a WhatsApp id`);
    const from = fromPhone ?? fromUserId;
    if (from === undefined) return this.skip(`${at}: neither from nor from_user_id (a BSUID) names the user`);
    const timestamp = epochSeconds(m.timestamp);
    if (timestamp === undefined) return this.skip(`${at}.timestamp: not epoch seconds`);
    if (typeof m.type !== 'string' || !TYPE.test(m.type) || CORE_FIELDS.has(m.type)) return this.skip(`${at}.type: not a message type`);
    const type = m.type;
    // Forwarded messages carry {forwarded: true} without from/id; anything but an object is dropped.
    const context = isObj(m.context) ? (m.context as InboundContext) : undefined;
    if (context && context.id !== undefined && (typeof context.id !== 'string' || !PRINTABLE_ID.test(context.id))) {
      return this.skip(`${at}.context.id: not a message id`);
    }
    if (m.group_id !== undefined && (typeof m.group_id !== 'string' || !PRINTABLE_ID.test(m.group_id))) return this.skip(`${at}.group_id: not a group id`);
    const groupId = m.group_id as string | undefined;
    const extra: Obj = {};
    for (const [k, v] of Object.entries(m)) if (!CORE_FIELDS.has(k) && k !== type) extra[k] = v;
    const contact = contacts.get(from) ?? (fromUserId !== undefined ? contacts.get(fromUserId) : undefined);
    const name = contact?.profile?.name;
    const userId = fromUserId ?? contact?.user_id;
    const parentUserId = (isBsuid(m.from_parent_user_id) ? m.from_parent_user_id : undefined) ?? contact?.parent_user_id;
    const username = contact?.profile?.username;
    const identity: UserIdentity = {
      ...(userId !== undefined ? { userId } : {}),
      ...(parentUserId !== undefined ? { parentUserId } : {}),
      ...(username !== undefined ? { username } : {}),
      ...(fromPhone === undefined ? { phoneless: true } : {}),
    };
    out.messages.push({
      id: m.id,
      from,
      ...(Object.keys(identity).length ? { identity } : {}),
      ...(name !== undefined ? { name } : {}),
      type,
      // Media (image, audio, video, document, sticker) carry Meta's media id, passed on as it is:
      // the receiver fetches the file from Meta's Graph API with the number's token. Downloading it
      // into openwaba's media store (so GET /{media_id} serves it) is not done yet.
      content: m[type],
      ...(context ? { context } : {}),
      ...(groupId !== undefined ? { groupId } : {}),
      extra,
      timestamp,
      atMs: Number(timestamp) * 1000,
    });
  }

  private status(s: unknown, contacts: Map<string, WebhookContact>, out: MetaNumberChange, at: string): void {
    this.count();
    if (!isObj(s)) return this.skip(`${at}: not an object`);
    if (typeof s.id !== 'string' || !PRINTABLE_ID.test(s.id)) return this.skip(`${at}.id: not a message id`);
    // Meta has more (deleted, warning for On-Premise; pending): none moves a message of ours.
    if (typeof s.status !== 'string' || !STATUSES.has(s.status)) return this.skip(`${at}.status: not sent, delivered, read, played or failed`);
    const timestamp = epochSeconds(s.timestamp);
    if (timestamp === undefined) return this.skip(`${at}.timestamp: not epoch seconds`);
    const status = s.status as OutboundStatus;
    const reported: MetaStatus['reported'] = {};
    if (isObj(s.conversation)) reported.conversation = s.conversation as ReportedStatus['conversation'];
    if (isObj(s.pricing)) reported.pricing = s.pricing as ReportedStatus['pricing'];
    // Echoed from the send (Cloud API: at most 512 characters), for the receiver to match its own records.
    if (typeof s.biz_opaque_callback_data === 'string' && s.biz_opaque_callback_data.length <= 512 && !s.biz_opaque_callback_data.includes('\u0000')) {
      reported.biz_opaque_callback_data = s.biz_opaque_callback_data;
    }
    // BSUIDs (dualhook.com/docs/contacts-bsuid-webhooks; Meta's page as copied at
    // support.chatarchitect.com): `recipient_user_id` is in every sent/delivered/read status, and
    // in a failed one only when the message was sent to a BSUID; `recipient_parent_user_id` with
    // parent BSUIDs enabled. Sent/delivered/read statuses come with a `contacts` array
    // (wa_id, user_id, parent_user_id, profile.username); failed ones without.
    if (isBsuid(s.recipient_user_id)) reported.recipient_user_id = s.recipient_user_id;
    if (isBsuid(s.recipient_parent_user_id)) reported.recipient_parent_user_id = s.recipient_parent_user_id;
    const contact =
      (reported.recipient_user_id !== undefined ? contacts.get(reported.recipient_user_id) : undefined) ??
      (typeof s.recipient_id === 'string' ? contacts.get(s.recipient_id) : undefined);
    if (contact) reported.contact = contact;
    out.statuses.push({ id: s.id, status, atMs: Number(timestamp) * 1000, ...(status === 'failed' ? { error: statusError(s.errors) } : {}), reported });
  }
}

/**
 * The first of a failed status's errors, as the message row and the webhook keep it. Without a
 * usable one: Meta's generic 131000, so a failure is never shown without a code.
 */
function statusError(errors: unknown): StatusError {
  const e = Array.isArray(errors) ? errors.find(isObj) : undefined;
  const code = typeof e?.code === 'number' && Number.isSafeInteger(e.code) && e.code >= 0 ? e.code : 131000;
  const title = columnText(e?.title, 512) ?? columnText(e?.message, 512) ?? 'Something went wrong';
  const data = isObj(e?.error_data) ? e.error_data : undefined;
  const details = typeof data?.details === 'string' ? data.details.slice(0, 4096) : typeof e?.message === 'string' ? e.message.slice(0, 4096) : title;
  return { code, title, details };
}

/** The checked updates of a notification body (already parsed JSON). Throws a 400 ApiError only for a body that is no notification or far too large. */
export function readNotification(body: unknown): MetaNotification {
  return new Reader().read(body);
}
