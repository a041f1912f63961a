// A user writes to the channel: the message is stored, opens the 24-hour window, and goes to the
// channel's webhook in the channel's format. One path for both networks: the sandbox's simulated
// users (receiveInbound, which names a new wamid) and WhatsApp users on Meta's Cloud API
// (network/meta/inbound.ts, which stores Meta's id in the transaction of its webhook POST).
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { transact } from '../webhooks/outbox.ts';
import { channelIdentity, emitChannelEvent } from './channel-webhook.ts';
import { metaError } from './errors.ts';
import { inboundPayload } from './webhook-payloads.ts';
import { newMessageId } from './wamid.ts';
import { insertMessageIfNew } from './messages.ts';
import { sandboxBsuid, type UserIdentity } from '../network/bsuid.ts';
import { refuseBlockedSender } from './blocklist.ts';
import { CHANNEL_WEBHOOK_URL } from './status-facts.ts';
import { recordCallPermissionReply } from './call-permissions.ts';
import { MEDIA_KINDS } from './validate/types/media.ts';
import { downloadUrl, WEBHOOK_URL_TTL_SECONDS } from './media/download-url.ts';

/** What a message replies to or was forwarded with: `{from, id}`, or Meta's `{forwarded: true, …}`. */
export interface InboundContext {
  from?: string;
  id?: string;
  [field: string]: unknown;
}

export interface InboundMessage {
  from: string;
  /** The user's profile name; left out, the user keeps the one they have (a new user: "User <last 4 digits>"). */
  name?: string;
  type: string;
  /** The type object as it appears in the webhook (`text: {body}`, `interactive: {type, button_reply}`, …). */
  content: unknown;
  context?: InboundContext;
  /**
   * The group the user wrote to (Meta's Groups API, group-inbound.ts): the webhook's message names
   * it (`group_id`), and it does not open or move the user's 24-hour window (a group is not the
   * user's one-to-one chat with the business).
   */
  groupId?: string;
  /** Further fields of the webhook's message object (Meta's referral, errors, …), delivered as they came. */
  extra?: Record<string, unknown>;
}

/** An inbound message with its id and time, as storeInbound takes it. */
export interface ReceivedMessage extends InboundMessage {
  id: string;
  /** When the user sent it: the message's created_at and the start of the user's window. */
  at: Date;
  /** The webhook's `timestamp` (epoch seconds as a string); by default the seconds of `at`. */
  timestamp?: string;
  /**
   * The user's business-scoped ids and username (network/bsuid.ts), shown in Cloud webhooks. With
   * `phoneless`, `from` is the user's BSUID: Meta did not share their number.
   */
  identity?: UserIdentity;
}

/** The refusal of a channel that is not on the network the message claims to come from. */
function wrongNetwork(network: string): Error {
  return network === 'meta'
    ? metaError(
        409,
        100,
        'Not a sandbox channel',
        "This channel is connected to WhatsApp through Meta's Cloud API, not the sandbox: its inbound messages come from WhatsApp users through Meta's webhooks, and only sandbox channels take simulated users.",
      )
    : metaError(409, 100, 'Not a Meta channel', `This channel is on the ${network} network, not on Meta's Cloud API`);
}

/** Refuses a channel that is not in the sandbox (the sandbox inbound route and the sandbox phone). */
export function assertSandboxChannel(channel: Pick<ChannelRow, 'network'>): void {
  if (channel.network !== 'sandbox') throw wrongNetwork(channel.network);
}

/**
 * Stores one inbound message on the channel in tx, records the user (name, window) and writes
 * its webhook event; false, with nothing written, when a message with its id is stored already
 * (a network delivering it again: of two deliveries at once, exactly one stores it). The channel
 * is read again in tx: its webhook may have changed since the caller read it, and it must still be
 * on `network` (a channel attached to Meta meanwhile takes no simulated users).
 */
export async function storeInbound(deps: Deps, tx: Transaction<Database>, channel: ChannelRow, network: 'sandbox' | 'meta', msg: ReceivedMessage): Promise<boolean> {
  const target = await tx
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .select(['channels.id', 'channels.partner_id', 'channels.network', CHANNEL_WEBHOOK_URL.as('webhook_url'), 'channels.hosting_type', 'channels.phone_number', 'channels.external_id', 'channels.waba_account_id'])
    .where('channels.id', '=', channel.id)
    .executeTakeFirstOrThrow();
  if (target.network !== network) throw wrongNetwork(target.network);
  const iso = msg.at.toISOString();
  const stored = await insertMessageIfNew(tx, {
    id: msg.id,
    channel,
    direction: 'inbound',
    waId: msg.from,
    type: msg.type,
    content: msg.content,
    context: msg.context,
    contextId: typeof msg.context?.id === 'string' ? msg.context.id : undefined,
    ...(msg.groupId !== undefined ? { groupId: msg.groupId } : {}),
    status: 'received',
    category: 'service',
    at: iso,
  });
  if (!stored) return false;
  // The answer to a call permission request: the permission business-initiated calls need (call-permissions.ts).
  await recordCallPermissionReply(tx, channel.id, msg.from, msg.type, msg.content, msg.at);
  // A system message (a user's number changed) is WhatsApp's notice, not the user writing: it opens no window.
  const keepsWindow = msg.groupId !== undefined || msg.type === 'system';
  // A user whose number is not shown gets a fallback from their BSUID: the number's digits would give part of it away.
  const fallback = `User ${(msg.identity?.phoneless && msg.identity.userId !== undefined ? msg.identity.userId : msg.from).slice(-4)}`;
  const { name } = await tx
    .insertInto('sandbox_users')
    .values({ channel_id: channel.id, wa_id: msg.from, name: msg.name ?? fallback, last_inbound_at: keepsWindow ? null : iso, unreachable: 0, blocked: 0, created_at: iso, modified_at: iso })
    .onConflict((oc) =>
      oc.columns(['channel_id', 'wa_id']).doUpdateSet({
        // Without a name the user keeps theirs (one made by POST /sandbox/v1/users without a name gets the fallback now).
        name: msg.name ?? sql<string>`coalesce(sandbox_users.name, ${fallback})`,
        // The window starts at the user's latest message: one Meta delivers late (a retry) does not move it back; a group message does not move it.
        last_inbound_at:
          keepsWindow ? sql<string | null>`sandbox_users.last_inbound_at` : sql<string>`case when sandbox_users.last_inbound_at > ${iso} then sandbox_users.last_inbound_at else ${iso} end`,
        modified_at: iso,
      }),
    )
    .returning('name')
    .executeTakeFirstOrThrow();
  if (!target.webhook_url) return true;
  const timestamp = msg.timestamp ?? String(Math.floor(msg.at.getTime() / 1000));
  const content = network === 'sandbox' && target.hosting_type !== 'onpremise' ? await withMediaUrl(deps, tx, channel.id, msg.type, msg.content) : msg.content;
  const message = { from: msg.from, ...(msg.groupId !== undefined ? { group_id: msg.groupId } : {}), id: msg.id, timestamp, type: msg.type, [msg.type]: content, ...(msg.context ? { context: msg.context } : {}), ...msg.extra };
  await emitChannelEvent(
    deps,
    tx,
    target,
    'message',
    inboundPayload(await channelIdentity(deps, target, tx), { contact: { profile: { name: name ?? fallback }, wa_id: msg.from }, message, ...(msg.identity ? { identity: msg.identity } : {}) }),
  );
  return true;
}

/**
 * A sandbox user's media message as a Cloud webhook shows it: with `url`, as Meta's webhook
 * reference has it on image, video, audio, document and sticker. It is the download URL that
 * GET /{media_id} answers (it needs the channel's key, as Meta's lookaside URL needs the token),
 * valid for the webhook retry horizon. Only the webhook carries it: the stored message keeps the
 * media object as sent. On-Premise webhooks have no url (that API downloads by GET /v1/media/{id});
 * a message from Meta's network keeps Meta's own url, swapped for ours (network/meta/inbound.ts).
 */
async function withMediaUrl(deps: Deps, tx: Transaction<Database>, channelId: string, type: string, content: unknown): Promise<unknown> {
  if (!(MEDIA_KINDS as readonly string[]).includes(type) || typeof content !== 'object' || content === null) return content;
  const id = (content as { id?: unknown }).id;
  if (typeof id !== 'string' || !/^\d{1,32}$/.test(id)) return content;
  // Read in tx: on SQLite the transaction holds the only connection.
  const row = await tx.selectFrom('media').selectAll().where('id', '=', id).where('channel_id', '=', channelId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row || Date.parse(row.expires_at) <= deps.clock.now().getTime()) return content;
  return { ...content, url: downloadUrl(deps, row, WEBHOOK_URL_TTL_SECONDS) };
}

/** A simulated user writes to a sandbox channel: the message gets a new wamid and the time of now. */
export async function receiveInbound(deps: Deps, channel: ChannelRow, msg: InboundMessage): Promise<{ id: string; timestamp: string }> {
  const r = await receiveInboundUnless(deps, channel, msg, async () => undefined);
  if (r.received) return r.received;
  throw new Error('receiveInbound: nothing blocks a message without a blocker');
}

/**
 * receiveInbound, unless `blocker` (run first in the same transaction) finds a reason not to send
 * the message: then nothing is stored and its reason comes back. The sandbox phone's flows use it
 * so that a flow completes once, even with two completions at once (the blocker locks the row it reads).
 */
export async function receiveInboundUnless<T>(
  deps: Deps,
  channel: ChannelRow,
  msg: InboundMessage,
  blocker: (tx: Transaction<Database>) => Promise<T | undefined>,
): Promise<{ received: { id: string; timestamp: string }; blocked?: undefined } | { received?: undefined; blocked: T }> {
  assertSandboxChannel(channel);
  const at = deps.clock.now();
  const id = newMessageId(channel, msg.from);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  // A simulated user has a BSUID on the partner's numbers, as WhatsApp users have on Meta's (network/bsuid.ts).
  const userId = sandboxBsuid(deps.config.secretKey, channel.partner_id, msg.from);
  const blocked = await transact(deps, async (tx) => {
    // A user the number blocked (POST /block_users): WhatsApp does not deliver their message (blocklist.ts).
    await refuseBlockedSender(tx, channel.id, msg.from);
    const reason = await blocker(tx);
    if (reason !== undefined) return reason;
    const user = await tx.selectFrom('sandbox_users').select(['username', 'hide_number']).where('channel_id', '=', channel.id).where('wa_id', '=', msg.from).executeTakeFirst();
    await storeInbound(deps, tx, channel, 'sandbox', { ...msg, id, at, timestamp, identity: sandboxIdentity(userId, user) });
    return undefined;
  });
  return blocked !== undefined ? { blocked } : { received: { id, timestamp } };
}

/**
 * A simulated user's identity in webhooks: their BSUID, their username when they have one (Meta
 * puts it in every incoming message), and phoneless when they hide their number (Meta then leaves
 * out messages[].from and contacts[].wa_id: dualhook.com/docs/contacts-bsuid-webhooks, "Incoming
 * Messages"; hide_number stands for a user whose number Meta withholds, none of Meta's
 * exceptions applying). Unlike the Meta side, which knows such a user by BSUID alone and stores
 * the message under it, the sandbox keeps the user's number as their key and hides it on the wire
 * only: the user is a number (the sandbox phone, POST /sandbox/v1/inbound name them by it), a
 * reply to the BSUID already reaches the number (send.ts), and so the 24-hour window, the pair
 * rate limit and the phone's conversation stay one, whether the business answers by number or
 * BSUID, and whether the user hides their number or stops hiding it.
 */
function sandboxIdentity(userId: string, user: { username: string | null; hide_number: number | null } | undefined): UserIdentity {
  return {
    userId,
    ...(user?.username ? { username: user.username } : {}),
    ...(user?.hide_number ? { phoneless: true } : {}),
  };
}
