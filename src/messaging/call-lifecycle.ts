// A call's life on the sandbox network, the core of the WhatsApp Business Calling API there (Meta's
// "Calling API", served by 360dialog under /calling/…; routes/calling.ts). Calls are stored in
// `calls` (migration 0032), either direction, in state ringing, pre_accepted or accepted while live
// (LIVE), then ended or rejected:
//
//   ring time    a call nobody answers ends after RING_TIMEOUT_MS (a durable job: a restart keeps
//                it): a terminate webhook with status FAILED.
//   terminate    either call ends: a terminate webhook, COMPLETED with start_time, end_time and
//                duration after it was answered, FAILED before.
//
// The other parts: calling-settings.ts (the number's `calling` settings), call-request.ts (the POST
// /calls body), business-calls.ts (what the business does: connect, pre_accept, accept, reject,
// terminate), sandbox-user-calls.ts (what the simulated user does), call-webhooks.ts (the webhooks),
// call-permission-state.ts (GET call permissions).
import { randomBytes } from 'node:crypto';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { enqueueJob, registerJobHandler } from '../jobs/scheduler.ts';
import { isObj } from './validate/check.ts';
import { terminateWebhook, webhookTarget } from './call-webhooks.ts';

/**
 * How long a call rings unanswered before it ends. 360dialog's inbound-call guide gives the
 * business "from 30 to 60 seconds" to pre-accept a user's call; Meta's pages at hand name no exact
 * ring time for either direction, so the longer bound is taken for both (a client that answers
 * within 30 s, as the guide advises, is never cut off here).
 */
export const RING_TIMEOUT_MS = 60_000;
const RING_JOB = 'call_ring_timeout';

export const LIVE = ['ringing', 'pre_accepted', 'accepted'];
const UNANSWERED = ['ringing', 'pre_accepted'];

export const newCallId = () => 'wacid.' + randomBytes(24).toString('base64url');

/** The call ends if it still rings (or is only pre-accepted) RING_TIMEOUT_MS after `at`. */
export async function ringOut(deps: Deps, tx: Executor, channelId: string, callId: string, at: Date): Promise<void> {
  await enqueueJob(deps, tx, { kind: RING_JOB, refId: callId, at: new Date(at.getTime() + RING_TIMEOUT_MS), payload: { channel_id: channelId } });
}

// Nobody answered: the call ends unanswered, a terminate webhook with status FAILED (Meta's terminate
// statuses are COMPLETED and FAILED; an unanswered call was never COMPLETED).
registerJobHandler(RING_JOB, async (deps, tx, job, payload) => {
  const channelId = isObj(payload) && typeof payload.channel_id === 'string' ? payload.channel_id : undefined;
  if (!channelId) return { done: true };
  const call = await tx.selectFrom('calls').selectAll().where('id', '=', job.ref_id).where('channel_id', '=', channelId).executeTakeFirst();
  if (!call || !UNANSWERED.includes(call.state)) return { done: true };
  const at = deps.clock.now();
  const iso = at.toISOString();
  const res = await tx.updateTable('calls').set({ state: 'ended', end_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', 'in', UNANSWERED).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 1) await terminateWebhook(deps, tx, await webhookTarget(tx, channelId), { ...call, state: 'ended', end_time: iso, modified_at: iso }, at);
  return { done: true };
});
