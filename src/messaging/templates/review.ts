// The sandbox's template review. A new (or edited) template is PENDING; a durable job written in
// the same transaction reviews it after OPENWABA_TEMPLATE_REVIEW_DELAY (default 5 s):
//
//   REJECTED, rejected_reason INVALID_FORMAT, when
//     - its name starts with `reject_` (to test the rejected path on purpose), or
//     - two placeholders in its BODY stand side by side ("{{1}} {{2}}");
//   APPROVED otherwise.
//
// A BODY that begins or ends with a placeholder, or has too many placeholders for its length, is
// refused at creation instead, as Meta refuses it (sync-rules.ts: subcodes 2388299, 2388293).
//
// The change is reported to every channel of the WABA that has a webhook (Meta's
// `message_template_status_update` WABA webhook, Cloud format) and to the partner
// (`waba_template_status_changed`, data = the partner template object).
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Executor } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { enqueueJob, registerJobHandler } from '../../jobs/scheduler.ts';
import { emitPartnerEvent } from '../../webhooks/partner-events.ts';
import { emitChannelEvent } from '../channel-webhook.ts';
import { wabaChangeWebhook } from '../webhook-payloads.ts';
import { hasAdjacentPlaceholders } from './placeholders.ts';
import { TEMPLATE_REVIEW_JOB, templateToWire, wabaNamespace, type TemplateRow, type TemplateStatus } from './store.ts';


export interface Verdict {
  status: Extract<TemplateStatus, 'APPROVED' | 'REJECTED'>;
  /** Meta's rejection reasons: INVALID_FORMAT, ABUSIVE_CONTENT, INCORRECT_CATEGORY, SCAM; NONE when approved. */
  reason: string;
}

export function reviewTemplate(t: Pick<TemplateRow, 'name' | 'components'>): Verdict {
  const reject: Verdict = { status: 'REJECTED', reason: 'INVALID_FORMAT' };
  if (t.name.startsWith('reject_')) return reject;
  const body = (JSON.parse(t.components) as { type?: string; text?: string }[]).find((c) => c.type === 'BODY');
  const text = body?.text ?? '';
  if (hasAdjacentPlaceholders(text)) return reject;
  return { status: 'APPROVED', reason: 'NONE' };
}

/** Schedules the review of a PENDING template (call inside the transaction that wrote it). */
export function scheduleReview(deps: Deps, tx: Executor, templateId: string): Promise<string> {
  const at = new Date(deps.clock.now().getTime() + deps.config.templateReviewMs);
  return enqueueJob(deps, tx, { kind: TEMPLATE_REVIEW_JOB, refId: templateId, at, payload: {} });
}

/** Meta's WABA webhook for a template's new status. */
export function templateStatusWebhook(wabaExternalId: string, t: TemplateRow, event: string, reason: string, at: Date) {
  const value = { event, message_template_id: Number(t.id), message_template_name: t.name, message_template_language: t.language, reason };
  return wabaChangeWebhook(wabaExternalId, { field: 'message_template_status_update', value }, Math.floor(at.getTime() / 1000));
}

/** Moves a template to a new status and reports it (in tx, so the change and its events commit together). */
export async function setTemplateStatus(deps: Deps, tx: Executor, t: TemplateRow, status: TemplateStatus, reason: string): Promise<TemplateRow> {
  const now = deps.clock.now();
  const updated: TemplateRow = { ...t, status, rejected_reason: status === 'REJECTED' ? reason : null, modified_at: now.toISOString() };
  await tx.updateTable('templates').set({ status, rejected_reason: updated.rejected_reason, modified_at: updated.modified_at }).where('id', '=', t.id).execute();
  const waba = await wabaNamespace(deps, t.waba_account_id, tx);
  const channels = await tx
    .selectFrom('channels')
    .select(['id', 'partner_id', 'webhook_url'])
    .where('waba_account_id', '=', t.waba_account_id)
    .where('webhook_url', 'is not', null)
    .execute();
  const body = templateStatusWebhook(waba?.external_id ?? t.waba_account_id, updated, status, reason, now);
  for (const ch of channels) await emitChannelEvent(deps, tx, ch, 'template_status', body);
  await emitPartnerEvent(deps, tx, t.partner_id, 'waba_template_status_changed', templateToWire(updated, waba?.namespace ?? ''));
  return updated;
}

registerJobHandler(TEMPLATE_REVIEW_JOB, async (deps, tx: Transaction<Database>, job) => {
  const t = await tx.selectFrom('templates').selectAll().where('id', '=', job.ref_id).executeTakeFirst();
  // Deleted, or decided otherwise in the meantime: nothing to review.
  if (!t || t.status !== 'PENDING') return { done: true };
  const verdict = reviewTemplate(t);
  await setTemplateStatus(deps, tx, t, verdict.status, verdict.reason);
  return { done: true };
});
