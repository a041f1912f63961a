// Business-scoped user ids (BSUIDs): Meta's id of a WhatsApp user within one business portfolio,
// live in Cloud API webhooks since April 2026 and the only id of a user who adopted a username
// and hides their number. What is taken here, and from where (stored copies of the documentation):
// - Format: an ISO 3166 alpha-2 country code, a period, then alphanumerics, e.g.
//   `US.13491208655302741918` (Meta's page as copied at support.chatarchitect.com "Business-scoped
//   user IDs | Developer Documentation", updated Mar 31 2026; docs.connectly.ai, docs.jelou.ai say
//   the same). The alphanumeric part is "up to 128 characters" (devlooped/WhatsApp PR #407, which
//   validates `{ISO 3166 alpha-2}.{1-128 alphanumeric}`); a parent BSUID (linked portfolios) puts
//   `ENT.` after the country (`US.ENT.…`). No source gives a length for the whole id: the limit
//   here is the longest those rules allow (2 + 1 + 4 + 128 = 135 characters).
// - The country code is upper case in every example; lower case is refused here, as a client
//   that lower-cases ids would reach Meta with an id Meta never issued.
// Sandbox users get BSUIDs of their own (sandboxBsuid): see there.
import { createHash, createHmac } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** A BSUID or a parent BSUID (`CC.ENT.…`). */
export const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;
export const BSUID_MAX_LENGTH = 135;

export function isBsuid(v: unknown): v is string {
  return typeof v === 'string' && v.length <= BSUID_MAX_LENGTH && BSUID.test(v);
}

/** Meta's identity fields of a user, as its webhooks carry them (all optional: see notification.ts). */
export interface UserIdentity {
  /** contacts[].user_id, messages[].from_user_id, statuses[].recipient_user_id. */
  userId?: string;
  /** contacts[].parent_user_id, messages[].from_parent_user_id, statuses[].recipient_parent_user_id. */
  parentUserId?: string;
  /** contacts[].profile.username. */
  username?: string;
  /** Meta gave no phone number (messages[].from and contacts[].wa_id absent): the user is known by userId alone. */
  phoneless?: boolean;
}

/**
 * The country a sandbox BSUID starts with when the number's is unknown (a made-up number no
 * numbering plan has). "ZZ" is the ISO 3166 user-assigned code for an unknown country, so it can
 * never be mistaken for a real one; it still matches the BSUID format.
 */
export const UNKNOWN_COUNTRY = 'ZZ';

/** Digits of the id part: Meta's examples are 20 decimal digits; a 64-bit number written out in full. */
const ID_DIGITS = 20;

/**
 * A simulated user's BSUID on the partner's numbers: stable, the same on every number of one
 * partner (a partner stands for a Meta business portfolio, and a BSUID is scoped to the
 * portfolio), different across partners. The id part is an HMAC under a key derived from
 * OPENWABA_SECRET_KEY when the instance has one, so a BSUID does not give the number away to
 * whoever lacks the key; without one (a sandbox-only instance) a SHA-256 of the same input, which
 * could be brute-forced back to the number (numbers are few) but holds no secret to protect.
 */
export function sandboxBsuid(secretKey: Buffer | undefined, partnerId: string, waId: string): string {
  return `${countryOf(waId)}.${sandboxBsuidDigits(secretKey, partnerId, waId)}`;
}

/** The part of sandboxBsuid after the country's dot (cheaper alone: finding the country parses the number). */
export function sandboxBsuidDigits(secretKey: Buffer | undefined, partnerId: string, waId: string): string {
  const input = `${partnerId}\u0000${waId}`;
  const digest = secretKey
    ? createHmac('sha256', bsuidKey(secretKey)).update(input).digest()
    : createHash('sha256').update(`openwaba sandbox-bsuid v1\u0000${input}`).digest();
  return digest.readBigUInt64BE(0).toString().padStart(ID_DIGITS, '0');
}

/** The BSUID key derived from the instance's secret key, once per key (every status webhook computes a BSUID). */
const bsuidKeys = new WeakMap<Buffer, Buffer>();
function bsuidKey(secretKey: Buffer): Buffer {
  let key = bsuidKeys.get(secretKey);
  if (!key) {
    key = createHmac('sha256', secretKey).update('openwaba sandbox-bsuid v1').digest();
    bsuidKeys.set(secretKey, key);
  }
  return key;
}

/**
 * Countries of recently seen numbers: parsing a number costs ~15 µs, and each of a message's status
 * webhooks names its recipient's BSUID. Bounded: emptied when full (a sandbox's users are few).
 */
const countries = new Map<string, string>();
const COUNTRIES_KEPT = 10_000;

/** The ISO country of a number (its E.164 digits), or UNKNOWN_COUNTRY. */
export function countryOf(waId: string): string {
  let country = countries.get(waId);
  if (country === undefined) {
    const parsed = parsePhoneNumberFromString(`+${waId}`)?.country;
    country = parsed && /^[A-Z]{2}$/.test(parsed) ? parsed : UNKNOWN_COUNTRY;
    if (countries.size >= COUNTRIES_KEPT) countries.clear();
    countries.set(waId, country);
  }
  return country;
}
