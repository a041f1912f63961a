// Meta's Groups API at 360dialog's root paths (messaging/groups.ts has the rules and sources), and
// so also at Graph's `/{version}/{phone-number-id}/groups` and `/{version}/{group-id}/…`
// (graph-paths.ts rewrites both to these routes):
//
//   GET    /groups?limit&after&before          active groups: {data:{groups:[{id,subject,created_at}]},paging}
//   POST   /groups                             create: {messaging_product,subject,description?,join_approval_mode?}
//   GET    /groups/{id}?fields=                the group node
//   POST   /groups/{id}                        update subject, description (profile picture accepted, not kept)
//   DELETE /groups/{id}                        delete
//   GET    /groups/{id}/invite_link            {messaging_product, invite_link}
//   POST   /groups/{id}/invite_link            reset it (the old link stops working)
//   DELETE /groups/{id}/participants           remove: {messaging_product, participants:[{user}]}
//   GET    /groups/{id}/join_requests          open join requests
//   POST   /groups/{id}/join_requests          approve: {messaging_product, join_requests:[ids]}
//   DELETE /groups/{id}/join_requests          reject (the same body)
//   POST   /sandbox/v1/group_join              a simulated user opens the invite link (openwaba's)
//   POST   /sandbox/v1/group_leave             a simulated participant leaves, or withdraws a join request (openwaba's)
//   POST   /sandbox/v1/group_status            Meta suspends a group or clears it (openwaba's: group_status_update)
//   (a participant writes to the group: POST /sandbox/v1/inbound with group_id, routes/sandbox.ts)
//
// A number on Meta's network asks Meta for each of these (network/meta/groups-proxy.ts: the same
// Graph paths, Meta's answers and errors passed on); the /sandbox/v1/ routes stay sandbox-only.
//
// Meta creates a group asynchronously and sends its invite link in a group_lifecycle_update
// webhook; the create answers the new group's id (360dialog) and a request_id (Meta's webhooks
// name the request): both, so a client reading either finds its own. Answers of the other writes
// are `{"success":true}` where the sources show none of their own.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { isoNow } from '../../clock.ts';
import { metaError } from '../errors.ts';
import { askedFields, fieldsParam, nonexistingField } from '../graph-node-fields.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { callerPageUrl, requestOrigin } from '../page-links.ts';
import { emitGroupEvent } from '../group-webhooks.ts';
import { encodeGraphCursor, graphCursorPage, graphPaging } from '../graph-params.ts';
import {
  GROUP_FIELDS,
  MAX_PARTICIPANTS,
  lockGroup,
  assertGroupsChannel,
  groupFull,
  groupNode,
  groupOf,
  insertGroup,
  joinGroup,
  inviteLink,
  memberCount,
  parseCreateGroup,
  parseJoin,
  parseJoinRequests,
  parseRemoveParticipants,
  parseUpdateGroup,
  participantsOf,
  requestId,
} from '../groups.ts';
import { base62 } from '../../ids.ts';
import { createMetaGroup, groupsAtMeta, listMetaGroups, metaGroupRequest, type GroupEdge } from '../../network/meta/groups-proxy.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { leaveGroup, parseGroupStatus, parseLeave, setGroupStatus, settingsUpdateItem } from '../group-inbound.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Groups'];
const config = { flavour: 'cloud' as const };
const GroupParams = Type.Object({ group_id: Type.String({ maxLength: 256 }) });
const Paging = Type.Object({
  limit: Type.Optional(Type.String({ maxLength: 16, description: 'page size, 1 to 1024 (default 25)' })),
  after: Type.Optional(Type.String({ maxLength: 512 })),
  before: Type.Optional(Type.String({ maxLength: 512 })),
});
const Fields = Type.Object({ fields: Type.Optional(Type.String({ maxLength: 1024 })) });
const AnyBody = Type.Unknown();
const MAX_PAGE = 1024;

const GROUP_CURSOR = { prefix: 'g', key: /^[A-Za-z0-9_-]{1,256}$/, max: MAX_PAGE };

export const groupRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  const db = deps.db.kysely;
  const now = () => deps.clock.now();
  const channelOf = (request: FastifyRequest) => {
    const ch = request.channel!;
    assertGroupsChannel(ch);
    return ch;
  };
  const idOf = (request: FastifyRequest) => (request.params as { group_id: string }).group_id;
  /** The channel when its groups are Meta's (a Cloud number on Meta's network), else undefined. */
  const atMeta = (request: FastifyRequest): ChannelRow | undefined => (groupsAtMeta(request.channel!) ? request.channel! : undefined);
  /** A request about one group, for a number on Meta's network: Meta's answer. */
  const toMeta = (request: FastifyRequest, ch: ChannelRow, edge?: GroupEdge) =>
    metaGroupRequest(meta, ch, request.method as 'GET' | 'POST' | 'DELETE', idOf(request), edge, {
      fields: (request.query as { fields?: string } | undefined)?.fields,
      body: request.body,
    });

  app.get('/groups', { config, schema: { tags, security, summary: "The number's active groups, paged with Graph cursors", querystring: Paging } }, async (request) => {
    const q = request.query as { limit?: string; after?: string; before?: string };
    const m = atMeta(request);
    if (m) return listMetaGroups(meta, m, q, callerPageUrl(request, deps.config.publicUrl));
    const ch = channelOf(request);
    const { limit, after, before } = graphCursorPage(q, GROUP_CURSOR);
    let sel = db.selectFrom('groups').select(['id', 'subject', 'created_at']).where('channel_id', '=', ch.id);
    if (after !== undefined) sel = sel.where('id', '>', after);
    if (before !== undefined) sel = sel.where('id', '<', before);
    const rows = await sel.orderBy('id', before !== undefined ? 'desc' : 'asc').limit(limit + 1).execute();
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    if (before !== undefined) page.reverse();
    const groups = page.map((r) => ({ id: r.id, subject: r.subject, created_at: Math.floor(Date.parse(r.created_at) / 1000) }));
    if (page.length === 0) return { data: { groups }, paging: { cursors: {} } };
    const first = encodeGraphCursor('g', page[0]!.id);
    const last = encodeGraphCursor('g', page[page.length - 1]!.id);
    // paging.next/previous: the URL the caller used, its query kept, with the cursor (page-links.ts).
    const url = callerPageUrl(request, requestOrigin(request));
    const pageUrl = (cursor: { after?: string; before?: string }, n: number) => url({ limit: String(n), ...cursor });
    return { data: { groups }, paging: graphPaging({ first, last, more, after, before, limit, pageUrl }) };
  });

  app.post('/groups', { config, schema: { tags, security, summary: 'Create a group (its invite link comes in a group_lifecycle_update webhook)', body: AnyBody } }, async (request) => {
    const m = atMeta(request);
    if (m) return createMetaGroup(meta, m, request.body);
    const ch = channelOf(request);
    const g = parseCreateGroup(request.body);
    const at = now();
    const reqId = requestId();
    const row = await db.transaction().execute(async (tx) => {
      const created = await insertGroup(deps, tx, ch, g, at.toISOString());
      await emitGroupEvent(deps, tx, ch, 'group_lifecycle_update', {
        group_id: created.id,
        type: 'group_create',
        request_id: reqId,
        subject: created.subject,
        ...(created.description !== null ? { description: created.description } : {}),
        invite_link: inviteLink(created),
        join_approval_mode: created.join_approval_mode,
      }, at);
      return created;
    });
    return { messaging_product: 'whatsapp', id: row.id, request_id: reqId };
  });

  app.get('/groups/:group_id', { config, schema: { tags, security, summary: 'A group: subject, description, participants, …', params: GroupParams, querystring: Fields } }, async (request) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m);
    const ch = channelOf(request);
    const g = await groupOf(deps, ch, idOf(request), 'GET');
    const fields = askedFields(fieldsParam(request), GROUP_FIELDS);
    for (const f of fields) if (!(GROUP_FIELDS as readonly string[]).includes(f)) throw nonexistingField('Group', 'a group', f, GROUP_FIELDS);
    return groupNode(db, g, fields);
  });

  app.post('/groups/:group_id', { config, schema: { tags, security, summary: "Update a group's subject, description or profile picture", params: GroupParams, body: AnyBody } }, async (request) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m);
    const ch = channelOf(request);
    const u = parseUpdateGroup(request.body);
    // parseUpdateGroup checked it is a string when given.
    const profilePicture = (request.body as { profile_picture_file?: string }).profile_picture_file;
    const id = idOf(request);
    const at = now();
    await db.transaction().execute(async (tx) => {
      const g = await groupOf(deps, ch, id, 'POST', tx);
      const set = { ...(u.subject !== undefined ? { subject: u.subject } : {}), ...(u.description !== undefined ? { description: u.description } : {}) };
      if (Object.keys(set).length > 0) await tx.updateTable('groups').set(set).where('id', '=', g.id).execute();
      // Meta applies the update asynchronously and reports each setting in a group_settings_update webhook (group-inbound.ts).
      await emitGroupEvent(deps, tx, ch, 'group_settings_update', await settingsUpdateItem(deps, ch, g.id, requestId(), { ...u, ...(profilePicture !== undefined ? { profilePicture } : {}) }), at);
    });
    return { success: true };
  });

  app.delete('/groups/:group_id', { config, schema: { tags, security, summary: 'Delete a group (its participants are removed)', params: GroupParams } }, async (request) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m);
    const ch = channelOf(request);
    const id = idOf(request);
    const at = now();
    await db.transaction().execute(async (tx) => {
      const g = await groupOf(deps, ch, id, 'DELETE', tx);
      await tx.deleteFrom('group_participants').where('group_id', '=', g.id).execute();
      await tx.deleteFrom('groups').where('id', '=', g.id).execute();
      await emitGroupEvent(deps, tx, ch, 'group_lifecycle_update', { group_id: g.id, type: 'group_delete', request_id: requestId() }, at);
    });
    return { success: true };
  });

  app.get('/groups/:group_id/invite_link', { config, schema: { tags, security, summary: "The group's invite link", params: GroupParams } }, async (request) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m, 'invite_link');
    const g = await groupOf(deps, channelOf(request), idOf(request), 'GET');
    return { messaging_product: 'whatsapp', invite_link: inviteLink(g) };
  });

  app.post('/groups/:group_id/invite_link', { config, schema: { tags, security, summary: 'Reset the invite link (the old one stops working)', params: GroupParams, body: Type.Optional(AnyBody) } }, async (request) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m, 'invite_link');
    const g = await groupOf(deps, channelOf(request), idOf(request), 'POST');
    const invite_code = base62(22);
    await db.updateTable('groups').set({ invite_code }).where('id', '=', g.id).execute();
    return { messaging_product: 'whatsapp', invite_link: inviteLink({ invite_code }) };
  });

  app.delete('/groups/:group_id/participants', { config, schema: { tags, security, summary: 'Remove participants from a group', params: GroupParams, body: AnyBody } }, async (request) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m, 'participants');
    const ch = channelOf(request);
    const users = parseRemoveParticipants(request.body);
    const id = idOf(request);
    const at = now();
    await db.transaction().execute(async (tx) => {
      const g = await groupOf(deps, ch, id, 'DELETE', tx);
      const members = new Set((await participantsOf(tx, g.id, 'member')).map((m) => m.wa_id));
      const missing = users.find((u) => !members.has(u.waId));
      if (missing) throw metaError(400, 131009, 'Parameter value is not valid', `participants: ${missing.input} is not a participant of this group`);
      await tx.deleteFrom('group_participants').where('group_id', '=', g.id).where('state', '=', 'member').where('wa_id', 'in', users.map((u) => u.waId)).execute();
      await emitGroupEvent(deps, tx, ch, 'group_participants_update', {
        group_id: g.id,
        type: 'group_participants_remove',
        request_id: requestId(),
        initiated_by: 'business',
        removed_participants: users.map((u) => ({ input: u.input, wa_id: u.waId })),
      }, at);
    });
    return { success: true };
  });

  app.get('/groups/:group_id/join_requests', { config, schema: { tags, security, summary: "The group's open join requests", params: GroupParams } }, async (request) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m, 'join_requests');
    const g = await groupOf(deps, channelOf(request), idOf(request), 'GET');
    const open = await participantsOf(db, g.id, 'requested');
    return { data: open.map((r) => ({ join_request_id: r.join_request_id, wa_id: r.wa_id, creation_timestamp: Math.floor(Date.parse(r.created_at) / 1000) })), paging: { cursors: {} } };
  });

  const decide = (approve: boolean) => async (request: FastifyRequest) => {
    const m = atMeta(request);
    if (m) return toMeta(request, m, 'join_requests');
    const ch = channelOf(request);
    const ids = parseJoinRequests(request.body);
    const id = idOf(request);
    const at = now();
    return db.transaction().execute(async (tx) => {
      const g = await groupOf(deps, ch, id, request.method, tx);
      await lockGroup(deps, tx, g.id);
      const open = new Map((await participantsOf(tx, g.id, 'requested')).map((r) => [r.join_request_id!, r]));
      const unknown = ids.find((j) => !open.has(j));
      if (unknown !== undefined) throw metaError(400, 131009, 'Parameter value is not valid', `join_requests: ${unknown.slice(0, 64)} is not an open join request of this group`);
      const users = [...new Set(ids)].map((j) => open.get(j)!.wa_id);
      if (approve) {
        if ((await memberCount(tx, g.id)) + users.length > MAX_PARTICIPANTS) throw groupFull();
        await tx.updateTable('group_participants').set({ state: 'member', join_request_id: null, created_at: at.toISOString() }).where('group_id', '=', g.id).where('wa_id', 'in', users).execute();
        await emitGroupEvent(deps, tx, ch, 'group_participants_update', { group_id: g.id, type: 'group_participants_add', reason: 'join_request', added_participants: users.map((wa_id) => ({ wa_id })) }, at);
        return { messaging_product: 'whatsapp', approved_join_requests: ids };
      }
      await tx.deleteFrom('group_participants').where('group_id', '=', g.id).where('state', '=', 'requested').where('wa_id', 'in', users).execute();
      return { messaging_product: 'whatsapp', rejected_join_requests: ids };
    });
  };
  app.post('/groups/:group_id/join_requests', { config, schema: { tags, security, summary: 'Approve join requests', params: GroupParams, body: AnyBody } }, (request) => decide(true)(request));
  app.delete('/groups/:group_id/join_requests', { config, schema: { tags, security, summary: 'Reject join requests', params: GroupParams, body: AnyBody } }, (request) => decide(false)(request));

  // The sandbox's simulated user opening a group's invite link: joins (auto_approve) or asks to
  // join (approval_required), and the number's webhook gets group_participants_update.
  app.post(
    '/sandbox/v1/group_join',
    {
      config,
      schema: {
        tags: ['Sandbox (extension)'],
        security,
        summary: 'A simulated user joins a group through its invite link (or asks to join, when the group requires approval)',
        description: '{"from":"<number>","invite_link":"https://chat.whatsapp.com/<code>"} (or "group_id" instead of the link; "type":"group_join" may be given).',
        body: AnyBody,
      },
    },
    async (request) => {
      const ch = channelOf(request);
      const j = parseJoin(request.body);
      const at = now();
      return db.transaction().execute((tx) => joinGroup(deps, tx, ch, j, at));
    },
  );
  // The sandbox's simulated participant leaving the group (or withdrawing their join request): the
  // number's webhook gets group_participants_update (group-inbound.ts has the shapes).
  app.post(
    '/sandbox/v1/group_leave',
    {
      config,
      schema: {
        tags: ['Sandbox (extension)'],
        security,
        summary: 'A simulated participant leaves a group (or withdraws their request to join it)',
        description: '{"from":"<number>","group_id":"<id>"} ("type":"group_leave" may be given). Answers the outcome: state "left" or "request_revoked".',
        body: AnyBody,
      },
    },
    async (request) => {
      const ch = channelOf(request);
      const l = parseLeave(request.body);
      const at = now();
      return db.transaction().execute(async (tx) => {
        const { group, outcome, item } = await leaveGroup(tx, ch, l.from, l.groupId);
        await emitGroupEvent(deps, tx, ch, 'group_participants_update', item, at);
        return { group_id: group.id, wa_id: l.from, ...(outcome.state === 'left' ? { state: 'left' } : { state: 'request_revoked', join_request_id: outcome.joinRequestId }) };
      });
    },
  );
  // The sandbox standing in for Meta suspending a group (or clearing the suspension): the number's
  // webhook gets group_status_update; a suspended group takes no messages and no joins.
  app.post(
    '/sandbox/v1/group_status',
    {
      config,
      schema: {
        tags: ['Sandbox (extension)'],
        security,
        summary: 'Meta suspends a group, or clears its suspension (a group_status_update webhook)',
        description: '{"group_id":"<id>","type":"group_suspend"|"group_suspend_cleared"}. While suspended, sends to the group, its participants\' messages and joins are refused.',
        body: AnyBody,
      },
    },
    async (request) => {
      const ch = channelOf(request);
      const s = parseGroupStatus(request.body);
      const at = now();
      return db.transaction().execute(async (tx) => {
        const item = await setGroupStatus(tx, ch, s.groupId, s.type);
        await emitGroupEvent(deps, tx, ch, 'group_status_update', item, at);
        return { group_id: s.groupId, suspended: s.type === 'group_suspend' };
      });
    },
  );
};
