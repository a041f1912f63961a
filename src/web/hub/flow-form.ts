// The flow forms. "New flow": WABA, name, categories, an endpoint URI and the Flow JSON (both
// optional), read by the Partner API's own parser (parseNewFlow: the same fields, the same
// endpoint URI policy) and created by its service (createFlow: DRAFT, the name unique in the
// WABA). On a DRAFT flow's page, "Edit": its name, categories and endpoint URI, read by the
// Partner API's parser of POST …/flows/{id} (parseFlowUpdate) and saved by its service
// (updateFlowMetadata: DRAFT only, the name unique in the WABA); and "Flow JSON": the textarea's
// text, uploaded as the Partner API's POST …/flows/{id}/assets uploads a file (uploadFlowAsset:
// kept with its validation errors).
// A refusal is shown on the form with 400, in the service's own words; success is 303 to the
// flow's page, which tells what was done through a flash.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { parseFlowUpdate, parseNewFlow } from '../../messaging/flows/input.ts';
import { createFlow, updateFlowMetadata, uploadFlowAsset } from '../../messaging/flows/service.ts';
import { FLOW_CATEGORIES } from '../../messaging/flows/store.ts';
import type { FlowValidationError } from '../../messaging/flows/flow-json.ts';
import { field, formAddress, hubOf, hubPage, LONG_TEXT_FORM_BODY_LIMIT, partnerPath } from './context.ts';
import { EXAMPLE_FLOW_JSON, MAX_HUB_FLOW_JSON_CHARS, tooLongForForm } from './flow-json-text.ts';
import { flowPath, partnerFlow, redirectWithNotice, showFlow } from './flows.ts';
import { chosenWaba, wabaChoices } from './wabas.ts';

const FIELDS = ['waba_account_id', 'name', 'categories', 'endpoint_uri', 'flow_json'] as const;
type FormField = (typeof FIELDS)[number];
interface Form {
  waba_account_id: string;
  name: string;
  categories: string[];
  endpoint_uri: string;
  flow_json: string;
}

/** A refusal the Hub words itself (a form it cannot read, a WABA not the partner's), like the API's: the field first. */
class FormRefusal extends Error {}

/**
 * The form field a refusal is about: the API's messages name it first ("name: must not be
 * empty", "categories: is required …"), after Meta's code and title when they carry one
 * ("(#100) Invalid Endpoint URI: endpoint_uri must use https …"). Others (a name already used in
 * the WABA) are about the whole form.
 */
function fieldOf(message: string): FormField | undefined {
  const m = /^(?:\(#\d+\) [^:]{1,80}: )?([a-z_]+)(?=[\s:[.]|$)/.exec(message);
  return FIELDS.find((f) => f === m?.[1]);
}

/** The message to show for a refusal (ours, or the service's 400), or undefined for any other error. */
function refusalOf(err: unknown): string | undefined {
  if (err instanceof FormRefusal) return err.message;
  if (err instanceof ApiError && err.status === 400) return err.message;
  return undefined;
}

/** How long each posted text may be: generous, so that the API's own rules (a name of at most 200 characters …) speak first. */
const MAX = { waba_account_id: 100, name: 2048, endpoint_uri: 4096 } as const;

/** The categories ticked: one value or several (each a short word), in the order sent. */
function categoriesOf(body: unknown): string[] {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>).categories : undefined;
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  if (list.length > FLOW_CATEGORIES.length * 2 || list.some((c) => typeof c !== 'string' || c.length > 50 || c.includes('\u0000'))) {
    throw new FormRefusal(`categories: tick one or more of ${FLOW_CATEGORIES.join(', ')}`);
  }
  return list as string[];
}

/**
 * The textarea's Flow JSON: one text of at most MAX_HUB_FLOW_JSON_CHARS (the refusal says where a
 * bigger one goes). A browser sends its line breaks as CRLF but counts each once against the
 * textarea's maxlength: they are read as LF, so that the server counts as the browser did.
 */
function flowJsonOf(body: unknown): string {
  const text = (field(body, 'flow_json', Infinity) ?? '').replace(/\r\n?/g, '\n');
  if (text.length > MAX_HUB_FLOW_JSON_CHARS) throw new FormRefusal(tooLongForForm(text.length));
  return text;
}

/**
 * The posted form. A field sent twice, too long or with NUL characters reads as empty and is the
 * refusal (context.ts's words), so that the form comes back with the other fields as typed.
 */
function readForm(body: unknown): { form: Form; refusal?: FormRefusal } {
  const form: Form = { waba_account_id: '', name: '', categories: [], endpoint_uri: '', flow_json: '' };
  let refusal: FormRefusal | undefined;
  const read = (set: () => void) => {
    try {
      set();
    } catch (err) {
      if (!(err instanceof FormRefusal) && !(err instanceof ApiError && err.status === 400)) throw err;
      refusal ??= new FormRefusal(err.message);
    }
  };
  for (const name of ['waba_account_id', 'name', 'endpoint_uri'] as const) read(() => (form[name] = field(body, name, MAX[name]) ?? ''));
  read(() => (form.categories = categoriesOf(body)));
  read(() => (form.flow_json = flowJsonOf(body)));
  form.waba_account_id = form.waba_account_id.trim();
  return { form, refusal };
}

async function showForm(deps: Deps, request: FastifyRequest, reply: FastifyReply, form: Form, error?: string, status = 200) {
  const { partnerId } = hubOf(request);
  const at = error !== undefined ? fieldOf(error) : undefined;
  return hubPage(
    reply,
    request,
    'hub/flow-form',
    {
      title: 'New flow',
      nav: 'flows',
      form,
      action: partnerPath(partnerId, '/flows/new'),
      wabas: await wabaChoices(deps, partnerId, form.waba_account_id),
      categories: FLOW_CATEGORIES,
      maxJson: MAX_HUB_FLOW_JSON_CHARS,
      policy: deps.config.webhookUrlPolicy,
      errors: at ? { [at]: error } : {},
      problem: error !== undefined && !at ? error : undefined,
      listHref: partnerPath(partnerId, '/flows'),
    },
    status,
  );
}

/** What the flow's page says after an upload: whether the Flow JSON can be published. */
function uploadNotice(errors: FlowValidationError[], what: string): string {
  if (errors.length === 0) return `${what} Its Flow JSON has no validation errors.`;
  return `${what} Its Flow JSON has ${errors.length} validation error${errors.length === 1 ? '' : 's'} (listed below): the flow cannot be published until a corrected Flow JSON is uploaded.`;
}

export const flowFormPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/flows/new', { schema: { hide: true } }, async (request, reply) => {
    const wabaId = field(request.query, 'waba_account_id', 100)?.trim() ?? '';
    return showForm(deps, request, reply, { waba_account_id: wabaId, name: '', categories: [], endpoint_uri: '', flow_json: EXAMPLE_FLOW_JSON });
  });

  // As POST /api/v2/partners/{pid}/waba_accounts/{wid}/flows with name, categories, endpoint_uri and flow_json.
  app.post('/flows/new', { schema: { hide: true }, bodyLimit: LONG_TEXT_FORM_BODY_LIMIT }, async (request, reply) => {
    const hub = hubOf(request);
    const { form, refusal } = readForm(request.body);
    try {
      if (refusal) throw refusal;
      if (!form.waba_account_id) throw new FormRefusal('waba_account_id: choose the WABA the flow belongs to');
      const waba = await chosenWaba(deps, hub.partnerId, form.waba_account_id, (message) => new FormRefusal(message));
      const body: Record<string, unknown> = { name: form.name };
      if (form.categories.length > 0) body.categories = form.categories;
      if (form.endpoint_uri.trim() !== '') body.endpoint_uri = form.endpoint_uri;
      if (form.flow_json.trim() !== '') body.flow_json = form.flow_json;
      const input = parseNewFlow(body, deps.config.webhookUrlPolicy);
      const created = await createFlow(deps, { partnerId: hub.partnerId, wabaAccountId: waba.id }, input);
      const what = `Flow “${input.name}” created as a DRAFT.`;
      const notice = input.flowJson === undefined ? `${what} Add its Flow JSON below, then publish it.` : uploadNotice(created.validation_errors, what);
      return redirectWithNotice(deps, request, reply, flowPath(hub.partnerId, waba.id, created.id), notice);
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      return showForm(deps, request, reply, form, message, 400);
    }
  });

  // As POST …/flows/{flow_id}/assets with the textarea's text as the file "flow.json".
  app.post('/flows/:waba_account_id/:flow_id/flow-json', { schema: { hide: true }, bodyLimit: LONG_TEXT_FORM_BODY_LIMIT }, async (request, reply) => {
    const hub = hubOf(request);
    const pf = await partnerFlow(deps, request);
    let typed: string | undefined;
    try {
      typed = flowJsonOf(request.body);
      if (typed.trim() === '') throw new FormRefusal('flow_json: paste the Flow JSON, a JSON object such as {"version":"7.0","screens":[…]}');
      const errors = await uploadFlowAsset(deps, pf.scope, pf.f.id, Buffer.from(typed, 'utf8'), 'flow.json');
      return redirectWithNotice(deps, request, reply, flowPath(hub.partnerId, pf.waba.id, pf.f.id), uploadNotice(errors, 'Flow JSON saved.'));
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      // At the textarea when it is about the text; above the page when it is about the flow (no
      // longer a DRAFT …), shown as it is now.
      const fresh = await partnerFlow(deps, request);
      const atText = fieldOf(message) === 'flow_json';
      return showFlow(deps, request, reply, fresh, atText ? { typed: typed ?? '', typedError: message } : { problem: message, typed }, 400);
    }
  });
  // As POST …/flows/{flow_id} with name, categories and endpoint_uri: every field is sent, so that
  // no category ticked is the API's refusal and an empty endpoint URI clears it.
  app.post('/flows/:waba_account_id/:flow_id/metadata', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const pf = await partnerFlow(deps, request);
    const { form, refusal } = readForm(request.body);
    try {
      if (refusal) throw refusal;
      const body = { name: form.name, categories: form.categories, endpoint_uri: form.endpoint_uri.trim() === '' ? null : form.endpoint_uri };
      const change = parseFlowUpdate(body, deps.config.webhookUrlPolicy);
      await updateFlowMetadata(deps, pf.scope, pf.f.id, change);
      return redirectWithNotice(deps, request, reply, flowPath(hub.partnerId, pf.waba.id, pf.f.id), `Flow “${change.name ?? pf.f.name}” updated.`);
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      // At its field when it names one; above the page otherwise (a name already used, a flow no
      // longer DRAFT …), the flow shown as it is now and the form as typed.
      const fresh = await partnerFlow(deps, request);
      const at = fieldOf(message);
      const meta = { name: form.name, categories: form.categories, endpoint_uri: form.endpoint_uri };
      // (The form is drawn only for a DRAFT: a flow published meanwhile shows the refusal above the page.)
      const onForm = (at === 'name' || at === 'categories' || at === 'endpoint_uri') && fresh.f.status === 'DRAFT';
      return showFlow(deps, request, reply, fresh, onForm ? { meta, metaErrors: { [at]: message } } : { meta, problem: message }, 400);
    }
  });

  for (const form of ['flow-json', 'metadata']) {
    formAddress(app, `/flows/:waba_account_id/:flow_id/${form}`, (request) => {
      const { waba_account_id, flow_id } = request.params as { waba_account_id: string; flow_id: string };
      return flowPath(hubOf(request).partnerId, waba_account_id, flow_id);
    });
  }
};
