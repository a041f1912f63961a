// A simulated user completes a WhatsApp Flow: the inbound interactive `nfm_reply` WhatsApp sends
// the business (Meta's Flows "Response Message Webhook"):
//
//   {"type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent",
//     "response_json":"{\"flow_token\":\"…\",…}"}},"context":{"from":"<business number>","id":"<the flow message's wamid>"}}
//
// response_json is a string holding a JSON object: the complete action's payload and the message's
// flow_token. POST /sandbox/v1/inbound takes it as that string or as the object itself (stringified
// here); without a flow_token, the flow message's is put first, as WhatsApp always sends one. The
// reply must answer (context) a flow message the business sent to this user: WhatsApp sends a flow
// response only from a flow it opened.
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { fail, isObj, obj, oneOf, onlyKeys, optStr, type Obj } from '../validate/check.ts';
import { flowParamsOfMessage } from './template-flow.ts';

/** A response far larger than any flow's answers; WhatsApp's own limit is not documented. */
export const MAX_RESPONSE_JSON_CHARS = 64 * 1024;
const F = 'interactive.nfm_reply';

// A type, not an interface: it is an Obj (index signature) to the inbound route.
export type NfmReply = {
  type: 'nfm_reply';
  nfm_reply: { name: 'flow'; body: string; response_json: string };
};

export function isNfmReply(v: unknown): v is NfmReply {
  return isObj(v) && v.type === 'nfm_reply' && isObj(v.nfm_reply);
}

/** The interactive object of an inbound nfm_reply, its fields checked (`o` is the `interactive` object, type "nfm_reply"). */
export function nfmReplyContent(o: Obj): NfmReply {
  onlyKeys(o, 'interactive', ['type', 'nfm_reply']);
  const r = obj(o.nfm_reply, F);
  onlyKeys(r, F, ['name', 'body', 'response_json']);
  // "flow": a Flow's answer. (WhatsApp's address message answers with name "address_message", which the sandbox does not simulate.)
  const name = r.name === undefined ? 'flow' : oneOf(r.name, `${F}.name`, ['flow'] as const);
  const body = optStr(r.body, `${F}.body`, { max: 1024 }) ?? 'Sent';
  return { type: 'nfm_reply', nfm_reply: { name, body, response_json: responseJson(r.response_json) } };
}

/** response_json as WhatsApp sends it: the text of a JSON object. */
function responseJson(v: unknown): string {
  const field = `${F}.response_json`;
  if (v === undefined || v === null) throw fail(field, 'is required (the text of a JSON object: the complete action\'s payload with "flow_token")');
  let text: string;
  if (typeof v === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw fail(field, 'must be the text of a JSON object (it is not JSON)');
    }
    if (!isObj(parsed)) throw fail(field, 'must be the text of a JSON object');
    text = v;
  } else if (isObj(v)) {
    text = JSON.stringify(v);
  } else {
    throw fail(field, 'must be the text of a JSON object, or the object itself');
  }
  if (text.length > MAX_RESPONSE_JSON_CHARS) throw fail(field, `must be at most ${MAX_RESPONSE_JSON_CHARS} characters`);
  return text;
}

/**
 * Checks that the reply answers a flow message the business sent to `from` on this channel, and
 * puts the message's flow_token into response_json when it has none (WhatsApp always sends it).
 * A 400 naming context.message_id otherwise.
 */
export async function completeNfmReply(deps: Deps, channel: Pick<ChannelRow, 'id' | 'waba_account_id'>, from: string, context: { id: string } | undefined, reply: NfmReply): Promise<void> {
  const field = 'context.message_id';
  if (!context) throw fail(field, 'is required for an nfm_reply: the id (wamid) of the flow message the user answers');
  const m = await deps.db.kysely
    .selectFrom('messages')
    .select(['direction', 'type', 'content'])
    .where('channel_id', '=', channel.id)
    .where('wa_id', '=', from)
    .where('id', '=', context.id)
    .executeTakeFirst();
  const params = m && (await flowParamsOfMessage(deps, channel, m));
  if (!params) throw fail(field, `must be the id of a flow message (interactive type "flow") the business sent to ${from} on this number, or of a template message with a FLOW button`);
  const parsed = JSON.parse(reply.nfm_reply.response_json) as Obj;
  if (parsed.flow_token === undefined) reply.nfm_reply.response_json = JSON.stringify({ flow_token: params.flowToken, ...parsed });
}
