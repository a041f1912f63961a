// What the simulated user does on the phone, read from a submitted form and checked: write a
// text, share a location, react to a message, tap a reply button, list row, quick reply or
// carousel card button, or answer a call permission request.
// Each becomes the inbound message WhatsApp would deliver to the business.
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import type { InboundMessage } from '../../messaging/inbound.ts';
import { callPermissionReply } from '../../messaging/call-permission-reply.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { bubbleFor, findConversationMessage } from './conversation.ts';
import type { PhoneUser } from './session.ts';

export type Form = Record<string, unknown>;

const bad = (message: string) => new ApiError(400, message);

/** One form field as a string (trimmed unless told otherwise); repeated or non-text fields are refused. */
export function field(form: Form, name: string, opts: { label: string; max: number; required?: boolean; keepSpaces?: boolean }): string {
  const v = form[name];
  if (v === undefined || v === '') {
    if (opts.required) throw bad(`${opts.label} is required.`);
    return '';
  }
  if (typeof v !== 'string') throw bad(`${opts.label} must be given once, as text.`);
  if (v.includes('\u0000')) throw bad(`${opts.label} must not contain NUL characters.`);
  const s = opts.keepSpaces ? v : v.trim();
  if (opts.required && s.trim() === '') throw bad(`${opts.label} is required.`);
  if (s.length > opts.max) throw bad(`${opts.label} is too long (at most ${opts.max} characters).`);
  return s;
}

export function parseUser(form: Form, channel: ChannelRow): PhoneUser {
  const raw = field(form, 'wa_id', { label: 'Your number', max: 32, required: true });
  const waId = raw.replace(/[\s()+.-]/g, '');
  if (!/^\d{6,15}$/.test(waId)) throw bad('Your number must be a phone number of 6 to 15 digits, with country code (e.g. 4915112345678).');
  if (waId === channel.phone_number) throw bad("That is the business's own number: pick another one for the simulated user.");
  const name = field(form, 'name', { label: 'Your name', max: 256 }) || `User ${waId.slice(-4)}`;
  return { waId, name };
}

export type Outgoing = Omit<InboundMessage, 'from' | 'name'>;

export function textMessage(form: Form): Outgoing {
  const body = field(form, 'body', { label: 'The message', max: 4096, required: true, keepSpaces: true });
  return { type: 'text', content: { body } };
}

function coordinate(form: Form, name: string, label: string, limit: number): number {
  const s = field(form, name, { label, max: 32, required: true }).replace(',', '.');
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || Math.abs(n) > limit) throw bad(`${label} must be a number between -${limit} and ${limit}.`);
  return n;
}

export function locationMessage(form: Form): Outgoing {
  const latitude = coordinate(form, 'latitude', 'Latitude', 90);
  const longitude = coordinate(form, 'longitude', 'Longitude', 180);
  const name = field(form, 'place_name', { label: 'Place name', max: 1000 });
  const address = field(form, 'address', { label: 'Address', max: 1000 });
  return { type: 'location', content: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) } };
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** One emoji (a single grapheme with a pictograph or flag), or "" to take a reaction back. */
export function emojiOf(form: Form): string {
  const e = field(form, 'emoji', { label: 'The reaction', max: 32 });
  if (e === '') return '';
  const graphemes = [...segmenter.segment(e)].length;
  if (graphemes !== 1 || !/[\p{Extended_Pictographic}\p{Regional_Indicator}]/u.test(e)) throw bad('The reaction must be a single emoji.');
  return e;
}

async function targetOf(deps: Deps, channel: ChannelRow, user: PhoneUser, form: Form) {
  const id = field(form, 'message_id', { label: 'The message', max: 256, required: true });
  const m = await findConversationMessage(deps, channel, user.waId, id);
  // Another conversation's (or channel's) message is simply not there.
  if (!m) throw new ApiError(404, 'That message is not in this conversation.');
  return m;
}

export async function reactionMessage(deps: Deps, channel: ChannelRow, user: PhoneUser, form: Form): Promise<Outgoing> {
  const emoji = emojiOf(form);
  const m = await targetOf(deps, channel, user, form);
  if (m.type === 'reaction') throw bad('A reaction cannot be reacted to.');
  return { type: 'reaction', content: { message_id: m.id, emoji } };
}

/** A tap on a reply button, a list row, a template quick reply, a carousel card's quick reply or a call permission answer of a business message. */
export async function replyMessage(deps: Deps, channel: ChannelRow, user: PhoneUser, form: Form): Promise<Outgoing> {
  const choice = field(form, 'choice', { label: 'The choice', max: 256, required: true, keepSpaces: true });
  const m = await targetOf(deps, channel, user, form);
  if (m.direction !== 'outbound') throw bad('Only the business’s messages have buttons to tap.');
  const b = await bubbleFor(deps, channel, m);
  const context = { from: channel.phone_number, id: m.id };
  const button = b.buttons?.find((x) => x.id === choice);
  if (button) return { type: 'interactive', content: { type: 'button_reply', button_reply: { id: button.id, title: button.title } }, context };
  const row = b.list?.sections.flatMap((s) => s.rows).find((r) => r.id === choice);
  if (row) {
    const listReply = { id: row.id, title: row.title, ...(row.description !== undefined ? { description: row.description } : {}) };
    return { type: 'interactive', content: { type: 'list_reply', list_reply: listReply }, context };
  }
  const quick = b.templateButtons?.find((q) => q.kind === 'reply' && q.id === choice);
  if (quick?.kind === 'reply') return { type: 'button', content: { text: quick.title, payload: quick.payload ?? quick.title }, context };
  // A carousel card's quick reply comes back as an ordinary button_reply (its ids are unique across the cards).
  const cardButton = b.cards?.flatMap((c) => c.buttons ?? []).find((x) => x.id === choice);
  if (cardButton) return { type: 'interactive', content: { type: 'button_reply', button_reply: { id: cardButton.id, title: cardButton.title } }, context };
  if (b.permission?.some((p) => p.id === choice)) {
    const answer = choice === 'reject' ? { response: 'reject' } : { response: 'accept', is_permanent: choice === 'accept_permanent' };
    return { type: 'interactive', content: { type: 'call_permission_reply', call_permission_reply: callPermissionReply(answer, 'call_permission_reply', deps.clock.now()) }, context };
  }
  throw bad('That message has no such button or row.');
}
