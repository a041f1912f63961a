// A flow's data endpoint, as the sandbox phone's WhatsApp asks it (the exchange itself, encrypted:
// messaging/flows/endpoint-exchange.ts). Three moments ask it:
//
//   INIT           the flow message's flow_action is data_exchange: the endpoint names the first
//                  screen and its data ({"version","action":"INIT","flow_token"}: no screen, no data);
//   data_exchange  a Footer, EmbeddedLink or NavigationList item whose action is data_exchange, or a
//                  field's on-select-action data_exchange: the action's payload goes
//                  ({"version","action","screen","data","flow_token"});
//   BACK           Back on a screen with "refresh_on_back": true ({"version","action","screen",
//                  "flow_token"}, screen the one being left): the endpoint gives the screen before.
//
// What the endpoint answers is untrusted and judged as WhatsApp judges it, each fault named:
//   {"screen":"X","data":{…}}   X must be a screen of the flow; after a data_exchange, a screen the
//                               flow's routing_model lets this screen go to (or this screen itself);
//                               data an object whose properties have the types the screen declares
//                               (a declared property left out is drawn empty, and said so);
//   {"screen":"SUCCESS","data":{"extension_message_response":{"params":{…}}}}
//                               the flow completes: the nfm_reply's response_json is the params
//                               (with the message's flow_token first, when params has none);
//   {"data":{"error_message":"…"}} (with or without this screen's name)
//                               the user stays on the screen and sees the message (a snackbar).
// The same screen answered again keeps what was entered and updates its data with the answer's.
// An answer that came but cannot be used (it does not decrypt, is no JSON, names an unknown screen
// or a route the routing_model forbids, gives data of the wrong types…) is followed, as on WhatsApp,
// by one error notification request to the endpoint (messaging/flows/endpoint-error-notification.ts),
// recorded with the exchange.
import type { Deps } from '../../deps.ts';
import { MAX_RESPONSE_JSON_CHARS } from '../../messaging/flows/nfm-reply.ts';
import { exchangeWithEndpoint, type EndpointAction, type EndpointRequest, type ExchangeRecord } from '../../messaging/flows/endpoint-exchange.ts';
import { notifyEndpointError, notifiedErrorOf, type NotifiedError } from '../../messaging/flows/endpoint-error-notification.ts';
import type { Values } from './flow-expr.ts';
import { encodeState, MAX_STACK, MAX_STATE_CHARS, openScreen, screenOf, type FlowState, type ShownScreen } from './flow-run.ts';
import type { FlowDoc, ScreenDef } from './flow-screen.ts';

/** The data API version a flow speaks when its JSON names none (Meta's only current one). */
export const DEFAULT_DATA_API_VERSION = '3.0';

export interface EndpointFlow {
  doc: FlowDoc;
  endpointUri: string;
  /** The number the flow message came from. */
  channel: { id: string; phone_number: string };
  flowToken: string;
}

export type EndpointStep =
  /** A screen to show (a new one, or this one again; a snackbar when the endpoint sent error_message). */
  | { kind: 'show'; shown: ShownScreen; record: ExchangeRecord }
  /** The endpoint completed the flow (SUCCESS): the nfm_reply's response_json. */
  | { kind: 'complete'; responseJson: string; record: ExchangeRecord; note?: string }
  /** 427: WhatsApp closes the flow, showing the endpoint's error_msg when it gave one. */
  | { kind: 'closed'; message: string; record: ExchangeRecord }
  /** What went wrong (the user stays where they were; for INIT, the flow does not open). */
  | { kind: 'failed'; message: string; record: ExchangeRecord };

const isObj = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);
const shown = (v: unknown) => {
  const t = JSON.stringify(v) ?? String(v);
  return t.length > 80 ? `${t.slice(0, 80)}…` : t;
};
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** Whether a value fits a Flow JSON data type (string, number, integer, boolean, array, object). */
function fits(type: unknown, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObj(v);
    default:
      return true;
  }
}

/**
 * How the answer's data fits the screen's declared data (`"data": {"name": {"type": "string",
 * "__example__": …}}`): `wrong`, properties of another type (the screen cannot be drawn, as on
 * WhatsApp); `missing`, declared properties the screen gets no value for (drawn empty: said in a
 * notice, not refused). Properties the screen does not declare are left alone, and so is
 * error_message (the endpoint's message to the user).
 */
export function screenDataProblems(screen: ScreenDef, data: Values): { wrong: string[]; missing: string[] } {
  const declared = isObj(screen.data) ? screen.data : {};
  const wrong: string[] = [];
  const missing: string[] = [];
  for (const [name, def] of Object.entries(declared)) {
    if (!isObj(def)) continue;
    if (!Object.prototype.hasOwnProperty.call(data, name)) missing.push(name);
    else if (!fits(def.type, data[name])) {
      const article = def.type === 'integer' || def.type === 'array' || def.type === 'object' ? 'an' : 'a';
      wrong.push(`"${name}" must be ${article} ${String(def.type)} (got ${typeOf(data[name])} ${shown(data[name])})`);
    }
    if (wrong.length >= 10) break;
  }
  return { wrong, missing };
}

type From =
  | { action: 'INIT' }
  | { action: 'data_exchange'; state: FlowState; screen: ScreenDef; entered: Values }
  | { action: 'BACK'; state: FlowState; screen: ScreenDef };

/** The screens of the flow, for a message naming one that is not among them. */
const screensOf = (doc: FlowDoc) => doc.screens.map((s) => s.id).join(', ');

/** What the endpoint's (decrypted, parsed) answer does, or why it cannot be done. */
export function interpretAnswer(
  flow: EndpointFlow,
  from: From,
  answer: Values,
): { ok: true; step: { kind: 'show'; shown: ShownScreen } | { kind: 'complete'; responseJson: string; note?: string } } | { ok: false; message: string; error?: NotifiedError } {
  // `error`: the key of the error notification WhatsApp then sends the endpoint (none for a limit of the sandbox's own).
  const bad = (message: string, error: NotifiedError | undefined = 'invalid_response') => ({ ok: false as const, message, ...(error ? { error } : {}) });
  const data = answer.data === undefined ? {} : answer.data;
  if (!isObj(data)) return bad(`"data" must be an object (got ${typeOf(answer.data)})`);
  const errorMessage = typeof data.error_message === 'string' && data.error_message !== '' ? data.error_message.slice(0, 1000) : undefined;
  const here = from.action === 'INIT' ? undefined : from;

  if (answer.screen === 'SUCCESS') {
    const ext = data.extension_message_response;
    const params = isObj(ext) ? ext.params : undefined;
    if (!isObj(params)) {
      return bad('screen SUCCESS completes the flow and needs data.extension_message_response.params, an object (with the flow_token): {"screen":"SUCCESS","data":{"extension_message_response":{"params":{"flow_token":"…"}}}}');
    }
    const note = params.flow_token === undefined ? 'params has no flow_token: the reply carries the flow message\'s, as WhatsApp always sends one' : undefined;
    const responseJson = JSON.stringify(params.flow_token === undefined ? { flow_token: flow.flowToken, ...params } : params);
    if (responseJson.length > MAX_RESPONSE_JSON_CHARS) return bad(`extension_message_response.params is ${responseJson.length} characters as JSON; at most ${MAX_RESPONSE_JSON_CHARS} are taken`);
    return { ok: true, step: { kind: 'complete', responseJson, ...(note ? { note } : {}) } };
  }

  if (answer.screen === undefined) {
    if (errorMessage && here) {
      // Stay: the screen as it was, what was entered kept, with the message over it.
      const entered = here.action === 'data_exchange' ? here.entered : here.state.forms[here.state.screen];
      const state = entered ? { ...here.state, forms: { ...here.state.forms, [here.state.screen]: entered } } : here.state;
      return { ok: true, step: { kind: 'show', shown: { ...openScreen(state, here.screen), snackbar: errorMessage } } };
    }
    const shape = here ? '{"screen":"…","data":{…}} (or {"data":{"error_message":"…"}} to keep the user on this screen)' : '{"screen":"…","data":{…}}: the first screen of the flow and its data';
    return bad(`the response names no screen; ${from.action === 'INIT' ? 'an INIT' : `a ${from.action}`} response is ${shape}`);
  }
  if (typeof answer.screen !== 'string') return bad(`"screen" must be a screen id (a string), got ${typeOf(answer.screen)}`);
  const next = screenOf(flow.doc, answer.screen);
  if (!next) return bad(`screen ${shown(answer.screen)} is not in the flow (its screens: ${screensOf(flow.doc)})`, 'invalid_screen');

  if (from.action === 'data_exchange' && next.id !== from.screen.id) {
    const routes = flow.doc.routingModel?.[from.screen.id];
    if (routes && !routes.includes(next.id)) {
      return bad(`the flow's routing_model does not let ${from.screen.id} go to ${next.id} (routing_model.${from.screen.id}: ${JSON.stringify(routes)}); WhatsApp refuses a screen the routing model does not allow`, 'invalid_screen_transition');
    }
  }
  let state: FlowState;
  if (from.action === 'INIT') state = { screen: next.id, data, forms: {}, stack: [] };
  else if (from.action === 'BACK') {
    // Back: the screen before leaves the stack; what was entered there comes back with it.
    state = { screen: next.id, data, forms: from.state.forms, stack: from.state.stack.slice(0, -1) };
  } else {
    const forms = { ...from.state.forms, [from.state.screen]: from.entered };
    state =
      next.id === from.screen.id
        ? { ...from.state, data: { ...from.state.data, ...data }, forms }
        : { screen: next.id, data, forms, stack: [...from.state.stack, { screen: from.state.screen, data: from.state.data }].slice(-MAX_STACK) };
  }
  const { wrong, missing } = screenDataProblems(next, state.data);
  if (wrong.length > 0) return bad(`the data for screen ${next.id} does not fit the data the screen declares: ${wrong.join('; ')}`, 'invalid_screen_data');
  // The page carries the flow's state (every screen's data on the way) in a form field of bounded size.
  const carried = encodeState(state).length;
  if (carried > MAX_STATE_CHARS) {
    return bad(`the data for screen ${next.id} is more than the sandbox phone can carry between its pages (the flow's state would be ${carried} characters, at most ${MAX_STATE_CHARS}; about 40 KB of screen data in all): a limit of the sandbox, not of WhatsApp`, undefined);
  }
  const notice = missing.length > 0 ? `The endpoint gave screen ${next.id} no value for ${missing.map((m) => `"${m}"`).join(', ')}, which the screen declares: shown empty.` : undefined;
  const opened = openScreen(state, next, notice);
  return { ok: true, step: { kind: 'show', shown: errorMessage ? { ...opened, snackbar: errorMessage } : opened } };
}

function requestOf(flow: EndpointFlow, from: From, data?: Values): EndpointRequest {
  const version = flow.doc.dataApiVersion ?? DEFAULT_DATA_API_VERSION;
  const action: EndpointAction = from.action;
  if (from.action === 'INIT') return { version, action, flow_token: flow.flowToken };
  if (from.action === 'BACK') return { version, action, screen: from.screen.id, flow_token: flow.flowToken };
  return { version, action, screen: from.screen.id, data: data ?? {}, flow_token: flow.flowToken };
}

/** One step of the flow through its endpoint: the request, the answer, and what it does. */
export async function endpointStep(deps: Deps, flow: EndpointFlow, from: From, data?: Values): Promise<EndpointStep> {
  const target = { endpointUri: flow.endpointUri, channel: flow.channel };
  const request = requestOf(flow, from, data);
  const r = await exchangeWithEndpoint(deps, target, request);
  if (!r.ok) {
    if (r.failure === 'token_invalid') {
      const shownToUser = r.userMessage ?? 'This flow is no longer available.';
      return { kind: 'closed', message: `${r.message}. The user sees: “${shownToUser}”`, record: r.record };
    }
    // An answer that came (HTTP 200) but is no valid response: WhatsApp tells the endpoint so, once.
    const error = notifiedErrorOf(r.failure);
    if (error) await notifyEndpointError(deps, target, request, r.record, error, r.message);
    return { kind: 'failed', message: r.message, record: r.record };
  }
  const step = interpretAnswer(flow, from, r.answer);
  if (!step.ok) {
    const message = `the endpoint's ${from.action} response cannot be shown: ${step.message}`;
    if (step.error) await notifyEndpointError(deps, target, request, r.record, step.error, message);
    return { kind: 'failed', message, record: r.record };
  }
  return { ...step.step, record: r.record };
}
