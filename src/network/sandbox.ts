// The sandbox network: every phone number is a simulated WhatsApp user. An accepted message gets
// `sent`, `delivered`, `read` after the configured delays — or `failed` when the 24-hour window is
// closed (131047) or the user is unreachable or blocks the business (131026). The schedule is a
// durable job, written with the message, so a crash between the 200 and the statuses loses none.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { prepared } from '../db/prepared.ts';
import { enqueueJob, registerJobHandler } from '../jobs/scheduler.ts';
import { applyStatus, type OutboundStatus, type StatusError } from '../messaging/statuses.ts';
import type { AcceptedMessage, Network } from './types.ts';

export const WINDOW_MS = 24 * 3600_000;

interface Step {
  status: OutboundStatus;
  at: number;
  error?: StatusError;
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

// Every sandbox send looks its recipient up: compiled once.
const sandboxUser = prepared((db, p) =>
  db.selectFrom('sandbox_users').select(['last_inbound_at', 'unreachable', 'blocked']).where('channel_id', '=', p<string>(0)).where('wa_id', '=', p<string>(1)),
);

export const sandboxNetwork: Network = {
  async accept(deps, tx, msg) {
    const user = (await sandboxUser(tx, [msg.channel.id, msg.waId])).rows[0];
    const t0 = msg.acceptedAt.getTime();
    const d = deps.config.sandboxStatusDelays;
    let steps: Step[];
    const windowOpen = user?.last_inbound_at ? t0 - Date.parse(user.last_inbound_at) < WINDOW_MS : false;
    if (user?.unreachable) steps = [{ status: 'failed', at: t0 + d.sent, error: ERRORS.unreachable }];
    else if (user?.blocked) steps = [{ status: 'failed', at: t0 + d.sent, error: ERRORS.blocked }];
    else if (!msg.isTemplate && !windowOpen) steps = [{ status: 'failed', at: t0 + d.sent, error: ERRORS.windowClosed }];
    else {
      steps = [
        { status: 'sent', at: t0 + d.sent },
        { status: 'delivered', at: t0 + d.delivered },
        { status: 'read', at: t0 + d.read },
      ];
    }
    await enqueueJob(deps, tx, { kind: 'message_status', refId: msg.id, at: new Date(steps[0]!.at), payload: steps });
  },
};

/** Applies the due step(s) of a message's status schedule; the rest stays in the job. */
registerJobHandler('message_status', async (deps, tx: Transaction<Database>, job, payload) => {
  const steps = payload as Step[];
  const now = deps.clock.now().getTime();
  let i = 0;
  while (i < steps.length && steps[i]!.at <= now) {
    const s = steps[i]!;
    await applyStatus(deps, tx, job.ref_id, s.status, new Date(s.at), s.error);
    i++;
  }
  if (i >= steps.length) return { done: true };
  return { again: new Date(steps[i]!.at), payload: steps.slice(i) };
});
