// Templates: the partner's templates across its clients' WABAs (name, status, category and WABA
// filters; the list logic of the Partner API's waba_templates), one template with its components,
// and deleting one (by name, all its languages or one, as the APIs do) after a confirm page.
// Creating and editing one: template-form.ts. Every lookup goes through the partner: another
// partner's WABA or template is a 404, as in the Partner API.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { badRequest } from '../../errors.ts';
import { getWabaAccount } from '../../services/waba-accounts.ts';
import { listPartnerTemplates, listTemplates } from '../../messaging/templates/list.ts';
import { deleteTemplatesByName, editRefusal, templateNotFound } from '../../messaging/templates/service.ts';
import { findTemplateById, templateToWire, type TemplateWire } from '../../messaging/templates/store.ts';
import { CATEGORIES, templateName } from '../../messaging/templates/validate.ts';
import { field, fmtTime, listForm, formAddress, hubOf, hubPage, pager, partnerPath, PAGE_SIZES } from './context.ts';
import { showComponents } from './template-view.ts';
import { allowSampleOrigin, headerSample, sampleCspHook } from './template-sample.ts';
import { wabaChoices, wabaLabels } from './wabas.ts';

/** The statuses a template can have (store.ts's TemplateStatus), offered by the status filter. */
const STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED'];

const SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-modified_at', label: 'Recently changed' },
];

const enc = encodeURIComponent;
export const templatePath = (partnerId: string, wabaId: string, templateId: string) => partnerPath(partnerId, `/templates/${enc(wabaId)}/${enc(templateId)}`);

/** A status badge's class: the status in lower case (approved, pending, rejected …). */
const badge = (status: string) => status.toLowerCase();

/** What a row or page shows of a template's review: its status, and why when it was rejected. */
const reviewOf = (t: TemplateWire) => ({ status: t.status, badge: badge(t.status), reason: t.rejected_reason !== 'NONE' ? t.rejected_reason : '' });

/** A template of the partner, or 404 (its WABA is checked first, as in the Partner API). */
export async function partnerTemplate(deps: Deps, request: FastifyRequest) {
  const { partnerId } = hubOf(request);
  const { waba_account_id, template_id } = request.params as { waba_account_id: string; template_id: string };
  const waba = await getWabaAccount(deps, partnerId, waba_account_id);
  const row = await findTemplateById(deps, waba.id, template_id);
  if (!row) throw templateNotFound(`id=${template_id}`);
  return { waba, t: templateToWire(row, waba.namespace) };
}

/** The template's languages in its WABA (itself included), by language. */
async function languagesOf(deps: Deps, t: TemplateWire) {
  const list = await listTemplates(deps, t.waba_account_id, { filters: JSON.stringify({ name: t.name }), sort: 'language', limit: 1000 });
  return list.waba_templates;
}

export const templatePages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/templates', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const q = request.query;
    const { form, query, keep } = listForm(q, {
      q: { max: 512, filter: 'q' },
      status: { max: 50, filter: 'status' },
      category: { max: 50, filter: 'category' },
      waba_account_id: { max: 100, filter: 'waba_account_id' },
    });
    const list = await listPartnerTemplates(deps, partnerId, query);
    const [choices, labelOf] = await Promise.all([
      wabaChoices(deps, partnerId, form.waba_account_id),
      wabaLabels(deps, partnerId, list.waba_templates.map((t) => t.waba_account_id)),
    ]);
    // After a deletion: its name, shown only when it is a template name (the URL is not trusted to say more).
    const deleted = field(q, 'deleted', 512);
    let notice: string | undefined;
    if (deleted !== undefined) {
      try {
        notice = `Template “${templateName(deleted)}” deleted.`;
      } catch {
        notice = undefined;
      }
    }
    return hubPage(reply, request, 'hub/templates', {
      title: 'Templates',
      nav: 'templates',
      notice,
      form: { ...form, limit: String(list.limit) },
      sorts: SORTS,
      sizes: PAGE_SIZES,
      statuses: STATUSES,
      categories: CATEGORIES,
      wabas: choices,
      newHref: partnerPath(partnerId, form.waba_account_id ? `/templates/new?waba_account_id=${enc(form.waba_account_id)}` : '/templates/new'),
      templates: list.waba_templates.map((t) => ({
        id: t.id,
        href: templatePath(partnerId, t.waba_account_id, t.id),
        name: t.name,
        language: t.language,
        category: t.category,
        ...reviewOf(t),
        waba: labelOf.get(t.waba_account_id) ?? t.waba_account_id,
        created_at: fmtTime(t.created_at),
        modified_at: fmtTime(t.modified_at),
      })),
      pager: pager(partnerPath(partnerId, '/templates'), keep, list),
    });
  });

  app.get('/templates/:waba_account_id/:template_id', { schema: { hide: true }, onSend: sampleCspHook }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const { waba, t } = await partnerTemplate(deps, request);
    // Its media header's sample as the APIs show it (the signed URL), before the page is drawn.
    const sample = await headerSample(deps, waba.id, t.components);
    allowSampleOrigin(request, reply, sample);
    const [languages, labels] = await Promise.all([languagesOf(deps, t), wabaLabels(deps, partnerId, [waba.id])]);
    // After the form that led here (post/redirect/get): what it did, while the review it started runs.
    const q = request.query as Record<string, unknown>;
    const pending = `PENDING until it is reviewed (the sandbox decides after ${Math.round(deps.config.templateReviewMs / 100) / 10} s); reload to see the result.`;
    const done = q.created === '1' ? `Created. The template is ${pending}` : q.edited === '1' ? `Saved. An edit sends a template back to review: it is ${pending}` : undefined;
    const path = templatePath(partnerId, waba.id, t.id);
    return hubPage(reply, request, 'hub/template', {
      title: `Template ${t.name} (${t.language})`,
      nav: 'templates',
      notice: t.status === 'PENDING' ? done : undefined,
      t: {
        ...t,
        ...reviewOf(t),
        waba: labels.get(waba.id) ?? waba.name,
        client_id: waba.client_id,
        created_at: fmtTime(t.created_at),
        modified_at: fmtTime(t.modified_at),
        created_by: t.created_by.user_name,
        modified_by: t.modified_by.user_name,
      },
      shown: showComponents(t.components),
      sample,
      json: JSON.stringify(t.components, null, 2),
      languages: languages.map((l) => ({ language: l.language, href: templatePath(partnerId, l.waba_account_id, l.id), current: l.id === t.id, ...reviewOf(l) })),
      listHref: partnerPath(partnerId, `/templates?waba_account_id=${enc(waba.id)}`),
      deleteHref: `${path}/delete`,
      editHref: `${path}/edit`,
      // The service's own rule, so the page offers no edit the service would refuse.
      editRefusal: editRefusal(t),
    });
  });

  // The confirm step of a deletion: what will go (this language, or every language of the name).
  app.get('/templates/:waba_account_id/:template_id/delete', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const { waba, t } = await partnerTemplate(deps, request);
    const languages = await languagesOf(deps, t);
    return hubPage(reply, request, 'hub/template-delete', {
      title: `Delete template ${t.name}`,
      nav: 'templates',
      t: { id: t.id, name: t.name, language: t.language, waba_account_id: waba.id },
      languages: languages.map((l) => l.language),
      backHref: templatePath(partnerId, waba.id, t.id),
    });
  });

  // As DELETE /v1/configs/templates/{name} (every language) or DELETE /message_templates?name=&hsm_id=
  // (the one language with that id).
  app.post('/templates/delete', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const wabaId = field(request.body, 'waba_account_id', 100) ?? '';
    const name = field(request.body, 'name', 512) ?? '';
    const hsmId = field(request.body, 'hsm_id', 100) || undefined;
    if (!wabaId || !name) throw badRequest('Say which template to delete (its WABA and name)');
    const waba = await getWabaAccount(deps, partnerId, wabaId);
    await deleteTemplatesByName(deps, waba.id, name, hsmId);
    return reply.redirect(partnerPath(partnerId, `/templates?waba_account_id=${enc(waba.id)}&deleted=${enc(name)}`), 303);
  });
  formAddress(app, '/templates/delete', (request) => partnerPath(hubOf(request).partnerId, '/templates'));
};
