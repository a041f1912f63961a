// The flow node of the Messaging API: Meta's bare Graph node /{version}/{flow-id}, beside the root
// paths of routes/flows.ts.
//
// The bare Graph node `/{version}/{flow-id}` arrives at the media routes (GET, DELETE /{media_id})
// or the template edit (POST /message_templates/{id}); graph-node.ts answers it there when the id
// is a flow of the key's WABA, and otherwise leaves the request to those routes.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { fieldsParam } from '../graph-node-fields.ts';
import { findFlow } from '../flows/store.ts';
import { parseFlowUpdate } from '../flows/input.ts';
import { deleteFlow, updateFlowMetadata } from '../flows/service.ts';
import { flowWithFields } from '../flows/fields.ts';
import { FLOW_ID } from './flows-schemas.ts';
import { graphErrors, scopeOf, wabaOf } from './flows-graph.ts';

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
