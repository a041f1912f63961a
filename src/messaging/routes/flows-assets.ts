// A flow's assets on the Messaging API (routes/flows.ts), in Meta's Flows API shapes: the Flow JSON
// upload (POST /flows/{id}/assets, in routes/flows.ts's body-parsing scope), the asset list
// (GET /flows/{id}/assets) and the download its download_url names (GET /flows/{id}/assets/FLOW_JSON).
import type { FastifyInstance } from 'fastify';
import { FormData } from 'undici';
import type { MessagingOptions } from '../plugin.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { findFlow, flowAsset, flowAssetInfo } from '../flows/store.ts';
import { uploadFlowAsset } from '../flows/service.ts';
import { discardBody, readFlowAssetUpload } from '../flows/asset-upload.ts';
import { MAX_FLOW_JSON_BYTES } from '../flows/flow-json.ts';
import { AssetList, AssetResult, cloud, FlowParams, security, tags } from './flows-schemas.ts';
import { flowIdOf, graphErrors, scopeOf, toMeta } from './flows-graph.ts';
import { encodeCursor } from './flows-paging.ts';

/** POST /flows/{id}/assets: a DRAFT's Flow JSON, multipart. */
export function uploadFlowAssetRoute(scope: FastifyInstance, { deps, meta }: MessagingOptions): void {
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
}

/** GET /flows/{id}/assets. */
export function listFlowAssetsRoute(app: FastifyInstance, { deps, meta }: MessagingOptions): void {
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
}

/** GET /flows/{id}/assets/FLOW_JSON. */
export function downloadFlowJsonRoute(app: FastifyInstance, { deps }: MessagingOptions): void {
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
}
