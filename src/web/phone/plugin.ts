// The sandbox phone (/sandbox/phone): be a simulated WhatsApp user of one sandbox channel. Pick
// the channel (its D360-API-KEY, or from the Partner Hub), pick who you are, then chat with the
// business: write, share a location, react, tap buttons. Every action is a CSRF-checked form
// that works with a full page reload; /assets/phone.js enhances it and keeps the chat live.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { Deps } from '../../deps.ts';
import { ApiError, toApiError } from '../../errors.ts';
import { channelForApiKey } from '../../messaging/auth.ts';
import { receiveInbound } from '../../messaging/inbound.ts';
import { requestWelcome, welcomeEnabled } from '../../messaging/request-welcome.ts';
import { checkCsrf } from '../sessions.ts';
import { field, locationMessage, parseUser, reactionMessage, replyMessage, textMessage, type Form, type Outgoing } from './actions.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { conversationState, loadConversation } from './conversation.ts';
import { hubPickRoutes } from './hub-pick.ts';
import { flowRunnerRoutes } from './flow-routes.ts';
import { callRoutes } from './calls.ts';
import { groupRoutes } from './groups.ts';
import { payRoutes } from './pay.ts';
import { renderPhone, withSignatures } from './render.ts';
import { ensurePhoneSession, leavePhone, readPhone, setPhoneUser, startChannelSession, unusable, type PhoneState, type PhoneUser } from './session.ts';

const HOME = '/sandbox/phone';
const states = new WeakMap<FastifyRequest, PhoneState>();

function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}

function formOf(body: unknown): Form {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Form) : {};
}

const expired = () => new ApiError(403, 'This form has expired: reload the page and try again.');

const phoneRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function state(request: FastifyRequest): Promise<PhoneState> {
    const s = await readPhone(deps, request);
    states.set(request, s);
    return s;
  }

  /** A form post of this session: CSRF checked first, whatever else the form holds. */
  async function posted(request: FastifyRequest): Promise<{ s: PhoneState; form: Form }> {
    const s = await state(request);
    const form = formOf(request.body);
    if (!checkCsrf(s.session, form._csrf)) throw expired();
    return { s, form };
  }

  /** JSON for the script; otherwise back to the page (whose composer has autofocus). */
  function done(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
    if (wantsJson(request)) return reply.send({ ok: true, ...extra });
    return reply.redirect(HOME, 303);
  }

  app.setErrorHandler(async (err, request, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) request.log.error({ err }, 'sandbox phone failed');
    const message = e.status >= 500 ? 'Something went wrong on our side; please try again.' : e.message;
    if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
    if (wantsJson(request)) return reply.status(e.status).header('cache-control', 'no-store').send({ error: message });
    let s = states.get(request);
    if (!s && e.status < 500) s = await readPhone(deps, request).catch(() => undefined);
    const form = formOf(request.body);
    return renderPhone(deps, reply, s ?? { session: undefined, channel: undefined }, { error: message, status: e.status, draft: form });
  });

  // Anything else under the phone's path: the phone page with a 404 message (the API's JSON 404
  // is for API paths), or JSON for the page's script.
  app.route({
    method: ['GET', 'POST'],
    url: `${HOME}/*`,
    schema: { hide: true },
    handler: async (request) => {
      throw new ApiError(404, `There is no page at ${request.url.split('?')[0]!.slice(0, 200)}`);
    },
  });

  app.get(HOME, async (request, reply) => {
    const s = await state(request);
    if (!s.session) s.session = await ensurePhoneSession(deps, reply, s);
    return renderPhone(deps, reply, s, s.problem ? { error: s.problem, status: 200 } : {});
  });

  // Pick a channel by its key. A wrong key is a 401 page; the key is never echoed back.
  app.post(`${HOME}/key`, async (request, reply) => {
    const { s, form } = await posted(request);
    const key = field(form, 'api_key', { label: 'The API key', max: 256, required: true });
    const channel = await channelForApiKey(deps, key);
    if (!channel) throw new ApiError(401, 'That API key does not belong to any channel (or was revoked).');
    const why = unusable(channel);
    if (why) throw new ApiError(403, why);
    await startChannelSession(deps, reply, s.session, channel, { apiKey: key });
    return reply.redirect(HOME, 303);
  });

  app.post(`${HOME}/user`, async (request, reply) => {
    const { s, form } = await posted(request);
    if (!s.channel || !s.session) throw new ApiError(401, s.problem ?? 'Pick a channel first.');
    const user = parseUser(form, s.channel);
    await setPhoneUser(deps, s.session, user);
    // Opening the chat: with the number's welcome message on, a user with no message yet makes
    // request_welcome (once: it is stored as their first message). A user the number blocked is not heard.
    if (await welcomeEnabled(deps, s.channel)) {
      await requestWelcome(deps, s.channel, { from: user.waId, name: user.name }, { firstOnly: true }).catch((err: unknown) => {
        if (toApiError(err).status >= 500) throw err;
      });
    }
    return done(request, reply);
  });

  app.post(`${HOME}/switch`, async (request, reply) => {
    const { s } = await posted(request);
    if (s.session) await setPhoneUser(deps, s.session, undefined);
    return done(request, reply);
  });

  app.post(`${HOME}/leave`, async (request, reply) => {
    const { s } = await posted(request);
    await leavePhone(deps, reply, s.session);
    return done(request, reply);
  });

  /** The user (of this session, on this session's channel) sends something to the business. */
  const send = (make: (channel: ChannelRow, user: PhoneUser, form: Form) => Promise<Outgoing>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { s, form } = await posted(request);
      if (!s.channel) throw new ApiError(401, s.problem ?? 'Pick a channel first.');
      const user = s.session?.subject.user;
      if (!user) throw new ApiError(400, 'Choose who you are first.');
      const msg = await make(s.channel, user, form);
      const r = await receiveInbound(deps, s.channel, { from: user.waId, name: user.name, ...msg });
      return done(request, reply, { id: r.id });
    };

  app.post(`${HOME}/text`, send(async (_s, _u, form) => textMessage(form)));
  app.post(`${HOME}/location`, send(async (_s, _u, form) => locationMessage(form)));
  app.post(`${HOME}/react`, send((channel, user, form) => reactionMessage(deps, channel, user, form)));
  app.post(`${HOME}/reply`, send((channel, user, form) => replyMessage(deps, channel, user, form)));
  // Calls: call the business, accept or decline its call, hang up (calls.ts).
  callRoutes(app, deps, { state, posted, done });
  // Orders: pay (or fail to pay) an order_details message, as POST /sandbox/v1/payments does (pay.ts).
  payRoutes(app, deps, { state, posted, done });
  // Groups: the user's groups, joining by invite link, writing to a group, leaving it (groups.ts).
  groupRoutes(app, deps, { state, posted, done });
  // A flow message opened: its screens, and the nfm_reply when completed (flow-routes.ts). Its own
  // scope reads multipart forms: a screen with a PhotoPicker or DocumentPicker posts its files.
  await app.register(async (scope) => {
    await scope.register(multipart);
    flowRunnerRoutes(scope, deps, { state, posted });
  });

  // Live updates: the script polls this about once a second. Polling rather than Server-Sent
  // Events: statuses come from jobs that may run on any instance, so an event stream would still
  // have to poll the database behind it, and would hold a connection open per phone that graceful
  // shutdown must cut. A poll is one indexed aggregate query, answered 304 when nothing moved.
  app.get(`${HOME}/messages`, async (request, reply) => {
    const s = await state(request);
    reply.header('cache-control', 'no-store');
    if (!s.channel) throw new ApiError(401, s.problem ?? 'Pick a channel first.');
    const user = s.session?.subject.user;
    if (!user) throw new ApiError(409, 'Choose who you are first.');
    const { version, typing, call } = await conversationState(deps, s.channel, user.waId);
    reply.header('etag', version);
    if (request.headers['if-none-match'] === version) return reply.status(304).send();
    // typing: until when the business shows "typing…" (a mark-as-read with typing_indicator), or null.
    // call: the user's call under way (incoming or outgoing, ringing or connected), or null.
    return { version, typing, call, items: withSignatures(await loadConversation(deps, s.channel, user.waId)) };
  });

};

/** The phone's own routes (with their error page) and, beside them, the Hub's way in. */
export const phonePages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  await app.register(phoneRoutes, { deps });
  await app.register(hubPickRoutes, { deps });
};
