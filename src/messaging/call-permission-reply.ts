// A user's answer to a call permission request (an interactive call_permission_request, or a
// call permission request template): an inbound interactive message of type
// call_permission_reply. The sandbox's simulated users send it (POST /sandbox/v1/inbound, the
// sandbox phone); its fields are Meta's ("Obtain User Call Permissions", "User calling permission
// request webhook"; pywa's CallPermissionUpdate reads the same ones).
import { bool, fail, intLike, obj, onlyKeys } from './validate/check.ts';

/** The user's answer to a call permission request, as the channel's webhook shows it (interactive.call_permission_reply). */
export interface CallPermissionReply {
  response: 'accept' | 'reject';
  is_permanent: boolean;
  /** Epoch seconds; only on a temporary acceptance. */
  expiration_timestamp?: number;
  response_source: 'user_action' | 'automatic';
}

/** "Temporary permissions are granted for 7 calendar days (168 hours)" (Obtain User Call Permissions). */
export const TEMPORARY_CALL_PERMISSION_SECONDS = 7 * 24 * 3600;

/**
 * A simulated user's answer, checked and completed as Meta's webhook has it ("User calling
 * permission request webhook"): `response` accept or reject; `is_permanent` (false unless given);
 * `expiration_timestamp` on a temporary acceptance only (by default 7 days from `now`);
 * `response_source` user_action, or automatic (an acceptance given by the user calling the
 * business: "Possible values for accepted call permissions").
 */
export function callPermissionReply(v: unknown, f: string, now: Date): CallPermissionReply {
  const o = obj(v, f);
  onlyKeys(o, f, ['response', 'is_permanent', 'expiration_timestamp', 'response_source']);
  const response = o.response;
  if (response !== 'accept' && response !== 'reject') throw fail(`${f}.response`, response === undefined ? 'is required ("accept" or "reject")' : 'must be "accept" or "reject"');
  const permanent = bool(o.is_permanent, `${f}.is_permanent`) ?? false;
  if (permanent && response === 'reject') throw fail(`${f}.is_permanent`, 'must be false when the request is rejected');
  const source = o.response_source === undefined ? 'user_action' : o.response_source;
  if (source !== 'user_action' && source !== 'automatic') throw fail(`${f}.response_source`, 'must be "user_action" or "automatic"');
  if (source === 'automatic' && response === 'reject') throw fail(`${f}.response_source`, '"automatic" is an acceptance (the user called the business); a rejection is a user_action');
  const reply: CallPermissionReply = { response, is_permanent: permanent, response_source: source };
  if (response === 'accept' && !permanent) {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    reply.expiration_timestamp =
      o.expiration_timestamp === undefined
        ? nowSeconds + TEMPORARY_CALL_PERMISSION_SECONDS
        : intLike(o.expiration_timestamp, `${f}.expiration_timestamp`, { min: nowSeconds + 1, max: nowSeconds + TEMPORARY_CALL_PERMISSION_SECONDS });
  } else if (o.expiration_timestamp !== undefined) {
    throw fail(`${f}.expiration_timestamp`, `is only given with a temporary acceptance (response "accept", is_permanent false)`);
  }
  return reply;
}
