// The Calling API's two interactive types (Cloud API docs, "Send WhatsApp Call Button Messages and
// Deep Links" and "Obtain User Call Permissions"):
// - voice_call: a "Call on WhatsApp" button. action {name: "voice_call", parameters?: {display_text?
//   ≤ 20 (default "Call Now"), ttl_minutes? 1–43200 (default 10080, 7 days), payload? ≤ 512 (echoed
//   as cta_payload in the calls webhooks)}}.
// - call_permission_request: asks the user for permission to call them. action {name:
//   "call_permission_request"} and nothing else; "only the message body can be customized".
import { intLike, obj, onlyKeys, optStr, type Obj } from '../check.ts';
import { actionName } from './interactive-links.ts';

export const CALL_BUTTON_TEXT_MAX = 20;
export const CALL_BUTTON_TTL_MIN = 1;
/** 30 days. */
export const CALL_BUTTON_TTL_MAX = 43200;
export const CALL_BUTTON_PAYLOAD_MAX = 512;

export function voiceCallAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name', 'parameters']);
  actionName(a, f, 'voice_call');
  // "parameters: Optional": a bare action gets Meta's defaults.
  if (a.parameters === undefined) return;
  const pf = `${f}.parameters`;
  const p = obj(a.parameters, pf);
  onlyKeys(p, pf, ['display_text', 'ttl_minutes', 'payload']);
  optStr(p.display_text, `${pf}.display_text`, { max: CALL_BUTTON_TEXT_MAX });
  // An integer in Meta's table; a string of digits is taken too, as for other counts (intLike).
  if (p.ttl_minutes !== undefined) intLike(p.ttl_minutes, `${pf}.ttl_minutes`, { min: CALL_BUTTON_TTL_MIN, max: CALL_BUTTON_TTL_MAX });
  optStr(p.payload, `${pf}.payload`, { max: CALL_BUTTON_PAYLOAD_MAX });
}

export function callPermissionAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name']);
  actionName(a, f, 'call_permission_request');
}
