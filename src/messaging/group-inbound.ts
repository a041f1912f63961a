// The participants' side of Meta's Groups API on a sandbox number (groups.ts has the business's):
// a participant writes to the group, leaves it (or withdraws a join request), and the webhooks
// Meta sends for the business's group settings updates. Shapes: Meta's "Group messaging" page
// ("Receive group messages": the message object carries `group_id`; its `from` and the contact are
// the participant who wrote) and "Webhooks for Groups API" ("Group participant leaves webhook",
// "User accepts or cancels join request", "Group settings update succeed", "Group suspended",
// "Group suspension cleared"; the sandbox simulates Meta suspending a group).
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import type { ChannelRow } from '../services/channels.ts';
import { metaError } from './errors.ts';
import { fail, isObj, oneOf, onlyKeys, recipient, str } from './validate/check.ts';
import { receiveInboundUnless, type InboundMessage } from './inbound.ts';
import { assertGroupsChannel, type GroupRow } from './groups.ts';
import { liveMedia } from './media/store.ts';

/**
 * What a participant cannot write to a group: interactive answers (Meta sends no interactive
 * messages to groups: "Non-supported message types … Interactive messages"), so a button or list
 * reply, a flow's answer or a call permission reply has nothing in the group to answer.
 */
const NOT_IN_GROUPS = ['interactive'];

/** The `group_id` of an inbound message, checked before its content: a string, and a type a group carries. */
export function groupOfInbound(v: unknown, type: string): string {
  const id = str(v, 'group_id', { max: 256 });
  if (NOT_IN_GROUPS.includes(type)) throw fail('type', `${type} messages are not sent in groups (the Groups API carries text, media and template messages)`);
  return id;
}

/**
 * A suspended group (group_status_update group_suspend) takes no messages, from the business or its
 * participants, and no one joins it, until the suspension is cleared: Meta "may prevent further
 * activity" in it and documents no error of its own for it, so this is its 400 for a value not valid.
 */
export const groupSuspended = (field: string) =>
  metaError(400, 131009, 'Parameter value is not valid', `${field}: the group is suspended (group_status_update group_suspend): no activity in it until the suspension is cleared`);

const noGroup = (id: string) => metaError(400, 131009, 'Parameter value is not valid', `group_id: no group ${id.slice(0, 64)} on this number (deleted, or another number's)`);

/**
 * A participant's message to one of the channel's groups: stored and sent to the webhook as any
 * user's message, with `group_id`. In the transaction that stores it, the group must be the
 * channel's and the sender one of its participants (a 400 otherwise, nothing stored): a
 * participant removed or gone meanwhile writes no more.
 */
export async function receiveGroupMessage(deps: Deps, channel: ChannelRow, groupId: string, msg: InboundMessage): Promise<{ id: string; timestamp: string }> {
  assertGroupsChannel(channel);
  const r = await receiveInboundUnless(deps, channel, { ...msg, groupId }, async (tx) => {
    const g = await tx.selectFrom('groups').select(['id', 'suspended']).where('id', '=', groupId).where('channel_id', '=', channel.id).executeTakeFirst();
    if (!g) throw noGroup(groupId);
    if (g.suspended === 1) throw groupSuspended('group_id');
    const p = await tx.selectFrom('group_participants').select('state').where('group_id', '=', g.id).where('wa_id', '=', msg.from).executeTakeFirst();
    if (p?.state !== 'member') {
      throw metaError(
        400,
        131009,
        'Parameter value is not valid',
        p?.state === 'requested'
          ? `from: ${msg.from} has asked to join this group, and the business has not approved it yet: only participants write to a group`
          : `from: ${msg.from} is not a participant of this group (users join through its invite link: POST /sandbox/v1/group_join)`,
      );
    }
    return undefined;
  });
  return r.received!;
}

/** The sandbox's leave body: `{"from":"<number>","group_id":"<id>"}` ("type":"group_leave" may be given). */
export function parseLeave(raw: unknown): { from: string; groupId: string } {
  if (!isObj(raw)) throw fail('body', 'must be a JSON object');
  onlyKeys(raw, 'body', ['from', 'type', 'group_id']);
  if (raw.type !== undefined) oneOf(raw.type, 'type', ['group_leave'] as const);
  const from = recipient(raw.from, 'from');
  if (raw.group_id === undefined) throw fail('group_id', 'is required');
  return { from, groupId: str(raw.group_id, 'group_id', { max: 256 }) };
}

export type LeaveOutcome = { state: 'left' } | { state: 'request_revoked'; joinRequestId: string };

/**
 * The user leaves the group (a participant) or withdraws their join request (one who asked to
 * join), in tx; the webhook item Meta sends for it comes back with the outcome:
 *  - a participant leaving: group_participants_remove with `initiated_by: "participant"` and the
 *    user's wa_id alone in removed_participants (Meta's "Group participant leaves webhook"; the
 *    business's removal, routes/groups.ts, has initiated_by "business" and the input too);
 *  - a request withdrawn: group_join_request_revoked with its join_request_id and wa_id (Meta's
 *    "User accepts or cancels join request"; Meta's sample also has a `reason` whose values it
 *    does not list, so none is given).
 */
export async function leaveGroup(tx: Executor, channel: ChannelRow, from: string, groupId: string): Promise<{ group: GroupRow; outcome: LeaveOutcome; item: Record<string, unknown> }> {
  const g = await tx.selectFrom('groups').selectAll().where('id', '=', groupId).where('channel_id', '=', channel.id).executeTakeFirst();
  if (!g) throw noGroup(groupId);
  const p = await tx.selectFrom('group_participants').selectAll().where('group_id', '=', g.id).where('wa_id', '=', from).executeTakeFirst();
  if (!p) throw metaError(400, 131009, 'Parameter value is not valid', `from: ${from} is not a participant of this group and has not asked to join it`);
  await tx.deleteFrom('group_participants').where('group_id', '=', g.id).where('wa_id', '=', from).execute();
  if (p.state === 'requested') {
    const joinRequestId = p.join_request_id ?? '';
    return { group: g, outcome: { state: 'request_revoked', joinRequestId }, item: { group_id: g.id, type: 'group_join_request_revoked', join_request_id: joinRequestId, wa_id: from } };
  }
  return { group: g, outcome: { state: 'left' }, item: { group_id: g.id, type: 'group_participants_remove', initiated_by: 'participant', removed_participants: [{ wa_id: from }] } };
}

/**
 * The group_settings_update item for an update the business made (POST /groups/{id}): one object
 * per setting changed, each with `update_successful` (Meta's "Group settings update succeed"). A
 * profile picture naming media of this number shows its type and sha256; any other picture
 * (Meta's is an uploaded file, which the sandbox does not keep) only that it was updated.
 */
export async function settingsUpdateItem(
  deps: Deps,
  channel: ChannelRow,
  groupId: string,
  requestId: string,
  u: { subject?: string; description?: string; profilePicture?: string },
): Promise<Record<string, unknown>> {
  let picture: Record<string, unknown> | undefined;
  if (u.profilePicture !== undefined) {
    const media = await liveMedia(deps, channel.id, u.profilePicture);
    picture = { ...(media ? { mime_type: media.mime_type, sha256: media.sha256 } : {}), update_successful: true };
  }
  return {
    group_id: groupId,
    type: 'group_settings_update',
    request_id: requestId,
    ...(picture ? { profile_picture: picture } : {}),
    ...(u.subject !== undefined ? { group_subject: { text: u.subject, update_successful: true } } : {}),
    ...(u.description !== undefined ? { group_description: { text: u.description, update_successful: true } } : {}),
  };
}

export const STATUS_TYPES = ['group_suspend', 'group_suspend_cleared'] as const;

/** The sandbox's group status body (Meta suspending a group, or clearing it): `{"group_id":"<id>","type":"group_suspend"|"group_suspend_cleared"}`. */
export function parseGroupStatus(raw: unknown): { groupId: string; type: (typeof STATUS_TYPES)[number] } {
  if (!isObj(raw)) throw fail('body', 'must be a JSON object');
  onlyKeys(raw, 'body', ['group_id', 'type']);
  if (raw.group_id === undefined) throw fail('group_id', 'is required');
  const groupId = str(raw.group_id, 'group_id', { max: 256 });
  if (raw.type === undefined) throw fail('type', `is required (${STATUS_TYPES.join(' or ')})`);
  return { groupId, type: oneOf(raw.type, 'type', STATUS_TYPES) };
}

/**
 * Meta suspends a group of the channel's, or clears its suspension, in tx: the group's `suspended`
 * changes and the group_status_update item comes back (Meta's "Group suspended" and "Group
 * suspension cleared": only type and group_id). A group in that state already: 409.
 */
export async function setGroupStatus(tx: Executor, channel: ChannelRow, groupId: string, type: (typeof STATUS_TYPES)[number]): Promise<Record<string, unknown>> {
  const g = await tx.selectFrom('groups').select(['id', 'suspended']).where('id', '=', groupId).where('channel_id', '=', channel.id).executeTakeFirst();
  if (!g) throw noGroup(groupId);
  const suspend = type === 'group_suspend';
  if ((g.suspended === 1) === suspend) throw metaError(409, 131009, 'Parameter value is not valid', suspend ? 'the group is suspended already' : 'the group is not suspended');
  await tx.updateTable('groups').set({ suspended: suspend ? 1 : 0 }).where('id', '=', g.id).execute();
  return { type, group_id: g.id };
}
