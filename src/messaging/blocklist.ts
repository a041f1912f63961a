// Meta's Block Users API for sandbox numbers: a number blocks WhatsApp users, who then cannot
// write to it, and to whom it cannot send. What Meta documents (developers.facebook.com
// /documentation/business-messaging/whatsapp/block-users, and its older copy at
// /docs/whatsapp/cloud-api/block-users; the same in Gupshup's and whatsapp-api-js's docs):
//
// - POST /{pnid}/block_users {"messaging_product":"whatsapp","block_users":[{"user":"<phone or wa_id>"}]}
//   → 200 {"messaging_product":"whatsapp","block_users":{"added_users":[{input, wa_id}]}}; when some
//   (or all) users fail, 400 with the same lists plus `failed_users` [{input, wa_id?, errors:
//   [{message, code, error_data:{details}}]}] and Graph's `error` (#139100 "Failed to block/unblock
//   users"). DELETE the same body → `removed_users`. GET → the list, paged with Graph cursors.
// - Only a user who messaged the number in the last 24 hours can be blocked: otherwise that user
//   fails with 131047 "Re-engagement message" (Meta's example: details "User has not messaged in
//   the last 24 hours"). Unblocking has no such rule (whatsapp-api-js: "Contrary to blocking,
//   unblocking isn't restricted by the 24 hours rule").
// - At most 1,000 users per request; the blocklist holds 64,000 users at most (139101 "Blocklist
//   limit reached"). 139102 (a page asked with a stale version_id) does not arise here: the cursors
//   are keyset cursors on wa_id, which stay valid while the list changes. 139103 (Meta's internal
//   error) has no counterpart.
//
// Choices where the sources are silent (ours, what a client would expect):
// - Blocking a user who is blocked already adds them again (listed in added_users, no error), and
//   unblocking a user who is not blocked lists them in removed_users: both requests are idempotent,
//   so a retry after a lost answer does not fail.
// - A `user` that is a string but no phone number or wa_id fails for that user alone (code 131009,
//   no wa_id: Meta's docs say wa_id "may not be present if the number is invalid"); a body that
//   is not the documented shape is a 400 for the whole request (code 100), nothing done.
// - A send to a blocked user: Meta says only "Attempts to message a blocked user return an error",
//   without its code. It is refused at send time, 400 with 131026 "Message undeliverable" (Meta's
//   code for a recipient it will not deliver to, which clients already handle as final), details
//   naming the blocklist. An inbound from a blocked user (POST /sandbox/v1/inbound, our extension)
//   is refused with a 409 and nothing is stored or delivered: WhatsApp does not deliver it.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { windowOpen } from '../network/sandbox.ts';
import { fbtrace, metaError } from './errors.ts';
import { arr, fail, isObj, onlyKeys, str } from './validate/check.ts';
import { encodeGraphCursor, graphCursorPage, graphPaging } from './graph-params.ts';

/** Users per request (Meta: "Each request can include a maximum of 1,000 users"). */
export const MAX_USERS_PER_REQUEST = 1000;
/** Meta: "The blocklist has a 64,000 user limit." */
export const BLOCKLIST_LIMIT = 64_000;
/** The largest page of GET /block_users (a larger limit is taken as this; 25 by default, Graph's usual page size). */
const MAX_PAGE = 1000;

export interface UserResult {
  input: string;
  wa_id?: string;
  errors?: { message: string; code: number; error_data: { details: string } }[];
}

export interface BlockOutcome {
  done: UserResult[];
  failed: UserResult[];
}

/** The users a POST or DELETE /block_users body names, in order; a malformed body is a 400 (code 100). */
export function parseBlockBody(b: unknown): string[] {
  if (!isObj(b)) throw fail('body', 'must be a JSON object');
  onlyKeys(b, 'body', ['messaging_product', 'block_users']);
  if (b.messaging_product !== 'whatsapp') throw fail('messaging_product', 'is required and must be "whatsapp"');
  // An empty list is taken (whatsapp-api-js: "the API doesn't fail if it's empty"): nothing is done.
  const list = arr(b.block_users, 'block_users', { max: MAX_USERS_PER_REQUEST });
  return list.map((item, i) => {
    if (!isObj(item)) throw fail(`block_users[${i}]`, 'must be an object {"user": "<phone number or wa_id>"}');
    onlyKeys(item, `block_users[${i}]`, ['user']);
    return str(item.user, `block_users[${i}].user`, { max: 64 });
  });
}

/** A phone number or wa_id as its digits (a leading + and separators tolerated), or undefined. */
function waIdOf(input: string): string | undefined {
  const digits = input.replace(/[\s()+.-]/g, '');
  return /^\d{6,15}$/.test(digits) ? digits : undefined;
}

const userError = (code: number, title: string, details: string) => ({ message: `(#${code}) ${title}`, code, error_data: { details } });

const invalidUser = (input: string): UserResult => ({
  input,
  errors: [userError(131009, 'Parameter value is not valid', `"${input.slice(0, 64)}" is not a phone number or WhatsApp id (6 to 15 digits, optionally with a leading +)`)],
});

/**
 * Locks the channel's row for the rest of tx (PostgreSQL: concurrent changes to one blocklist
 * queue here, so that the count each writes is right; SQLite writes one transaction at a time).
 */
async function lockCount(tx: Transaction<Database>, channelId: string): Promise<number> {
  const row = await tx
    .updateTable('channels')
    .set({ blocked_user_count: sql<number>`blocked_user_count` })
    .where('id', '=', channelId)
    .returning('blocked_user_count')
    .executeTakeFirstOrThrow();
  return Number(row.blocked_user_count);
}

async function storeCount(tx: Transaction<Database>, channelId: string): Promise<void> {
  const { n } = await tx.selectFrom('blocked_users').select((eb) => eb.fn.countAll<string | number>().as('n')).where('channel_id', '=', channelId).executeTakeFirstOrThrow();
  await tx.updateTable('channels').set({ blocked_user_count: Number(n) }).where('id', '=', channelId).execute();
}

/** Rows are written and read in chunks well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;
function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

/** Blocks the users on a sandbox number, each on its own (the rules above). */
export async function blockUsers(deps: Deps, channel: ChannelRow, inputs: string[]): Promise<BlockOutcome> {
  const now = deps.clock.now();
  const iso = now.toISOString();
  return deps.db.kysely.transaction().execute(async (tx) => {
    let count = await lockCount(tx, channel.id);
    const ids = [...new Set(inputs.map(waIdOf).filter((w): w is string => w !== undefined))];
    const lastInbound = new Map<string, string | null>();
    const blocked = new Set<string>();
    for (const part of chunks(ids)) {
      const users = await tx.selectFrom('sandbox_users').select(['wa_id', 'last_inbound_at']).where('channel_id', '=', channel.id).where('wa_id', 'in', part).execute();
      for (const u of users) lastInbound.set(u.wa_id, u.last_inbound_at);
      const rows = await tx.selectFrom('blocked_users').select('wa_id').where('channel_id', '=', channel.id).where('wa_id', 'in', part).execute();
      for (const r of rows) blocked.add(r.wa_id);
    }
    const out: BlockOutcome = { done: [], failed: [] };
    const insert = new Map<string, string>();
    for (const input of inputs) {
      const waId = waIdOf(input);
      if (waId === undefined) {
        out.failed.push(invalidUser(input));
      } else if (blocked.has(waId) || insert.has(waId)) {
        out.done.push({ input, wa_id: waId });
      } else if (!windowOpen(lastInbound.get(waId), now.getTime())) {
        out.failed.push({ input, wa_id: waId, errors: [userError(131047, 'Re-engagement message', 'User has not messaged in the last 24 hours: only users who messaged this number in the last 24 hours can be blocked')] });
      } else if (count >= BLOCKLIST_LIMIT) {
        out.failed.push({ input, wa_id: waId, errors: [userError(139101, 'Blocklist limit reached', `The blocklist has reached its ${BLOCKLIST_LIMIT.toLocaleString('en')} user limit: unblock users first`)] });
      } else {
        insert.set(waId, input);
        count++;
        out.done.push({ input, wa_id: waId });
      }
    }
    for (const part of chunks([...insert])) {
      await tx
        .insertInto('blocked_users')
        .values(part.map(([waId, input]) => ({ channel_id: channel.id, wa_id: waId, input, created_at: iso })))
        .onConflict((oc) => oc.columns(['channel_id', 'wa_id']).doNothing())
        .execute();
    }
    if (insert.size > 0) await storeCount(tx, channel.id);
    return out;
  });
}

/** Unblocks the users of a sandbox number (one who is not blocked is listed as removed all the same). */
export async function unblockUsers(deps: Deps, channel: ChannelRow, inputs: string[]): Promise<BlockOutcome> {
  return deps.db.kysely.transaction().execute(async (tx) => {
    await lockCount(tx, channel.id);
    const out: BlockOutcome = { done: [], failed: [] };
    const ids = new Set<string>();
    for (const input of inputs) {
      const waId = waIdOf(input);
      if (waId === undefined) out.failed.push(invalidUser(input));
      else {
        ids.add(waId);
        out.done.push({ input, wa_id: waId });
      }
    }
    for (const part of chunks([...ids])) await tx.deleteFrom('blocked_users').where('channel_id', '=', channel.id).where('wa_id', 'in', part).execute();
    if (ids.size > 0) await storeCount(tx, channel.id);
    return out;
  });
}

/**
 * The answer to a block or unblock: 200 with the users done, or, when any failed, Meta's 400 with
 * both lists and Graph's error #139100 beside them.
 */
export function blockAnswer(kind: 'block' | 'unblock', o: BlockOutcome): { status: number; body: Record<string, unknown> } {
  const doneKey = kind === 'block' ? 'added_users' : 'removed_users';
  const lists: Record<string, UserResult[]> = { [doneKey]: o.done };
  if (o.failed.length === 0) return { status: 200, body: { messaging_product: 'whatsapp', block_users: lists } };
  lists.failed_users = o.failed;
  return {
    status: 400,
    body: {
      messaging_product: 'whatsapp',
      block_users: lists,
      error: {
        message: '(#139100) Failed to block/unblock users',
        type: 'OAuthException',
        code: 139100,
        error_data: { messaging_product: 'whatsapp', details: `Failed to ${kind} some users, see the block_users response list for details` },
        fbtrace_id: fbtrace(),
      },
    },
  };
}

export interface ListQuery {
  limit?: string;
  after?: string;
  before?: string;
}

const WA_CURSOR = { prefix: 'wa', key: /^\d{1,20}$/, max: MAX_PAGE };

/**
 * One page of a sandbox number's blocklist, by wa_id. Each entry carries both shapes Meta has
 * documented for it: the guide's `{"block_users":[{input, wa_id}]}` (which meta-cloud-api reads:
 * `data[].block_users[]`) and the endpoint reference's `{messaging_product, wa_id}` (Meta's
 * GetBlockedUsersData, v23.0): one user per entry, so a client of either finds every user.
 * `pageUrl` builds paging.next/previous (Graph gives them when there is such a page).
 */
export async function listBlockedUsers(deps: Deps, channel: ChannelRow, q: ListQuery, pageUrl: (cursor: { after?: string; before?: string }, limit: number) => string) {
  const { limit, after, before } = graphCursorPage(q, WA_CURSOR);
  let sel = deps.db.kysely.selectFrom('blocked_users').select(['wa_id', 'input']).where('channel_id', '=', channel.id);
  if (after !== undefined) sel = sel.where('wa_id', '>', after);
  if (before !== undefined) sel = sel.where('wa_id', '<', before);
  const rows = await sel
    .orderBy('wa_id', before !== undefined ? 'desc' : 'asc')
    .limit(limit + 1)
    .execute();
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (before !== undefined) page.reverse();
  const data = page.map((r) => ({ messaging_product: 'whatsapp', wa_id: r.wa_id, block_users: [{ input: r.input, wa_id: r.wa_id }] }));
  if (page.length === 0) return { data };
  const first = encodeGraphCursor('wa', page[0]!.wa_id);
  const last = encodeGraphCursor('wa', page[page.length - 1]!.wa_id);
  return { data, paging: graphPaging({ first, last, more, after, before, limit, pageUrl }) };
}

/** The refusal of a send to a blocked user (the choice explained above). */
export function blockedRecipient(waId: string) {
  return metaError(400, 131026, 'Message undeliverable', `Unable to deliver message: ${waId} is on this number's blocklist (POST /block_users); unblock them with DELETE /block_users to message them again.`);
}

/** Whether the channel has blocked this user (one primary key probe). */
export async function isBlocked(db: Executor, channelId: string, waId: string): Promise<boolean> {
  const row = await db.selectFrom('blocked_users').select('wa_id').where('channel_id', '=', channelId).where('wa_id', '=', waId).executeTakeFirst();
  return row !== undefined;
}

/**
 * Refuses a send to a user the sandbox number blocked. Only called when the number has blocked
 * someone (channels.blocked_user_count, on the channel row the send already has).
 */
export async function refuseBlockedRecipient(deps: Deps, channel: ChannelRow, waId: string): Promise<void> {
  if (await isBlocked(deps.db.kysely, channel.id, waId)) throw blockedRecipient(waId);
}

/**
 * Refuses a simulated user's message to a number that blocked them: WhatsApp does not deliver it,
 * so nothing is stored and no webhook goes out. 409 in Meta's body: the sandbox caller's request is
 * well-formed, the user's state forbids it (as a channel on the wrong network, inbound.ts).
 */
export async function refuseBlockedSender(db: Executor, channelId: string, waId: string): Promise<void> {
  if (await isBlocked(db, channelId, waId)) {
    throw metaError(
      409,
      100,
      'User is blocked',
      `${waId} is on this number's blocklist (POST /block_users): WhatsApp does not deliver a blocked user's messages to the business, so nothing was stored or sent to the webhook. Unblock them with DELETE /block_users.`,
    );
  }
}
