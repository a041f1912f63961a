// The flow a template message's FLOW button opens: the template's button names the flow (flow_id,
// flow_name, or an inline flow_json), its first screen (navigate_screen) and flow_action; the send's
// button component may give the flow_token and the first screen's data (Meta's template send:
//
//   {"type":"button","sub_type":"flow","index":"0","parameters":[{"type":"action",
//     "action":{"flow_token":"…","flow_action_data":{…}}}]}
//
// ). With interactive flow messages (flow-message.ts), this is what lets the simulated user open
// the flow from either kind of message and answer it with an nfm_reply to that message.
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { findTemplate } from '../templates/store.ts';
import { DEFAULT_FLOW_TOKEN, flowMessageParams, type FlowMessageParams } from './flow-message.ts';

type O = Record<string, unknown>;
const obj = (v: unknown): O | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as O) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '');

/** The sent template of a stored template message (`{template: {name, language, components}}`), or undefined. */
export function sentTemplate(m: { direction: string; type: string; content: string }): O | undefined {
  if (m.direction !== 'outbound' || m.type !== 'template') return undefined;
  try {
    return obj(obj(JSON.parse(m.content) as unknown)?.template);
  } catch {
    return undefined;
  }
}

/**
 * The flow parameters of a template's FLOW button, from the stored template's components (JSON)
 * and the template object of the send; undefined when the template has no FLOW button.
 */
export function templateFlowParams(components: string, sent: O): FlowMessageParams | undefined {
  let stored: unknown;
  try {
    stored = JSON.parse(components);
  } catch {
    return undefined;
  }
  const buttons = arr(arr(stored).map(obj).find((c) => lower(c?.type) === 'buttons')?.buttons).map(obj);
  const index = buttons.findIndex((b) => lower(b?.type) === 'flow');
  const b = buttons[index];
  if (!b) return undefined;
  const given = arr(sent.components)
    .map(obj)
    .find((c) => lower(c?.type) === 'button' && lower(c?.sub_type) === 'flow' && Number(c?.index) === index);
  const action = obj(arr(given?.parameters).map(obj).find((p) => lower(p?.type) === 'action')?.action);
  const id = typeof b.flow_id === 'string' || typeof b.flow_id === 'number' ? String(b.flow_id) : undefined;
  const name = typeof b.flow_name === 'string' ? b.flow_name : undefined;
  const json = typeof b.flow_json === 'string' ? b.flow_json : undefined;
  const by = id !== undefined ? 'flow_id' : name !== undefined ? 'flow_name' : json !== undefined ? 'flow_json' : undefined;
  if (!by) return undefined;
  const data = obj(action?.flow_action_data);
  return {
    by,
    ref: id ?? name ?? String(b.text ?? 'Flow'),
    ...(json !== undefined && by === 'flow_json' ? { flowJson: json } : {}),
    mode: 'published',
    flowToken: typeof action?.flow_token === 'string' ? action.flow_token : DEFAULT_FLOW_TOKEN,
    cta: typeof b.text === 'string' ? b.text : 'Open',
    action: lower(b.flow_action) === 'data_exchange' ? 'data_exchange' : 'navigate',
    // Without navigate_screen, the flow opens at its first screen.
    ...(typeof b.navigate_screen === 'string' ? { screen: b.navigate_screen } : { firstScreen: true }),
    ...(data ? { data } : {}),
  };
}

/** The flow a stored message opens: an interactive flow message's, or a template's FLOW button's (its template looked up in the channel's WABA). */
export async function flowParamsOfMessage(
  deps: Deps,
  channel: Pick<ChannelRow, 'waba_account_id'>,
  m: { direction: string; type: string; content: string },
): Promise<FlowMessageParams | undefined> {
  if (m.type !== 'template') return flowMessageParams(m);
  const sent = sentTemplate(m);
  if (!sent) return undefined;
  const name = typeof sent.name === 'string' ? sent.name : '';
  const language = obj(sent.language)?.code;
  if (!name || typeof language !== 'string') return undefined;
  const t = await findTemplate(deps, channel.waba_account_id, name, language);
  return t ? templateFlowParams(t.components, sent) : undefined;
}
