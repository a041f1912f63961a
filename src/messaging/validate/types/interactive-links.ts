// Interactive types whose action opens something: a URL (cta_url), a WhatsApp Flow (flow),
// the location picker (location_request_message) or the address form (address_message).
import { arr, badValue, fail, httpUrl, isObj, obj, oneOf, onlyKeys, optObj, optStr, str, type Obj } from '../check.ts';

export const CTA_DISPLAY_TEXT_MAX = 20;
/** Meta raised the flow button text from 20 to 30 characters. */
export const FLOW_CTA_MAX = 30;

/** `action.name` must be the one name this interactive type takes. */
export function actionName(a: Obj, f: string, name: string): void {
  if (a.name === undefined) throw fail(`${f}.name`, `is required and must be "${name}"`);
  if (a.name !== name) throw fail(`${f}.name`, `must be "${name}" (got ${JSON.stringify(a.name).slice(0, 50)})`);
}

export function ctaUrlAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name', 'parameters']);
  actionName(a, f, 'cta_url');
  const p = obj(a.parameters, `${f}.parameters`);
  onlyKeys(p, `${f}.parameters`, ['display_text', 'url']);
  str(p.display_text, `${f}.parameters.display_text`, { max: CTA_DISPLAY_TEXT_MAX });
  httpUrl(p.url, `${f}.parameters.url`);
}

/** The flow a flow message names, for the send's check against the WABA's stored flows (flows/send-check.ts). */
export interface FlowRef {
  /** The field that named it, for the error: `interactive.action.parameters.flow_id` or `….flow_name`. */
  field: string;
  by: 'flow_id' | 'flow_name';
  value: string;
  mode: 'draft' | 'published';
}

/** The flow named by an action flowAction accepted. */
export function flowRef(a: Obj, f: string): FlowRef {
  const p = a.parameters as Obj;
  const by = p.flow_id !== undefined ? 'flow_id' : 'flow_name';
  return { field: `${f}.parameters.${by}`, by, value: String(p[by]), mode: p.mode === 'draft' ? 'draft' : 'published' };
}

export function flowAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name', 'parameters']);
  actionName(a, f, 'flow');
  const pf = `${f}.parameters`;
  const p = obj(a.parameters, pf);
  onlyKeys(p, pf, ['flow_message_version', 'flow_token', 'flow_id', 'flow_name', 'flow_cta', 'mode', 'flow_action', 'flow_action_payload']);
  if (p.flow_message_version === undefined) throw fail(`${pf}.flow_message_version`, 'is required and must be "3"');
  if (p.flow_message_version !== '3' && p.flow_message_version !== 3) throw badValue(`${pf}.flow_message_version`, `must be "3" (got ${JSON.stringify(p.flow_message_version).slice(0, 20)})`);
  // A null flow_token is no token (Meta's default, "unused"): pywa's FlowButton writes
  // "flow_token": null whenever its flow_token is left unset.
  if (p.flow_token === null) delete p.flow_token;
  optStr(p.flow_token, `${pf}.flow_token`, { max: 2048 });
  optStr(p.flow_id, `${pf}.flow_id`, { max: 256 });
  optStr(p.flow_name, `${pf}.flow_name`, { max: 256 });
  if (p.flow_id === undefined && p.flow_name === undefined) throw fail(pf, 'needs flow_id or flow_name');
  if (p.flow_id !== undefined && p.flow_name !== undefined) throw fail(pf, 'takes flow_id or flow_name, not both');
  str(p.flow_cta, `${pf}.flow_cta`, { max: FLOW_CTA_MAX });
  if (p.mode !== undefined) oneOf(p.mode, `${pf}.mode`, ['draft', 'published'] as const);
  const action = p.flow_action === undefined ? 'navigate' : oneOf(p.flow_action, `${pf}.flow_action`, ['navigate', 'data_exchange'] as const);
  const payloadField = `${pf}.flow_action_payload`;
  if (action === 'data_exchange') {
    if (p.flow_action_payload !== undefined) throw fail(payloadField, 'must be left out when flow_action is "data_exchange"');
    return;
  }
  const payload = p.flow_action_payload;
  if (payload === undefined) throw fail(payloadField, 'is required when flow_action is "navigate" (it names the first screen)');
  const o = obj(payload, payloadField);
  onlyKeys(o, payloadField, ['screen', 'data']);
  str(o.screen, `${payloadField}.screen`, { max: 256 });
  if (o.data !== undefined && (!isObj(o.data) || Object.keys(o.data).length === 0)) {
    throw fail(`${payloadField}.data`, 'must be a non-empty object when given');
  }
}

export function locationRequestAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name']);
  actionName(a, f, 'send_location');
}

export function addressAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name', 'parameters']);
  actionName(a, f, 'address_message');
  const pf = `${f}.parameters`;
  const p = obj(a.parameters, pf);
  onlyKeys(p, pf, ['country', 'values', 'saved_addresses', 'validation_errors']);
  const country = str(p.country, `${pf}.country`, { max: 2 });
  if (!/^[A-Z]{2}$/.test(country)) throw badValue(`${pf}.country`, `must be a two-letter ISO 3166 country code such as "IN" (got "${country}")`);
  optObj(p.values, `${pf}.values`);
  optObj(p.validation_errors, `${pf}.validation_errors`);
  if (p.saved_addresses !== undefined) {
    arr(p.saved_addresses, `${pf}.saved_addresses`, { max: 100 }).forEach((s, i) => {
      const sf = `${pf}.saved_addresses[${i}]`;
      const o = obj(s, sf);
      onlyKeys(o, sf, ['id', 'value']);
      str(o.id, `${sf}.id`, { max: 256 });
      obj(o.value, `${sf}.value`);
    });
  }
}
