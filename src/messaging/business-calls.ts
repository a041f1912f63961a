// POST /calls on a sandbox number: what the business does with calls (Meta's Calling API; 360dialog's
// POST /calling/calls; routes/calling.ts; the body is checked in call-request.ts):
//
//   connect      a business-initiated call to a user who granted call permission (call-permissions.ts);
//                the simulated user's phone rings (status RINGING at once) and, after
//                OPENWABA_SANDBOX_CALL_ANSWER (config.sandboxCallAnswer: 1 s by default), answers (a
//                connect webhook with an SDP answer, then status ACCEPTED) or declines (REJECTED, then
//                a terminate webhook with status FAILED), or never does by themselves (the sandbox
//                phone, or POST /sandbox/v1/calls/{id}/accept|terminate, answers for them); a user's own
//                setting ({"calls": …} on POST /sandbox/v1/users/{wa_id}) overrides the global one. An
//                unreachable user, or one blocking the business: REJECTED, then FAILED. (The answering
//                itself: sandbox-user-calls.ts.)
//   user calls   the business answers a simulated user's call (its connect webhook carries an SDP
//                offer) with pre_accept, accept, reject or terminate.
//   terminate    the business ends either call: a terminate webhook, COMPLETED with start_time,
//                end_time and duration after it was answered, FAILED before.
import type { Transaction } from 'kysely';
import type { Database, CallsTable } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { enqueueJob } from '../jobs/scheduler.ts';
import { transact } from '../webhooks/outbox.ts';
import { metaError } from './errors.ts';
import { fail } from './validate/check.ts';
import { callPermission } from './call-permissions.ts';
import { refuseOverCallLimit } from './call-limits.ts';
import { callAnswerFor } from './sandbox-call-answer.ts';
import { assertCallingOn, readCallingSettings } from './calling-settings.ts';
import type { CallRequest } from './call-request.ts';
import { statusWebhook, terminateWebhook, webhookTarget } from './call-webhooks.ts';
import { LIVE, RING_TIMEOUT_MS, newCallId, ringOut } from './call-lifecycle.ts';
import { ANSWER_JOB } from './sandbox-user-calls.ts';

// ---- business-initiated calls ----

const noPermission = (to: string) =>
  // 138006 as Meta's Calling API error list is widely quoted; the stored sources did not show the table's row.
  metaError(400, 138006, 'No approved call permission', `${to} has not given this business permission to call them (send a call permission request and wait for an accepted call_permission_reply)`);

async function connect(deps: Deps, channel: ChannelRow, r: CallRequest): Promise<{ messaging_product: 'whatsapp'; calls: { id: string }[] }> {
  const to = r.to!;
  return transact(deps, async (tx) => {
    assertCallingOn(await readCallingSettings(tx, channel.id));
    const at = deps.clock.now();
    if (!(await callPermission(tx, channel.id, to, at)).granted) throw noPermission(to);
    await refuseOverCallLimit(tx, channel.id, to, at);
    const iso = at.toISOString();
    const call: CallsTable = { id: newCallId(), channel_id: channel.id, wa_id: to, direction: 'BUSINESS_INITIATED', state: 'ringing', biz_opaque_callback_data: r.biz_opaque_callback_data ?? null, created_at: iso, start_time: null, end_time: null, modified_at: iso };
    await tx.insertInto('calls').values(call).execute();
    const user = await tx.selectFrom('sandbox_users').select(['unreachable', 'blocked', 'call_answer']).where('channel_id', '=', channel.id).where('wa_id', '=', to).executeTakeFirst();
    // A reachable user's phone rings at once; an unreachable one's never does (REJECTED comes with the answer job).
    const unreachable = Boolean(user?.unreachable || user?.blocked);
    if (!unreachable) await statusWebhook(deps, tx, await webhookTarget(tx, channel.id), call, at, 'RINGING');
    // The simulated user answers or declines after the configured delay (unless set never to): their
    // own setting (sandbox-call-answer.ts), else the global one; a delay at or past the ring time lets the call ring out.
    const plan = callAnswerFor(user?.call_answer, deps.config.sandboxCallAnswer);
    if ((unreachable || plan.action !== 'never') && plan.ms < RING_TIMEOUT_MS) {
      await enqueueJob(deps, tx, { kind: ANSWER_JOB, refId: call.id, at: new Date(at.getTime() + plan.ms), payload: { channel_id: channel.id } });
    }
    await ringOut(deps, tx, channel.id, call.id, at);
    return { messaging_product: 'whatsapp', calls: [{ id: call.id }] };
  });
}

// ---- actions on an existing call ----

async function act(deps: Deps, channel: ChannelRow, r: CallRequest): Promise<{ success: true }> {
  return transact(deps, async (tx: Transaction<Database>) => {
    const call = await tx.selectFrom('calls').selectAll().where('id', '=', r.call_id!).where('channel_id', '=', channel.id).executeTakeFirst();
    if (!call) throw fail('call_id', `no call ${r.call_id!.slice(0, 80)} on this phone number`);
    if (!LIVE.includes(call.state)) throw fail('call_id', `call ${call.id} has ended (${call.state}): no further action can be taken on it`);
    if (r.to !== undefined && r.to !== call.wa_id) throw fail('to', `call ${call.id} is with another user`);
    const at = deps.clock.now();
    const iso = at.toISOString();
    const move = async (from: string[], set: Partial<CallsTable>) => {
      const res = await tx.updateTable('calls').set({ ...set, modified_at: iso }).where('id', '=', call.id).where('state', 'in', from).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw fail('call_id', `call ${call.id} changed meanwhile; try again`);
    };
    if (r.action === 'terminate') {
      await move(LIVE, { state: 'ended', end_time: iso });
      await terminateWebhook(deps, tx, await webhookTarget(tx, channel.id), { ...call, state: 'ended', end_time: iso }, at);
      return { success: true };
    }
    if (call.direction === 'BUSINESS_INITIATED') throw fail('action', `${r.action} answers a call the user made; ${call.id} is the business's own call (end it with terminate)`);
    switch (r.action) {
      case 'pre_accept':
        if (call.state !== 'ringing') throw fail('action', `call ${call.id} is ${call.state === 'pre_accepted' ? 'pre-accepted already' : 'accepted already'}`);
        await move(['ringing'], { state: 'pre_accepted' });
        break;
      case 'accept':
        if (call.state === 'accepted') throw fail('action', `call ${call.id} is accepted already`);
        await move(['ringing', 'pre_accepted'], { state: 'accepted', start_time: iso });
        break;
      case 'reject':
        if (call.state === 'accepted') throw fail('action', `call ${call.id} is connected: end it with terminate`);
        await move(['ringing', 'pre_accepted'], { state: 'rejected', end_time: iso });
        // The rejected call ends: its terminate webhook, FAILED (it was never answered).
        await terminateWebhook(deps, tx, await webhookTarget(tx, channel.id), { ...call, state: 'rejected', end_time: iso }, at);
        break;
      default:
        throw fail('action', `${r.action} names no existing call`);
    }
    return { success: true };
  });
}

/** POST /calls on a sandbox number. */
export async function handleCallRequest(deps: Deps, channel: ChannelRow, r: CallRequest): Promise<unknown> {
  if (r.action === 'connect') return connect(deps, channel, r);
  // A call under way can always be ended, even after calling was turned off meanwhile.
  if (r.action !== 'terminate') assertCallingOn(await readCallingSettings(deps.db.kysely, channel.id));
  return act(deps, channel, r);
}
