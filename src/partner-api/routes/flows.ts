// A WABA's WhatsApp Flows through the Partner API, which 360dialog passes through to Meta's Flows
// API: list, create, read, update, upload the Flow JSON, publish, deprecate, delete (lifecycle
// rules and error codes in messaging/flows/service.ts). The WABA must be the partner's, and the
// flow the WABA's and the partner's (every store query names both): another partner's WABA, or a
// flow of another WABA or partner, is the same 404 the template routes give. Errors are in the Partner API's body, Meta's code in the message.
//
// Shapes: the list is 360dialog's `{flows, count, total}` (its Partner API OpenAPI, AllFlowsOut)
// with Meta's flow objects inside; creation answers Meta's `{id, success, validation_errors}` with
// 201 (as a 360 client's fixture shows); the others answer Meta's `{success: true}`. The asset
// list is 360's `{assets, count, total}` (a client fixture), its download_url one of these routes.
// 360 documents no rate limit for flows, so none is applied (rate-limits.ts limits only those it does).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getWabaAccount, type WabaAccountRow } from '../../services/waba-accounts.ts';
import { invalidParameter } from '../../messaging/errors.ts';
import { DEFAULT_FLOW_FIELDS, FLOW_FIELDS, findFlow, flowAsset, flowAssetInfo, flowToWire, listFlows } from '../../messaging/flows/store.ts';
import { parseFlowUpdate, parseNewFlow } from '../../messaging/flows/input.ts';
import { createFlow, deleteFlow, deprecateFlow, flowNotFound, publishFlow, updateFlowMetadata, uploadFlowAsset, type FlowScope } from '../../messaging/flows/service.ts';
import { flowWithFields, parseFlowFields } from '../../messaging/flows/fields.ts';
import { discardBody, readFlowAssetUpload } from '../../messaging/flows/asset-upload.ts';
import { MAX_FLOW_JSON_BYTES } from '../../messaging/flows/flow-json.ts';
import { PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';

const WabaParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), waba_account_id: Type.String({ maxLength: 64 }) });
const FlowParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), waba_account_id: Type.String({ maxLength: 64 }), flow_id: Type.String({ maxLength: 64 }) });
const FieldsQuery = Type.Object({ fields: Type.Optional(Type.String({ maxLength: 500, description: `Comma-separated: ${FLOW_FIELDS.join(', ')} (one flow also: preview, health_status)` })) });
const ListQuery = Type.Object({
  fields: FieldsQuery.properties.fields,
  limit: Type.Optional(Type.String({ description: 'Page size (default 1000, at most 1000)' })),
  offset: Type.Optional(Type.String({ description: 'Flows to skip' })),
});
const Position = {
  line_start: Type.Optional(Type.Integer()),
  line_end: Type.Optional(Type.Integer()),
  column_start: Type.Optional(Type.Integer()),
  column_end: Type.Optional(Type.Integer()),
};
export const ValidationError = Type.Object(
  {
    error: Type.String({ description: 'INVALID_FLOW_JSON, INVALID_PROPERTY_VALUE, MISSING_REQUIRED_TYPE_PROPERTY, …' }),
    error_type: Type.String({ description: 'FLOW_JSON_ERROR' }),
    message: Type.String(),
    ...Position,
    pointers: Type.Optional(Type.Array(Type.Object({ ...Position, path: Type.String({ description: 'screens[0].layout.children[1].type' }) }, { additionalProperties: true }))),
  },
  { additionalProperties: true },
);
export const Flow = Type.Object(
  {
    id: Type.String(),
    name: Type.Optional(Type.String()),
    status: Type.Optional(Type.String({ description: 'DRAFT | PUBLISHED | DEPRECATED | BLOCKED | THROTTLED' })),
    categories: Type.Optional(Type.Array(Type.String())),
    validation_errors: Type.Optional(Type.Array(ValidationError)),
    json_version: Type.Optional(Type.String()),
    data_api_version: Type.Optional(Type.String()),
    endpoint_uri: Type.Optional(Type.String()),
    whatsapp_business_account: Type.Optional(Type.Object({ id: Type.String(), name: Type.String() })),
    preview: Type.Optional(Type.Object({ preview_url: Type.String(), expires_at: Type.String({ description: 'Meta\'s form: 2026-02-01T00:00:00+0000' }) })),
    health_status: Type.Optional(
      Type.Object({
        can_send_message: Type.String({ description: 'AVAILABLE | LIMITED | BLOCKED' }),
        entities: Type.Array(
          Type.Object(
            {
              entity_type: Type.String({ description: 'FLOW | WABA | BUSINESS' }),
              id: Type.String(),
              can_send_message: Type.String(),
              errors: Type.Optional(Type.Array(Type.Object({ error_code: Type.Integer(), error_description: Type.String(), possible_solution: Type.String() }))),
              additional_info: Type.Optional(Type.Array(Type.String())),
            },
          ),
        ),
      }),
    ),
  },
  { additionalProperties: true },
);
const FlowList = Type.Object({ flows: Type.Array(Flow), count: Type.Integer(), total: Type.Integer() });
const Created = Type.Object({ id: Type.String(), success: Type.Boolean(), validation_errors: Type.Array(ValidationError) });
const Success = Type.Object({ success: Type.Boolean() });
const AssetResult = Type.Object({ success: Type.Boolean(), validation_errors: Type.Array(ValidationError) });
const AssetList = Type.Object({
  assets: Type.Array(Type.Object({ name: Type.String(), asset_type: Type.String(), download_url: Type.String() })),
  count: Type.Integer(),
  total: Type.Integer(),
});
const CreateBody = Type.Unknown({
  description: '{"name","categories":["SIGN_UP"|"SIGN_IN"|"APPOINTMENT_BOOKING"|"LEAD_GENERATION"|"SHOPPING"|"CONTACT_US"|"CUSTOMER_SUPPORT"|"SURVEY"|"OTHER"],"endpoint_uri"?,"clone_flow_id"?,"flow_json"?,"publish"?}',
});

/** A paging parameter; like the other Partner API lists (list-query.ts), a limit below 1 is refused rather than answered with an empty page. */
function pageParam(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw invalidParameter(`${name} must be a whole number, got "${raw.slice(0, 20)}"`);
  if (Number(raw) < min) throw invalidParameter(`${name} must be at least ${min}`);
  return Math.min(Number(raw), max);
}

export const flowRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['WhatsApp Flows'];
  const base = '/partners/:partner_id/waba_accounts/:waba_account_id/flows';
  const scopeOf = (waba: WabaAccountRow): FlowScope => ({ partnerId: waba.partner_id, wabaAccountId: waba.id });
  const waba = (p: { partner_id: string; waba_account_id: string }) => getWabaAccount(deps, p.partner_id, p.waba_account_id);

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "List a WABA's flows (newest first)",
        description: `Each flow in Meta's shape; fields default to ${DEFAULT_FLOW_FIELDS.join(', ')}.`,
        security: PARTNER_SECURITY,
        params: WabaParams,
        querystring: ListQuery,
        response: { 200: FlowList, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const w = await waba(request.params);
      const fields = parseFlowFields(request.query.fields, DEFAULT_FLOW_FIELDS);
      const page = { limit: pageParam(request.query.limit, 'limit', 1000, 1, 1000), offset: pageParam(request.query.offset, 'offset', 0, 0, 1e9) };
      const { rows, total } = await listFlows(deps, scopeOf(w), page);
      return { flows: rows.map((r) => flowToWire(r, fields, w)), count: rows.length, total };
    },
  );

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create a flow (DRAFT)',
        description:
          'flow_json (the Flow JSON as a string) with publish:true creates it PUBLISHED when the JSON is valid; clone_flow_id copies a flow of the same WABA. ' +
          'endpoint_uri follows OPENWABA_WEBHOOK_URL_POLICY: strict (production) takes https URLs of public hosts only, local also http and loopback.',
        security: PARTNER_SECURITY,
        params: WabaParams,
        body: CreateBody,
        response: { 201: Created, ...PARTNER_ERRORS },
      },
      // A form's publish=true as the boolean parseNewFlow checks for (form-body.ts).
      config: { formFields: Type.Object({ publish: Type.Optional(Type.Boolean()) }) },
    },
    async (request, reply) => {
      const w = await waba(request.params);
      const created = await createFlow(deps, scopeOf(w), parseNewFlow(request.body, deps.config.webhookUrlPolicy));
      return reply.status(201).send({ id: created.id, success: true, validation_errors: created.validation_errors });
    },
  );

  app.get(
    `${base}/:flow_id`,
    {
      schema: {
        tags,
        summary: 'Retrieve a flow',
        description:
          `Fields default to ${DEFAULT_FLOW_FIELDS.join(', ')}, with json_version, data_api_version and endpoint_uri when the flow has them. ` +
          'preview (or preview.invalidate(false)) answers preview: {preview_url, expires_at}, a 30-day link to a page showing the flow (no login); preview.invalidate(true) ends the earlier links and makes a new one. ' +
          'health_status answers Meta\'s health_status: {can_send_message: AVAILABLE | LIMITED | BLOCKED, entities: [FLOW, WABA, BUSINESS]}; for a flow with an endpoint (data_api_version) openwaba sends the endpoint WhatsApp\'s encrypted health check ({"action":"ping"}, answered {"data":{"status":"active"}}) at each request, and a failure is the FLOW entity\'s error (BLOCKED), naming what the endpoint did wrong.',
        security: PARTNER_SECURITY,
        params: FlowParams,
        querystring: FieldsQuery,
        response: { 200: Flow, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const w = await waba(request.params);
      const f = await findFlow(deps, scopeOf(w), request.params.flow_id);
      if (!f) throw flowNotFound(request.params.flow_id);
      return flowWithFields(deps, scopeOf(w), f, w, request.query.fields);
    },
  );

  app.post(
    `${base}/:flow_id`,
    {
      schema: {
        tags,
        summary: "Update a DRAFT flow's name, categories or endpoint_uri",
        security: PARTNER_SECURITY,
        params: FlowParams,
        body: Type.Unknown({ description: '{"name"?,"categories"?,"endpoint_uri"?}' }),
        response: { 200: Success, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const w = await waba(request.params);
      await updateFlowMetadata(deps, scopeOf(w), request.params.flow_id, parseFlowUpdate(request.body, deps.config.webhookUrlPolicy));
      return { success: true };
    },
  );

  // The upload: multipart, read by the handler within its own limit (not against the 1 MiB body limit).
  await app.register(async (scope) => {
    await scope.register(multipart);
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      `${base}/:flow_id/assets`,
      {
        schema: {
          tags,
          summary: "Upload a DRAFT flow's Flow JSON",
          description: `multipart/form-data: file (the Flow JSON, at most ${MAX_FLOW_JSON_BYTES / 1024 / 1024} MB), name ("flow.json"), asset_type=FLOW_JSON. Problems in the JSON are answered as validation_errors (200), as Meta answers them.`,
          security: PARTNER_SECURITY,
          consumes: ['multipart/form-data'],
          params: FlowParams,
          response: { 200: AssetResult, ...PARTNER_ERRORS },
        },
      },
      async (request) => {
        try {
          const w = await waba(request.params);
          const scopeOfWaba = scopeOf(w);
          if (!(await findFlow(deps, scopeOfWaba, request.params.flow_id))) throw flowNotFound(request.params.flow_id);
          const upload = await readFlowAssetUpload(request);
          return { success: true, validation_errors: await uploadFlowAsset(deps, scopeOfWaba, request.params.flow_id, upload.file, upload.name) };
        } catch (err) {
          discardBody(request);
          throw err;
        }
      },
    );
  });

  app.get(
    `${base}/:flow_id/assets`,
    { schema: { tags, summary: "A flow's assets (its Flow JSON)", security: PARTNER_SECURITY, params: FlowParams, response: { 200: AssetList, ...PARTNER_ERRORS } } },
    async (request) => {
      const { partner_id, waba_account_id, flow_id } = request.params;
      const w = await waba(request.params);
      const asset = await flowAssetInfo(deps, scopeOf(w), flow_id);
      if (!asset) throw flowNotFound(flow_id);
      const url = `${deps.config.publicUrl}/api/v2/partners/${encodeURIComponent(partner_id)}/waba_accounts/${encodeURIComponent(waba_account_id)}/flows/${encodeURIComponent(flow_id)}/assets/FLOW_JSON`;
      const assets = asset.kept ? [{ name: asset.name ?? 'flow.json', asset_type: 'FLOW_JSON', download_url: url }] : [];
      return { assets, count: assets.length, total: assets.length };
    },
  );

  app.get(
    `${base}/:flow_id/assets/FLOW_JSON`,
    { schema: { tags, summary: "Download a flow's Flow JSON (the download_url of its asset; same credentials)", security: PARTNER_SECURITY, params: FlowParams } },
    async (request, reply) => {
      const w = await waba(request.params);
      const asset = await flowAsset(deps, scopeOf(w), request.params.flow_id);
      if (!asset) throw flowNotFound(request.params.flow_id);
      if (asset.flow_json === null) throw invalidParameter(`flow ${request.params.flow_id} has no Flow JSON`);
      return reply.type('application/json; charset=utf-8').header('cache-control', 'private, no-store').send(asset.flow_json);
    },
  );

  for (const [action, summary, description, run] of [
    [
      'publish',
      'Publish a DRAFT flow (it can no longer be changed)',
      "A flow with an endpoint (data_api_version) also needs its endpoint_uri (under today's OPENWABA_WEBHOOK_URL_POLICY) and a business public key on one of the WABA's numbers. " +
        'Unlike Meta, publishing does not call the endpoint (a flow may be published before its endpoint runs); GET the flow with fields=health_status to check the endpoint.',
      publishFlow,
    ],
    ['deprecate', 'Deprecate a published flow (it can no longer be sent)', undefined, deprecateFlow],
  ] as const) {
    app.post(
      `${base}/:flow_id/${action}`,
      { schema: { tags, summary, ...(description ? { description } : {}), security: PARTNER_SECURITY, params: FlowParams, response: { 200: Success, ...PARTNER_ERRORS } } },
      async (request) => {
        const w = await waba(request.params);
        await run(deps, scopeOf(w), request.params.flow_id);
        return { success: true };
      },
    );
  }

  app.delete(
    `${base}/:flow_id`,
    { schema: { tags, summary: 'Delete a DRAFT flow', security: PARTNER_SECURITY, params: FlowParams, response: { 200: Success, ...PARTNER_ERRORS } } },
    async (request) => {
      const w = await waba(request.params);
      await deleteFlow(deps, scopeOf(w), request.params.flow_id);
      return { success: true };
    },
  );
};
