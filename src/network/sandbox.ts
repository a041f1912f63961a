// The sandbox network: every phone number is a simulated WhatsApp user. An accepted message gets
// `sent`, `delivered`, `read` after the configured delays — or `failed` when the 24-hour window is
// closed (131047), the user is unreachable or blocks the business (131026), or an uploaded file is
// sent as a kind it is not (131053: Meta too takes such a send, then fails it). The schedule (the
// status plan) is written in the message's own row, in the send's transaction, so a crash
// between the 200 and the statuses loses none (src/messaging/status-plans.ts carries it out).
import { prepared } from '../db/prepared.ts';
import { sendableAs, typesOf, type MediaKind } from '../messaging/media/types.ts';
import type { StatusError } from '../messaging/statuses.ts';
import type { Network, StatusStep } from './types.ts';

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
  db.selectFrom('sandbox_users').select(['last_inbound_at', 'unreachable', 'blocked']).where('channel_id', '=', p<string>(0)).where('wa_id', '=', p<string>(1)),
);

export const sandboxNetwork: Network = {
  async accept(deps, tx, msg) {
    const user = (await sandboxUser(tx, [msg.channel.id, msg.waId])).rows[0];
    const t0 = msg.acceptedAt.getTime();
    const d = deps.config.sandboxStatusDelays;
    let steps: StatusStep[];
    const open = windowOpen(user?.last_inbound_at, t0);
    if (user?.unreachable) steps = [{ status: 'failed', at: t0 + d.sent, error: ERRORS.unreachable }];
    else if (user?.blocked) steps = [{ status: 'failed', at: t0 + d.sent, error: ERRORS.blocked }];
    else if (!msg.isTemplate && !open) steps = [{ status: 'failed', at: t0 + d.sent, error: ERRORS.windowClosed }];
    else if (msg.media && !sendableAs(msg.media.kind, msg.media.mime)) steps = [{ status: 'failed', at: t0 + d.sent, error: mediaTypeNotAllowed(msg.media) }];
    else {
      steps = [
        { status: 'sent', at: t0 + d.sent },
        { status: 'delivered', at: t0 + d.delivered },
        { status: 'read', at: t0 + d.read },
      ];
    }
    return steps;
  },
};
