// The sandbox's display name review (POST /{phone-number-id} {new_display_name};
// phone-number-update.ts). A request is PENDING_REVIEW; a durable job written in the same
// transaction decides it after OPENWABA_TEMPLATE_REVIEW_DELAY (default 5 s), the delay the
// sandbox's template review takes (templates/review.ts; one setting for the sandbox's reviews, our
// choice). The sandbox judges a name by rules a machine can check from Meta's display name
// guidelines (reviewDisplayName below; Meta's human review judges more, such as whether the name
// is the business's): a name that passes is APPROVED and becomes the number's verified_name (the
// channel's phone_name, also the Partner API's setup_info.phone_name); one that does not is
// DECLINED (Meta's name_status for a rejected name) and the verified_name stays.
// The number's webhook gets Meta's phone_number_name_update (WABA webhook field, Cloud format:
// display_phone_number, decision APPROVED or REJECTED, requested_verified_name, rejection_reason,
// one of Meta's reasons such as NAME_FORMAT_UNACCEPTABLE, null for an approval). A newer request
// replaces an older one; the older one's job then finds the request changed and does nothing.
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import { enqueueJob, registerJobHandler } from '../jobs/scheduler.ts';
import { emitChannelEvent } from './channel-webhook.ts';
import { wabaChangeWebhook } from './webhook-payloads.ts';

const NAME_REVIEW_JOB = 'display_name_review';

/** Schedules the review of the number's request made at `requestedAt` (call inside the transaction that wrote it). */
export function scheduleNameReview(deps: Deps, tx: Executor, channelId: string, requestedAt: string): Promise<string> {
  const at = new Date(deps.clock.now().getTime() + deps.config.templateReviewMs);
  return enqueueJob(deps, tx, { kind: NAME_REVIEW_JOB, refId: channelId, at, payload: { requested_at: requestedAt } });
}

export interface NameVerdict {
  decision: 'APPROVED' | 'REJECTED';
  /** One of Meta's rejection_reason values (phone_number_name_update reference); null when approved. */
  reason: string | null;
}

/** Meta's brands, which a business's display name may not use (Meta's guidelines: no Meta brand in the name). */
const META_BRANDS = /\b(whats\s*app|facebook|instagram|messenger)\b/i;
const EMOJI = /\p{Extended_Pictographic}/u;
const URL_LIKE = /(https?:\/\/|www\.)\S/i;
/** Punctuation used as decoration: the same mark three times in a row, or runs like "!?!". */
const PUNCTUATION_RUN = /([!?.*#~_=+^-])\1\1|[!?]{2,}/;

/**
 * The sandbox's verdict on a display name, by rules from Meta's display name guidelines that a
 * machine can check (our selection; Meta's reviewers judge more):
 *   REJECTED NAME_NOT_CONSISTENT     a name that starts with "reject" (to test the rejected path
 *                                    on purpose, as a template named `reject_…` is: templates/review.ts);
 *   REJECTED NAME_FORMAT_UNACCEPTABLE a name with an emoji, a URL, decorative punctuation ("!!!",
 *                                    "***"), a Meta brand (WhatsApp, Facebook, Instagram, Messenger),
 *                                    or all in capitals when it is longer than an acronym (over 5 letters);
 *   APPROVED otherwise.
 */
export function reviewDisplayName(name: string): NameVerdict {
  const formatUnacceptable: NameVerdict = { decision: 'REJECTED', reason: 'NAME_FORMAT_UNACCEPTABLE' };
  if (/^reject/i.test(name)) return { decision: 'REJECTED', reason: 'NAME_NOT_CONSISTENT' };
  if (EMOJI.test(name) || URL_LIKE.test(name) || PUNCTUATION_RUN.test(name) || META_BRANDS.test(name)) return formatUnacceptable;
  const letters = name.replace(/[^\p{L}]/gu, '');
  if (letters.length > 5 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return formatUnacceptable;
  return { decision: 'APPROVED', reason: null };
}

/** Meta's WABA webhook for a display name decision. */
export function nameUpdateWebhook(wabaExternalId: string, displayPhoneNumber: string, name: string, verdict: NameVerdict, at: Date) {
  // rejection_reason: Meta's syntax lists it always; an approval has none (null, our reading).
  const value = { display_phone_number: displayPhoneNumber, decision: verdict.decision, requested_verified_name: name, rejection_reason: verdict.reason };
  return wabaChangeWebhook(wabaExternalId, { field: 'phone_number_name_update', value }, Math.floor(at.getTime() / 1000));
}

registerJobHandler(NAME_REVIEW_JOB, async (deps, tx, job, payload) => {
  const requestedAt = (payload as { requested_at?: unknown } | null)?.requested_at;
  const req = await tx.selectFrom('channel_name_requests').selectAll().where('channel_id', '=', job.ref_id).executeTakeFirst();
  // Gone, decided, or replaced by a newer request (which has its own job): nothing to review.
  if (!req || req.status !== 'PENDING_REVIEW' || req.requested_at !== requestedAt) return { done: true };
  const now = deps.clock.now();
  const iso = now.toISOString();
  const verdict = reviewDisplayName(req.new_display_name);
  const approved = verdict.decision === 'APPROVED';
  // DECLINED: the number's new_name_status for a rejected name (Meta's display names page).
  await tx.updateTable('channel_name_requests').set({ status: approved ? 'APPROVED' : 'DECLINED', decided_at: iso }).where('channel_id', '=', req.channel_id).execute();
  if (approved) await tx.updateTable('channels').set({ phone_name: req.new_display_name, modified_at: iso }).where('id', '=', req.channel_id).execute();
  const ch = await tx.selectFrom('channels').select(['id', 'partner_id', 'webhook_url', 'phone_number', 'waba_account_id']).where('id', '=', req.channel_id).executeTakeFirst();
  if (ch?.webhook_url) {
    const waba = await tx.selectFrom('waba_accounts').select('external_id').where('id', '=', ch.waba_account_id).executeTakeFirst();
    await emitChannelEvent(deps, tx, ch, 'account_update', nameUpdateWebhook(waba?.external_id ?? ch.waba_account_id, ch.phone_number, req.new_display_name, verdict, now));
  }
  return { done: true };
});
