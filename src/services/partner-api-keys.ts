// Partner API keys (`X-API-Key`): several per partner, named, stored as SHA-256 hashes,
// shown once, revocable, last use recorded.
import { isoNow, wireTime } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import { hashSecret, newSecret, sameHash } from '../crypto.ts';
import { badRequest, notFound } from '../errors.ts';
import { recordId } from '../ids.ts';
import { LastUsedRecorder } from './last-used.ts';

const KEY_PREFIX = 'owpk_';

export interface PartnerApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  created_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const PARTNER_API_KEY_NAME_MAX = 100;

/** The one rule for a key's name, wherever it comes from: trimmed, then 1 to 100 characters. */
export function partnerApiKeyName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > PARTNER_API_KEY_NAME_MAX) {
    throw badRequest(`The key's name must be 1 to ${PARTNER_API_KEY_NAME_MAX} characters long, leading and trailing spaces not counted`);
  }
  return name;
}

/** A new key named by partnerApiKeyName's rule (400 otherwise); the secret is in this answer only. */
export async function createPartnerApiKey(
  deps: Deps,
  partnerId: string,
  rawName: string,
  tx: Executor = deps.db.kysely,
): Promise<PartnerApiKeyInfo & { api_key: string }> {
  const name = partnerApiKeyName(rawName);
  const apiKey = KEY_PREFIX + newSecret(40);
  const row = {
    id: recordId('pak'),
    partner_id: partnerId,
    name,
    prefix: apiKey.slice(0, KEY_PREFIX.length + 6),
    key_hash: hashSecret(apiKey),
    created_at: isoNow(deps.clock),
    last_used_at: null,
    revoked_at: null,
  };
  await tx.insertInto('partner_api_keys').values(row).execute();
  return { id: row.id, name, prefix: row.prefix, created_at: wireTime(row.created_at), last_used_at: null, revoked_at: null, api_key: apiKey };
}

export async function listPartnerApiKeys(deps: Deps, partnerId: string): Promise<PartnerApiKeyInfo[]> {
  const rows = await deps.db.kysely
    .selectFrom('partner_api_keys')
    .select(['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .where('partner_id', '=', partnerId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, created_at: wireTime(r.created_at), last_used_at: wireTime(r.last_used_at), revoked_at: null }));
}

export async function revokePartnerApiKey(deps: Deps, partnerId: string, keyId: string): Promise<void> {
  const res = await deps.db.kysely
    .updateTable('partner_api_keys')
    .set({ revoked_at: isoNow(deps.clock) })
    .where('id', '=', keyId)
    .where('partner_id', '=', partnerId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(`API key ${keyId} not found`);
}

const lastUsed = new LastUsedRecorder('partner_api_keys');

/** The partner a presented key belongs to, or undefined when it is unknown or revoked. */
export async function resolvePartnerApiKey(deps: Deps, apiKey: string): Promise<{ partnerId: string; keyId: string } | undefined> {
  if (!apiKey.startsWith(KEY_PREFIX) || apiKey.length > 128) return undefined;
  const hash = hashSecret(apiKey);
  const row = await deps.db.kysely
    .selectFrom('partner_api_keys')
    .select(['id', 'partner_id', 'key_hash'])
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || !sameHash(row.key_hash, hash)) return undefined;
  lastUsed.touch(deps, row.id);
  return { partnerId: row.partner_id, keyId: row.id };
}
