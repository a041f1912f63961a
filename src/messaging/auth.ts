// Who is calling the Messaging API: the channel whose D360-API-KEY is presented.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { hashSecret, sameHash } from '../crypto.ts';
import { prepared } from '../db/prepared.ts';
import type { ChannelRow } from '../services/channels.ts';
import { LastUsedRecorder } from '../services/last-used.ts';
import { d360Error } from './errors.ts';
import { KeptRows } from '../db/kept-rows.ts';
import { graphPathOf } from './graph-paths.ts';

declare module 'fastify' {
  interface FastifyRequest {
    channel: ChannelRow | null;
  }
}

const lastUsed = new LastUsedRecorder('channel_api_keys');

// Every Messaging API request runs this query: compiled once.
const activeKeyByHash = prepared((db, p) =>
  db
    .selectFrom('channel_api_keys')
    .innerJoin('channels', 'channels.id', 'channel_api_keys.channel_id')
    .selectAll('channels')
    .select(['channel_api_keys.id as key_id', 'channel_api_keys.key_hash as key_hash'])
    .where('channel_api_keys.key_hash', '=', p<string>(0))
    .where('channel_api_keys.revoked_at', 'is', null),
);

/**
 * Principals of keys in use, by key hash, per database, for a few seconds: most requests skip the
 * lookup. A kept principal is used only while no write to channels or channel_api_keys (by this
 * process, or by another on the same SQLite file) has come since it was read, so a revocation, a
 * cancellation or a changed setting takes effect with the very next request. On PostgreSQL other
 * instances' writes are heard by NOTIFY, milliseconds after their commit (db/pg-change-tracker.ts).
 */
interface KeptPrincipal {
  /** Frozen: no handler changes it. */
  channel: ChannelRow;
  keyId: string;
}
const principals = new KeptRows<KeptPrincipal>(['channels', 'channel_api_keys'], { ttlMs: 5_000, max: 10_000 });

/** The kept principal of a key, if one may be used (no lookup): undefined otherwise. */
function keptChannel(deps: Deps, hash: string): ChannelRow | undefined {
  const hit = principals.get(deps.db, hash);
  if (!hit) return undefined;
  lastUsed.touch(deps, hit.keyId);
  // The kept row itself, not a copy: a spread of a database row costs V8 more than the rest of this lookup.
  return hit.channel;
}

/** One indexed probe: the key's hash → the active key joined with its channel. */
export async function channelForApiKey(deps: Deps, apiKey: string): Promise<ChannelRow | undefined> {
  if (apiKey.length === 0 || apiKey.length > 256) return undefined;
  const hash = hashSecret(apiKey);
  return keptChannel(deps, hash) ?? lookUp(deps, hash);
}

async function lookUp(deps: Deps, hash: string): Promise<ChannelRow | undefined> {
  const mark = principals.mark(deps.db);
  const row = (await activeKeyByHash(deps.db.kysely, [hash])).rows[0];
  if (!row || !sameHash(row.key_hash, hash)) {
    principals.delete(deps.db, hash);
    return undefined;
  }
  lastUsed.touch(deps, row.key_id);
  const { key_id: keyId, key_hash: _h, ...rest } = row;
  const channel = Object.freeze(rest) as ChannelRow;
  principals.set(deps.db, hash, { channel, keyId }, mark);
  return channel;
}

/**
 * A cancelled channel, and one whose client withdrew the partner's access in Integrated
 * Onboarding (access_withdrawn_at): its keys are the partner's, which no longer may use it.
 */
export function keyBlocked(channel: ChannelRow): boolean {
  return Boolean(channel.terminated_at || channel.status === 'terminated' || channel.access_withdrawn_at);
}

/** The key's channel as every route takes it: 401 for none, 403 for a blocked one. */
export function usable(channel: ChannelRow | undefined): ChannelRow {
  if (!channel) throw d360Error(401, 'Invalid api_key');
  if (keyBlocked(channel)) {
    // 360dialog's documented text, word for word: clients match it (reference §4.3).
    throw d360Error(403, 'The endpoint is blocked');
  }
  return channel;
}

/**
 * `Authorization: Bearer <key>`: how clients written for Meta's Cloud API send their access token
 * (messaging/graph-paths.ts). Taken when there is no D360-API-KEY header, which comes first.
 * `Authorization: OAuth <key>` too: Meta's Resumable Upload API documents that scheme.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length < 7) return undefined;
  const scheme = header.slice(0, 7).toLowerCase();
  if (scheme === 'bearer ') return header.slice(7).trim();
  if (scheme.startsWith('oauth ')) return header.slice(6).trim();
  return undefined;
}

/**
 * `?access_token=<key>` on a Graph path: Graph takes the token as a parameter too, and some
 * clients send it so (a Go sender's `%s/%s/messages?access_token=%s`; pywa's app subscriptions).
 * Only on a Graph path, and only when no header named a key; the key is then hashed and compared
 * as a header's is. The request log censors the parameter (http/logging.ts); graphParams drops it.
 * A parameter given twice is no token.
 */
function queryToken(request: FastifyRequest): string | undefined {
  if (!graphPathOf(request)) return undefined;
  const v = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof v === 'string' ? v.trim() : undefined;
}

/**
 * The channel of the request's key. Synchronous when the key's principal is kept (most requests
 * on SQLite), so that the Messaging API's auth hook costs no promise then; a promise otherwise.
 */
export function authenticateChannel(deps: Deps, request: FastifyRequest): ChannelRow | Promise<ChannelRow> {
  // Node lower-cases header names, so D360-API-KEY, D360-Api-Key and d360-api-key all arrive here.
  const raw = request.headers['d360-api-key'];
  const key = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? bearerToken(request.headers.authorization) ?? queryToken(request);
  if (!key || key.length > 256) throw d360Error(401, 'Invalid api_key');
  const hash = hashSecret(key);
  const kept = keptChannel(deps, hash);
  if (kept) return usable(kept);
  return lookUp(deps, hash).then(usable);
}
