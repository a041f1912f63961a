// Calls on the sandbox phone (the Calling API, messaging/sandbox-user-calls.ts): a business call to the user
// rings on the page (Accept → the user picks up: connect webhook with an SDP answer, ACCEPTED;
// Decline → REJECTED and a FAILED terminate), a call under way can be hung up, and the user can
// call the business (a connect webhook with an SDP offer) when the number takes calls. Each action
// is a CSRF-checked form that works without JavaScript (post, then 303 back to the page).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError, toApiError } from '../../errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { readCallingSettings } from '../../messaging/calling-settings.ts';
import { liveCallWith, userAcceptsCall, userCalls, userEndsCall } from '../../messaging/sandbox-user-calls.ts';
import { field, type Form } from './actions.ts';
import { phoneUserOf, type PhoneRouteHelpers, type PhoneUser } from './session.ts';

/** The call the phone shows: incoming (the business calls) or outgoing (the user does); ringing or connected. */
export interface PhoneCall {
  id: string;
  direction: 'incoming' | 'outgoing';
  state: 'ringing' | 'connected';
  /** ISO: when it was answered (connected). */
  since: string | null;
}

/**
 * The SQL text that names the user's live call in one column, for the phone's poll (conversation.ts
 * keeps that poll one query): id|direction|state|start_time, or null.
 */
export function callOf(raw: string | null | undefined): PhoneCall | null {
  if (!raw) return null;
  const [id, direction, state, start] = raw.split('|');
  if (!id) return null;
  return {
    id,
    direction: direction === 'BUSINESS_INITIATED' ? 'incoming' : 'outgoing',
    // A user's call the business pre-accepted still rings on the user's phone.
    state: state === 'accepted' ? 'connected' : 'ringing',
    since: state === 'accepted' && start ? start : null,
  };
}

/** Whether the user sees a call button: calling ENABLED, not over SIP, and the icon not hidden (call_icon_visibility DISABLE_ALL). */
export async function callButtonShown(deps: Deps, channel: ChannelRow): Promise<boolean> {
  if (channel.hosting_type === 'onpremise') return false;
  const s = await readCallingSettings(deps.db.kysely, channel.id);
  return s.status === 'ENABLED' && s.sip.status !== 'ENABLED' && s.call_icon_visibility !== 'DISABLE_ALL';
}

/** Errors of the Calling API, in the phone's words (the API's own name fields the phone's user never saw). */
function phoneError(err: unknown): never {
  const e = toApiError(err);
  if (e.status >= 500) throw err;
  if (/has ended/.test(e.message)) throw new ApiError(409, 'That call has ended.');
  if (/no call/.test(e.message)) throw new ApiError(404, 'That call is not on this phone.');
  if (/connected already|changed meanwhile/.test(e.message)) throw new ApiError(409, 'That call was answered meanwhile.');
  throw new ApiError(e.status, e.message.replace(/^[\w.]+: /, ''));
}

export function callRoutes(
  app: FastifyInstance,
  deps: Deps,
  helpers: PhoneRouteHelpers,
): void {
  const HOME = '/sandbox/phone';

  /** The phone's channel and user, or the page's usual refusals. */
  async function who(request: FastifyRequest): Promise<{ channel: ChannelRow; user: PhoneUser; form: Form }> {
    const { s, form } = await helpers.posted(request);
    return { ...phoneUserOf(s), form };
  }
  const callId = (form: Form) => field(form, 'call_id', { label: 'The call', max: 256, required: true });

  // The user calls the business.
  app.post(`${HOME}/call`, async (request, reply) => {
    const { channel, user } = await who(request);
    if (!(await callButtonShown(deps, channel))) throw new ApiError(409, 'This business takes no WhatsApp calls (calling is off for its number).');
    if (await liveCallWith(deps.db.kysely, channel.id, user.waId)) throw new ApiError(409, 'You are already in a call with this business: hang up first.');
    const call = await userCalls(deps, channel, user.waId).catch(phoneError);
    return helpers.done(request, reply, { call_id: call.id });
  });

  // Accept a business call that rings.
  app.post(`${HOME}/call/answer`, async (request, reply) => {
    const { channel, user, form } = await who(request);
    await userAcceptsCall(deps, channel, callId(form), user.waId).catch(phoneError);
    return helpers.done(request, reply);
  });

  // Decline a business call that rings, call off one's own call, or hang up a call under way.
  app.post(`${HOME}/call/end`, async (request, reply) => {
    const { channel, user, form } = await who(request);
    await userEndsCall(deps, channel, callId(form), user.waId).catch(phoneError);
    return helpers.done(request, reply);
  });
}
