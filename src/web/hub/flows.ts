// Flows: the partner's WhatsApp Flows across its clients' WABAs (name, status and WABA filters;
// the Partner API's list conventions), one flow with its fields, validation errors and Flow JSON,
// and its lifecycle: publish, deprecate, delete (a DRAFT), each after a confirm page. Creating one,
// editing a DRAFT's name, categories and endpoint URI, and uploading its Flow JSON from a
// textarea: flow-form.ts.
//
// Every change is made by the service behind the Partner API's flows routes
// (messaging/flows/service.ts), so the Hub refuses what the API refuses, in the API's words
// (shown on the page with the API's 400). A done change answers 303 to a GET page
// (post/redirect/get) and says what it did through a flash of the session. Every lookup goes
// through the signed-in partner: another partner's WABA or flow is a 404, as in the Partner API.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError, notFound } from '../../errors.ts';
import { getWabaAccount, type WabaAccountRow } from '../../services/waba-accounts.ts';
import { listPartnerFlows } from '../../messaging/flows/list.ts';
import { DEPRECATABLE, deleteFlow, deprecateFlow, flowNotFound, publishFlow } from '../../messaging/flows/service.ts';
import { findFlow, flowAsset, FLOW_CATEGORIES, validationErrorsOf, type FlowMeta, type FlowScope, type FlowStatus } from '../../messaging/flows/store.ts';
import type { FlowValidationError } from '../../messaging/flows/flow-json.ts';
import { putFlash, takeFlash } from '../sessions.ts';
import { fmtTime, hubOf, hubPage, listForm, pager, partnerPath, PAGE_SIZES } from './context.ts';
import { flowJsonForm, prettyJson, type FlowJsonForm } from './flow-json-text.ts';
import { wabaChoices, wabaLabels } from './wabas.ts';

const STATUSES: readonly FlowStatus[] = ['DRAFT', 'PUBLISHED', 'DEPRECATED', 'BLOCKED', 'THROTTLED'];

const SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-modified_at', label: 'Recently changed' },
];

/** The flow page shows its Flow JSON up to this size; a bigger one is downloaded (flow.json). */
const SHOW_JSON_MAX = 256 * 1024;

const enc = encodeURIComponent;
export const flowPath = (partnerId: string, wabaId: string, flowId: string) => partnerPath(partnerId, `/flows/${enc(wabaId)}/${enc(flowId)}`);
const badge = (status: string) => status.toLowerCase();

/** The flash a change hands to the page it redirects to: what it did. */
export const FLOW_FLASH = 'flow-notice';
/** Puts the notice in a flash and answers 303 to `location` (marked `done=1`, so the page looks for it). */
export async function redirectWithNotice(deps: Deps, request: FastifyRequest, reply: FastifyReply, location: string, notice: string) {
  await putFlash(deps, request, hubOf(request).session, FLOW_FLASH, { notice });
  return reply.redirect(`${location}${location.includes('?') ? '&' : '?'}done=1`, 303);
}
async function noticeOf(deps: Deps, request: FastifyRequest): Promise<string | undefined> {
  if ((request.query as Record<string, unknown> | undefined)?.done !== '1') return undefined;
  return (await takeFlash<{ notice: string }>(deps, request, hubOf(request).session, FLOW_FLASH))?.notice;
}

export interface PartnerFlow {
  waba: WabaAccountRow;
  scope: FlowScope;
  f: FlowMeta;
}

/** A flow of the signed-in partner, or 404 (its WABA is checked first, as in the Partner API). */
export async function partnerFlow(deps: Deps, request: FastifyRequest): Promise<PartnerFlow> {
  const { partnerId } = hubOf(request);
  const { waba_account_id, flow_id } = request.params as { waba_account_id: string; flow_id: string };
  const waba = await getWabaAccount(deps, partnerId, waba_account_id);
  // The session's partner, not the WABA row's: the store's second lock gets its key from elsewhere.
  const scope: FlowScope = { partnerId, wabaAccountId: waba.id };
  const f = await findFlow(deps, scope, flow_id);
  if (!f) throw flowNotFound(flow_id);
  return { waba, scope, f };
}

/** A DRAFT's name, categories and endpoint URI as the edit form holds them. */
export interface FlowMetaFields {
  name: string;
  categories: string[];
  endpoint_uri: string;
}

/**
 * What a flow page shows besides the flow: a refusal, the Flow JSON as typed when it was refused,
 * and the edit form's fields as typed with the refusal at its field.
 */
export interface FlowPageExtra {
  problem?: string;
  typed?: string;
  typedError?: string;
  meta?: FlowMetaFields;
  metaErrors?: Partial<Record<keyof FlowMetaFields, string>>;
}

/** Where a validation error is: `line 3, column 15`, and the JSON path of a structural one: `line 22, column 13 (screens[1].id)`. */
function whereOf(e: FlowValidationError): string {
  const line = e.line_start !== undefined ? `line ${e.line_start}${e.column_start !== undefined ? `, column ${e.column_start}` : ''}` : '';
  const path = e.pointers?.[0]?.path;
  return path ? (line ? `${line} (${path})` : path) : line;
}

/** The flow's page: its fields, validation errors, Flow JSON and the actions its status allows. */
export async function showFlow(deps: Deps, request: FastifyRequest, reply: FastifyReply, pf: PartnerFlow, extra: FlowPageExtra = {}, status = 200) {
  const { partnerId } = hubOf(request);
  const { waba, scope, f } = pf;
  const [labels, asset, notice] = await Promise.all([wabaLabels(deps, partnerId, [waba.id]), flowAsset(deps, scope, f.id), status === 200 ? noticeOf(deps, request) : undefined]);
  const stored = asset?.flow_json ?? null;
  const path = flowPath(partnerId, waba.id, f.id);
  const shown = stored !== null && stored.length <= SHOW_JSON_MAX ? prettyJson(stored) : undefined;
  const editable = f.status === 'DRAFT';
  const jsonForm: FlowJsonForm | undefined = editable ? flowJsonForm(stored, shown, extra.typed) : undefined;
  const categories = JSON.parse(f.categories) as string[];
  // Prefilled with the flow's values (or with what was typed, when it was refused).
  const metaFields: FlowMetaFields = extra.meta ?? { name: f.name, categories, endpoint_uri: f.endpoint_uri ?? '' };
  return hubPage(
    reply,
    request,
    'hub/flow',
    {
      title: `Flow ${f.name}`,
      nav: 'flows',
      notice,
      problem: extra.problem,
      f: {
        id: f.id,
        name: f.name,
        status: f.status,
        badge: badge(f.status),
        categories,
        waba: labels.get(waba.id) ?? waba.name,
        waba_account_id: waba.id,
        endpoint_uri: f.endpoint_uri ?? '',
        json_version: f.json_version ?? '',
        data_api_version: f.data_api_version ?? '',
        asset_name: f.asset_name ?? '',
        created_at: fmtTime(f.created_at),
        modified_at: fmtTime(f.modified_at),
      },
      errors: validationErrorsOf(f).map((e) => ({
        ...e,
        at: whereOf(e),
      })),
      json: shown,
      jsonSize: stored === null ? 0 : Buffer.byteLength(stored, 'utf8'),
      downloadHref: stored !== null ? `${path}/flow.json` : undefined,
      jsonForm: jsonForm && { ...jsonForm, action: `${path}/flow-json`, error: extra.typedError },
      metaForm: editable
        ? { ...metaFields, action: `${path}/metadata`, choices: FLOW_CATEGORIES, policy: deps.config.webhookUrlPolicy, errors: extra.metaErrors ?? {} }
        : undefined,
      listHref: partnerPath(partnerId, `/flows?waba_account_id=${enc(waba.id)}`),
      // The service's own rules, so that the page offers no step the service would refuse for the status.
      actions: {
        publish: editable ? `${path}/publish` : undefined,
        deprecate: DEPRECATABLE.includes(f.status) ? `${path}/deprecate` : undefined,
        delete: editable ? `${path}/delete` : undefined,
      },
    },
    status,
  );
}

type Action = 'publish' | 'deprecate' | 'delete';

/** Each action: the service function the Partner API's route calls, and what the confirm page and the notice say. */
const ACTIONS: Record<Action, { run: (deps: Deps, scope: FlowScope, flowId: string) => Promise<void>; verb: string; consequence: string; done: string; danger: boolean }> = {
  publish: {
    run: publishFlow,
    verb: 'Publish',
    consequence: 'A published flow can be sent to users (mode "published") and can no longer be changed: to change it later, copy it (clone_flow_id) and publish the copy.',
    done: 'published',
    danger: false,
  },
  deprecate: {
    run: deprecateFlow,
    verb: 'Deprecate',
    consequence: 'A deprecated flow can no longer be sent, in any mode. This cannot be undone.',
    done: 'deprecated',
    danger: true,
  },
  delete: {
    run: deleteFlow,
    verb: 'Delete',
    consequence: 'The flow and its Flow JSON are deleted. This cannot be undone.',
    done: 'deleted',
    danger: true,
  },
};

function showConfirm(request: FastifyRequest, reply: FastifyReply, pf: PartnerFlow, action: Action, problem?: string, status = 200) {
  const { partnerId } = hubOf(request);
  const a = ACTIONS[action];
  const path = flowPath(partnerId, pf.waba.id, pf.f.id);
  return hubPage(
    reply,
    request,
    'hub/flow-confirm',
    {
      title: `${a.verb} flow ${pf.f.name}`,
      nav: 'flows',
      problem,
      f: { id: pf.f.id, name: pf.f.name, status: pf.f.status, badge: badge(pf.f.status) },
      action,
      verb: a.verb,
      consequence: a.consequence,
      danger: a.danger,
      postHref: `${path}/${action}`,
      backHref: path,
    },
    status,
  );
}

export const flowPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/flows', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const { form, query, keep } = listForm(request.query, {
      q: { max: 200, filter: 'q' },
      status: { max: 50, filter: 'status' },
      waba_account_id: { max: 100, filter: 'waba_account_id' },
    });
    const list = await listPartnerFlows(deps, partnerId, query);
    const [choices, labelOf, notice] = await Promise.all([
      wabaChoices(deps, partnerId, form.waba_account_id),
      wabaLabels(deps, partnerId, list.flows.map((f) => f.waba_account_id)),
      noticeOf(deps, request),
    ]);
    return hubPage(reply, request, 'hub/flows', {
      title: 'Flows',
      nav: 'flows',
      notice,
      form: { ...form, limit: String(list.limit) },
      sorts: SORTS,
      sizes: PAGE_SIZES,
      statuses: STATUSES,
      wabas: choices,
      newHref: partnerPath(partnerId, form.waba_account_id ? `/flows/new?waba_account_id=${enc(form.waba_account_id)}` : '/flows/new'),
      flows: list.flows.map((f) => ({
        id: f.id,
        href: flowPath(partnerId, f.waba_account_id, f.id),
        name: f.name,
        status: f.status,
        badge: badge(f.status),
        categories: (JSON.parse(f.categories) as string[]).join(', '),
        problems: validationErrorsOf(f).length,
        waba: labelOf.get(f.waba_account_id) ?? f.waba_account_id,
        created_at: fmtTime(f.created_at),
        modified_at: fmtTime(f.modified_at),
      })),
      pager: pager(partnerPath(partnerId, '/flows'), keep, list),
    });
  });

  app.get('/flows/:waba_account_id/:flow_id', { schema: { hide: true } }, async (request, reply) => showFlow(deps, request, reply, await partnerFlow(deps, request)));

  // The Flow JSON as a file, for one too big to show (and for any other): the session's partner only.
  app.get('/flows/:waba_account_id/:flow_id/flow.json', { schema: { hide: true } }, async (request, reply) => {
    const { scope, f } = await partnerFlow(deps, request);
    const asset = await flowAsset(deps, scope, f.id);
    if (!asset || asset.flow_json === null) throw notFound(`Flow ${f.id} has no Flow JSON yet`);
    const name = (asset.asset_name ?? 'flow.json').replace(/[^\w.-]/g, '_').slice(0, 100) || 'flow.json';
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .send(asset.flow_json);
  });

  for (const action of Object.keys(ACTIONS) as Action[]) {
    const a = ACTIONS[action];
    // The confirm step: what will happen, and a form that does it.
    app.get(`/flows/:waba_account_id/:flow_id/${action}`, { schema: { hide: true } }, async (request, reply) => showConfirm(request, reply, await partnerFlow(deps, request), action));

    // As POST …/flows/{id}/publish, POST …/flows/{id}/deprecate, DELETE …/flows/{id}: the same service call.
    app.post(`/flows/:waba_account_id/:flow_id/${action}`, { schema: { hide: true } }, async (request, reply) => {
      const { partnerId } = hubOf(request);
      const pf = await partnerFlow(deps, request);
      try {
        await a.run(deps, pf.scope, pf.f.id);
      } catch (err) {
        // The service's refusal (a lifecycle rule, an asset with errors …), word for word, where it was asked.
        if (err instanceof ApiError && err.status === 400) return showConfirm(request, reply, await partnerFlow(deps, request), action, err.message, 400);
        throw err;
      }
      const notice = `Flow “${pf.f.name}” ${a.done}.`;
      if (action === 'delete') return redirectWithNotice(deps, request, reply, partnerPath(partnerId, `/flows?waba_account_id=${enc(pf.waba.id)}`), notice);
      return redirectWithNotice(deps, request, reply, flowPath(partnerId, pf.waba.id, pf.f.id), notice);
    });
  }
};
