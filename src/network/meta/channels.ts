// Which channels sit on Meta's Cloud API, and with what credentials. Attaching a channel makes
// its network `meta` (account mode live) and its external_id Meta's phone_number_id, which the
// webhook payloads name; the access token is sealed (secret-box.ts) and never shown again.
// Detaching returns the channel to the sandbox with a fresh sandbox number id.
import type { Selectable } from 'kysely';
import { isoNow } from '../../clock.ts';
import type { MetaChannelsTable } from '../../db/schema.ts';
import { isUniqueViolation, type Executor } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { ApiError, notFound } from '../../errors.ts';
import { digits } from '../../ids.ts';
import { sandboxPhoneNumber } from '../../services/bootstrap.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { openSecret, sealSecret } from './secret-box.ts';
import { KeptRows } from '../../db/kept-rows.ts';

export type MetaChannelRow = Selectable<MetaChannelsTable>;

export interface MetaCredentialsInput {
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
}

export interface MetaCredentials {
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
}

/** Meta's object ids are decimal digits (15–17 today); 5–32 leaves room without admitting junk. */
export const META_ID_PATTERN = '^[0-9]{5,32}$';
const META_ID = new RegExp(META_ID_PATTERN);
/** Meta's enum values (GREEN, TIER_1K, VERIFIED_ACCOUNT…): stored only when they look like one. */
export const META_ENUM = /^[A-Z0-9_]{1,32}$/;
/** Access tokens are printable ASCII without spaces (system-user tokens are ~200 characters). */
export const META_TOKEN_PATTERN = '^[\\x21-\\x7E]{16,2048}$';
const META_TOKEN = new RegExp(META_TOKEN_PATTERN);

/** What Meta says of the number (network/meta/number-check.ts), written onto the channel when it is attached. */
export interface MetaNumberFacts {
  /** Digits only, 6–15 (the channel's phone_number). */
  phoneNumber?: string;
  /** The number's verified business name (the channel's phone_name). */
  verifiedName?: string;
  /** GREEN, YELLOW, RED, UNKNOWN… (current_quality_rating). */
  qualityRating?: string;
  /** TIER_250, TIER_1K, … TIER_UNLIMITED (current_limit). */
  limitTier?: string;
}

/** The refusals attachMetaChannel makes before anything is stored (also run before asking Meta). */
export function checkMetaInput(deps: Deps, input: MetaCredentialsInput): void {
  if (!META_ID.test(input.phoneNumberId)) throw new ApiError(400, `phone_number_id must be Meta's numeric id of the number, got "${input.phoneNumberId.slice(0, 40)}"`);
  if (!META_ID.test(input.wabaId)) throw new ApiError(400, `waba_id must be Meta's numeric id of the WhatsApp Business Account, got "${input.wabaId.slice(0, 40)}"`);
  if (!META_TOKEN.test(input.accessToken)) throw new ApiError(400, 'access_token must be 16 to 2048 printable characters without spaces');
  secretKey(deps);
}

function secretKey(deps: Deps): Buffer {
  const key = deps.config.secretKey;
  if (!key) {
    throw new ApiError(409, 'OPENWABA_SECRET_KEY is not set: an access token for Meta can only be stored sealed with it (64 hex digits, e.g. `openssl rand -hex 32`)');
  }
  return key;
}

/** Puts a channel on Meta's Cloud API with these credentials (or replaces its credentials). */
/** facts: what Meta said of the number (checkMetaNumber), written onto the channel: its number, name, quality and limit. */
export async function attachMetaChannel(deps: Deps, channelId: string, input: MetaCredentialsInput, ex: Executor = deps.db.kysely, facts: MetaNumberFacts = {}): Promise<ChannelRow> {
  checkMetaInput(deps, input);
  const key = secretKey(deps);
  const run = async (tx: Executor): Promise<ChannelRow> => {
    const channel = await checkAttachable(deps, channelId, input.phoneNumberId, tx);
    if (facts.phoneNumber !== undefined) {
      // One live channel per number and partner (as onboarding keeps it): the number Meta named is not another channel's.
      const twin = await tx
        .selectFrom('channels')
        .select('id')
        .where('partner_id', '=', channel.partner_id)
        .where('phone_number', '=', facts.phoneNumber)
        .where('id', '!=', channelId)
        .where('status', '!=', 'terminated')
        .executeTakeFirst();
      if (twin) throw new ApiError(409, `+${facts.phoneNumber} is already the number of channel ${twin.id}`);
    }
    const now = isoNow(deps.clock);
    const sealed = sealSecret(key, input.accessToken, channelId);
    try {
      await tx
        .insertInto('meta_channels')
        .values({ channel_id: channelId, phone_number_id: input.phoneNumberId, waba_id: input.wabaId, access_token_sealed: sealed, created_at: now, modified_at: now })
        .onConflict((oc) =>
          // New credentials: a PIN kept from an Embedded Signup belonged to the number attached before (the caller stores a new one after, if any).
          oc.column('channel_id').doUpdateSet({ phone_number_id: input.phoneNumberId, waba_id: input.wabaId, access_token_sealed: sealed, pin_sealed: null, modified_at: now }),
        )
        .execute();
    } catch (err) {
      // Another channel took the number between the check above and this insert (two attaches at once).
      if (isUniqueViolation(err)) throw new ApiError(409, `phone_number_id ${input.phoneNumberId} is already attached to another channel`);
      throw err;
    }
    await tx
      .updateTable('channels')
      .set({
        network: 'meta',
        account_mode: 'live',
        external_id: input.phoneNumberId,
        modified_at: now,
        ...(facts.phoneNumber !== undefined ? { phone_number: facts.phoneNumber } : {}),
        ...(facts.verifiedName !== undefined ? { phone_name: facts.verifiedName } : {}),
        ...(facts.qualityRating !== undefined ? { current_quality_rating: facts.qualityRating } : {}),
        ...(facts.limitTier !== undefined ? { current_limit: facts.limitTier } : {}),
      })
      .where('id', '=', channelId)
      .execute();
    return (await tx.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirstOrThrow()) as ChannelRow;
  };
  return ex.isTransaction ? run(ex) : ex.transaction().execute(run);
}

/** The channel, if it may be attached to this number: it exists, is not terminated, and no other channel has the number. */
export async function checkAttachable(deps: Deps, channelId: string, phoneNumberId: string, ex: Executor = deps.db.kysely): Promise<ChannelRow> {
  const channel = await ex.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst();
  if (!channel) throw notFound(`Channel ${channelId} not found`);
  if (channel.status === 'terminated') throw new ApiError(409, `Channel ${channelId} is terminated`);
  const taken = await ex.selectFrom('meta_channels').select('channel_id').where('phone_number_id', '=', phoneNumberId).where('channel_id', '!=', channelId).executeTakeFirst();
  if (taken) throw new ApiError(409, `phone_number_id ${phoneNumberId} is already attached to channel ${taken.channel_id}`);
  return channel as ChannelRow;
}

/** Returns a channel from Meta to the sandbox; its sealed token is deleted. */
export async function detachMetaChannel(deps: Deps, channelId: string, ex: Executor = deps.db.kysely): Promise<ChannelRow> {
  const run = async (tx: Executor): Promise<ChannelRow> => {
    const deleted = await tx.deleteFrom('meta_channels').where('channel_id', '=', channelId).executeTakeFirst();
    if (!deleted.numDeletedRows) throw notFound(`Channel ${channelId} is not on Meta's network`);
    const now = isoNow(deps.clock);
    // A sandbox number again: the business's real number, name and Meta's ratings stay with Meta
    // (kept, they would show in the sandbox's webhooks and could collide with the number's next channel).
    await tx
      .updateTable('channels')
      .set({
        network: 'sandbox',
        account_mode: 'sandbox',
        external_id: digits(15),
        phone_number: sandboxPhoneNumber(),
        phone_name: 'Sandbox number',
        current_limit: 'TIER_1K',
        current_quality_rating: 'GREEN',
        modified_at: now,
      })
      .where('id', '=', channelId)
      .execute();
    return (await tx.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirstOrThrow()) as ChannelRow;
  };
  return ex.isTransaction ? run(ex) : ex.transaction().execute(run);
}

/**
 * Every request to Meta needs the channel's credentials: read and opened each time they cost about
 * 50 µs (bench:meta-send's profile: half the read, half the AES-GCM opening). Kept per database
 * while no write to meta_channels has come (KeptRows, at most 30 s); a seal already opened is not
 * opened again either (a seal's random IV makes it name one token for good). The opened tokens live in this process's memory, as they do during any
 * request to Meta.
 */
const keptCredentials = new KeptRows<MetaCredentials | null>(['meta_channels'], { ttlMs: 30_000, max: 10_000 });
const openedSeals = new Map<string, string>();
const OPENED_MAX = 10_000;

function opened(deps: Deps, sealed: string, channelId: string): string {
  const key = `${channelId}\u0000${sealed}`;
  let token = openedSeals.get(key);
  if (token === undefined) {
    token = openSecret(secretKey(deps), sealed, channelId);
    if (openedSeals.size >= OPENED_MAX) openedSeals.clear();
    openedSeals.set(key, token);
  }
  return token;
}

/** The channel's Meta credentials with its token opened; undefined when it is not on Meta. */
export async function metaCredentials(deps: Deps, channelId: string, ex: Executor = deps.db.kysely): Promise<MetaCredentials | undefined> {
  // Inside a caller's transaction, what the transaction sees.
  const usesKept = !ex.isTransaction;
  if (usesKept) {
    const kept = keptCredentials.get(deps.db, channelId);
    if (kept !== undefined) return kept ?? undefined;
  }
  const mark = keptCredentials.mark(deps.db);
  const row = await ex.selectFrom('meta_channels').selectAll().where('channel_id', '=', channelId).executeTakeFirst();
  const creds = row ? Object.freeze({ phoneNumberId: row.phone_number_id, wabaId: row.waba_id, accessToken: opened(deps, row.access_token_sealed, channelId) }) : null;
  if (usesKept) keptCredentials.set(deps.db, channelId, creds, mark);
  return creds ?? undefined;
}

/** The channel Meta's webhooks mean by this phone_number_id, if one is attached. */
export async function channelForPhoneNumberId(deps: Deps, phoneNumberId: string, ex: Executor = deps.db.kysely): Promise<ChannelRow | undefined> {
  const row = await ex
    .selectFrom('meta_channels')
    .innerJoin('channels', 'channels.id', 'meta_channels.channel_id')
    .selectAll('channels')
    .where('meta_channels.phone_number_id', '=', phoneNumberId)
    .where('channels.network', '=', 'meta')
    .executeTakeFirst();
  return row as ChannelRow | undefined;
}
