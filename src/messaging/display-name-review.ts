// The sandbox's display name review (POST /{phone-number-id} {new_display_name};
// phone-number-update.ts). A request is PENDING_REVIEW; a durable job written in the same
// transaction decides it after OPENWABA_TEMPLATE_REVIEW_DELAY (default 5 s), the delay the
// sandbox's template review takes (templates/review.ts; one setting for the sandbox's reviews, our
// choice). The sandbox approves every name: the number's verified_name (the channel's phone_name,
// also the Partner API's setup_info.phone_name) becomes the new name and new_name_status APPROVED.
// The number's webhook gets Meta's phone_number_name_update (WABA webhook field, Cloud format:
// display_phone_number, decision, requested_verified_name, rejection_reason). A newer request
// replaces an older one; the older one's job then finds the request changed and does nothing.
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import { enqueueJob, registerJobHandler } from '../jobs/scheduler.ts';
import { emitChannelEvent } from './channel-webhook.ts';

const NAME_REVIEW_JOB = 'display_name_review';

/** Schedules the review of the number's request made at `requestedAt` (call inside the transaction that wrote it). */
export function scheduleNameReview(deps: Deps, tx: Executor, channelId: string, requestedAt: string): Promise<string> {
  const at = new Date(deps.clock.now().getTime() + deps.config.templateReviewMs);
  return enqueueJob(deps, tx, { kind: NAME_REVIEW_JOB, refId: channelId, at, payload: { requested_at: requestedAt } });
}

/** Meta's WABA webhook for a display name decision. */
export function nameUpdateWebhook(wabaExternalId: string, displayPhoneNumber: string, name: string, decision: 'APPROVED', at: Date) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: wabaExternalId,
        time: Math.floor(at.getTime() / 1000),
        // rejection_reason: Meta's syntax lists it always; an approval has none (null, our reading).
        changes: [{ field: 'phone_number_name_update', value: { display_phone_number: displayPhoneNumber, decision, requested_verified_name: name, rejection_reason: null } }],
      },
    ],
  };
}

registerJobHandler(NAME_REVIEW_JOB, async (deps, tx, job, payload) => {
  const requestedAt = (payload as { requested_at?: unknown } | null)?.requested_at;
  const req = await tx.selectFrom('channel_name_requests').selectAll().where('channel_id', '=', job.ref_id).executeTakeFirst();
  // Gone, decided, or replaced by a newer request (which has its own job): nothing to review.
  if (!req || req.status !== 'PENDING_REVIEW' || req.requested_at !== requestedAt) return { done: true };
  const now = deps.clock.now();
  const iso = now.toISOString();
  await tx.updateTable('channel_name_requests').set({ status: 'APPROVED', decided_at: iso }).where('channel_id', '=', req.channel_id).execute();
  await tx.updateTable('channels').set({ phone_name: req.new_display_name, modified_at: iso }).where('id', '=', req.channel_id).execute();
  const ch = await tx.selectFrom('channels').select(['id', 'partner_id', 'webhook_url', 'phone_number', 'waba_account_id']).where('id', '=', req.channel_id).executeTakeFirst();
  if (ch?.webhook_url) {
    const waba = await tx.selectFrom('waba_accounts').select('external_id').where('id', '=', ch.waba_account_id).executeTakeFirst();
    await emitChannelEvent(deps, tx, ch, 'account_update', nameUpdateWebhook(waba?.external_id ?? ch.waba_account_id, ch.phone_number, req.new_display_name, 'APPROVED', now));
  }
  return { done: true };
});
