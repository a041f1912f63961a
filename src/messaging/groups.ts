// Meta's Groups API (Cloud API, 2025) on sandbox numbers; routes in routes/groups.ts, webhooks in
// group-webhooks.ts. Sources: Meta's "Groups API" pages (developers.facebook.com/docs/whatsapp/
// cloud-api/groups, its reference and webhooks pages) and 360dialog's copies at /groups.
//
// The rules kept: a group is the number's own (another number's key sees Graph's "object does not
// exist" 400); subject at most 128 characters (whitespace trimmed), description at most 2048;
// join_approval_mode auto_approve (the default) or approval_required; at most 8 participants
// besides the business ("Max group participants: 8"). Users join only through the invite link
// (POST /sandbox/v1/group_join simulates one); with approval_required they make a join request
// the business approves or rejects. A reset invite link stops the old one from working.
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import type { Executor } from '../db/index.ts';
import { base62, digits } from '../ids.ts';
import { metaError } from './errors.ts';
import { arr, badValue, fail, isObj, obj, oneOf, onlyKeys, optStr, recipient, str, type Obj } from './validate/check.ts';
import { graphNodeNotFound } from './media/not-found.ts';
import type { GroupsTable } from '../db/schema.ts';
import { emitGroupEvent } from './group-webhooks.ts';
import { groupSuspended } from './group-inbound.ts';

export const MAX_PARTICIPANTS = 8;
export const JOIN_MODES = ['auto_approve', 'approval_required'] as const;
export type GroupRow = GroupsTable;

/** Meta's group ids are base64 of `capi_group:<number>:<id>`; ours are too (so the Graph rewrite knows them: graph-paths.ts). */
export const GROUP_ID = /^Y2FwaV9ncm91cDo[A-Za-z0-9_-]{1,200}$/;
export const isGroupId = (s: string): boolean => GROUP_ID.test(s);
export const INVITE_BASE = 'https://chat.whatsapp.com/';
export const inviteLink = (g: Pick<GroupRow, 'invite_code'>) => INVITE_BASE + g.invite_code;
export const requestId = () => base62(24);

/** The Groups API is Cloud API only, and simulated on sandbox numbers only. */
export function assertGroupsChannel(ch: ChannelRow): void {
  if (ch.hosting_type === 'onpremise') throw metaError(400, 100, 'Invalid parameter', 'The Groups API is available on Cloud API numbers only; this number is hosted On-Premise');
  if (ch.network !== 'sandbox') throw metaError(400, 100, 'Invalid parameter', `The Groups API is simulated on sandbox numbers only; this number is on the "${ch.network}" network`);
}

function subject(v: unknown, field = 'subject'): string {
  const s = str(v, field, { max: 1024 }).trim();
  if (s === '') throw fail(field, 'must not be empty');
  if ([...s].length > 128) throw fail(field, 'must be at most 128 characters');
  return s;
}

function description(v: unknown): string | undefined {
  const d = optStr(v, 'description', { max: 8192 });
  if (d !== undefined && [...d].length > 2048) throw fail('description', 'must be at most 2048 characters');
  return d;
}

function product(body: Obj): void {
  if (body.messaging_product !== 'whatsapp') throw fail('messaging_product', body.messaging_product === undefined ? 'is required and must be "whatsapp"' : 'must be "whatsapp"');
}

export interface NewGroup {
  subject: string;
  description?: string;
  joinApprovalMode: (typeof JOIN_MODES)[number];
}

export function parseCreateGroup(raw: unknown): NewGroup {
  const body = obj(raw, 'body');
  onlyKeys(body, 'body', ['messaging_product', 'subject', 'description', 'join_approval_mode']);
  product(body);
  const joinApprovalMode = body.join_approval_mode === undefined ? 'auto_approve' : oneOf(body.join_approval_mode, 'join_approval_mode', JOIN_MODES);
  const d = description(body.description);
  return { subject: subject(body.subject), ...(d !== undefined ? { description: d } : {}), joinApprovalMode };
}

export interface GroupUpdate {
  subject?: string;
  description?: string;
}

/**
 * POST /groups/{id}: Meta's update group settings takes subject, description and a profile
 * picture (`profile_picture_file`, an upload); the picture is accepted by name and not kept.
 */
export function parseUpdateGroup(raw: unknown): GroupUpdate {
  const body = obj(raw, 'body');
  onlyKeys(body, 'body', ['messaging_product', 'subject', 'description', 'profile_picture_file']);
  product(body);
  const u: GroupUpdate = {};
  if (body.subject !== undefined) u.subject = subject(body.subject);
  if (body.description !== undefined) u.description = description(body.description);
  if (body.profile_picture_file !== undefined) str(body.profile_picture_file, 'profile_picture_file', { max: 4096 });
  if (u.subject === undefined && u.description === undefined && body.profile_picture_file === undefined) throw fail('body', 'names nothing to update (subject, description or profile_picture_file)');
  return u;
}

/** DELETE /groups/{id}/participants: `{"messaging_product":"whatsapp","participants":[{"user":"…"}]}`. */
export function parseRemoveParticipants(raw: unknown): { input: string; waId: string }[] {
  const body = obj(raw, 'body');
  onlyKeys(body, 'body', ['messaging_product', 'participants']);
  product(body);
  const list = arr(body.participants, 'participants', { min: 1, max: MAX_PARTICIPANTS });
  return list.map((p, i) => {
    const o = obj(p, `participants[${i}]`);
    onlyKeys(o, `participants[${i}]`, ['user']);
    const input = str(o.user, `participants[${i}].user`, { max: 32 });
    return { input, waId: recipient(o.user, `participants[${i}].user`) };
  });
}

/** POST and DELETE /groups/{id}/join_requests: `{"messaging_product":"whatsapp","join_requests":["<id>", …]}`. */
export function parseJoinRequests(raw: unknown): string[] {
  const body = obj(raw, 'body');
  onlyKeys(body, 'body', ['messaging_product', 'join_requests']);
  product(body);
  const list = arr(body.join_requests, 'join_requests', { min: 1, max: 64 });
  return list.map((v, i) => str(v, `join_requests[${i}]`, { max: 64 }));
}

/** The channel's group, or Graph's 400 for an object the key cannot see. */
export async function groupOf(deps: Deps, ch: ChannelRow, id: string, method: string, tx: Executor = deps.db.kysely): Promise<GroupRow> {
  const g = await tx.selectFrom('groups').selectAll().where('id', '=', id).where('channel_id', '=', ch.id).executeTakeFirst();
  if (!g) throw graphNodeNotFound(method, id);
  return g;
}

export async function insertGroup(deps: Deps, tx: Executor, ch: ChannelRow, g: NewGroup, at: string): Promise<GroupRow> {
  const num = (ch.phone_number ?? '').replace(/\D/g, '') || digits(11);
  const row: GroupRow = {
    id: Buffer.from(`capi_group:${num}:120363${digits(12)}`).toString('base64url'),
    channel_id: ch.id,
    subject: g.subject,
    description: g.description ?? null,
    join_approval_mode: g.joinApprovalMode,
    invite_code: base62(22),
    created_at: at,
    suspended: 0,
  };
  await tx.insertInto('groups').values(row).execute();
  return row;
}

export async function participantsOf(tx: Executor, groupId: string, state: 'member' | 'requested') {
  return tx.selectFrom('group_participants').selectAll().where('group_id', '=', groupId).where('state', '=', state).orderBy('created_at').orderBy('wa_id').execute();
}

export async function memberCount(tx: Executor, groupId: string): Promise<number> {
  const r = await tx.selectFrom('group_participants').select((e) => e.fn.countAll<number>().as('n')).where('group_id', '=', groupId).where('state', '=', 'member').executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Holds the group's row until tx ends (PostgreSQL; SQLite's transactions run one at a time):
 * a join or an approval counts the participants and then adds one, and two at once would both
 * count 7 and make 9 (or both insert the same user).
 */
export async function lockGroup(deps: Deps, tx: Executor, groupId: string): Promise<void> {
  if (deps.db.kind === 'postgres') await tx.selectFrom('groups').select('id').where('id', '=', groupId).forUpdate().execute();
}

export const groupFull = () => metaError(400, 131009, 'Parameter value is not valid', `the group has ${MAX_PARTICIPANTS} participants besides the business, the most a group can have`);

/** Graph's fields of a group node, as GET /groups/{id}?fields= shows them. */
export const GROUP_FIELDS = ['id', 'subject', 'description', 'suspended', 'creation_timestamp', 'total_participant_count', 'participants', 'join_approval_mode'] as const;

export async function groupNode(tx: Executor, g: GroupRow, fields: readonly string[]): Promise<Obj> {
  const members = fields.includes('participants') || fields.includes('total_participant_count') ? await participantsOf(tx, g.id, 'member') : [];
  const all: Obj = {
    id: g.id,
    subject: g.subject,
    ...(g.description !== null ? { description: g.description } : {}),
    suspended: g.suspended === 1,
    creation_timestamp: Math.floor(Date.parse(g.created_at) / 1000),
    total_participant_count: members.length,
    participants: members.map((m) => ({ wa_id: m.wa_id })),
    join_approval_mode: g.join_approval_mode,
  };
  const out: Obj = { id: g.id };
  for (const f of fields) if (f in all) out[f] = all[f];
  return out;
}

/** The sandbox's join body: `{"from":"<number>","invite_link":"https://chat.whatsapp.com/…"}` (or `group_id`). */
export function parseJoin(raw: unknown): { from: string; code?: string; groupId?: string } {
  if (!isObj(raw)) throw fail('body', 'must be a JSON object');
  onlyKeys(raw, 'body', ['from', 'type', 'invite_link', 'group_id']);
  if (raw.type !== undefined) oneOf(raw.type, 'type', ['group_join'] as const);
  const from = recipient(raw.from, 'from');
  if (raw.invite_link !== undefined) {
    const link = str(raw.invite_link, 'invite_link', { max: 256 });
    const code = link.startsWith(INVITE_BASE) ? link.slice(INVITE_BASE.length) : link;
    if (!/^[A-Za-z0-9]{1,64}$/.test(code)) throw badValue('invite_link', `must be a group invite link (${INVITE_BASE}<code>) or its code`);
    return { from, code };
  }
  if (raw.group_id === undefined) throw fail('invite_link', 'is required (or group_id)');
  return { from, groupId: str(raw.group_id, 'group_id', { max: 256 }) };
}

export type JoinOutcome = { group_id: string; wa_id: string; state: 'member' } | { group_id: string; wa_id: string; state: 'requested'; join_request_id: string };

/**
 * A simulated user opens a group's invite link (or names the group), in tx: joins it (auto_approve)
 * or asks to join (approval_required), and the number's webhook gets group_participants_update.
 * POST /sandbox/v1/group_join and the sandbox phone's join form both come here.
 */
export async function joinGroup(deps: Deps, tx: Executor, ch: ChannelRow, j: { from: string; code?: string; groupId?: string }, at: Date): Promise<JoinOutcome> {
  assertGroupsChannel(ch);
  let sel = tx.selectFrom('groups').selectAll().where('channel_id', '=', ch.id);
  sel = j.code !== undefined ? sel.where('invite_code', '=', j.code) : sel.where('id', '=', j.groupId ?? '');
  const g = await sel.executeTakeFirst();
  if (!g) throw metaError(400, 131009, 'Parameter value is not valid', j.code !== undefined ? 'invite_link: no group of this number has this invite link (it may have been reset)' : `group_id: no group ${(j.groupId ?? '').slice(0, 64)} on this number`);
  if (g.suspended === 1) throw groupSuspended(j.code !== undefined ? 'invite_link' : 'group_id');
  await lockGroup(deps, tx, g.id);
  const known = await tx.selectFrom('group_participants').select('state').where('group_id', '=', g.id).where('wa_id', '=', j.from).executeTakeFirst();
  if (known) throw metaError(409, 131009, 'Parameter value is not valid', known.state === 'member' ? `${j.from} is a participant of this group already` : `${j.from} has asked to join this group already`);
  if ((await memberCount(tx, g.id)) >= MAX_PARTICIPANTS) throw groupFull();
  const iso = at.toISOString();
  if (g.join_approval_mode === 'approval_required') {
    const joinRequestId = digits(16);
    await tx.insertInto('group_participants').values({ group_id: g.id, wa_id: j.from, state: 'requested', join_request_id: joinRequestId, created_at: iso }).execute();
    await emitGroupEvent(deps, tx, ch, 'group_participants_update', { group_id: g.id, type: 'group_join_request_created', join_request_id: joinRequestId, wa_id: j.from }, at);
    return { group_id: g.id, wa_id: j.from, state: 'requested', join_request_id: joinRequestId };
  }
  await tx.insertInto('group_participants').values({ group_id: g.id, wa_id: j.from, state: 'member', join_request_id: null, created_at: iso }).execute();
  await emitGroupEvent(deps, tx, ch, 'group_participants_update', { group_id: g.id, type: 'group_participants_add', reason: 'invite_link', added_participants: [{ wa_id: j.from }] }, at);
  return { group_id: g.id, wa_id: j.from, state: 'member' };
}

/** The channel's groups a user is in (member) or has asked to join (requested), by subject (the sandbox phone's chat list). */
export async function groupsOfUser(tx: Executor, channelId: string, waId: string): Promise<{ id: string; subject: string; state: string; suspended: boolean }[]> {
  const rows = await tx
    .selectFrom('group_participants')
    .innerJoin('groups', 'groups.id', 'group_participants.group_id')
    .select(['groups.id', 'groups.subject', 'groups.suspended', 'group_participants.state'])
    .where('groups.channel_id', '=', channelId)
    .where('group_participants.wa_id', '=', waId)
    .orderBy('groups.subject')
    .orderBy('groups.id')
    .limit(100)
    .execute();
  return rows.map((r) => ({ id: r.id, subject: r.subject, state: r.state, suspended: r.suspended === 1 }));
}

/**
 * A group's last messages, oldest first: the business's sends to it (stored to the group's id)
 * and its participants' messages (stored to the participant, with `group_id` in the content
 * and in the messages.group_id column: messages.ts).
 */
export async function groupMessages(tx: Executor, channelId: string, groupId: string, limit = 100) {
  // Two index reads (the business's sends to the group by wa_id; the participants' messages by
  // group_id, migration 0041), merged: never a scan of the channel's messages. Group messages
  // stored before 0041 were backfilled from their content by the migration.
  const cols = ['id', 'direction', 'wa_id', 'type', 'content', 'status', 'error_code', 'error_title', 'context_id', 'created_at'] as const;
  const sent = await tx.selectFrom('messages').select(cols).where('channel_id', '=', channelId).where('wa_id', '=', groupId).where('direction', '=', 'outbound').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  const received = await tx.selectFrom('messages').select(cols).where('channel_id', '=', channelId).where('group_id', '=', groupId).where(sql<boolean>`group_id is not null`).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  const newestFirst = (a: { created_at: string; id: string }, b: { created_at: string; id: string }) => (a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1);
  return [...sent, ...received].sort(newestFirst).slice(0, limit).reverse();
}
