// The sandbox's simulated users on the Calling API (Meta's "Calling API", served by 360dialog
// under /calling/…; routes/calling.ts): what the WhatsApp user does with calls.
//
//   answering    a business call (business-calls.ts connect) rings on the user's phone; after
//                OPENWABA_SANDBOX_CALL_ANSWER (config.sandboxCallAnswer), or the user's own setting
//                (sandbox-call-answer.ts), the user answers (a connect webhook with an SDP answer, then
//                status ACCEPTED) or declines (REJECTED, then a terminate webhook with status FAILED),
//                or never does by themselves (the sandbox phone, or POST
//                /sandbox/v1/calls/{id}/accept|terminate, answers for them). An unreachable user, or
//                one blocking the business: REJECTED, then FAILED.
//   user calls   a simulated user calls the business (POST /sandbox/v1/inbound {"type":"call"}): a connect
//                webhook with an SDP offer; the business answers with pre_accept, accept, reject or
//                terminate (business-calls.ts).
//   terminate    the user ends either call (POST /sandbox/v1/calls/{id}/terminate): a terminate
//                webhook, COMPLETED with start_time, end_time and duration after it was answered,
//                FAILED before.
import type { CallsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { registerJobHandler } from '../jobs/scheduler.ts';
import { transact } from '../webhooks/outbox.ts';
import { fail, isObj } from './validate/check.ts';
import { grantCallbackPermission } from './call-permissions.ts';
import { refuseBlockedSender } from './blocklist.ts';
import { callAnswerFor } from './sandbox-call-answer.ts';
import { assertCloudChannel, readCallingSettings } from './calling-settings.ts';
import { connectWebhook, statusWebhook, terminateWebhook, webhookTarget, type Target } from './call-webhooks.ts';
import { LIVE, newCallId, ringOut } from './call-lifecycle.ts';

export const ANSWER_JOB = 'sandbox_call_answer';

// The simulated user answers (or cannot be reached): only a call still ringing.
registerJobHandler(ANSWER_JOB, async (deps, tx, job, payload) => {
  const channelId = isObj(payload) && typeof payload.channel_id === 'string' ? payload.channel_id : undefined;
  if (!channelId) return { done: true };
  const call = await tx.selectFrom('calls').selectAll().where('id', '=', job.ref_id).where('channel_id', '=', channelId).executeTakeFirst();
  if (!call || call.state !== 'ringing') return { done: true };
  const at = deps.clock.now();
  const iso = at.toISOString();
  const target = await webhookTarget(tx, channelId);
  const user = await tx.selectFrom('sandbox_users').select(['unreachable', 'blocked', 'call_answer']).where('channel_id', '=', channelId).where('wa_id', '=', call.wa_id).executeTakeFirst();
  const plan = callAnswerFor(user?.call_answer, deps.config.sandboxCallAnswer);
  if (user?.unreachable || user?.blocked || plan.action === 'decline') await declineRinging(deps, tx, target, call, at);
  else if (plan.action === 'answer') await answerRinging(deps, tx, target, call, at);
  return { done: true };
});

/** The user picks up a business call still ringing: the connect webhook carries their SDP answer, then the call is ACCEPTED. False: it stopped ringing meanwhile. */
async function answerRinging(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date): Promise<boolean> {
  const iso = at.toISOString();
  const res = await tx.updateTable('calls').set({ state: 'accepted', start_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', '=', 'ringing').executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  const accepted = { ...call, state: 'accepted', start_time: iso, modified_at: iso };
  await connectWebhook(deps, tx, target, accepted, at, 'answer');
  await statusWebhook(deps, tx, target, accepted, at, 'ACCEPTED');
  return true;
}

/** The user declines a business call still ringing (or cannot be reached): REJECTED, then a FAILED terminate. False: it stopped ringing meanwhile. */
async function declineRinging(deps: Deps, tx: Executor, target: Target, call: CallsTable, at: Date): Promise<boolean> {
  const iso = at.toISOString();
  const res = await tx.updateTable('calls').set({ state: 'rejected', end_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', '=', 'ringing').executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  const ended = { ...call, state: 'rejected', end_time: iso, modified_at: iso };
  await statusWebhook(deps, tx, target, ended, at, 'REJECTED');
  await terminateWebhook(deps, tx, target, ended, at);
  return true;
}

// ---- user-initiated calls (the sandbox's simulated users) ----

/** A simulated user calls the business: a connect webhook with the user's SDP offer. */
export async function userCalls(deps: Deps, channel: ChannelRow, from: string): Promise<{ id: string }> {
  assertCloudChannel(channel);
  return transact(deps, async (tx) => {
    const settings = await readCallingSettings(tx, channel.id);
    if (settings.status !== 'ENABLED') throw fail('type', 'the business has calling DISABLED: a WhatsApp user sees no call button (enable it with POST /calling/settings)');
    if (settings.sip.status === 'ENABLED') throw fail('type', "the business takes calls over SIP: the sandbox simulates calls over the calls endpoint only");
    // A user the number blocked cannot reach it.
    await refuseBlockedSender(tx, channel.id, from);
    const at = deps.clock.now();
    const iso = at.toISOString();
    const call: CallsTable = { id: newCallId(), channel_id: channel.id, wa_id: from, direction: 'USER_INITIATED', state: 'ringing', biz_opaque_callback_data: null, created_at: iso, start_time: null, end_time: null, modified_at: iso };
    await tx.insertInto('calls').values(call).execute();
    if (settings.callback_permission_status === 'ENABLED') await grantCallbackPermission(tx, channel.id, from, at);
    await connectWebhook(deps, tx, await webhookTarget(tx, channel.id), call, at, 'offer');
    await ringOut(deps, tx, channel.id, call.id, at);
    return { id: call.id };
  });
}

/** What the simulated user's action did to the call, as the webhooks tell the business. */
export interface UserCallOutcome {
  id: string;
  /** accepted: picked up; completed: hung up after talking; rejected: declined the business's call; cancelled: hung up before anyone answered. */
  outcome: 'accepted' | 'completed' | 'rejected' | 'cancelled';
}

async function liveCallOf(tx: Executor, channelId: string, callId: string, waId?: string): Promise<CallsTable> {
  let q = tx.selectFrom('calls').selectAll().where('id', '=', callId).where('channel_id', '=', channelId);
  if (waId !== undefined) q = q.where('wa_id', '=', waId);
  const call = await q.executeTakeFirst();
  if (!call) throw fail('call_id', `no call ${callId.slice(0, 80)} on this phone number${waId !== undefined ? ' with this user' : ''}`);
  if (!LIVE.includes(call.state)) throw fail('call_id', `call ${call.id} has ended (${call.state})`);
  return call;
}

const changedMeanwhile = (id: string) => fail('call_id', `call ${id} changed meanwhile; try again`);

/**
 * The simulated user picks up a business call that rings (the sandbox phone's Accept, or POST
 * /sandbox/v1/calls/{id}/accept): the same connect webhook (SDP answer) and ACCEPTED status as
 * when the sandbox answers for them. `waId`: only a call with this user (the phone's own user).
 */
export async function userAcceptsCall(deps: Deps, channel: ChannelRow, callId: string, waId?: string): Promise<UserCallOutcome> {
  return transact(deps, async (tx) => {
    const call = await liveCallOf(tx, channel.id, callId, waId);
    if (call.direction === 'USER_INITIATED') throw fail('call_id', `call ${call.id} is the user's own call: the business answers it (action accept on /calls)`);
    if (call.state !== 'ringing') throw fail('call_id', `call ${call.id} is connected already`);
    if (!(await answerRinging(deps, tx, await webhookTarget(tx, channel.id), call, deps.clock.now()))) throw changedMeanwhile(call.id);
    return { id: call.id, outcome: 'accepted' };
  });
}

/**
 * The simulated user hangs up (the sandbox phone's Decline or Hang up, or POST
 * /sandbox/v1/calls/{id}/terminate): a connected call ends COMPLETED with its duration; a business
 * call still ringing is declined (REJECTED, then a FAILED terminate, as Meta shows a rejected
 * call); the user's own call not yet answered is called off (a FAILED terminate).
 */
export async function userEndsCall(deps: Deps, channel: ChannelRow, callId: string, waId?: string): Promise<UserCallOutcome> {
  return transact(deps, async (tx) => {
    const call = await liveCallOf(tx, channel.id, callId, waId);
    const at = deps.clock.now();
    const iso = at.toISOString();
    const target = await webhookTarget(tx, channel.id);
    if (call.direction === 'BUSINESS_INITIATED' && call.state === 'ringing') {
      if (!(await declineRinging(deps, tx, target, call, at))) throw changedMeanwhile(call.id);
      return { id: call.id, outcome: 'rejected' };
    }
    const res = await tx.updateTable('calls').set({ state: 'ended', end_time: iso, modified_at: iso }).where('id', '=', call.id).where('state', '=', call.state).executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw changedMeanwhile(call.id);
    await terminateWebhook(deps, tx, target, { ...call, state: 'ended', end_time: iso, modified_at: iso }, at);
    return { id: call.id, outcome: call.state === 'accepted' ? 'completed' : 'cancelled' };
  });
}

/** The user's call under way with the number, if any (newest first): what the sandbox phone shows. */
export async function liveCallWith(db: Executor, channelId: string, waId: string): Promise<Pick<CallsTable, 'id' | 'direction' | 'state' | 'start_time' | 'created_at'> | undefined> {
  return db
    .selectFrom('calls')
    .select(['id', 'direction', 'state', 'start_time', 'created_at'])
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .where('state', 'in', LIVE)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}
