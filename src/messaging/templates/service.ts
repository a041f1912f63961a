// Creating, editing and deleting templates: the operations behind all three template APIs. Each
// change commits with what follows from it (the review job, the cancelled review).
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { transact } from '../../webhooks/outbox.ts';
import { metaError } from '../errors.ts';
import { checkFlowButtons } from './flow-buttons.ts';
import { checkHeaderHandles } from './header-handles.ts';
import { takeBackSampleUrls } from './sample-url.ts';
import { isLibraryBody, parseLibraryTemplate } from './library-create.ts';
import { scheduleReview, setTemplateStatus } from './review.ts';
import { deleteTemplates, findTemplate, findTemplateById, insertTemplate, TEMPLATE_REVIEW_JOB, type Actor, type TemplateRow, type TemplateStatus } from './store.ts';
import { parseNewTemplate, parseTemplateEdit } from './validate.ts';

export interface TemplateScope {
  partnerId: string;
  wabaAccountId: string;
}

function duplicate(name: string, language: string): ApiError {
  // Meta: (#100) Invalid parameter, subcode 2388024 "Content in this language already exists".
  return metaError(400, 100, 'Invalid parameter', `Content in this language already exists: template name=${name} language=${language} already exists in this WhatsApp Business Account`, { subcode: 2388024 });
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function templateNotFound(what: string): ApiError {
  return metaError(404, 100, 'Invalid parameter', `Message template not found: ${what}`, { subcode: 2593002 });
}

/**
 * Creates a PENDING template and schedules its review. A FLOW button must name a flow of the scope
 * (flow-buttons.ts). One made from the template library (library_template_name) is APPROVED at
 * once: Meta's library templates are pre-approved ("Library templates contain fixed content that
 * cannot be edited"; only a customized one goes to review), and the approval is reported as the
 * review reports one (setTemplateStatus: the WABA's channels and the partner), in the same transaction.
 */
export async function createTemplate(deps: Deps, scope: TemplateScope, body: unknown, actor?: Actor): Promise<TemplateRow> {
  const input = isLibraryBody(body) ? parseLibraryTemplate(body) : parseNewTemplate(body);
  // Outside the write transaction, after the cheap refusal: checking a navigate_screen may read
  // and parse a flow's Flow JSON (up to 10 MB), which must not hold the database meanwhile. (A
  // flow deprecated between this check and the insert is harmless: it only stops being sendable.)
  if (await findTemplate(deps, scope.wabaAccountId, input.name, input.language)) throw duplicate(input.name, input.language);
  await checkFlowButtons(deps, scope, (body as { components?: unknown }).components);
  // A sample URL a template read gave (sample-url.ts), posted back, stands for its handle.
  await takeBackSampleUrls(deps, scope.wabaAccountId, input.components);
  // A media header's sample that is one of our upload handles must be a file of its kind.
  await checkHeaderHandles(deps, scope.wabaAccountId, input.components);
  try {
    return await transact(deps, async (tx) => {
      if (await findTemplate(deps, scope.wabaAccountId, input.name, input.language, tx)) throw duplicate(input.name, input.language);
      const row = await insertTemplate(deps, tx, {
        partnerId: scope.partnerId,
        wabaAccountId: scope.wabaAccountId,
        name: input.name,
        language: input.language,
        category: input.category,
        status: 'PENDING',
        components: input.components,
        actor,
        libraryTemplateName: input.libraryTemplateName,
      });
      if (input.libraryTemplateName) return setTemplateStatus(deps, tx, row, 'APPROVED', 'NONE');
      await scheduleReview(deps, tx, row.id);
      return row;
    });
  } catch (err) {
    // Two creations of the same name and language at once: the unique index decides.
    if (isUniqueViolation(err)) throw duplicate(input.name, input.language);
    throw err;
  }
}

/** The statuses an edit may start from: Meta edits neither a template in review (PENDING) nor a DISABLED one. */
export const EDITABLE_STATUSES: readonly TemplateStatus[] = ['APPROVED', 'REJECTED', 'PAUSED'];

/**
 * Why this template cannot be edited now, in the words of the APIs' refusal, or undefined when it
 * can. Exported so that a page can say so before an edit is typed, by the same rule.
 */
export function editRefusal(t: Pick<TemplateRow, 'id' | 'status'>): string | undefined {
  if ((EDITABLE_STATUSES as readonly string[]).includes(t.status)) return undefined;
  return `template id=${t.id} is ${t.status}; only ${EDITABLE_STATUSES.slice(0, -1).join(', ')} or ${EDITABLE_STATUSES.at(-1)} templates can be edited`;
}

/**
 * New components for an APPROVED, REJECTED or PAUSED template (Meta does not edit one in
 * review): it goes back to PENDING and is reviewed again. A FLOW button must name a flow of the
 * template's WABA and partner (flow-buttons.ts).
 */
export async function editTemplate(deps: Deps, wabaAccountId: string, templateId: string, body: unknown, actor?: Actor): Promise<TemplateRow> {
  const current = await findTemplateById(deps, wabaAccountId, templateId);
  if (!current) throw templateNotFound(`id=${templateId}`);
  const { components } = parseTemplateEdit(body, current.category, current.language);
  // As on create: the cheap refusal first, the flow check outside the write transaction.
  const early = editRefusal(current);
  if (early) throw metaError(400, 100, 'Invalid parameter', early);
  await checkFlowButtons(deps, { partnerId: current.partner_id, wabaAccountId }, (body as { components?: unknown }).components);
  await takeBackSampleUrls(deps, wabaAccountId, components);
  await checkHeaderHandles(deps, wabaAccountId, components);
  return transact(deps, async (tx) => {
    const t = await findTemplateById(deps, wabaAccountId, templateId, tx);
    if (!t) throw templateNotFound(`id=${templateId}`);
    const refusal = editRefusal(t);
    if (refusal) throw metaError(400, 100, 'Invalid parameter', refusal);
    const now = deps.clock.now().toISOString();
    const values = {
      components: JSON.stringify(components),
      status: 'PENDING',
      rejected_reason: null,
      modified_at: now,
      ...(actor ? { modified_by: JSON.stringify(actor) } : {}),
    };
    await tx.updateTable('templates').set(values).where('id', '=', t.id).execute();
    await tx.deleteFrom('jobs').where('kind', '=', TEMPLATE_REVIEW_JOB).where('ref_id', '=', t.id).execute();
    await scheduleReview(deps, tx, t.id);
    return { ...t, ...values };
  });
}

/** Deletes every language of a template name (or the one with hsm_id, as Meta's DELETE ?name=&hsm_id=). */
export async function deleteTemplatesByName(deps: Deps, wabaAccountId: string, name: string, hsmId?: string): Promise<TemplateRow[]> {
  const rows = await transact(deps, (tx) => deleteTemplates(tx, wabaAccountId, { name, id: hsmId }));
  if (rows.length === 0) throw templateNotFound(hsmId ? `name=${name} hsm_id=${hsmId}` : `name=${name}`);
  return rows;
}

export async function deleteTemplateById(deps: Deps, wabaAccountId: string, id: string): Promise<TemplateRow> {
  const rows = await transact(deps, (tx) => deleteTemplates(tx, wabaAccountId, { id }));
  if (rows.length === 0) throw templateNotFound(`id=${id}`);
  return rows[0]!;
}
