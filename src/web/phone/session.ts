// The sandbox phone's session (cookie `ow_phone`, path /sandbox/phone): which channel the phone
// talks to and which simulated user it is. A channel is picked with its D360-API-KEY or by a
// signed-in Hub user of the channel's partner. The key itself never reaches the page, a URL or
// the database: the session keeps only its SHA-256 hash, to notice when the key is revoked.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import type { Form } from './actions.ts';
import type { Deps } from '../../deps.ts';
import { hashSecret } from '../../crypto.ts';
import { keyStillActive } from '../../services/channel-api-keys.ts';
import { findChannel, type ChannelRow } from '../../services/channels.ts';
import { createSession, destroySession, readSession, updateSessionSubject, type WebSession } from '../sessions.ts';
import type { ExchangeRecord } from '../../messaging/flows/endpoint-exchange.ts';

export interface PhoneUser {
  waId: string;
  name: string;
}

export interface PhoneSubject {
  /** null until a channel is picked (the session exists to carry the key form's CSRF token). */
  channelId: string | null;
  partnerId?: string;
  /** Picked by key: the key's hash. Picked in the Hub: absent. */
  keyHash?: string;
  user?: PhoneUser;
  /**
   * Why the phone lost its channel (key revoked, channel cancelled), kept until another channel
   * is picked: the request that noticed may be the script's poll, and the page it then reloads
   * must still say why, not just show the key form.
   */
  ended?: string;
  /**
   * The last exchange of a flow with its data endpoint (the flow page shows it while that flow
   * message is open): the decrypted request and answer (flow-endpoint.ts), cut to a few KB each.
   */
  flowExchange?: { messageId: string; record: ExchangeRecord };
}

export type PhoneSession = WebSession<PhoneSubject>;

export interface PhoneState {
  session: PhoneSession | undefined;
  channel: ChannelRow | undefined;
  /** Why a channel picked earlier cannot be used any more (PhoneSubject.ended). */
  problem?: string;
}

/** Why a channel cannot be used by the sandbox phone, or undefined when it can. */
export function unusable(channel: ChannelRow): string | undefined {
  if (channel.terminated_at || channel.status === 'terminated') return 'This channel is cancelled.';
  if (channel.network !== 'sandbox') return 'This channel is connected to WhatsApp (Meta), not the sandbox: the sandbox phone only simulates users of sandbox channels.';
  return undefined;
}

/** The session and its channel, re-checked on every request (key revoked, channel cancelled …). */
export async function readPhone(deps: Deps, request: FastifyRequest): Promise<PhoneState> {
  const session = await readSession<PhoneSubject>(deps, request, 'phone');
  const s = session?.subject;
  if (!session || !s?.channelId || !s.partnerId) return { session, channel: undefined, ...(typeof s?.ended === 'string' ? { problem: s.ended } : {}) };
  const channel = await findChannel(deps, s.partnerId, s.channelId);
  let why: string | undefined;
  if (!channel) why = 'Its channel no longer exists.';
  else if (s.keyHash !== undefined && !(await keyStillActive(deps, channel.id, s.keyHash))) why = "The channel's API key was revoked or replaced: enter the channel's current key to open the phone again.";
  else why = unusable(channel);
  if (why) {
    const problem = `This phone session has ended. ${why}`;
    await updateSessionSubject(deps, session, { channelId: null, ended: problem });
    return { session, channel: undefined, problem };
  }
  return { session, channel };
}

/** A session for a visitor who has none yet (its CSRF token protects the key form). */
export async function ensurePhoneSession(deps: Deps, reply: FastifyReply, state: PhoneState): Promise<PhoneSession> {
  return state.session ?? createSession<PhoneSubject>(deps, reply, 'phone', { channelId: null });
}

/** Picking a channel starts a fresh session (a new id: no fixation of a pre-login cookie). */
export async function startChannelSession(
  deps: Deps,
  reply: FastifyReply,
  old: PhoneSession | undefined,
  channel: ChannelRow,
  via: { apiKey: string } | { hub: true },
): Promise<PhoneSession> {
  if (old) await destroySession(deps, reply, old, 'phone');
  const subject: PhoneSubject = { channelId: channel.id, partnerId: channel.partner_id, ...('apiKey' in via ? { keyHash: hashSecret(via.apiKey) } : {}) };
  return createSession<PhoneSubject>(deps, reply, 'phone', subject);
}

export async function setPhoneUser(deps: Deps, session: PhoneSession, user: PhoneUser | undefined): Promise<void> {
  const { user: _old, ...rest } = session.subject;
  await updateSessionSubject(deps, session, user ? { ...rest, user } : rest);
}

export async function leavePhone(deps: Deps, reply: FastifyReply, session: PhoneSession | undefined): Promise<void> {
  await destroySession(deps, reply, session, 'phone');
}

/** What the phone's plugin hands the route files (calls.ts, groups.ts, pay.ts). */
export interface PhoneRouteHelpers {
  state: (request: FastifyRequest) => Promise<PhoneState>;
  posted: (request: FastifyRequest) => Promise<{ s: PhoneState; form: Form }>;
  done: (request: FastifyRequest, reply: FastifyReply, extra?: Record<string, unknown>) => FastifyReply;
}

/** The session's channel and user, or the phone's usual refusals. */
export function phoneUserOf(s: PhoneState): { channel: ChannelRow; user: PhoneUser } {
  if (!s.channel) throw new ApiError(401, s.problem ?? 'Pick a channel first.');
  const user = s.session?.subject.user;
  if (!user) throw new ApiError(400, 'Choose who you are first.');
  return { channel: s.channel, user };
}
