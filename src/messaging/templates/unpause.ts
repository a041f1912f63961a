// Meta's POST /{template-id}/unpause (pywa api.py `unpause_template`: POST /{template_id}/unpause,
// typed `{success, reason}`): a PAUSED template (paused by Meta for low quality) is APPROVED
// again, reported as every status change is (setTemplateStatus: the message_template_status_update
// webhook to the WABA's channels, the partner's event). A template that is not PAUSED answers
// Graph's 400 code 100 (our choice: Meta's wording for that case is not confirmed by a source).
import type { Deps } from '../../deps.ts';
import { transact } from '../../webhooks/outbox.ts';
import { metaError } from '../errors.ts';
import { setTemplateStatus } from './review.ts';
import { findTemplateById } from './store.ts';
import { templateNotFound } from './service.ts';

export async function unpauseTemplate(deps: Deps, wabaAccountId: string, templateId: string): Promise<{ success: true }> {
  await transact(deps, async (tx) => {
    const t = await findTemplateById(deps, wabaAccountId, templateId, tx);
    if (!t) throw templateNotFound(`id=${templateId}`);
    if (t.status !== 'PAUSED') throw metaError(400, 100, 'Invalid parameter', `template id=${templateId} is ${t.status}; only a PAUSED template can be unpaused`);
    await setTemplateStatus(deps, tx, t, 'APPROVED', 'NONE');
  });
  return { success: true };
}
