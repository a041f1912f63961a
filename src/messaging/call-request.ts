// The body of POST /calls (Meta's Calling API; 360dialog's POST /calling/calls; routes/calling.ts),
// checked as Meta's Calling API reference describes each action: connect (a business-initiated call,
// with the business's SDP offer), pre_accept and accept (the business answers a user's call, with an
// SDP answer), reject and terminate. What each action does: business-calls.ts.
import { fail, isObj, obj, oneOf, onlyKeys, recipient, str } from './validate/check.ts';

export type CallAction = 'connect' | 'pre_accept' | 'accept' | 'reject' | 'terminate';
export interface CallRequest {
  action: CallAction;
  to?: string;
  call_id?: string;
  session?: { sdp_type: 'offer' | 'answer'; sdp: string };
  biz_opaque_callback_data?: string;
}

const MAX_SDP = 64 * 1024;

function session(v: unknown, want: 'offer' | 'answer', action: string): { sdp_type: 'offer' | 'answer'; sdp: string } {
  if (v === undefined) throw fail('session', `is required for ${action}: {"sdp_type":"${want}","sdp":"<RFC 8866 SDP>"}`);
  const o = obj(v, 'session');
  onlyKeys(o, 'session', ['sdp_type', 'sdp']);
  const type = oneOf(o.sdp_type, 'session.sdp_type', ['offer', 'answer'] as const);
  if (type !== want) throw fail('session.sdp_type', `must be "${want}" for ${action}`);
  const sdp = str(o.sdp, 'session.sdp', { max: MAX_SDP });
  // Meta validates the SDP; the sandbox checks only that it is one (RFC 8866 starts with the version line).
  if (!/^v=0\r?\n/.test(sdp) || !/\r?\nm=audio /.test(sdp)) throw fail('session.sdp', 'must be an RFC 8866 SDP (starting with "v=0" and with an m=audio line)');
  return { sdp_type: type, sdp };
}

/** The body of POST /calls, checked as Meta's Calling API reference describes each action. */
export function parseCallRequest(b: unknown): CallRequest {
  if (!isObj(b)) throw fail('body', 'must be a JSON object');
  onlyKeys(b, 'body', ['messaging_product', 'to', 'action', 'call_id', 'session', 'biz_opaque_callback_data']);
  oneOf(b.messaging_product, 'messaging_product', ['whatsapp'] as const);
  const action = oneOf(b.action, 'action', ['connect', 'pre_accept', 'accept', 'reject', 'terminate'] as const);
  const out: CallRequest = { action };
  if (b.biz_opaque_callback_data !== undefined) out.biz_opaque_callback_data = str(b.biz_opaque_callback_data, 'biz_opaque_callback_data', { max: 512 });
  if (action === 'connect') {
    out.to = recipient(b.to, 'to');
    if (b.call_id !== undefined) throw fail('call_id', 'is not taken by connect (a new call gets its id in the answer)');
    out.session = session(b.session, 'offer', 'connect');
    return out;
  }
  out.call_id = str(b.call_id, 'call_id', { max: 256 });
  if (b.to !== undefined) out.to = recipient(b.to, 'to');
  if (action === 'pre_accept' || action === 'accept') out.session = session(b.session, 'answer', action);
  else if (b.session !== undefined) throw fail('session', `is not taken by ${action}`);
  return out;
}
