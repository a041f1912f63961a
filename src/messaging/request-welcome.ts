// A simulated user opens the chat with a sandbox number: with the number's welcome message on
// (POST /conversational_automation {"enable_welcome_message":true}), WhatsApp tells the business
// with a `messages` webhook whose message has `"type":"request_welcome"` and no body of its own:
//
//   {"from":"<wa_id>","id":"wamid.…","timestamp":"…","type":"request_welcome"}
//
// The business may answer it with a free-form message. Meta's pages say the webhook comes when a
// user "opens a chat with you for the first time" and that the business can reply with a welcome
// message; they do not say in words that it opens the 24-hour customer service window. We treat it
// as any inbound message (stored, and opening the user's window), since a free-form reply to it
// must be deliverable, and the webhook is a `messages` one like a text's; say so if Meta differs.
//
// Meta's request_welcome is a Cloud API webhook (conversational components are a Cloud API
// feature, and the On-Premise API carried no such message type): an On-Premise channel is refused
// rather than sent a message its clients could not know.
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { readAutomation } from './conversational-automation.ts';
import { assertSandboxChannel, receiveInboundUnless } from './inbound.ts';
import { fail } from './validate/check.ts';

export const REQUEST_WELCOME = 'request_welcome';

/** Whether the number would send request_welcome at all: a Cloud API sandbox number with its welcome message on. */
export async function welcomeEnabled(deps: Deps, channel: ChannelRow): Promise<boolean> {
  if (channel.network !== 'sandbox' || channel.hosting_type === 'onpremise') return false;
  return (await readAutomation(deps, channel.id)).enable_welcome_message;
}

/**
 * The user opens the chat: request_welcome to the business. With `firstOnly` (the sandbox phone),
 * nothing is sent when the user and the number have any message yet (Meta: "for the first time"),
 * and `undefined` comes back. Refused (400, naming `type`) when the number's welcome message is
 * off or the channel is On-Premise.
 */
export async function requestWelcome(
  deps: Deps,
  channel: ChannelRow,
  user: { from: string; name?: string },
  opts: { firstOnly?: boolean } = {},
): Promise<{ id: string; timestamp: string } | undefined> {
  assertSandboxChannel(channel);
  if (channel.hosting_type === 'onpremise') {
    throw fail('type', 'request_welcome is a Cloud API webhook: an On-Premise channel does not receive it');
  }
  if (!(await readAutomation(deps, channel.id)).enable_welcome_message) {
    throw fail('type', 'request_welcome needs the number\'s welcome message on: POST /conversational_automation {"enable_welcome_message":true}');
  }
  const r = await receiveInboundUnless(deps, channel, { from: user.from, name: user.name, type: REQUEST_WELCOME, content: undefined }, async (tx) => {
    if (!opts.firstOnly) return undefined;
    // Checked in the transaction that stores it. SQLite's write transactions already run one at a
    // time; on PostgreSQL two first opens at the same instant would both see no message, so the
    // pair (number, user) is locked for the transaction first and the second open sees the first's row.
    if (deps.db.kind === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`request_welcome:${channel.id}:${user.from}`}))`.execute(tx);
    const any = await tx.selectFrom('messages').select('id').where('channel_id', '=', channel.id).where('wa_id', '=', user.from).limit(1).executeTakeFirst();
    return any ? ('thread' as const) : undefined;
  });
  return r.received;
}
