// A flow's lifecycle on the Messaging API (routes/flows.ts): POST /flows/{id}/publish and
// /flows/{id}/deprecate (Meta's /{version}/{flow-id}/publish, /deprecate); the rules are the flows
// service's (flows/service.ts).
import type { FastifyInstance } from 'fastify';
import type { MessagingOptions } from '../plugin.ts';
import { deprecateFlow, publishFlow } from '../flows/service.ts';
import { discardBody } from '../flows/asset-upload.ts';
import { cloud, FlowParams, security, Success, tags } from './flows-schemas.ts';
import { flowIdOf, graphErrors, scopeOf, toMeta } from './flows-graph.ts';

/** POST /flows/{id}/publish, then /deprecate (in routes/flows.ts's body-parsing scope). */
export function flowLifecycleRoutes(scope: FastifyInstance, { deps, meta }: MessagingOptions): void {
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
}
