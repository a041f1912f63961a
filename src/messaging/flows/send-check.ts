// A flow message (interactive type "flow") names its flow by flow_id or flow_name, which must be
// a flow of the channel's WABA (and of its partner): Meta refuses a flow id it does not know, and
// so does the sandbox, whatever another WABA holds under that id (the answer does not say). Its
// status must fit the message's mode: mode "published" (the default) needs a PUBLISHED flow (or a
// THROTTLED one, which Meta still lets through at a reduced rate), mode "draft" a DRAFT one; a
// DEPRECATED flow is sent in neither. A client testing against the sandbox creates its flow first
// (Partner API POST …/waba_accounts/{waba}/flows, or the Hub's Flows page).
//
// The error: Meta's On-Premise API had its own codes (2064 invalid flow id, 2066 invalid flow
// mode); the Cloud API's code for them is not documented, so this is Meta's general "(#131009)
// Parameter value is not valid", naming the field. Only flow sends reach this (one indexed query).
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { metaError } from '../errors.ts';
import type { FlowRef } from '../validate/types/interactive-links.ts';
import { flowsOf } from './store.ts';

export async function checkFlowSend(deps: Deps, channel: Pick<ChannelRow, 'waba_account_id' | 'partner_id'>, ref: FlowRef): Promise<void> {
  const flow = await flowsOf({ partnerId: channel.partner_id, wabaAccountId: channel.waba_account_id }, deps.db.kysely)
    .select(['id', 'name', 'status'])
    .where(ref.by === 'flow_id' ? 'id' : 'name', '=', ref.value)
    .executeTakeFirst();
  if (!flow) {
    const which = ref.by === 'flow_id' ? `flow id ${ref.value.slice(0, 64)}` : `flow name "${ref.value.slice(0, 100)}"`;
    throw metaError(400, 131009, 'Parameter value is not valid', `${ref.field}: no flow with ${which} in this WhatsApp Business Account; create it (and publish it, or send with "mode":"draft") first`);
  }
  const fits = ref.mode === 'draft' ? flow.status === 'DRAFT' : flow.status === 'PUBLISHED' || flow.status === 'THROTTLED';
  if (fits) return;
  const what = `flow ${flow.id} ("${flow.name.slice(0, 100)}") is ${flow.status}`;
  const hint =
    flow.status === 'DRAFT'
      ? 'publish it first, or send it with "mode":"draft" to test it'
      : flow.status === 'DEPRECATED'
        ? 'a deprecated flow can no longer be sent'
        : ref.mode === 'draft'
          ? 'mode "draft" is only for DRAFT flows; leave mode out (or send "published")'
          : 'it cannot be sent now';
  throw metaError(400, 131009, 'Parameter value is not valid', `${ref.field}: ${what}; ${hint}`);
}
