// "New template": WABA, name, language, category and the components as JSON, created by the
// service behind all three template APIs (createTemplate: the same validation, the same PENDING
// state and sandbox review). A refusal is shown on the form with 400, in the API's own words
// (the developer_message of POST …/waba_templates); success is 303 to the template's page.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { getWabaAccount } from '../../services/waba-accounts.ts';
import { createTemplate } from '../../messaging/templates/service.ts';
import { CATEGORIES } from '../../messaging/templates/validate.ts';
import { field, hubOf, hubPage, partnerPath } from './context.ts';
import { templatePath } from './templates.ts';
import { partnerWabas, wabaLabel } from './wabas.ts';

/** What the form starts with: a small template that passes validation and the sandbox's review. */
export const EXAMPLE_COMPONENTS = `[
  { "type": "HEADER", "format": "TEXT", "text": "Order update" },
  {
    "type": "BODY",
    "text": "Hi {{1}}, your order {{2}} has shipped.",
    "example": { "body_text": [["Jane", "#1234"]] }
  },
  { "type": "FOOTER", "text": "Reply STOP to opt out" },
  {
    "type": "BUTTONS",
    "buttons": [{ "type": "QUICK_REPLY", "text": "Track my order" }]
  }
]`;

const FIELDS = ['waba_account_id', 'name', 'language', 'category', 'components'] as const;
type FormField = (typeof FIELDS)[number];
type Form = Record<FormField, string>;

/**
 * The form field a refusal is about: the API's messages begin with the field they name
 * ("name: must contain only …", "components[1].text: must be at most …"); others (a duplicate
 * name and language) are about the whole form.
 */
function fieldOf(message: string): FormField | undefined {
  const m = /^([a-z_]+)(?=[\s:[.]|$)/.exec(message);
  return FIELDS.find((f) => f === m?.[1]);
}

async function showForm(deps: Deps, request: FastifyRequest, reply: FastifyReply, form: Form, error?: string, status = 200) {
  const { partnerId } = hubOf(request);
  const wabas = await partnerWabas(deps, partnerId, { include: form.waba_account_id || undefined });
  const at = error !== undefined ? fieldOf(error) : undefined;
  return hubPage(
    reply,
    request,
    'hub/template-new',
    {
      title: 'New template',
      nav: 'templates',
      form,
      wabas: wabas.map((w) => ({ id: w.id, label: wabaLabel(w) })),
      categories: CATEGORIES,
      errors: at ? { [at]: error } : {},
      problem: error !== undefined && !at ? error : undefined,
      listHref: partnerPath(partnerId, '/templates'),
    },
    status,
  );
}

export const templateFormPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/templates/new', { schema: { hide: true } }, async (request, reply) => {
    const wabaId = field(request.query, 'waba_account_id', 100)?.trim() ?? '';
    return showForm(deps, request, reply, { waba_account_id: wabaId, name: '', language: 'en_US', category: 'UTILITY', components: EXAMPLE_COMPONENTS });
  });

  app.post('/templates/new', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const form: Form = { waba_account_id: '', name: '', language: '', category: '', components: '' };
    const refuse = (message: string) => showForm(deps, request, reply, form, message, 400);
    try {
      // Generous bounds: the API's own rules (name at most 512 characters …) speak first.
      form.waba_account_id = field(request.body, 'waba_account_id', 100)?.trim() ?? '';
      form.name = field(request.body, 'name', 2048) ?? '';
      form.language = field(request.body, 'language', 100) ?? '';
      form.category = field(request.body, 'category', 100) ?? '';
      form.components = field(request.body, 'components', 60_000) ?? '';
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) return refuse(err.message);
      throw err;
    }
    if (!form.waba_account_id) return refuse('waba_account_id: choose the WABA the template belongs to');
    let components: unknown;
    try {
      components = JSON.parse(form.components);
    } catch (err) {
      return refuse(`components: must be a JSON array of components such as [{"type":"BODY","text":"Hello {{1}}!"}] (${(err as Error).message})`);
    }
    let waba;
    try {
      waba = await getWabaAccount(deps, hub.partnerId, form.waba_account_id);
    } catch (err) {
      // Another partner's WABA reads as none at all, as in the Partner API; here, at its field.
      if (err instanceof ApiError && err.status === 404) return refuse(`waba_account_id: ${err.message}`);
      throw err;
    }
    try {
      const body = { name: form.name, category: form.category, language: form.language, components };
      const actor = { user_id: hub.session.subject.userId, user_name: hub.username };
      const row = await createTemplate(deps, { partnerId: waba.partner_id, wabaAccountId: waba.id }, body, actor);
      return reply.redirect(`${templatePath(hub.partnerId, waba.id, row.id)}?created=1`, 303);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) return refuse(err.message);
      throw err;
    }
  });
};
