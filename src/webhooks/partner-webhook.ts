// A partner's webhook: its signing secret, and the test event.
import { isoNow } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { getWebhookEvent } from './event-log.ts';
import { emitPartnerEvent } from './partner-events.ts';
import { newWebhookSecret } from './signing.ts';

export async function getPartnerWebhookSecret(deps: Deps, partnerId: string): Promise<string> {
  const p = await deps.db.kysely.selectFrom('partners').select('webhook_secret').where('id', '=', partnerId).executeTakeFirst();
  if (!p) throw notFound(`Partner ${partnerId} not found`);
  if (p.webhook_secret) return p.webhook_secret;
  return rotatePartnerWebhookSecret(deps, partnerId);
}

export async function rotatePartnerWebhookSecret(deps: Deps, partnerId: string): Promise<string> {
  const secret = newWebhookSecret();
  const res = await deps.db.kysely
    .updateTable('partners')
    .set({ webhook_secret: secret, modified_at: isoNow(deps.clock) })
    .where('id', '=', partnerId)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(`Partner ${partnerId} not found`);
  return secret;
}

/**
 * Enqueues a `test` event and waits (a little longer than one attempt may take) for the
 * dispatcher's first attempt, so that the caller sees how its receiver answered.
 */
export async function sendTestEvent(deps: Deps, partnerId: string) {
  const id = await emitPartnerEvent(deps, deps.db.kysely, partnerId, 'test', {
    partner_id: partnerId,
    message: 'This is a test event from openwaba.',
    sent_at: isoNow(deps.clock),
  });
  const deadline = Date.now() + deps.config.webhookTimeoutMs + 2_000;
  for (;;) {
    const e = await getWebhookEvent(deps, partnerId, id);
    if (e.attempt_log.length > 0 || Date.now() > deadline) return e;
    await new Promise((r) => setTimeout(r, 25));
  }
}
