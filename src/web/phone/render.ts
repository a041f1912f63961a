// The phone's one page in its three states: pick a channel, pick who you are, chat.
import type { FastifyReply } from 'fastify';
import type { Deps } from '../../deps.ts';
import { renderPage } from '../render.ts';
import type { Bubble } from './bubbles.ts';
import { conversationState, loadConversation, metaSignature, phoneUserProfile } from './conversation.ts';
import { ensurePhoneSession, type PhoneState } from './session.ts';
import { readAutomation } from '../../messaging/conversational-automation.ts';
import { callButtonShown } from './calls.ts';
import { groupsOfUser } from '../../messaging/groups.ts';

export type SignedBubble = Bubble & { sig: string };

/** The reactions offered on every business message (any single emoji is accepted). */
export const REACTIONS: { emoji: string; label: string }[] = [
  { emoji: '👍', label: 'thumbs up' },
  { emoji: '❤️', label: 'heart' },
  { emoji: '😂', label: 'laughing' },
  { emoji: '😮', label: 'surprised' },
  { emoji: '😢', label: 'sad' },
  { emoji: '🙏', label: 'thank you' },
];

/** Fields a failed form may show again (never the API key). */
const DRAFT_FIELDS = ['wa_id', 'name', 'body', 'latitude', 'longitude', 'place_name', 'address', 'invite_link'];

export function withSignatures(bubbles: Bubble[]): SignedBubble[] {
  return bubbles.map((b) => ({ ...b, sig: metaSignature(b) }));
}

export interface PhoneRenderOptions {
  error?: string;
  status?: number;
  /** The submitted form, when it failed. */
  draft?: Record<string, unknown>;
}

export async function renderPhone(deps: Deps, reply: FastifyReply, s: PhoneState, opts: PhoneRenderOptions = {}): Promise<FastifyReply> {
  const status = opts.status ?? 200;
  const draft: Record<string, string> = {};
  for (const k of DRAFT_FIELDS) {
    const v = opts.draft?.[k];
    if (typeof v === 'string' && v.length <= 4096) draft[k] = v;
  }
  const base = { error: opts.error, draft, styles: ['/assets/phone.css'] };
  if (!s.channel) {
    const session = await ensurePhoneSession(deps, reply, s);
    return renderPage(reply, 'phone/start', { ...base, title: 'Sandbox phone', csrf: session.csrfToken }, status);
  }
  const csrf = s.session!.csrfToken;
  const channel = { name: s.channel.phone_name, number: s.channel.phone_number };
  const user = s.session!.subject.user;
  if (!user) {
    // The phone is the user's own device: each user is picked by number, shown with their username.
    const recent = (
      await deps.db.kysely
        .selectFrom('sandbox_users')
        .select(['wa_id', 'name', 'username', 'hide_number'])
        .where('channel_id', '=', s.channel.id)
        .orderBy('modified_at', 'desc')
        .limit(20)
        .execute()
    ).map((u) => ({ wa_id: u.wa_id, name: u.name, username: u.username, hidesNumber: u.hide_number === 1 }));
    return renderPage(reply, 'phone/user', { ...base, title: 'Sandbox phone: who are you?', csrf, channel, recent }, status);
  }
  const [bubbles, { version, typing, call }, profile, callButton, groups] = await Promise.all([
    loadConversation(deps, s.channel, user.waId),
    conversationState(deps, s.channel, user.waId),
    phoneUserProfile(deps, s.channel, user.waId),
    callButtonShown(deps, s.channel),
    // The groups the user is in or asked to join (groups.ts on the phone has their pages).
    groupsOfUser(deps.db.kysely, s.channel.id, user.waId),
  ]);
  // An empty chat offers the number's ice breakers and commands (POST /conversational_automation), as WhatsApp does.
  const suggestions = bubbles.length === 0 ? await readAutomation(deps, s.channel.id) : undefined;
  return renderPage(
    reply,
    'phone/chat',
    { ...base, title: `Chat with ${s.channel.phone_name || '+' + s.channel.phone_number}`, csrf, channel, user, profile, bubbles: withSignatures(bubbles), version, typing, call, callButton, groups, reactions: REACTIONS, suggestions, scripts: ['/assets/phone.js'] },
    status,
  );
}
