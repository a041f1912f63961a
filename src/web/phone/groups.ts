// Groups on the sandbox phone (Meta's Groups API, messaging/groups.ts and group-inbound.ts): the
// chat page lists the groups the user is in (or asked to join) and has a form to join one by its
// invite link; a group's page shows its messages, the business's sends and its participants' messages,
// each with its sender, and lets the user write to it and leave it. The same module functions as
// POST /sandbox/v1/group_join, /sandbox/v1/inbound with group_id and /sandbox/v1/group_leave, so
// the number's webhook gets what it gets from those. Every action is a CSRF-checked form that
// works without JavaScript (post, then 303 to a page).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError, toApiError } from '../../errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { groupMessages, groupsOfUser, joinGroup, parseJoin } from '../../messaging/groups.ts';
import { leaveGroup, receiveGroupMessage } from '../../messaging/group-inbound.ts';
import { emitGroupEvent } from '../../messaging/group-webhooks.ts';
import { renderPage } from '../render.ts';
import { userFacts } from '../user-view.ts';
import { field, textMessage } from './actions.ts';
import { bubbleOf } from './bubbles.ts';
import { templateFor } from './conversation.ts';
import { phoneUserOf, type PhoneRouteHelpers, type PhoneState, type PhoneUser } from './session.ts';

const HOME = '/sandbox/phone';
const groupPath = (id: string) => `${HOME}/groups/${encodeURIComponent(id)}`;

const who = phoneUserOf;

/** The group id of the path: a group of this channel the user is in (or asked to join), else 404. */
async function myGroup(deps: Deps, channel: ChannelRow, user: PhoneUser, raw: unknown) {
  const id = typeof raw === 'string' && raw.length <= 256 ? raw : '';
  const g = (await groupsOfUser(deps.db.kysely, channel.id, user.waId)).find((x) => x.id === id);
  if (!g) throw new ApiError(404, 'You are not in that group (or it no longer exists).');
  return g;
}

/** A group message as the phone draws it: a bubble with its sender. */
async function groupView(deps: Deps, channel: ChannelRow, user: PhoneUser, groupId: string) {
  const rows = await groupMessages(deps.db.kysely, channel.id, groupId);
  const facts = await userFacts(deps, channel.id, rows.filter((m) => m.direction === 'inbound').map((m) => m.wa_id));
  const business = channel.phone_name || `+${channel.phone_number}`;
  const cache = new Map<string, string | null>();
  const out = [];
  for (const m of rows) {
    const b = bubbleOf(m, m.direction === 'outbound' ? await templateFor(deps, channel, m, cache) : undefined);
    const f = facts.get(m.wa_id);
    // Another participant: their name, and their number unless they hide it (then their username).
    const sender =
      m.direction === 'outbound' ? business : m.wa_id === user.waId ? 'You' : `${f?.name ?? 'User ' + m.wa_id.slice(-4)} (${f?.hidesNumber && f.username ? '@' + f.username : '+' + m.wa_id})`;
    out.push({ ...b, from: m.direction === 'outbound' ? 'business' : m.wa_id === user.waId ? 'user' : 'member', sender });
  }
  return out;
}

export function groupRoutes(app: FastifyInstance, deps: Deps, h: PhoneRouteHelpers): void {
  async function page(request: FastifyRequest, reply: FastifyReply, s: PhoneState, groupId: unknown, opts: { error?: string; status?: number; body?: string } = {}) {
    const { channel, user } = who(s);
    const g = await myGroup(deps, channel, user, groupId);
    const messages = g.state === 'member' ? await groupView(deps, channel, user, g.id) : [];
    return renderPage(
      reply,
      'phone/group',
      {
        title: `Group: ${g.subject}`,
        styles: ['/assets/phone.css'],
        csrf: s.session!.csrfToken,
        group: { ...g, path: groupPath(g.id) },
        user,
        business: channel.phone_name || `+${channel.phone_number}`,
        messages,
        error: opts.error,
        draft: opts.body ?? '',
      },
      opts.status ?? 200,
    );
  }

  app.get<{ Params: { id: string } }>(`${HOME}/groups/:id`, async (request, reply) => page(request, reply, await h.state(request), request.params.id));

  // Join by the invite link (or its bare code), as POST /sandbox/v1/group_join does.
  app.post(`${HOME}/groups/join`, async (request, reply) => {
    const { s, form } = await h.posted(request);
    const { channel, user } = who(s);
    const link = field(form, 'invite_link', { label: 'The invite link', max: 256, required: true });
    let j: ReturnType<typeof parseJoin>;
    try {
      j = parseJoin({ from: user.waId, invite_link: link });
    } catch {
      throw new ApiError(400, 'The invite link must be a group invite link (https://chat.whatsapp.com/…) or its code.');
    }
    const r = await deps.db.kysely.transaction().execute((tx) => joinGroup(deps, tx, channel, j, deps.clock.now()));
    return reply.redirect(r.state === 'member' ? groupPath(r.group_id) : HOME, 303);
  });

  // Write to the group, as POST /sandbox/v1/inbound with group_id does; a refusal shows on the group's page, the draft kept.
  app.post<{ Params: { id: string } }>(`${HOME}/groups/:id/text`, async (request, reply) => {
    const { s, form } = await h.posted(request);
    const { channel, user } = who(s);
    const g = await myGroup(deps, channel, user, request.params.id);
    try {
      await receiveGroupMessage(deps, channel, g.id, { from: user.waId, name: user.name, ...textMessage(form) });
    } catch (err) {
      const e = toApiError(err);
      if (e.status >= 500) throw err;
      const body = typeof form.body === 'string' && form.body.length <= 4096 ? form.body : '';
      return page(request, reply, s, g.id, { error: e.message, status: e.status, body });
    }
    return reply.redirect(groupPath(g.id), 303);
  });

  // Leave the group (or withdraw the request to join it), as POST /sandbox/v1/group_leave does.
  app.post<{ Params: { id: string } }>(`${HOME}/groups/:id/leave`, async (request, reply) => {
    const { s } = await h.posted(request);
    const { channel, user } = who(s);
    const g = await myGroup(deps, channel, user, request.params.id);
    const at = deps.clock.now();
    await deps.db.kysely.transaction().execute(async (tx) => {
      const { item } = await leaveGroup(tx, channel, user.waId, g.id);
      await emitGroupEvent(deps, tx, channel, 'group_participants_update', item, at);
    });
    return reply.redirect(HOME, 303);
  });
}
