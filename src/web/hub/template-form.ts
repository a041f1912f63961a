// The template form, in two uses. "New template": WABA, name, language, category and the
// components as JSON, created by the service behind all three template APIs (createTemplate: the
// same validation, the same PENDING state and sandbox review). "Edit": the same form without what
// an edit cannot change (WABA, name, language; the category is shown but kept), saved by the
// service behind the Partner API's PATCH …/waba_templates/{id} (editTemplate: only an APPROVED,
// REJECTED or PAUSED template, which goes back to PENDING and is reviewed again).
// A refusal is shown on the form with 400, in the service's own words (the developer_message
// the APIs answer with); success is 303 to the template's page.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { createTemplate, editRefusal, editTemplate } from '../../messaging/templates/service.ts';
import type { TemplateWire } from '../../messaging/templates/store.ts';
import { CATEGORIES } from '../../messaging/templates/validate.ts';
import { field, hubOf, hubPage, LONG_TEXT_FORM_BODY_LIMIT, partnerPath } from './context.ts';
import { partnerTemplate, templatePath } from './templates.ts';
import { chosenWaba, wabaChoices, wabaLabels } from './wabas.ts';

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
/** The fields an edit's form shows (the others name the template, which an edit keeps). */
const EDIT_FIELDS: readonly FormField[] = ['category', 'components'];

/** The template an edit is about, as its form shows it; none for a new template. */
interface Editing {
  t: TemplateWire;
  waba: string;
  href: string;
}

/**
 * The form field a refusal is about, among those the form shows: the API's messages begin with
 * the field they name ("name: must contain only …", "components[1].text: must be at most …");
 * others (a duplicate name and language, a template in review) are about the whole form.
 */
function fieldOf(message: string, fields: readonly FormField[]): FormField | undefined {
  const m = /^([a-z_]+)(?=[\s:[.]|$)/.exec(message);
  return fields.find((f) => f === m?.[1]);
}

async function showForm(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  form: Form,
  opts: { editing?: Editing; error?: string; status?: number; locked?: boolean } = {},
) {
  const { partnerId } = hubOf(request);
  const { editing: e, error } = opts;
  const at = error !== undefined ? fieldOf(error, e ? EDIT_FIELDS : FIELDS) : undefined;
  return hubPage(
    reply,
    request,
    'hub/template-form',
    {
      title: e ? `Edit template ${e.t.name} (${e.t.language})` : 'New template',
      nav: 'templates',
      form,
      action: e ? `${e.href}/edit` : `${partnerPath(partnerId)}/templates/new`,
      // A new template's WABA is chosen; an edit's is the template's.
      wabas: e ? [] : await wabaChoices(deps, partnerId, form.waba_account_id),
      edit: e ? { name: e.t.name, language: e.t.language, id: e.t.id, status: e.t.status, badge: e.t.status.toLowerCase(), waba: e.waba, href: e.href } : undefined,
      // A template the service would not edit now: its refusal instead of a form to type in vain.
      locked: opts.locked === true,
      categories: CATEGORIES,
      errors: at ? { [at]: error } : {},
      problem: error !== undefined && !at ? error : undefined,
      listHref: partnerPath(partnerId, '/templates'),
    },
    opts.status ?? 200,
  );
}

/** A refusal the Hub words itself (a form it cannot read, a WABA not the partner's), like the API's: the field first. */
class FormRefusal extends Error {}

/** How long each posted field may be: generous, so that the API's own rules (a name of at most 512 characters …) speak first. */
const MAX: Record<FormField, number> = { waba_account_id: 100, name: 2048, language: 100, category: 100, components: 60_000 };


/**
 * The posted form. An absent field reads as empty. A field sent twice, too long or with NUL
 * characters reads as empty too, and is the refusal (context.ts's words), so that the form comes
 * back with the other fields as they were typed.
 */
function readForm(body: unknown): { form: Form; refusal?: FormRefusal } {
  const form = {} as Form;
  let refusal: FormRefusal | undefined;
  for (const name of FIELDS) {
    try {
      form[name] = field(body, name, MAX[name]) ?? '';
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 400)) throw err;
      form[name] = '';
      refusal ??= new FormRefusal(err.message);
    }
  }
  form.waba_account_id = form.waba_account_id.trim();
  return { form, refusal };
}

/** The components textarea as JSON; the service checks what the components say. */
function parseComponents(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormRefusal(`components: must be a JSON array of components such as [{"type":"BODY","text":"Hello {{1}}!"}] (${(err as Error).message})`);
  }
}

/** The message to show on the form for a refusal (ours, or the service's 400), or undefined for any other error. */
function refusalOf(err: unknown): string | undefined {
  if (err instanceof FormRefusal) return err.message;
  if (err instanceof ApiError && err.status === 400) return err.message;
  return undefined;
}

/** Who the service records as having made or changed the template: the signed-in hub user. */
const actorOf = (request: FastifyRequest) => {
  const hub = hubOf(request);
  return { user_id: hub.session.subject.userId, user_name: hub.username };
};

/** The template of an edit's URL (another partner's: 404), with what its form shows of it. */
async function templateToEdit(deps: Deps, request: FastifyRequest) {
  const { partnerId } = hubOf(request);
  const { waba, t } = await partnerTemplate(deps, request);
  const labels = await wabaLabels(deps, partnerId, [waba.id]);
  return { waba, t, editing: { t, waba: labels.get(waba.id) ?? waba.name, href: templatePath(partnerId, waba.id, t.id) } satisfies Editing };
}

export const templateFormPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/templates/new', { schema: { hide: true } }, async (request, reply) => {
    const wabaId = field(request.query, 'waba_account_id', 100)?.trim() ?? '';
    return showForm(deps, request, reply, { waba_account_id: wabaId, name: '', language: 'en_US', category: 'UTILITY', components: EXAMPLE_COMPONENTS });
  });

  app.post('/templates/new', { schema: { hide: true }, bodyLimit: LONG_TEXT_FORM_BODY_LIMIT }, async (request, reply) => {
    const hub = hubOf(request);
    const { form, refusal } = readForm(request.body);
    try {
      if (refusal) throw refusal;
      if (!form.waba_account_id) throw new FormRefusal('waba_account_id: choose the WABA the template belongs to');
      const components = parseComponents(form.components);
      const waba = await chosenWaba(deps, hub.partnerId, form.waba_account_id, (message) => new FormRefusal(message));
      const body = { name: form.name, category: form.category, language: form.language, components };
      const row = await createTemplate(deps, { partnerId: waba.partner_id, wabaAccountId: waba.id }, body, actorOf(request));
      return reply.redirect(`${templatePath(hub.partnerId, waba.id, row.id)}?created=1`, 303);
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      return showForm(deps, request, reply, form, { error: message, status: 400 });
    }
  });

  // The edit form, filled with what is stored. A template the service would not edit now (in
  // review, or disabled) shows the service's reason instead of a form.
  app.get('/templates/:waba_account_id/:template_id/edit', { schema: { hide: true } }, async (request, reply) => {
    const { t, editing: e } = await templateToEdit(deps, request);
    const form: Form = { waba_account_id: '', name: '', language: '', category: t.category, components: JSON.stringify(t.components, null, 2) };
    const refusal = editRefusal(t);
    return showForm(deps, request, reply, form, { editing: e, error: refusal, locked: refusal !== undefined });
  });

  // As PATCH /api/v2/partners/{pid}/waba_accounts/{wid}/waba_templates/{id}: the same service,
  // with the form's category (the service refuses a change of it) and components.
  app.post('/templates/:waba_account_id/:template_id/edit', { schema: { hide: true }, bodyLimit: LONG_TEXT_FORM_BODY_LIMIT }, async (request, reply) => {
    const { waba, t, editing: e } = await templateToEdit(deps, request);
    const { form, refusal } = readForm(request.body);
    try {
      if (refusal) throw refusal;
      const components = parseComponents(form.components);
      // No category sent: the template's stays (as an API edit without one).
      await editTemplate(deps, waba.id, t.id, { components, ...(form.category ? { category: form.category } : {}) }, actorOf(request));
      return reply.redirect(`${e.href}?edited=1`, 303);
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      // The category field cannot be typed in: it shows the template's, next to the refusal of another.
      return showForm(deps, request, reply, { ...form, category: t.category }, { editing: e, error: message, status: 400 });
    }
  });
};
