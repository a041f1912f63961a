// The Groups API of a number on Meta's network is Meta's: its groups live at Meta, so each route of
// routes/groups.ts asks Meta's Graph API with the number's token, and the client gets Meta's answer
// (or Meta's error, graph-errors.ts), as the other proxies do (profile-proxy.ts, templates-proxy.ts):
//
//   GET    /groups                        → GET    /{phone-number-id}/groups?limit&after&before (paging URLs ours)
//   POST   /groups                        → POST   /{phone-number-id}/groups
//   GET    /groups/{id}?fields=           → GET    /{group-id}?fields=
//   POST   /groups/{id}                   → POST   /{group-id}
//   DELETE /groups/{id}                   → DELETE /{group-id}
//   GET    /groups/{id}/invite_link       → GET    /{group-id}/invite_link
//   POST   /groups/{id}/invite_link       → POST   /{group-id}/invite_link
//   DELETE /groups/{id}/participants      → DELETE /{group-id}/participants (with its body)
//   GET    /groups/{id}/join_requests     → GET    /{group-id}/join_requests
//   POST   /groups/{id}/join_requests     → POST   /{group-id}/join_requests
//   DELETE /groups/{id}/join_requests     → DELETE /{group-id}/join_requests
//
// Bodies go as the client wrote them (a JSON object; Meta checks its fields). Nothing is stored:
// Meta reports the groups' changes in its group webhooks, which reach the channel's webhook
// (notification.ts NUMBER_EVENT_FIELDS).
import { invalidParameter } from '../../messaging/errors.ts';
import { isGroupId } from '../../messaging/groups.ts';
import { graphNodeNotFound } from '../../messaging/media/not-found.ts';
import { isObj } from '../../messaging/validate/check.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { withCallerPaging, type CallerPageUrl } from '../../messaging/page-links.ts';

export type GroupEdge = 'invite_link' | 'participants' | 'join_requests';

/**
 * The number a group id names, when it can be read: Meta's group ids are base64 of
 * `capi_group:<the number's digits>:<id>` (Meta's examples, e.g. Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAz…;
 * messaging/groups.ts). Undefined when the id does not read so (then Meta alone judges it).
 */
export function groupNumberOf(groupId: string): string | undefined {
  let text: string;
  try {
    text = Buffer.from(groupId, 'base64url').toString('latin1');
  } catch {
    return undefined;
  }
  return /^capi_group:(\d{6,15}):/.exec(text)?.[1];
}

/**
 * The group id as a Graph path segment, scoped to the channel: an id that is no group id (our
 * pattern: base64url characters only, so never a path of its own) is Graph's "does not exist"
 * 400, and so is a group id naming another number (one system-user token may serve several
 * tenants' numbers: the token alone would let one number's key reach another's group). An id
 * whose number cannot be read is left to Meta. The channel's number is Meta's once Meta was asked
 * at the attach (number-check.ts); a channel attached with "verify": false keeps the number it had,
 * and its groups are refused here until it is attached with the check.
 */
function scopedGroupId(channel: ChannelRow, groupId: string, method: string): string {
  if (!isGroupId(groupId)) throw graphNodeNotFound(method, groupId);
  const own = (channel.phone_number ?? '').replace(/\D/g, '');
  const named = groupNumberOf(groupId);
  if (named !== undefined && own !== '' && named !== own) throw graphNodeNotFound(method, groupId);
  return groupId;
}

function objectBody(body: unknown, what: string): GraphObject {
  if (!isObj(body)) throw invalidParameter(`body: must be a JSON object (${what})`);
  return body;
}

/** GET /groups: Meta's `{data:{groups:[…]}, paging}` with its paging URLs the caller's (page-links.ts). */
export async function listMetaGroups(api: MetaCloudApi, channel: ChannelRow, q: { limit?: string; after?: string; before?: string }, pageUrl: CallerPageUrl): Promise<GraphObject> {
  const page = await api.json(channel, 'GET', (c) => withQuery(`${c.phoneNumberId}/groups`, { limit: q.limit, after: q.after, before: q.before }));
  return withCallerPaging(page, pageUrl);
}

/** POST /groups: Meta creates the group (its invite link comes in a group_lifecycle_update webhook). */
export function createMetaGroup(api: MetaCloudApi, channel: ChannelRow, body: unknown): Promise<GraphObject> {
  const json = objectBody(body, 'messaging_product, subject, description, join_approval_mode');
  return api.json(channel, 'POST', (c) => `${c.phoneNumberId}/groups`, { json });
}

/**
 * One request about a group (its node, or one of its edges): `GET|POST|DELETE /{group-id}[/edge]`.
 * A GET passes `fields` on; a POST or DELETE its body when it has one (a POST without one, e.g.
 * resetting the invite link, goes without).
 */
export function metaGroupRequest(
  api: MetaCloudApi,
  channel: ChannelRow,
  method: 'GET' | 'POST' | 'DELETE',
  groupId: string,
  edge: GroupEdge | undefined,
  opts: { fields?: string; body?: unknown } = {},
): Promise<GraphObject> {
  const id = scopedGroupId(channel, groupId, method);
  const path = edge === undefined ? id : `${id}/${edge}`;
  if (method === 'GET') {
    const f = opts.fields?.trim();
    return api.json(channel, 'GET', () => (f ? withQuery(path, { fields: f }) : path));
  }
  if (opts.body === undefined || opts.body === null) {
    // Meta's removals and join-request decisions name whom they are about.
    if (edge === 'participants' || edge === 'join_requests') throw invalidParameter(`body: must be a JSON object (messaging_product and ${edge})`);
    return api.json(channel, method, () => path);
  }
  return api.json(channel, method, () => path, { json: objectBody(opts.body, edge ?? 'the group') });
}

/** Whether a channel's Groups API requests go to Meta. */
export const groupsAtMeta = (channel: ChannelRow): boolean => channel.network === 'meta' && channel.hosting_type !== 'onpremise';
