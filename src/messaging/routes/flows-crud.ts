// A WABA's flows on the Messaging API (routes/flows.ts), in Meta's Flows API shapes: list, create,
// update, read and delete (GET, POST /flows; POST, GET, DELETE /flows/{id}). routes/flows.ts
// registers each in its place (the creation and the update in its body-parsing scope).
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { invalidParameter } from '../errors.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { fieldsParam } from '../graph-node-fields.ts';
import { FORM_CONTENT_TYPE } from '../../partner-api/form-body.ts';
import { Flow } from '../../partner-api/routes/flows.ts';
import { DEFAULT_FLOW_FIELDS, findFlow, flowToWire, listFlows } from '../flows/store.ts';
import { parseFlowUpdate, parseNewFlow } from '../flows/input.ts';
import { createFlow, deleteFlow, updateFlowMetadata } from '../flows/service.ts';
import { flowWithFields, parseFlowFields } from '../flows/fields.ts';
import { discardBody } from '../flows/asset-upload.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { callerPageUrl, withCallerPaging } from '../page-links.ts';
import { isObj } from '../validate/check.ts';
import { cloud, Created, CREATE_DESCRIPTION, CreateFormFields, Fields, FlowList, FlowParams, ListQuery, security, Success, tags } from './flows-schemas.ts';
import { flowIdOf, graphErrors, scopeOf, toMeta, wabaOf } from './flows-graph.ts';
import { decodeCursor, encodeCursor, pageLimit } from './flows-paging.ts';
import { forMeta, readMultipartFields } from './flows-bodies.ts';

/** GET /flows: the WABA's flows, newest first, with cursor paging. */
export function listFlowsRoute(app: FastifyInstance, { deps, meta }: MessagingOptions): void {
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
      // paging.next/previous: the URL the caller used, its query kept (page-links.ts).
      const url = callerPageUrl(request, deps.config.publicUrl);
      if (ch.network === 'meta') return withCallerPaging(await toMeta(meta, ch, 'GET', (w) => withQuery(`${w}/flows`, { fields: q.fields, limit: q.limit, after: q.after, before: q.before })), url);
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
      return {
        data,
        paging: {
          cursors: { before, after },
          ...(offset + rows.length < total ? { next: url({ limit: String(limit), after }) } : {}),
          ...(offset > 0 ? { previous: url({ limit: String(limit), before }) } : {}),
        },
      };
    },
  );
}

/** POST /flows: JSON, form or multipart. */
export function createFlowRoute(scope: FastifyInstance, { deps, meta }: MessagingOptions): void {
  const policy = () => deps.config.webhookUrlPolicy;

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
}

/** POST /flows/{id}: a DRAFT's metadata. */
export function updateFlowRoute(scope: FastifyInstance, { deps, meta }: MessagingOptions): void {
  const policy = () => deps.config.webhookUrlPolicy;

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
}

/** GET /flows/{id}. */
export function getFlowRoute(app: FastifyInstance, { deps, meta }: MessagingOptions): void {
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
}

/** DELETE /flows/{id}: a DRAFT. */
export function deleteFlowRoute(app: FastifyInstance, { deps, meta }: MessagingOptions): void {
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
}
