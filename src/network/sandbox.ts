// The sandbox network: every phone number is a simulated WhatsApp user. An accepted message gets
// `sent`, `delivered`, `read` after the configured delays — or `failed` when the 24-hour window is
// closed (131047) or the user is unreachable or blocks the business (131026). The schedule (the
// status plan) is written in the message's own row, in the send's transaction, so a crash
// between the 200 and the statuses loses none (src/messaging/status-plans.ts carries it out).
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { prepared } from '../db/prepared.ts';
import { registerJobHandler } from '../jobs/scheduler.ts';
import { applyStatus, type OutboundStatus, type StatusError } from '../messaging/statuses.ts';
import type { AcceptedMessage, Network } from './types.ts';

export const WINDOW_MS = 24 * 3600_000;

export interface Step {
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
    return { steps: JSON.stringify(steps), dueAt: new Date(steps[0]!.at) };
  },
};

/**
 * Applies the steps of a status plan that are due now (by the clock); returns the rest (empty
 * when none is left).
 */
export async function applyDueSteps(deps: Deps, tx: Transaction<Database>, messageId: string, steps: Step[]): Promise<Step[]> {
  const now = deps.clock.now().getTime();
  let i = 0;
  while (i < steps.length && steps[i]!.at <= now) {
    const s = steps[i]!;
    await applyStatus(deps, tx, messageId, s.status, new Date(s.at), s.error);
    i++;
  }
  return steps.slice(i);
}

// Plans are stored with their messages (status-plans.ts runs them). Jobs of this kind were
// written before migration 0007; they still run.
registerJobHandler('message_status', async (deps, tx: Transaction<Database>, job, payload) => {
  const rest = await applyDueSteps(deps, tx, job.ref_id, payload as Step[]);
  if (rest.length === 0) return { done: true };
  return { again: new Date(rest[0]!.at), payload: rest };
});
