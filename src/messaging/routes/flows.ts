// WhatsApp Flows on the Messaging API, in Meta's Flows API shapes, for clients written for Meta's
// Cloud API (pywa's create_flow … get_flow_assets, Meta's Postman collection). The key's channel
// names the WABA (and partner) whose flows these are: FlowScope {partnerId, wabaAccountId}; the
// lifecycle rules and Meta's error codes are the flows service's (flows/service.ts), as for the
// Partner API's flow routes.
//
// Root paths, as 360dialog serves a WABA's edges at the root (our choice: 360 documents no flow
// paths on the Messaging API), and the Graph paths graph-paths.ts maps onto them:
//
//   GET    /flows                    /{version}/{waba-id}/flows      `{data, paging:{cursors}}`, fields=
//   POST   /flows                    /{version}/{waba-id}/flows      JSON, form or multipart → {id, success}
//   GET    /flows/{id}               /{version}/{flow-id}            fields= (preview, health_status too)
//   POST   /flows/{id}               /{version}/{flow-id}            metadata → {success}
//   DELETE /flows/{id}               /{version}/{flow-id}            a DRAFT → {success}
//   GET    /flows/{id}/assets        /{version}/{flow-id}/assets     {data:[{name, asset_type, download_url}], paging}
//   POST   /flows/{id}/assets        /{version}/{flow-id}/assets     multipart file, name, asset_type=FLOW_JSON
//   POST   /flows/{id}/publish       /{version}/{flow-id}/publish
//   POST   /flows/{id}/deprecate     /{version}/{flow-id}/deprecate
//
// The bare Graph node `/{version}/{flow-id}` arrives at the media routes (GET, DELETE /{media_id})
// or the template edit (POST /message_templates/{id}); graph-node.ts answers it there when the id
// is a flow of the key's WABA, and otherwise leaves the request to those routes.
//
// A flow that is not the key's WABA's (another WABA's, another partner's, none) answers as Graph
// answers a node the token cannot see: 400, code 100, subcode 33 (media/not-found.ts). Errors of
// the service carry Meta's code, and Meta's error_user_title / error_user_msg as Meta's Flows API
// answers them.
//
// A number on Meta's network has its WABA's flows at Meta: each root path is the same request to
// Meta's Graph API (its WABA id, the flow id as given), and Meta's answer comes back. The bare node
// is not looked up there (that would be a Graph request on every media GET): on Meta's network it
// stays the media or template route's.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { Type } from 'typebox';
import { FormData } from 'undici';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import type { MessagingOptions } from '../plugin.ts';
import { fbtrace, invalidParameter, type MetaErrorInfo } from '../errors.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { fieldsParam } from '../graph-node-fields.ts';
import { multipartLimitError } from '../media/multipart-errors.ts';
import { addFormBodyParser, convertFormTypes, FORM_CONTENT_TYPE } from '../../partner-api/form-body.ts';
import { Flow, ValidationError } from '../../partner-api/routes/flows.ts';
import { DEFAULT_FLOW_FIELDS, findFlow, flowAsset, flowAssetInfo, flowToWire, listFlows, type FlowScope } from '../flows/store.ts';
import { parseFlowUpdate, parseNewFlow } from '../flows/input.ts';
import { createFlow, deleteFlow, deprecateFlow, publishFlow, updateFlowMetadata, uploadFlowAsset } from '../flows/service.ts';
import { flowWithFields, parseFlowFields } from '../flows/fields.ts';
import { discardBody, readFlowAssetUpload } from '../flows/asset-upload.ts';
import { MAX_FLOW_JSON_BYTES } from '../flows/flow-json.ts';
import { withQuery, type MetaCloudApi } from '../../network/meta/cloud-api.ts';
import { isObj } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['WhatsApp Flows (Cloud)'];
const cloud = { flavour: 'cloud' as const };
/** Meta's flow ids are digits (ours 16); anything else is no flow of anyone's. */
const FLOW_ID = /^\d{1,32}$/;

const FlowParams = Type.Object({ flow_id: Type.String({ maxLength: 64 }) });
const Fields = Type.Optional(Type.String({ maxLength: 500, description: 'Comma-separated: id, name, status, categories, validation_errors, json_version, data_api_version, endpoint_uri, whatsapp_business_account (one flow also: preview, preview.invalidate(true|false), health_status)' }));
const ListQuery = Type.Object({
  fields: Fields,
  limit: Type.Optional(Type.String({ maxLength: 20, description: 'Page size (default 25, at most 1000)' })),
  after: Type.Optional(Type.String({ maxLength: 200, description: 'paging.cursors.after of the previous page' })),
  before: Type.Optional(Type.String({ maxLength: 200, description: 'paging.cursors.before of the next page' })),
});
const Paging = Type.Object(
  {
    cursors: Type.Optional(Type.Object({ before: Type.String(), after: Type.String() })),
    next: Type.Optional(Type.String()),
    previous: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const FlowList = Type.Object({ data: Type.Array(Flow), paging: Type.Optional(Paging) }, { additionalProperties: true });
const Created = Type.Object({ id: Type.String(), success: Type.Optional(Type.Boolean()), validation_errors: Type.Optional(Type.Array(ValidationError)) }, { additionalProperties: true });
const Success = Type.Object({ success: Type.Boolean() }, { additionalProperties: true });
const AssetResult = Type.Object({ success: Type.Boolean(), validation_errors: Type.Optional(Type.Array(ValidationError)) }, { additionalProperties: true });
const AssetList = Type.Object(
  { data: Type.Array(Type.Object({ name: Type.String(), asset_type: Type.String(), download_url: Type.String() }, { additionalProperties: true })), paging: Type.Optional(Paging) },
  { additionalProperties: true },
);
/** The typed fields of a form or multipart creation: strings converted as form-body.ts converts them. */
const CreateFormFields = Type.Object({ publish: Type.Optional(Type.Boolean()) });
const CREATE_DESCRIPTION =
  'Body as JSON, application/x-www-form-urlencoded or multipart/form-data (as Meta takes it): name, categories (an array, or the array as a JSON string: ' +
  '["SIGN_UP"|"SIGN_IN"|"APPOINTMENT_BOOKING"|"LEAD_GENERATION"|"SHOPPING"|"CONTACT_US"|"CUSTOMER_SUPPORT"|"SURVEY"|"OTHER"]), flow_json? (the Flow JSON as a string), publish?, clone_flow_id?, endpoint_uri?. ' +
  'Answers {id, success:true} and, with flow_json, its validation_errors.';

const scopeOf = (ch: ChannelRow): FlowScope => ({ partnerId: ch.partner_id, wabaAccountId: ch.waba_account_id });

function wabaOf(deps: Deps, ch: ChannelRow) {
  return deps.db.kysely
    .selectFrom('waba_accounts')
    .select(['external_id', 'name', 'fb_business_id'])
    .where('id', '=', ch.waba_account_id)
    .where('partner_id', '=', ch.partner_id)
    .executeTakeFirstOrThrow();
}

/**
 * The service's errors in Graph's words: its "not found" (a flow of no one, or of another WABA or
 * partner) is Graph's node error; its Meta-coded refusals carry Meta's error_user_title and
 * error_user_msg beside the message, as Meta's Flows API answers (pywa reads both, optionally).
 */
function graphFlowError(err: unknown, method: string, flowId: string | undefined): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.status === 404 && flowId !== undefined) return graphNodeNotFound(method, flowId);
  const info = err.extra as MetaErrorInfo | undefined;
  if (err.status !== 400 || typeof info?.metaCode !== 'number' || info.graph) return err;
  const graph = {
    message: `(#${info.metaCode}) ${info.title ?? 'Invalid parameter'}`,
    type: 'OAuthException',
    code: info.metaCode,
    ...(info.subcode !== undefined ? { error_subcode: info.subcode } : {}),
    is_transient: false,
    error_user_title: info.title ?? 'Invalid parameter',
    error_user_msg: err.message,
    error_data: { messaging_product: 'whatsapp', details: err.message },
    fbtrace_id: fbtrace(),
  };
  return new ApiError(err.status, err.message, { extra: { ...info, graph } satisfies MetaErrorInfo });
}

async function graphErrors<T>(method: string, flowId: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw graphFlowError(err, method, flowId);
  }
}

/** The flow id of the path, when it can be a flow at all. */
function flowIdOf(request: FastifyRequest): string {
  const id = (request.params as { flow_id: string }).flow_id;
  if (!FLOW_ID.test(id)) throw graphNodeNotFound(request.method, id);
  return id;
}

// ---- cursors: the list is newest first; a cursor is the offset it stands at ----

const encodeCursor = (offset: number) => Buffer.from(`flows:${offset}`).toString('base64url');
function decodeCursor(raw: string, param: string): number {
  const m = /^flows:(\d{1,9})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m) throw invalidParameter(`${param}: not a cursor from this API (use paging.cursors.${param} of a previous page)`);
  return Number(m[1]);
}
function pageLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 25;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw invalidParameter(`limit must be a whole number from 1, got "${raw.slice(0, 20)}"`);
  return Math.min(Number(raw), 1000);
}

// ---- request bodies: JSON, form, multipart ----

/** A multipart creation's fields (flow_json may also come as a file), converted like a form's. */
async function readMultipartFields(request: FastifyRequest): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const tooLarge = () => new ApiError(413, `flow_json: the Flow JSON may be at most ${MAX_FLOW_JSON_BYTES} bytes`);
  try {
    for await (const part of request.parts({ limits: { files: 1, fields: 12, parts: 13, fieldSize: MAX_FLOW_JSON_BYTES, fileSize: MAX_FLOW_JSON_BYTES } })) {
      if (part.fieldname === '__proto__' || part.fieldname === 'constructor' || part.fieldname === 'prototype') throw invalidParameter('a form field has a reserved name');
      if (part.type === 'field') {
        body[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'flow_json') {
        part.file.resume();
        throw invalidParameter(`${part.fieldname.slice(0, 40)}: unexpected file field; only flow_json may be sent as a file`);
      }
      const buf = await part.toBuffer();
      if (part.file.truncated) throw tooLarge();
      body.flow_json = buf.toString('utf8');
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw multipartLimitError(err, ['name', 'categories', 'flow_json', 'publish', 'clone_flow_id', 'endpoint_uri'], tooLarge) ?? invalidParameter(`malformed multipart body: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`);
  }
  convertFormTypes(CreateFormFields, body);
  return body;
}

/** Meta takes categories as an array, or (form clients) the array as a JSON string: Meta's JSON body gets the array. */
function forMeta(body: Record<string, unknown>): Record<string, unknown> {
  if (typeof body.categories !== 'string') return body;
  try {
    const parsed: unknown = JSON.parse(body.categories);
    return Array.isArray(parsed) ? { ...body, categories: parsed } : body;
  } catch {
    return body;
  }
}

/**
 * GET, POST and DELETE /{version}/{flow-id} (graph-node.ts dispatches the bare node): the flow
 * node's answer when the id is a flow of the key's WABA (a sandbox number's: on Meta's network the
 * bare node is not looked up), or undefined to leave the request to the media and template routes.
 */
export async function flowNode(deps: Deps, request: FastifyRequest, ch: ChannelRow, id: string): Promise<{ answer: unknown } | undefined> {
  if (ch.network === 'meta' || !FLOW_ID.test(id)) return undefined;
  const method = request.method;
  const scope = scopeOf(ch);
  const f = await findFlow(deps, scope, id);
  if (!f) return undefined;
  const answer = await graphErrors(method, id, async () => {
    if (method === 'GET') return flowWithFields(deps, scope, f, await wabaOf(deps, ch), fieldsParam(request));
    if (method === 'POST') await updateFlowMetadata(deps, scope, id, parseFlowUpdate(request.body, deps.config.webhookUrlPolicy));
    else await deleteFlow(deps, scope, id);
    return { success: true };
  });
  return { answer };
}


export const flowCloudRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  const policy = () => deps.config.webhookUrlPolicy;
  const toMeta = (m: MetaCloudApi, ch: ChannelRow, method: 'GET' | 'POST' | 'DELETE', path: (wabaId: string) => string, body?: Parameters<MetaCloudApi['json']>[3]) =>
    m.json(ch, method, (c) => path(c.wabaId), body);

  app.get(
    '/flows',
    {
      config: cloud,
      schema: {
        tags,
        summary: "The WABA's flows (Meta's list: data and cursor paging, newest first)",
        description: `fields default to ${DEFAULT_FLOW_FIELDS.join(', ')}.`,
        security,
        querystring: ListQuery,
        response: { 200: FlowList },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const q = request.query as { fields?: string; limit?: string; after?: string; before?: string };
      if (ch.network === 'meta') return toMeta(meta, ch, 'GET', (w) => withQuery(`${w}/flows`, { fields: q.fields, limit: q.limit, after: q.after, before: q.before }));
      const fields = parseFlowFields(q.fields, DEFAULT_FLOW_FIELDS);
      const limit = pageLimit(q.limit);
      let offset = 0;
      if (q.after) offset = decodeCursor(q.after, 'after');
      else if (q.before) offset = Math.max(0, decodeCursor(q.before, 'before') - limit);
      const [{ rows, total }, waba] = await Promise.all([listFlows(deps, scopeOf(ch), { limit, offset }), wabaOf(deps, ch)]);
      const data = rows.map((r) => flowToWire(r, fields, waba));
      if (rows.length === 0) return { data };
      const before = encodeCursor(offset);
      const after = encodeCursor(offset + rows.length);
      const common: Record<string, string> = { limit: String(limit), ...(q.fields ? { fields: q.fields } : {}) };
      const url = (p: Record<string, string>) => `${deps.config.publicUrl}/flows?${new URLSearchParams({ ...common, ...p }).toString()}`;
      return {
        data,
        paging: {
          cursors: { before, after },
          ...(offset + rows.length < total ? { next: url({ after }) } : {}),
          ...(offset > 0 ? { previous: url({ before }) } : {}),
        },
      };
    },
  );

  // The bodies: JSON (the app's parser), forms and multipart (this scope's), and the asset upload.
  await app.register(async (scope) => {
    await scope.register(multipart);
    addFormBodyParser(scope);

    scope.post(
      '/flows',
      {
        config: { ...cloud, formFields: CreateFormFields },
        schema: {
          tags,
          summary: 'Create a flow (DRAFT; PUBLISHED with flow_json and publish:true)',
          description: CREATE_DESCRIPTION,
          security,
          consumes: ['application/json', FORM_CONTENT_TYPE, 'multipart/form-data'],
          body: Type.Unknown({ description: '{"name","categories":[…],"flow_json"?,"publish"?,"clone_flow_id"?,"endpoint_uri"?}' }),
          response: { 200: Created },
        },
      },
      async (request) => {
        const ch = request.channel!;
        let body: unknown = request.body;
        try {
          if (request.isMultipart()) body = await readMultipartFields(request);
        } catch (err) {
          discardBody(request);
          throw err;
        }
        if (ch.network === 'meta') {
          if (!isObj(body)) throw invalidParameter('body: must be an object such as {"name":"Sign up","categories":["SIGN_UP"]}');
          const json = forMeta(body);
          return toMeta(meta, ch, 'POST', (w) => `${w}/flows`, { json });
        }
        return graphErrors('POST', undefined, async () => {
          const input = parseNewFlow(body, policy());
          const created = await createFlow(deps, scopeOf(ch), input);
          // Meta answers validation_errors when the creation carried a Flow JSON (or copied one).
          const withErrors = input.flowJson !== undefined || input.cloneFlowId !== undefined;
          return { id: created.id, success: true, ...(withErrors ? { validation_errors: created.validation_errors } : {}) };
        });
      },
    );

    scope.post(
      '/flows/:flow_id',
      {
        config: cloud,
        schema: {
          tags,
          summary: "Update a DRAFT flow's name, categories or endpoint_uri (Meta's POST /{flow-id})",
          security,
          consumes: ['application/json', FORM_CONTENT_TYPE],
          params: FlowParams,
          body: Type.Unknown({ description: '{"name"?,"categories"?,"endpoint_uri"?,"application_id"?}' }),
          response: { 200: Success },
        },
      },
      async (request) => {
        const ch = request.channel!;
        if (request.isMultipart()) {
          discardBody(request);
          throw invalidParameter('Content-Type: send the changes as JSON or application/x-www-form-urlencoded');
        }
        const id = flowIdOf(request);
        if (ch.network === 'meta') {
          const json = isObj(request.body) ? forMeta(request.body) : request.body;
          return toMeta(meta, ch, 'POST', () => encodeURIComponent(id), { json: json ?? {} });
        }
        return graphErrors('POST', id, async () => {
          await updateFlowMetadata(deps, scopeOf(ch), id, parseFlowUpdate(request.body, policy()));
          return { success: true };
        });
      },
    );

    scope.post(
      '/flows/:flow_id/assets',
      {
        config: cloud,
        schema: {
          tags,
          summary: "Upload a DRAFT flow's Flow JSON",
          description: `multipart/form-data: file (the Flow JSON, at most ${MAX_FLOW_JSON_BYTES / 1024 / 1024} MB), name ("flow.json"), asset_type=FLOW_JSON. Problems in the JSON are answered as validation_errors (200), as Meta answers them.`,
          security,
          consumes: ['multipart/form-data'],
          params: FlowParams,
          response: { 200: AssetResult },
        },
      },
      async (request) => {
        const ch = request.channel!;
        try {
          const id = flowIdOf(request);
          if (ch.network === 'meta') {
            const upload = await readFlowAssetUpload(request);
            const form = new FormData();
            form.append('file', new Blob([upload.file], { type: 'application/json' }), upload.name);
            form.append('name', upload.name);
            form.append('asset_type', 'FLOW_JSON');
            return await toMeta(meta, ch, 'POST', () => `${encodeURIComponent(id)}/assets`, { form });
          }
          const scope = scopeOf(ch);
          if (!(await findFlow(deps, scope, id))) throw graphNodeNotFound('POST', id);
          const upload = await readFlowAssetUpload(request);
          return await graphErrors('POST', id, async () => ({ success: true, validation_errors: await uploadFlowAsset(deps, scope, id, upload.file, upload.name) }));
        } catch (err) {
          discardBody(request);
          throw err;
        }
      },
    );

    for (const [action, summary, run] of [
      ['publish', 'Publish a DRAFT flow (it can no longer be changed)', publishFlow],
      ['deprecate', 'Deprecate a published flow (it can no longer be sent)', deprecateFlow],
    ] as const) {
      scope.post(
        `/flows/:flow_id/${action}`,
        { config: cloud, schema: { tags, summary, security, params: FlowParams, response: { 200: Success } } },
        async (request) => {
          const ch = request.channel!;
          // No body is read: a multipart one (Postman's form-data) is discarded.
          if (request.isMultipart()) discardBody(request);
          const id = flowIdOf(request);
          if (ch.network === 'meta') return toMeta(meta, ch, 'POST', () => `${encodeURIComponent(id)}/${action}`);
          return graphErrors('POST', id, async () => {
            await run(deps, scopeOf(ch), id);
            return { success: true };
          });
        },
      );
    }
  });

  app.get(
    '/flows/:flow_id',
    {
      config: cloud,
      schema: {
        tags,
        summary: "A flow (Meta's GET /{flow-id})",
        description:
          'fields as Meta takes them; preview (or preview.invalidate(true|false)) answers preview: {preview_url, expires_at}; health_status answers Meta\'s health_status (a flow with an endpoint has it pinged).',
        security,
        params: FlowParams,
        querystring: Type.Object({ fields: Fields }),
        response: { 200: Flow },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const id = flowIdOf(request);
      const fields = fieldsParam(request);
      if (ch.network === 'meta') return toMeta(meta, ch, 'GET', () => withQuery(encodeURIComponent(id), { fields }));
      const scope = scopeOf(ch);
      const f = await findFlow(deps, scope, id);
      if (!f) throw graphNodeNotFound('GET', id);
      return graphErrors('GET', id, async () => flowWithFields(deps, scope, f, await wabaOf(deps, ch), fields));
    },
  );

  app.delete(
    '/flows/:flow_id',
    { config: cloud, schema: { tags, summary: 'Delete a DRAFT flow', security, params: FlowParams, response: { 200: Success } } },
    async (request) => {
      const ch = request.channel!;
      const id = flowIdOf(request);
      if (ch.network === 'meta') return toMeta(meta, ch, 'DELETE', () => encodeURIComponent(id));
      return graphErrors('DELETE', id, async () => {
        await deleteFlow(deps, scopeOf(ch), id);
        return { success: true };
      });
    },
  );

  app.get(
    '/flows/:flow_id/assets',
    { config: cloud, schema: { tags, summary: "A flow's assets (its Flow JSON), Meta's list", security, params: FlowParams, response: { 200: AssetList } } },
    async (request) => {
      const ch = request.channel!;
      const id = flowIdOf(request);
      if (ch.network === 'meta') return toMeta(meta, ch, 'GET', () => `${encodeURIComponent(id)}/assets`);
      const asset = await flowAssetInfo(deps, scopeOf(ch), id);
      if (!asset) throw graphNodeNotFound('GET', id);
      // Meta's download_url is a CDN link; ours is the route below, with the same key.
      const data = asset.kept ? [{ name: asset.name ?? 'flow.json', asset_type: 'FLOW_JSON', download_url: `${deps.config.publicUrl}/flows/${id}/assets/FLOW_JSON` }] : [];
      const cursor = encodeCursor(0);
      return { data, paging: { cursors: { before: cursor, after: cursor } } };
    },
  );

  app.get(
    '/flows/:flow_id/assets/FLOW_JSON',
    { config: cloud, schema: { tags, summary: "Download a flow's Flow JSON (the download_url of its asset; same key)", security, params: FlowParams } },
    async (request, reply) => {
      const ch = request.channel!;
      const id = flowIdOf(request);
      const asset = ch.network === 'meta' ? undefined : await flowAsset(deps, scopeOf(ch), id);
      if (!asset || asset.flow_json === null) throw graphNodeNotFound('GET', id);
      return reply.type('application/json; charset=utf-8').header('cache-control', 'private, no-store').send(asset.flow_json);
    },
  );

};
