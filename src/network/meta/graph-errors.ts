// What a client gets when Meta's Graph API refuses or fails a request made for it.
//
// - Meta answered a Graph API error (`{"error":{message,type,code,error_subcode?,error_data?,
//   fbtrace_id}}`, any 4xx or 5xx): passed through with Meta's HTTP status. 360dialog is a
//   proxy in front of Meta and clients read Meta's codes (reference §4.3), so a Cloud client
//   gets Meta's error object as Meta gave it (fbtrace_id included, which Meta's support asks
//   for), an On-Premise client Meta's code, title and details in the On-Premise body.
// - Meta could not be reached, did not answer in time, or answered something that is no Graph
//   API answer (a 5xx page from a proxy, a redirect, non-JSON): 360dialog's documented 502
//   "WhatsApp for Business API not available", as Meta's generic (#131000) "Something went
//   wrong" so that clients which switch on Meta's code retry it; a timeout is a 504. Our choice:
//   how 360dialog itself words these is not documented.
import { ApiError } from '../../errors.ts';
import { metaError, type MetaErrorInfo } from '../../messaging/errors.ts';
import type { GraphAnswer } from './graph-client.ts';
import { isObj } from '../../messaging/validate/check.ts';

const NOT_AVAILABLE = 'WhatsApp for Business API not available';

/** The documented fields of a Graph API error object, the ones passed on. */
const GRAPH_ERROR_FIELDS = ['message', 'type', 'code', 'error_subcode', 'error_data', 'error_user_title', 'error_user_msg', 'is_transient', 'fbtrace_id'];


export function badAnswer(what: string): ApiError {
  return metaError(502, 131000, 'Something went wrong', `${NOT_AVAILABLE}: Meta's Cloud API answered with ${what}`);
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** A failure to get an answer at all (ApiErrors raised while reading one pass through). */
export function graphUnreachable(err: unknown, timeoutMs: number): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { name?: string; code?: string } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || (e?.code && TIMEOUT_CODES.has(e.code))) {
    // Once the request is out, Meta may have taken it: say so, a retry may send it twice.
    return metaError(504, 131000, 'Something went wrong', `${NOT_AVAILABLE}: Meta's Cloud API did not answer within ${timeoutMs / 1000} s; whether it took the request is unknown`);
  }
  // Only the error's code (ECONNREFUSED, UND_ERR_SOCKET, …): undici's messages are not ours to show.
  const code = typeof e?.code === 'string' ? ` (${e.code.slice(0, 40)})` : '';
  return metaError(502, 131000, 'Something went wrong', `${NOT_AVAILABLE}: Meta's Cloud API could not be reached${code}`);
}

/** Meta's short title of an error: its message without the "(#131030) " prefix, or its user title. */
function titleOf(err: Record<string, unknown>, code: number): string {
  const message = typeof err.message === 'string' ? err.message : '';
  const bare = message.replace(/^\(#\d+\)\s*/, '');
  if (bare) return bare.slice(0, 500);
  return typeof err.error_user_title === 'string' ? err.error_user_title.slice(0, 500) : `Error ${code}`;
}

/** The error to answer for a Graph API answer that is not a success. */
export function graphError(answer: GraphAnswer): ApiError {
  const err = isObj(answer.body) && isObj(answer.body.error) ? answer.body.error : undefined;
  if (!err || typeof err.code !== 'number' || answer.status < 400) {
    return badAnswer(`HTTP ${answer.status} and ${err ? 'an error without a numeric code' : 'no Graph API error body'}`);
  }
  const graph: Record<string, unknown> = {};
  for (const f of GRAPH_ERROR_FIELDS) if (err[f] !== undefined) graph[f] = err[f];
  const code = err.code;
  const data = isObj(err.error_data) ? err.error_data : undefined;
  const details =
    typeof data?.details === 'string' ? data.details : typeof err.error_user_msg === 'string' ? err.error_user_msg : typeof err.message === 'string' ? err.message : `Meta's Cloud API answered error ${code}`;
  const info: MetaErrorInfo = { metaCode: code, title: titleOf(err, code), subcode: typeof err.error_subcode === 'number' ? err.error_subcode : undefined, graph };
  return new ApiError(clientStatus(answer.status, code), details.slice(0, 2000), { extra: { ...info } });
}

/**
 * The HTTP status the client gets for Meta's. Meta's refusals of the access token (code 190 and
 * its kin 102/104: expired, revoked, invalid; 10 and 200–299: missing permission) are about
 * openwaba's credentials for the number, not the client's: passed on as a 401, a 360dialog client
 * would read "Invalid api_key" (its D360-API-KEY), and as a 400 "my request is wrong"; either way
 * its operator would look in the wrong place. Graph nodes answer them as 400, 401 or 403 depending
 * on the node. They answer 502 (the provider cannot reach WhatsApp for this number), with Meta's
 * error object unchanged, so the code still says what happened. Every other status passes through.
 */
function clientStatus(metaStatus: number, code: number): number {
  if (metaStatus < 400 || metaStatus >= 500) return metaStatus;
  const token = code === 190 || code === 102 || code === 104;
  // 131005: WhatsApp's "Access denied" (a permission not granted or removed).
  const permission = code === 10 || code === 131005 || (code >= 200 && code <= 299);
  return metaStatus === 401 || token || (permission && (metaStatus === 400 || metaStatus === 403)) ? 502 : metaStatus;
}

/**
 * What a client gets when Meta's media CDN refuses a download. A Graph API error in the body is
 * passed through as any other; otherwise (the CDN answers bare statuses and pages) an expired,
 * foreign or unknown URL is the 404 a stale URL of our own gets (download-url.ts), Meta's rate
 * limit a 429, and anything else 360dialog's 502.
 */
export function mediaDownloadError(answer: GraphAnswer): ApiError {
  const err = isObj(answer.body) && isObj(answer.body.error) ? answer.body.error : undefined;
  if (err && typeof err.code === 'number' && answer.status >= 400) return graphError(answer);
  if (answer.status === 429) return metaError(429, 130429, 'Rate limit hit', "Meta's media CDN limits downloads of this number now (HTTP 429); try again later");
  if (answer.status >= 400 && answer.status < 500) {
    return metaError(404, 100, 'Invalid parameter', `Meta's media CDN refused the download (HTTP ${answer.status}): the URL has expired (URLs are valid for 5 minutes) or is not this number's; get a new one with GET /{media_id}`);
  }
  return badAnswer(`HTTP ${answer.status} to a media download`);
}
