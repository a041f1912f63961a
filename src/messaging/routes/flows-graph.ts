// What every WhatsApp Flows route of the Messaging API (routes/flows.ts) shares: the key's channel
// names the WABA (and partner) whose flows these are (FlowScope {partnerId, wabaAccountId}), and
// the path's flow id; a number on Meta's network asks Meta's Graph API (toMeta).
//
// A flow that is not the key's WABA's (another WABA's, another partner's, none) answers as Graph
// answers a node the token cannot see: 400, code 100, subcode 33 (media/not-found.ts). Errors of
// the service carry Meta's code, and Meta's error_user_title / error_user_msg as Meta's Flows API
// answers them.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { fbtrace, type MetaErrorInfo } from '../errors.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import type { FlowScope } from '../flows/store.ts';
import type { MetaCloudApi } from '../../network/meta/cloud-api.ts';
import { FLOW_ID } from './flows-schemas.ts';

export const scopeOf = (ch: ChannelRow): FlowScope => ({ partnerId: ch.partner_id, wabaAccountId: ch.waba_account_id });

export function wabaOf(deps: Deps, ch: ChannelRow) {
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

export async function graphErrors<T>(method: string, flowId: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw graphFlowError(err, method, flowId);
  }
}

/** The flow id of the path, when it can be a flow at all. */
export function flowIdOf(request: FastifyRequest): string {
  const id = (request.params as { flow_id: string }).flow_id;
  if (!FLOW_ID.test(id)) throw graphNodeNotFound(request.method, id);
  return id;
}

/** The same request to Meta's Graph API, at the path of the channel's WABA id. */
export const toMeta = (m: MetaCloudApi, ch: ChannelRow, method: 'GET' | 'POST' | 'DELETE', path: (wabaId: string) => string, body?: Parameters<MetaCloudApi['json']>[3]) =>
  m.json(ch, method, (c) => path(c.wabaId), body);
