// Who is calling the Messaging API: the channel whose D360-API-KEY is presented.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { hashSecret, sameHash } from '../crypto.ts';
import type { ChannelRow } from '../services/channels.ts';
import { LastUsedRecorder } from '../services/last-used.ts';
import { d360Error } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    channel: ChannelRow | null;
  }
}

const lastUsed = new LastUsedRecorder('channel_api_keys');

/** One indexed probe: the key's hash → the active key joined with its channel. */
export async function channelForApiKey(deps: Deps, apiKey: string): Promise<ChannelRow | undefined> {
  if (apiKey.length === 0 || apiKey.length > 256) return undefined;
  const hash = hashSecret(apiKey);
  const row = await deps.db.kysely
    .selectFrom('channel_api_keys')
    .innerJoin('channels', 'channels.id', 'channel_api_keys.channel_id')
    .selectAll('channels')
    .select(['channel_api_keys.id as key_id', 'channel_api_keys.key_hash as key_hash'])
    .where('channel_api_keys.key_hash', '=', hash)
    .where('channel_api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || !sameHash(row.key_hash, hash)) return undefined;
  lastUsed.touch(deps, row.key_id);
  const { key_id: _k, key_hash: _h, ...channel } = row;
  return channel as ChannelRow;
}

export async function authenticateChannel(deps: Deps, request: FastifyRequest): Promise<ChannelRow> {
  // Node lower-cases header names, so D360-API-KEY, D360-Api-Key and d360-api-key all arrive here.
  const raw = request.headers['d360-api-key'];
  const key = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!key) throw d360Error(401, 'Invalid api_key');
  const channel = await channelForApiKey(deps, key);
  if (!channel) throw d360Error(401, 'Invalid api_key');
  if (channel.terminated_at || channel.status === 'terminated') {
    throw d360Error(403, 'The endpoint is blocked: this channel is cancelled');
  }
  return channel;
}
