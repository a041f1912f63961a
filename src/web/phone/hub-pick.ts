// A signed-in Partner Hub user opens the sandbox phone on one of their partner's sandbox channels
// without typing a key. This lives under /hub because the hub session cookie is scoped to /hub;
// picking a channel here starts a phone session (cookie scoped to /sandbox/phone) and goes there.
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { findChannel } from '../../services/channels.ts';
import { renderPage } from '../render.ts';
import { currentHubSession } from '../hub/context.ts';
import { checkCsrf } from '../sessions.ts';
import { startChannelSession, unusable } from './session.ts';

export const HUB_PICK_PATH = '/hub/sandbox-phone';

export const hubPickRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(HUB_PICK_PATH, async (request, reply) => {
    const s = await currentHubSession(deps, request);
    if (!s) {
      return renderPage(reply, 'phone/hub-pick', { title: 'Sandbox phone: your channels', signedIn: false, channels: [], styles: ['/assets/phone.css'] }, 401);
    }
    const channels = await deps.db.kysely
      .selectFrom('channels')
      .select(['id', 'phone_number', 'phone_name', 'created_at'])
      .where('partner_id', '=', s.subject.partnerId)
      .where('network', '=', 'sandbox')
      .where('terminated_at', 'is', null)
      .where('status', '!=', 'terminated')
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(200)
      .execute();
    return renderPage(reply, 'phone/hub-pick', {
      title: 'Sandbox phone: your channels',
      signedIn: true,
      styles: ['/assets/phone.css'],
      channels,
      partnerId: s.subject.partnerId,
      csrf: s.csrfToken,
    });
  });

  app.post(HUB_PICK_PATH, async (request, reply) => {
    const s = await currentHubSession(deps, request);
    if (!s) throw new ApiError(401, 'Sign in to the Partner Hub first.');
    const form = (request.body ?? {}) as Record<string, unknown>;
    if (!checkCsrf(s, form._csrf)) throw new ApiError(403, 'This form has expired: reload the page and try again.');
    const id = typeof form.channel_id === 'string' && form.channel_id.length <= 64 ? form.channel_id : '';
    // Only this partner's channels: another partner's channel id is "not found".
    const channel = id ? await findChannel(deps, s.subject.partnerId, id) : undefined;
    if (!channel) throw new ApiError(404, 'No such channel among your channels.');
    const why = unusable(channel);
    if (why) throw new ApiError(403, why);
    // The phone cookie is scoped to /sandbox/phone, so an older phone session cannot be read
    // here; the new cookie replaces it and the old row expires.
    await startChannelSession(deps, reply, undefined, channel, { hub: true });
    return reply.redirect('/sandbox/phone', 303);
  });
};
