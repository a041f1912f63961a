// Channel API keys (`D360-API-KEY`): the keys the Messaging API accepts. Creating one revokes the
// channel's earlier keys. Stored as SHA-256 hashes; the per-request lookup of a presented key is
// channelForApiKey in src/messaging/auth.ts.
import { isoNow, wireTime } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import { hashSecret, newSecret, sameHash } from '../crypto.ts';
import { ApiError, notFound } from '../errors.ts';
import { digits } from '../ids.ts';
import type { ChannelRow } from './channels.ts';
import { withdrawnError } from './channel-lifecycle.ts';

/** 32 base62 characters. Clients guess "sandbox key" from `SBN` in a key: never generate that. */
function newChannelKey(): string {
  for (;;) {
    const k = newSecret(32);
    if (!k.includes('SBN')) return k;
  }
}

export interface ChannelApiKeyCreated {
  id: string;
  address: string;
  api_key: string;
  app_id: string;
}

/**
 * A new key for the channel, revoking its earlier keys; a terminated channel gets none (400), nor
 * one its client withdrew in Integrated Onboarding (403, channel-lifecycle.ts withdrawnError).
 */
export async function createChannelApiKey(deps: Deps, channel: ChannelRow, tx?: Executor): Promise<ChannelApiKeyCreated> {
  if (channel.terminated_at) throw new ApiError(400, `Channel ${channel.id} is terminated`);
  if (channel.access_withdrawn_at) throw withdrawnError(channel.partner_id, channel.id);
  const apiKey = newChannelKey();
  const now = isoNow(deps.clock);
  const id = digits(9);
  const write = async (tx: Executor) => {
    await tx
      .updateTable('channel_api_keys')
      .set({ revoked_at: now })
      .where('channel_id', '=', channel.id)
      .where('revoked_at', 'is', null)
      .execute();
    await tx
      .insertInto('channel_api_keys')
      .values({
        id,
        channel_id: channel.id,
        partner_id: channel.partner_id,
        key_hash: hashSecret(apiKey),
        prefix: apiKey.slice(0, 6),
        created_at: now,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
  };
  if (tx) await write(tx);
  else await deps.db.kysely.transaction().execute(write);
  return { id, address: messagingAddress(deps), api_key: apiKey, app_id: channel.app_id };
}

/** The Messaging API base URL a client should call with a channel key (the same for every channel). */
function messagingAddress(deps: Deps): string {
  return deps.config.publicUrl;
}

export async function listChannelApiKeys(deps: Deps, channel: ChannelRow) {
  const rows = await deps.db.kysely
    .selectFrom('channel_api_keys')
    .select(['id', 'prefix', 'created_at', 'last_used_at'])
    .where('channel_id', '=', channel.id)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    address: messagingAddress(deps),
    app_id: channel.app_id,
    api_key_prefix: r.prefix,
    created_at: wireTime(r.created_at),
    last_used_at: wireTime(r.last_used_at),
  }));
}

/** Revokes one key (by id) or all of the channel's keys; returns how many were revoked. */
export async function revokeChannelApiKeys(deps: Deps, channel: ChannelRow, keyId?: string): Promise<number> {
  let q = deps.db.kysely
    .updateTable('channel_api_keys')
    .set({ revoked_at: isoNow(deps.clock) })
    .where('channel_id', '=', channel.id)
    .where('revoked_at', 'is', null);
  if (keyId !== undefined) q = q.where('id', '=', keyId);
  const res = await q.executeTakeFirst();
  const n = Number(res.numUpdatedRows);
  if (keyId !== undefined && n === 0) throw notFound(`API key ${keyId} not found`);
  return n;
}

/**
 * Whether the key with this SHA-256 hash is still the channel's active key (not revoked, not
 * replaced). The sandbox phone keeps only the hash of the key it was opened with.
 */
export async function keyStillActive(deps: Deps, channelId: string, keyHash: string): Promise<boolean> {
  const row = await deps.db.kysely
    .selectFrom('channel_api_keys')
    .select('key_hash')
    .where('key_hash', '=', keyHash)
    .where('channel_id', '=', channelId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined && sameHash(row.key_hash, keyHash);
}
