// The sandbox network: every phone number is a simulated WhatsApp user. An accepted message gets
// `sent`, `delivered`, `read` after the configured delays — or `failed` when the 24-hour window is
// closed (131047), the user is unreachable or blocks the business (131026), or an uploaded file is
// sent as a kind it is not (131053: Meta too takes such a send, then fails it). The schedule (the
// status plan) is written in the message's own row, in the send's transaction, so a crash
// between the 200 and the statuses loses none (src/messaging/status-plans.ts carries it out).
import { isBsuid } from './bsuid.ts';
import { prepared } from '../db/prepared.ts';
import type { Executor } from '../db/index.ts';
import { sendableAs, typesOf, type MediaKind } from '../messaging/media/types.ts';
import type { StatusError } from '../messaging/statuses.ts';
import type { AcceptedMessage, Network, StatusRecipient, StatusStep } from './types.ts';
import { stopTyping } from '../messaging/typing-indicator.ts';

const WINDOW_MS = 24 * 3600_000;

/** Whether a user who last wrote at `lastInboundAt` has the 24-hour customer-service window open at `nowMs`. */
export function windowOpen(lastInboundAt: string | null | undefined, nowMs: number): boolean {
  return lastInboundAt ? nowMs - Date.parse(lastInboundAt) < WINDOW_MS : false;
}

export const ERRORS = {
  windowClosed: {
    code: 131047,
    title: 'Re-engagement message',
    details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  unreachable: {
    code: 131026,
    title: 'Message undeliverable',
    details: 'Unable to deliver message: the recipient is not reachable on WhatsApp (sandbox user marked unreachable).',
  },
  /**
   * A send to a BSUID no simulated user of the partner has (send.ts resolves the others to their
   * numbers). No source documents Meta's error for an unknown BSUID; 131026 ("Message
   * undeliverable") is what Meta gives a recipient it cannot deliver to (a number not on
   * WhatsApp) after accepting the send, and what clients already handle, so it is used here.
   */
  unknownBsuid: {
    code: 131026,
    title: 'Message undeliverable',
    details: 'Unable to deliver message: no WhatsApp user has this business-scoped user id on your numbers (no sandbox user of this partner has it).',
  },
  blocked: {
    code: 131026,
    title: 'Message undeliverable',
    details: 'Unable to deliver message: the recipient has blocked this business (sandbox user blocks the business).',
  },
} satisfies Record<string, StatusError>;

/** Meta's failure of a media message whose upload's type that kind does not take (a PDF sent as an image). */
export function mediaTypeNotAllowed(media: { id: string; kind: MediaKind; mime: string }): StatusError {
  return {
    code: 131053,
    title: 'Media upload error',
    details: `Media upload error: media ${media.id} is ${media.mime}, a MIME type not allowed for ${media.kind} messages (${media.kind} takes ${typesOf(media.kind).join(', ')}).`,
  };
}

// Every sandbox send looks its recipient up: compiled once.
const sandboxUser = prepared((db, p) =>
  db.selectFrom('sandbox_users').select(['last_inbound_at', 'unreachable', 'blocked', 'username', 'hide_number', 'typing_until']).where('channel_id', '=', p<string>(0)).where('wa_id', '=', p<string>(1)),
);

type SandboxUserFacts = { last_inbound_at: string | null; unreachable: number; blocked: number; username: string | null; hide_number: number | null; typing_until: string | null };
/** Recipients read ahead for a transaction's batch of sends (primeSandboxUsers): key → row, or null for none. */
const primed = new WeakMap<Executor, Map<string, SandboxUserFacts | null>>();
const userKey = (channelId: string, waId: string) => `${channelId}\u0000${waId}`;

/**
 * Reads the recipients of a batch of sends in one statement (PostgreSQL: a statement per send was a
 * round trip each); accept() then takes them from here. Only for this transaction, which must be
 * the batch's own: what it reads is what each send would have read in it.
 */
export async function primeSandboxUsers(tx: Executor, recipients: readonly (readonly [string, string])[]): Promise<void> {
  if (recipients.length === 0) return;
  const rows = await tx
    .selectFrom('sandbox_users')
    .select(['channel_id', 'wa_id', 'last_inbound_at', 'unreachable', 'blocked', 'username', 'hide_number', 'typing_until'])
    .where((eb) => eb(eb.refTuple('channel_id', 'wa_id'), 'in', recipients.map(([c, w]) => eb.tuple(c, w))))
    .execute();
  const map = new Map<string, SandboxUserFacts | null>(recipients.map(([c, w]) => [userKey(c, w), null]));
  for (const r of rows) {
    map.set(userKey(r.channel_id, r.wa_id), { last_inbound_at: r.last_inbound_at, unreachable: r.unreachable, blocked: r.blocked, username: r.username, hide_number: r.hide_number, typing_until: r.typing_until });
  }
  primed.set(tx, map);
}

async function recipient(tx: Executor, channelId: string, waId: string): Promise<SandboxUserFacts | undefined> {
  const hit = primed.get(tx)?.get(userKey(channelId, waId));
  if (hit !== undefined) return hit ?? undefined;
  return (await sandboxUser(tx, [channelId, waId])).rows[0] as SandboxUserFacts | undefined;
}

export const sandboxNetwork: Network = {
  async accept(deps, tx, msg) {
    const user = await recipient(tx, msg.channel.id, msg.waId);
    // The business answers: the typing indicator is dismissed (typing-indicator.ts). A write only
    // when one is set: most sends read a null here and pay nothing. Any send clears it, a failed
    // one too: on WhatsApp the business stops typing when it sends, whatever becomes of the message.
    if (user?.typing_until) {
      await stopTyping(tx, msg.channel.id, msg.waId);
      user.typing_until = null;
    }
    const t0 = msg.acceptedAt.getTime();
    const d = deps.config.sandboxStatusDelays;
    let steps: StatusStep[];
    const open = windowOpen(user?.last_inbound_at, t0);
    // A group (messaging/group-send.ts checked it has participants): no window or user state of its own.
    if (msg.group) steps = [{ status: 'sent', at: t0 + d.sent }, { status: 'delivered', at: t0 + d.delivered }, { status: 'read', at: t0 + d.read }];
    else if (isBsuid(msg.waId)) steps = [{ status: 'failed', at: t0 + d.sent, error: ERRORS.unknownBsuid }];
    else {
      const shown = user && statusRecipient(user, msg.toBsuid === true);
      // A failed send to the BSUID of a user who hides their number names the BSUID, never the number.
      const failed = (error: StatusStep['error']): StatusStep[] => [{ status: 'failed', at: t0 + d.sent, error, ...(shown?.hideNumber ? { recipient: { hideNumber: true as const } } : {}) }];
      if (user?.unreachable) steps = failed(ERRORS.unreachable);
      else if (user?.blocked) steps = failed(ERRORS.blocked);
      else if (!msg.isTemplate && !open) steps = failed(ERRORS.windowClosed);
      else if (msg.media && !sendableAs(msg.media.kind, msg.media.mime)) steps = failed(mediaTypeNotAllowed(msg.media));
      else steps = delivered(shown);
    }
    return msg.opaque === undefined && !freeInWindow(msg, open) ? steps : steps.map((st) => withExtras(st, msg, open));

    function delivered(shown: StatusRecipient | undefined): StatusStep[] {
      const out: StatusStep[] = [
        { status: 'sent', at: t0 + d.sent, ...(shown ? { recipient: shown } : {}) },
        { status: 'delivered', at: t0 + d.delivered, ...(shown ? { recipient: shown } : {}) },
        { status: 'read', at: t0 + d.read, ...(shown ? { recipient: shown } : {}) },
      ];
      // A voice note (audio sent with voice: true) is played after it is read, as Meta reports
      // ("Your voice message is played"), as long again after read as read came after delivered.
      // Cloud numbers only: the On-Premise statuses have no `played` (reference §5.2).
      if (msg.voice && msg.channel.hosting_type !== 'onpremise') out.push({ status: 'played', at: t0 + d.read + (d.read - d.delivered), ...(shown ? { recipient: shown } : {}) });
      return out;
    }
  },
};

/**
 * Meta's per-message pricing (July 2025): a utility template delivered while the user's customer
 * service window is open is free (pricing.type free_customer_service, billable false).
 */
function freeInWindow(msg: AcceptedMessage, open: boolean): boolean {
  return open && msg.isTemplate && msg.category === 'utility';
}

/** A step with what only some messages' plans carry: the send's biz_opaque_callback_data, the free utility mark. */
function withExtras(st: StatusStep, msg: AcceptedMessage, open: boolean): StatusStep {
  return { ...st, ...(msg.opaque !== undefined ? { opaque: msg.opaque } : {}), ...(freeInWindow(msg, open) ? { freeInWindow: true as const } : {}) };
}

/**
 * What the statuses of a message to this user show beyond the defaults, or undefined (most users).
 * Meta's rules (dualhook.com/docs/contacts-bsuid-webhooks, "Outbound Status Webhooks"): the
 * username is in delivered and read statuses when the user has one; contacts[].wa_id is always
 * there for a send to the phone number, and for a send to the BSUID only when Meta may share the
 * number: never, for a sandbox user who hides it (hide_number stands for a user whose number
 * Meta withholds from this business; its exceptions, such as the contact book, are not simulated).
 */
function statusRecipient(user: SandboxUserFacts, toBsuid: boolean): StatusRecipient | undefined {
  const r: StatusRecipient = {
    ...(user.username ? { username: user.username } : {}),
    ...(user.hide_number && toBsuid ? { hideNumber: true as const } : {}),
  };
  return r.username !== undefined || r.hideNumber ? r : undefined;
}
