// The error notification request: when a flow's endpoint answers an INIT, data_exchange or BACK
// request with a response WhatsApp cannot use (it does not decrypt, is not JSON, names a screen the
// flow does not have or the routing model forbids, gives a screen data of the wrong types…), WhatsApp
// sends the endpoint one more request, encrypted like the others, to say so (Meta's "Implementing
// Endpoint for Flows", error notification request):
//
//   {"version":"3.0","action":"<the original action>","flow_token":"…",
//    "data":{"error":"<error key>","error_message":"<text>"}}
//
// and expects {"data":{"acknowledged":true}} (Meta's reference endpoint answers exactly that to any
// request whose data has `error`). It is sent once: what it gets back is recorded, never answered
// with another notification, whatever it is. It waits no longer than any exchange
// (OPENWABA_FLOW_ENDPOINT_TIMEOUT).
//
// Unsure: Meta does not list its error keys. The keys here are the sandbox's own, one per fault it
// names (snake case, as Meta's other keys are); an endpoint should treat `error` as an opaque key
// and log error_message, as Meta's reference does.
import type { Deps } from '../../deps.ts';
import { exchangeWithEndpoint, type EndpointRequest, type EndpointTarget, type ExchangeFailure, type ExchangeRecord } from './endpoint-exchange.ts';

export type NotifiedError =
  | 'response_decryption_failed'
  | 'invalid_response_json'
  | 'invalid_response'
  | 'invalid_screen'
  | 'invalid_screen_transition'
  | 'invalid_screen_data';

/** The error key for an exchange that failed on its answer (a 200 whose body is no valid response); undefined for the other failures. */
export function notifiedErrorOf(failure: ExchangeFailure): NotifiedError | undefined {
  if (failure === 'undecryptable') return 'response_decryption_failed';
  if (failure === 'not_json') return 'invalid_response_json';
  return undefined;
}

/** How much of the fault's text goes in error_message. */
const MAX_ERROR_MESSAGE = 1000;

/**
 * Sends the endpoint the error notification for the answer to `original`, and records it on
 * `record` (the exchange whose answer was invalid), acknowledged or not. Never throws for what the
 * endpoint does.
 */
export async function notifyEndpointError(deps: Deps, target: EndpointTarget, original: EndpointRequest, record: ExchangeRecord, error: NotifiedError, message: string): Promise<void> {
  const payload: EndpointRequest = {
    version: original.version,
    action: original.action,
    data: { error, error_message: message.slice(0, MAX_ERROR_MESSAGE) },
    ...(original.flow_token !== undefined ? { flow_token: original.flow_token } : {}),
  };
  const r = await exchangeWithEndpoint(deps, target, payload);
  const data = r.ok ? r.answer.data : undefined;
  const acknowledged = r.ok && data !== null && typeof data === 'object' && (data as Record<string, unknown>).acknowledged === true;
  const outcome = acknowledged
    ? 'acknowledged ({"data":{"acknowledged":true}})'
    : r.ok
      ? 'answered, but not with {"data":{"acknowledged":true}} (WhatsApp sends nothing more either way)'
      : `not acknowledged: ${r.message} (WhatsApp sends nothing more either way)`;
  const { notification: _none, ...sent } = r.record;
  record.notification = { ...sent, outcome, acknowledged };
}
