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
// A number on Meta's network has its WABA's flows at Meta: each root path is the same request to
// Meta's Graph API (its WABA id, the flow id as given), and Meta's answer comes back. The bare node
// is not looked up there (that would be a Graph request on every media GET): on Meta's network it
// stays the media or template route's.
//
// This plugin registers the routes in their order (the OpenAPI document's): the flows themselves
// in flows-crud.ts, their assets in flows-assets.ts, publish and deprecate in flows-lifecycle.ts;
// the bare node is flows-node.ts's; the schemas, Graph's errors, paging and bodies beside them
// (flows-schemas.ts, flows-graph.ts, flows-paging.ts, flows-bodies.ts).
import type { FastifyPluginAsync } from 'fastify';
import multipart from '@fastify/multipart';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { createFlowRoute, deleteFlowRoute, getFlowRoute, listFlowsRoute, updateFlowRoute } from './flows-crud.ts';
import { downloadFlowJsonRoute, listFlowAssetsRoute, uploadFlowAssetRoute } from './flows-assets.ts';
import { flowLifecycleRoutes } from './flows-lifecycle.ts';

export const flowCloudRoutes: FastifyPluginAsync<MessagingOptions> = async (app, opts) => {
  listFlowsRoute(app, opts);

  // The bodies: JSON (the app's parser), forms and multipart (this scope's), and the asset upload.
  await app.register(async (scope) => {
    await scope.register(multipart);
    addFormBodyParser(scope);
    createFlowRoute(scope, opts);
    updateFlowRoute(scope, opts);
    uploadFlowAssetRoute(scope, opts);
    flowLifecycleRoutes(scope, opts);
  });

  getFlowRoute(app, opts);
  deleteFlowRoute(app, opts);
  listFlowAssetsRoute(app, opts);
  downloadFlowJsonRoute(app, opts);
};
