// The bare Graph node, `/{version}/{id}` (graph-paths.ts), for GET, POST and DELETE.
//
// The rewrite cannot tell what an id names without a lookup, so it sends the bare node to the
// routes that take most of them (GET and DELETE /{media_id}, POST /message_templates/{id}: the
// template edit) and this hook, after authentication, answers the nodes that are not those:
//
//   GET     the key's phone number (its phone number id or openwaba id): the phone number node;
//           the key's WABA (its Meta id, openwaba's, or the one a Meta-network number was
//           attached with): the WhatsApp Business Account node (waba-node.ts);
//           a flow of the key's WABA: the flow node (routes/flows-node.ts);
//           a template of the key's WABA: the template node (Meta's GET /{template-id});
//   POST    the key's phone number: Meta's webhook override (webhook_configuration; webhook-override.ts),
//           or its two-step PIN or display name request (pin, new_display_name; phone-number-update.ts);
//           a flow of the key's WABA: its metadata update (else the template edit);
//   DELETE  a flow of the key's WABA (else media).
//
// Anything else goes on to the media or template route, which answers Graph's 400 code 100
// subcode 33 for an id the key cannot see. On Meta's network, the phone number and WABA nodes are
// Meta's answers; flows and templates are not looked up there on the bare node (each would cost a
// Graph request on every media GET): their root paths (/flows/{id}, /message_templates/{id}) serve
// them. The hook is callback-style and returns at once for every request that did not come on a
// bare Graph node: the send path pays one property read.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Deps } from '../deps.ts';
import type { MetaCloudApi } from '../network/meta/cloud-api.ts';
import { metaPhoneNumber, metaWabaNode } from '../network/meta/profile-proxy.ts';
import { metaNumberOverride } from '../network/meta/webhook-override-proxy.ts';
import type { ChannelRow } from '../services/channels.ts';
import { graphPathOf, isKeysWaba, NUMERIC } from './graph-paths.ts';
import { phoneNumberNode } from './phone-number-node.ts';
import { flowNode } from './routes/flows-node.ts';
import { templateNode } from './templates/list.ts';
import { showSampleUrlsIn } from './templates/sample-url.ts';
import { fieldsParam } from './graph-node-fields.ts';
import { wabaNode } from './waba-node.ts';
import { graphParams } from './graph-params.ts';
import { setNumberOverride } from './webhook-override.ts';
import { applyPhoneNumberUpdate, parsePhoneNumberUpdate } from './phone-number-update.ts';

/** The routes the rewrite sends a bare node to, by method. */
function isBareNodeRoute(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  const method = request.method;
  return route === '/:media_id' ? method === 'GET' || method === 'DELETE' : route === '/message_templates/:template_id' && method === 'POST';
}


/** The node's answer, or undefined when the id is none of the nodes above (the route then takes the request). */
async function answerNode(deps: Deps, meta: MetaCloudApi, request: FastifyRequest, ch: ChannelRow, id: string): Promise<{ answer: unknown } | undefined> {
  const get = request.method === 'GET';
  if (get && (id === ch.external_id || id === ch.id)) {
    const fields = fieldsParam(request);
    return { answer: ch.network === 'meta' ? await metaPhoneNumber(meta, ch, fields) : await phoneNumberNode(deps, ch, fields) };
  }
  // POST /{version}/{phone-number-id}: Meta's webhook override of the number (webhook-override.ts).
  if (request.method === 'POST' && (id === ch.external_id || id === ch.id)) {
    const params = graphParams(request);
    // Two-step verification PIN or a display name request (phone-number-update.ts).
    const update = parsePhoneNumberUpdate(params);
    if (update) {
      if (ch.network === 'meta') return { answer: await meta.json(ch, 'POST', (c) => c.phoneNumberId, { json: update }) };
      await applyPhoneNumberUpdate(deps, ch, update);
      return { answer: { success: true } };
    }
    return { answer: ch.network === 'meta' ? await metaNumberOverride(meta, ch, params) : await setNumberOverride(deps, ch, params) };
  }
  if (get && (await isKeysWaba(deps, ch, id))) {
    const fields = fieldsParam(request);
    return { answer: ch.network === 'meta' ? await metaWabaNode(meta, ch, fields) : await wabaNode(deps, ch, fields) };
  }
  if (ch.network === 'meta' || !NUMERIC.test(id)) return undefined;
  const flow = await flowNode(deps, request, ch, id);
  if (flow || !get) return flow;
  const template = await templateNode(deps, ch.waba_account_id, id, fieldsParam(request));
  if (template) await showSampleUrlsIn(deps, ch.waba_account_id, [template]);
  return template && { answer: template };
}

/** A preValidation hook of the Messaging API: answers the bare Graph nodes above, leaves every other request alone. */
export function graphNodeHook(deps: Deps, meta: MetaCloudApi) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const graph = graphPathOf(request);
    if (!graph || graph.owner !== 'none' || !request.channel || !isBareNodeRoute(request)) return done();
    answerNode(deps, meta, request, request.channel, graph.node).then(
      (hit) => {
        if (!hit) return done();
        reply.type('application/json; charset=utf-8').send(JSON.stringify(hit.answer));
      },
      (err: Error) => done(err),
    );
  };
}
