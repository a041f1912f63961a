// A flow's health, Meta's `health_status` field of a flow (GET /{flow_id}?fields=health_status):
//
//   {"health_status":{"can_send_message":"AVAILABLE"|"LIMITED"|"BLOCKED","entities":[
//     {"entity_type":"FLOW","id":"…","can_send_message":"BLOCKED","errors":[{"error_code":…,
//      "error_description":"…","possible_solution":"…"}]},
//     {"entity_type":"WABA",…},{"entity_type":"BUSINESS",…}]},"id":"…"}
//
// The overall value is the worst of the entities' (BLOCKED over LIMITED over AVAILABLE); a BLOCKED
// entity says why in `errors`, a LIMITED one in `additional_info`, as Meta's health status does.
// The flow's entity follows its status (DEPRECATED and BLOCKED cannot be sent, THROTTLED is limited)
// and, for a flow that uses an endpoint (data_api_version), the endpoint itself: openwaba sends it
// Meta's health check — the encrypted `{"version":"3.0","action":"ping"}`, which must be answered
// `{"data":{"status":"active"}}` — each time the field is asked for, and the answer's problem is
// the entity's error. The ping is encrypted with the business public key of a number of the WABA.
// Meta's APP entity (the Meta app connected to the flow) is left out: the sandbox has none.
//
// Meta's error codes for an unhealthy endpoint are not documented; 131000 (the Cloud API's "Something
// went wrong") stands for them, the description naming the fault.
import type { Deps } from '../../deps.ts';
import { wabaNumberWithBusinessKey } from './business-key.ts';
import { exchangeWithEndpoint } from './endpoint-exchange.ts';
import type { FlowMeta } from './store.ts';

export type CanSendMessage = 'AVAILABLE' | 'LIMITED' | 'BLOCKED';

export interface HealthError {
  error_code: number;
  error_description: string;
  possible_solution: string;
}

export interface HealthEntity {
  entity_type: 'FLOW' | 'WABA' | 'BUSINESS';
  id: string;
  can_send_message: CanSendMessage;
  errors?: HealthError[];
  additional_info?: string[];
}

export interface HealthStatus {
  can_send_message: CanSendMessage;
  entities: HealthEntity[];
}

const GENERIC_CODE = 131000;

/** The endpoint's answer to WhatsApp's health check, or what is wrong with it. */
export async function pingFlowEndpoint(
  deps: Deps,
  target: { endpointUri: string; channel: { id: string; phone_number: string } },
  version: string,
): Promise<{ ok: true } | { ok: false; message: string }> {
  const r = await exchangeWithEndpoint(deps, target, { version, action: 'ping' });
  if (!r.ok) return { ok: false, message: r.message };
  const data = r.answer.data;
  const status = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>).status : undefined;
  if (status === 'active') return { ok: true };
  const got = JSON.stringify(r.answer);
  return { ok: false, message: `the endpoint answered the health check with ${got.length > 300 ? `${got.slice(0, 300)}…` : got}, not {"data":{"status":"active"}}` };
}

function flowEntity(id: string, problems: HealthError[], limits: string[]): HealthEntity {
  if (problems.length > 0) return { entity_type: 'FLOW', id, can_send_message: 'BLOCKED', errors: problems };
  if (limits.length > 0) return { entity_type: 'FLOW', id, can_send_message: 'LIMITED', additional_info: limits };
  return { entity_type: 'FLOW', id, can_send_message: 'AVAILABLE' };
}

/** The flow's health now (pinging its endpoint when it has one). */
export async function flowHealthStatus(deps: Deps, flow: FlowMeta, waba: { external_id: string; fb_business_id: string }): Promise<HealthStatus> {
  const problems: HealthError[] = [];
  const limits: string[] = [];
  const problem = (error_description: string, possible_solution: string) => problems.push({ error_code: GENERIC_CODE, error_description, possible_solution });
  if (flow.status === 'DEPRECATED') problem(`Flow ${flow.id} is deprecated and can no longer be sent.`, 'Create a new flow (clone_flow_id copies this one) and publish it.');
  if (flow.status === 'BLOCKED') problem(`Flow ${flow.id} is blocked.`, "Fix the flow's endpoint; Meta moves a blocked flow back to throttled, then published, when its endpoint recovers.");
  if (flow.status === 'THROTTLED') limits.push(`Flow ${flow.id} is throttled: at most 10 flow messages an hour.`);
  if (flow.data_api_version !== null && problems.length === 0) {
    const number = await wabaNumberWithBusinessKey(deps, flow.waba_account_id);
    if (!flow.endpoint_uri) problem(`endpoint_uri: flow ${flow.id} uses an endpoint (data_api_version ${flow.data_api_version}) but has no endpoint_uri.`, "Set the flow's endpoint_uri (POST …/flows/{flow_id}).");
    else if (!number) problem('No number of this WhatsApp Business Account has a business public key: the endpoint cannot be reached encrypted.', 'Upload the endpoint\'s RSA public key (POST /whatsapp_business_encryption).');
    else {
      const ping = await pingFlowEndpoint(deps, { endpointUri: flow.endpoint_uri, channel: number }, flow.data_api_version);
      if (!ping.ok) problem(`The flow's endpoint failed the health check: ${ping.message}`, 'Answer the encrypted {"action":"ping"} request with the encrypted {"data":{"status":"active"}}.');
    }
  }
  const entities: HealthEntity[] = [
    flowEntity(flow.id, problems, limits),
    { entity_type: 'WABA', id: waba.external_id, can_send_message: 'AVAILABLE' },
    { entity_type: 'BUSINESS', id: waba.fb_business_id, can_send_message: 'AVAILABLE' },
  ];
  const worst: CanSendMessage = entities.some((e) => e.can_send_message === 'BLOCKED') ? 'BLOCKED' : entities.some((e) => e.can_send_message === 'LIMITED') ? 'LIMITED' : 'AVAILABLE';
  return { can_send_message: worst, entities };
}
