// The call log lines of the sandbox phone's conversation: each call with the business that ended
// shows, as WhatsApp shows it, a line at the time the call began, in the order of the messages:
// "Incoming voice call · 1:23", "Missed incoming voice call", "Declined incoming voice call",
// "Outgoing voice call · not answered". Incoming: the business called the user (the phone is the
// user's); outgoing: the user called the business. A line is drawn as a bubble (type "call") on
// the caller's side, with no ticks and no reactions (bubble.eta, phone.js).
import type { Deps } from '../../deps.ts';
import type { CallsTable } from '../../db/schema.ts';
import { LIVE } from '../../messaging/call-lifecycle.ts';
import type { Bubble } from './bubbles.ts';

type EndedCall = Pick<CallsTable, 'id' | 'direction' | 'state' | 'created_at' | 'start_time' | 'end_time'>;

/** m:ss (h:mm:ss from an hour on), as WhatsApp writes a call's length. */
export function callLength(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** What the log line says for one ended call, seen from the user's phone. */
export function callLogText(c: EndedCall): string {
  const incoming = c.direction === 'BUSINESS_INITIATED';
  const way = incoming ? 'Incoming' : 'Outgoing';
  if (c.start_time && c.end_time) return `${way} voice call · ${callLength((Date.parse(c.end_time) - Date.parse(c.start_time)) / 1000)}`;
  if (incoming) return c.state === 'rejected' ? 'Declined incoming voice call' : 'Missed incoming voice call';
  return c.state === 'rejected' ? 'Outgoing voice call · declined by the business' : 'Outgoing voice call · not answered';
}

export function callLogBubble(c: EndedCall): Bubble {
  return {
    id: c.id,
    from: c.direction === 'BUSINESS_INITIATED' ? 'business' : 'user',
    at: c.created_at,
    time: c.created_at.slice(11, 16),
    type: 'call',
    text: callLogText(c),
    // No ticks: a call is no message (its label is for screen readers only).
    meta: { status: 'call', statusLabel: 'Call', glyph: '', reactions: [] },
  };
}

/** The user's ended calls with the channel since `since` (ISO; all when undefined), oldest first, at most `limit`. */
export async function callLog(deps: Deps, channelId: string, waId: string, limit: number, since?: string): Promise<Bubble[]> {
  let q = deps.db.kysely
    .selectFrom('calls')
    .select(['id', 'direction', 'state', 'created_at', 'start_time', 'end_time'])
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .where('state', 'not in', LIVE);
  if (since !== undefined) q = q.where('created_at', '>=', since);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse().map(callLogBubble);
}

/** Messages and call log lines in one list by time (stable: a call at a message's very instant comes after it). */
export function byTime(messages: Bubble[], calls: Bubble[]): Bubble[] {
  if (calls.length === 0) return messages;
  const out: Bubble[] = [];
  let i = 0;
  for (const m of messages) {
    while (i < calls.length && calls[i]!.at < m.at) out.push(calls[i++]!);
    out.push(m);
  }
  while (i < calls.length) out.push(calls[i++]!);
  return out;
}
