// Meta's "add a phone number to a WABA" (POST /{version}/{waba-id}/phone_numbers {cc, phone_number,
// verified_name} → {"id":"<phone-number-id>"}), step 1 of Meta's "Registering business phone
// numbers": create the number on the WABA, then request_code, verify_code and register it.
//
// In the sandbox the new number is a new channel of the key's WABA and client (the Partner API
// lists it, setup_info.phone_name is the verified_name, setup_info.phone_number cc + phone_number).
// It starts as Meta's does, not verified and pending: channel status `created` (availability
// setting_up), so its node shows code_verification_status NOT_VERIFIED and status PENDING. Then
// (registration() below, called by routes/phone-settings.ts for a sandbox number):
//   verify_code  created   → submitted  (code_verification_status VERIFIED; any well-formed code,
//                                        as the sandbox sends no code: request_code only succeeds)
//   register     submitted → ready      (status CONNECTED, the Partner API's channel_ready event)
//   register     created              → refused: Meta's 133006 "Phone number re-verification
//                                        needed" (our reading of Meta's register errors: the number
//                                        was never verified), nothing changes.
// A number of any other status keeps the sandbox's old behaviour (always registered, nothing changes).
//
// The new number is reached by its own key: a channel key acts on its own number only (graph-paths.ts
// checks the phone number id of /{phone-number-id}/request_code … against the key's channel), so the
// partner creates a key for it with the Partner API as for any channel
// (POST /api/v2/partners/{pid}/channels/{channel_id}/api_keys), and calls request_code, verify_code
// and register with that key.
//
// Refusals (Graph's body, HTTP 400):
// - cc, phone_number or verified_name missing or malformed: code 100 naming the parameter;
// - the client's max_channels reached (checked first), or the number already one of the partner's
//   channels (not terminated; another partner's numbers are not looked at): code 200000, "Cannot add phone number to WhatsApp Business Account", the error Meta's
//   reference of this edge lists (Meta's exact answer for a number in use is not documented; the
//   code is the edge's own, the details say which case it is).
// On PostgreSQL two adds at once take turns on the client row (as account-sharing.ts and the
// onboarding's commit do) so that together they cannot pass max_channels, and on the partner's
// number (an advisory lock) so that two of its clients cannot add the same number together; SQLite's write
// transactions already take turns.
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { createChannel, numberInUse, type ChannelRow } from '../services/channels.ts';
import { ONBOARDING_SETUP_JOB, setChannelStatus } from '../services/channel-lifecycle.ts';
import { inTransaction } from '../webhooks/partner-events.ts';
import { metaError } from './errors.ts';
import { hasPendingJob } from '../jobs/scheduler.ts';
import { fail, str, type Obj } from './validate/check.ts';

export interface NewPhoneNumber {
  /** Country calling code, digits. */
  cc: string;
  /** The national number, digits (spaces, dashes, dots and parentheses removed). */
  phone_number: string;
  verified_name: string;
}

/** Display names are 3 to 512 characters (the same bound as new_display_name: phone-number-update.ts; Meta's review judges the rest). */
export const VERIFIED_NAME_MAX = 512;
const VERIFIED_NAME_MIN = 3;
/** E.164: at most 15 digits with the country code; openwaba's channels hold 6 to 15 (createChannel). */
const FULL_MIN = 6;
const FULL_MAX = 15;

function single(p: Obj, field: string): unknown {
  const v = p[field];
  if (Array.isArray(v)) throw fail(field, 'must be given once');
  return v;
}

/** A digits parameter as clients send it: a string, or a JSON number (a whole one, not negative). */
function digitsParam(p: Obj, field: string): string {
  const v = single(p, field);
  if (v === undefined || v === null || v === '') throw fail(field, 'is required');
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw fail(field, 'must be digits');
    return String(v);
  }
  if (typeof v !== 'string') throw fail(field, 'must be a string of digits');
  if (v.length > 64) throw fail(field, 'is too long for a phone number');
  return v;
}

/**
 * The parameters of POST /{waba-id}/phone_numbers (graphParams: the query, then a JSON or form
 * body over it). cc: 1 to 3 digits, a leading "+" taken (clients write "+49"). phone_number: the
 * national number; spaces, dashes, dots and parentheses are removed (clients strip them or not),
 * anything else is refused. Together at most 15 digits (E.164). Other parameters of Meta's edge
 * (migrate_phone_number, preverified_id) are ignored here, as Graph ignores unknown ones.
 */
export function parseNewPhoneNumber(p: Obj): NewPhoneNumber {
  let cc = digitsParam(p, 'cc').trim();
  if (cc.startsWith('+')) cc = cc.slice(1);
  if (!/^\d{1,3}$/.test(cc)) throw fail('cc', `must be the country calling code, 1 to 3 digits such as 49 (got "${cc.slice(0, 20)}")`);
  if (cc.startsWith('0')) throw fail('cc', 'must be a country calling code: it cannot start with 0');
  const raw = digitsParam(p, 'phone_number');
  const national = raw.replace(/[\s\-.()]/g, '');
  if (!/^\d+$/.test(national)) throw fail('phone_number', 'must be the phone number without the country code: digits (spaces and dashes are removed)');
  const full = cc + national;
  if (full.length < FULL_MIN || full.length > FULL_MAX) {
    throw fail('phone_number', `with the country code must be ${FULL_MIN} to ${FULL_MAX} digits (got ${full.length})`);
  }
  const nameValue = single(p, 'verified_name');
  const verified = str(nameValue, 'verified_name', { max: VERIFIED_NAME_MAX }).trim();
  if (verified.length === 0) throw fail('verified_name', 'must not be empty');
  if ([...verified].length < VERIFIED_NAME_MIN) throw fail('verified_name', `must be at least ${VERIFIED_NAME_MIN} characters`);
  return { cc, phone_number: national, verified_name: verified };
}

const cannotAdd = (details: string) => metaError(400, 200000, 'Cannot add phone number to WhatsApp Business Account', details);

/** Adds the number to the key's WABA as a new sandbox channel (see the head of this file); its phone number id. */
export async function addSandboxPhoneNumber(deps: Deps, channel: ChannelRow, input: NewPhoneNumber): Promise<ChannelRow> {
  const full = input.cc + input.phone_number;
  return inTransaction(deps, deps.db.kysely, async (tx) => {
    let client = tx.selectFrom('clients').selectAll().where('id', '=', channel.client_id).where('partner_id', '=', channel.partner_id);
    // Adds for one client at once count one after the other (account-sharing.ts holds the same row).
    if (deps.db.kind === 'postgres') client = client.forUpdate();
    const row = await client.executeTakeFirst();
    // The key's channel always has its client (a foreign key): a missing one is a broken database.
    if (!row) throw new ApiError(404, 'Client not found');
    // The cap first: a client at its limit learns nothing about any number.
    const used = Number(
      (await tx.selectFrom('channels').select((eb) => eb.fn.countAll<number>().as('n')).where('client_id', '=', row.id).where('terminated_at', 'is', null).executeTakeFirstOrThrow()).n,
    );
    if (used >= row.max_channels) {
      throw cannotAdd(`phone_number: this business can have ${row.max_channels} number${row.max_channels === 1 ? '' : 's'} and already has ${used} (its partner raises the limit: max_channels)`);
    }
    // In use among the partner's own channels only, as the onboarding checks it: another partner's
    // numbers are not this tenant's to learn about (the sandbox is no shared network; our choice).
    if (deps.db.kind === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`channel_number:${channel.partner_id}:${full}`}))`.execute(tx);
    if (await numberInUse(deps, channel.partner_id, full, tx)) {
      throw cannotAdd(`phone_number: +${full} is already one of this partner's numbers (a number in use cannot be added again)`);
    }
    return createChannel(
      deps,
      { partnerId: channel.partner_id, clientId: row.id, wabaAccountId: channel.waba_account_id, phoneNumber: full, phoneName: input.verified_name, status: 'created', network: 'sandbox', hostingType: 'cloud' },
      undefined,
      tx,
    );
  });
}

/** Meta's answer to register for a number whose code was never verified. */
const notVerified = () =>
  metaError(400, 133006, 'Phone number re-verification needed', 'The phone number is not verified: request a code (request_code) and verify it (verify_code) before registering the number');

/**
 * A sandbox number's registration step (/verify_code, /register) moves a number added with
 * POST /phone_numbers through its verification (see the head of this file). Called before the
 * step's own effect; throws when the step is refused.
 */
export async function registrationStep(deps: Deps, channel: ChannelRow, path: string): Promise<void> {
  if (channel.network !== 'sandbox') return;
  if (path === '/verify_code' && channel.status === 'created') await setChannelStatus(deps, channel.id, 'submitted');
  else if (path === '/register') {
    if (channel.status === 'created') throw notVerified();
    // A number onboarded through Integrated Onboarding is submitted too, waiting for its setup job
    // (web/onboarding/setup.ts): that job makes it ready when its time comes, not a register call.
    if (channel.status === 'submitted' && !(await hasPendingJob(deps.db.kysely, ONBOARDING_SETUP_JOB, channel.id))) await setChannelStatus(deps, channel.id, 'ready');
  }
}
