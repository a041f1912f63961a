// One request of a WhatsApp Flow to the business's data endpoint (the flow's endpoint_uri), as
// WhatsApp makes it ("Implementing Endpoint for Flows"): the payload
//
//   {"version":"3.0","action":"INIT"|"data_exchange"|"BACK"|"ping","screen":…,"data":{…},"flow_token":…}
//
// encrypted for the number the flow message came from (its business public key, POST
// /whatsapp_business_encryption; endpoint-crypto.ts), POSTed with the webhook sender's rules
// (endpoint-http.ts: the URL policy, no redirects, a deadline of OPENWABA_FLOW_ENDPOINT_TIMEOUT,
// 10 s as WhatsApp's, a bounded body), and the answer decrypted. The status codes WhatsApp gives a
// meaning: 421 (the endpoint could not decrypt: WhatsApp fetches the public key again and retries
// once, and so does this), 427 (the flow_token is no longer valid: the flow closes, with the
// endpoint's encrypted `error_msg` when it gave one), 432 (the request's signature was refused).
//
// Signature: WhatsApp signs the body with the Meta app's secret (X-Hub-Signature-256:
// sha256=<HMAC-SHA256 hex>). The sandbox has no Meta app of the developer's; it signs with
// OPENWABA_META_APP_SECRET when that is set (the secret an endpoint shared with Meta's own app
// would check), and sends no signature otherwise: a made-up secret would only teach the endpoint
// to accept a signature no WhatsApp request carries. The exchange record says which.
//
// Nothing here throws for what the endpoint does: every way it can fail is a result whose message
// names the fault precisely (this is a developer's tool), with the record of what was sent and
// what came back, decrypted where it could be.
import { createHmac } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import { jsonDepthExceededAt } from '../../http/json-depth.ts';
import { checkWebhookUrl, WebhookTargetError } from '../../services/webhook-target-checks.ts';
import { businessPublicKey } from './business-key.ts';
import { decryptFlowResponse, encryptFlowRequest, type EncryptedFlowRequest } from './endpoint-crypto.ts';
import { endpointConnection, EndpointUnreachable, MAX_ANSWER_BYTES, postToEndpoint, type EndpointAnswer, type EndpointConnection } from './endpoint-http.ts';

export type EndpointAction = 'INIT' | 'data_exchange' | 'BACK' | 'ping';

/** The decrypted request, in the order of Meta's docs; INIT and ping name no screen, and only data_exchange carries data. */
export interface EndpointRequest {
  version: string;
  action: EndpointAction;
  screen?: string;
  data?: Record<string, unknown>;
  flow_token?: string;
}

/** What the sandbox phone shows of an exchange: the decrypted request and answer, each attempt. */
export interface ExchangeRecord {
  action: EndpointAction;
  url: string;
  at: string;
  /** The decrypted request as sent (pretty JSON). */
  request: string;
  /** Whether X-Hub-Signature-256 was sent (OPENWABA_META_APP_SECRET is set). */
  signed: boolean;
  attempts: { status: number | null; ms: number; note: string }[];
  /** The decrypted answer (pretty JSON, or the decrypted text when it is no JSON). */
  response?: string;
  /** The answer's body as it came, when it could not be decrypted (cut short). */
  raw?: string;
  /**
   * The error notification sent after this exchange's answer proved invalid
   * (endpoint-error-notification.ts): its own exchange, and what came of it.
   */
  notification?: Omit<ExchangeRecord, 'notification'> & { outcome: string; acknowledged: boolean };
}

export type ExchangeFailure =
  /** Not sent: the URL breaks today's policy, or the number has no public key. */
  | 'not_sent'
  | 'unreachable'
  | 'timeout'
  /** 421 twice. */
  | 'key_rejected'
  /** 427. */
  | 'token_invalid'
  /** 432. */
  | 'signature'
  /** Another status than 200 (a redirect among them). */
  | 'http'
  | 'undecryptable'
  | 'not_json';

export type ExchangeResult =
  | { ok: true; answer: Record<string, unknown>; record: ExchangeRecord }
  | { ok: false; failure: ExchangeFailure; message: string; record: ExchangeRecord; userMessage?: string };

export interface EndpointTarget {
  endpointUri: string;
  /** The number the flow message came from: its business public key encrypts the request. */
  channel: { id: string; phone_number: string };
}

/** How much of an answer the record keeps (the page shows it). */
const RECORD_CHARS = 16 * 1024;
const MAX_ANSWER_DEPTH = 64;
const clip = (s: string, n = RECORD_CHARS) => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s);
const excerpt = (s: string) => clip(s.replace(/\s+/g, ' ').trim(), 300);

export const HUB_SIGNATURE_HEADER = 'x-hub-signature-256';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function keyMissing(phone: string): string {
  return `the number +${phone} has no business public key: upload the endpoint's RSA public key first (POST /whatsapp_business_encryption with business_public_key, the number's D360-API-KEY)`;
}

/** The JSON object a decrypted answer holds, or why it holds none. */
export function parseAnswer(plaintext: string): { ok: true; value: Record<string, unknown> } | { ok: false; why: string } {
  if (jsonDepthExceededAt(plaintext, MAX_ANSWER_DEPTH) >= 0) return { ok: false, why: `the decrypted response nests arrays and objects deeper than ${MAX_ANSWER_DEPTH} levels` };
  let v: unknown;
  try {
    v = JSON.parse(plaintext);
  } catch (e) {
    return { ok: false, why: `the response decrypted, but the plaintext is not JSON (${(e instanceof Error ? e.message : String(e)).slice(0, 200)}): ${excerpt(plaintext)}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, why: `the response decrypted, but is not a JSON object: ${excerpt(plaintext)}` };
  return { ok: true, value: v as Record<string, unknown> };
}

/** Sends `payload` to the flow's endpoint and reads the answer. */
export async function exchangeWithEndpoint(deps: Deps, target: EndpointTarget, payload: EndpointRequest): Promise<ExchangeResult> {
  const requestJson = JSON.stringify(payload);
  const secret = deps.config.metaAppSecret;
  const record: ExchangeRecord = {
    action: payload.action,
    url: target.endpointUri,
    at: deps.clock.now().toISOString(),
    request: clip(JSON.stringify(payload, null, 2)),
    signed: secret !== undefined,
    attempts: [],
  };
  const fail = (failure: ExchangeFailure, message: string, userMessage?: string): ExchangeResult => ({ ok: false, failure, message, record, ...(userMessage ? { userMessage } : {}) });

  // Judged by today's policy, as the webhook sender and publishing judge a stored URL.
  const policy = deps.config.webhookUrlPolicy;
  let url: URL;
  try {
    url = new URL(checkWebhookUrl(target.endpointUri, policy, 'endpoint_uri'));
  } catch (err) {
    if (err instanceof WebhookTargetError) return fail('not_sent', `not sent: ${err.message}`);
    throw err;
  }
  const publicOnly = policy === 'strict';
  const timeoutMs = deps.config.flowEndpointTimeoutMs;
  const conn: EndpointConnection = endpointConnection({ timeoutMs, connectTimeoutMs: deps.config.webhookConnectTimeoutMs, publicOnly });
  try {
    let answer: EndpointAnswer | undefined;
    let sent: EncryptedFlowRequest | undefined;
    // A 421 is answered as WhatsApp answers it: the public key is fetched again and the request retried once.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const pem = await businessPublicKey(deps, target.channel.id);
      if (pem === undefined) return fail('not_sent', `not sent: ${keyMissing(target.channel.phone_number)}`);
      sent = encryptFlowRequest(requestJson, pem);
      const headers: Record<string, string> = secret !== undefined ? { [HUB_SIGNATURE_HEADER]: signBody(secret, sent.body) } : {};
      const started = performance.now();
      try {
        answer = await postToEndpoint(conn, url, sent.body, headers, { timeoutMs, publicOnly });
      } catch (err) {
        const ms = Math.round(performance.now() - started);
        if (!(err instanceof EndpointUnreachable)) throw err;
        record.attempts.push({ status: null, ms, note: err.message });
        return fail(err.timeout ? 'timeout' : 'unreachable', err.timeout ? `the endpoint timed out: ${err.message}` : `the endpoint could not be reached: ${err.message}`);
      }
      const ms = Math.round(performance.now() - started);
      const retrying = answer.status === 421 && attempt === 1;
      record.attempts.push({ status: answer.status, ms, note: retrying ? 'could not decrypt the request (421): the public key is read again and the request retried once, as WhatsApp does' : '' });
      if (!retrying) break;
    }
    const a = answer!;
    const raw = () => {
      if (a.body !== '') record.raw = clip(a.body);
    };
    if (a.status === 421) {
      raw();
      return fail(
        'key_rejected',
        `the endpoint could not decrypt the request (HTTP 421), twice, also after the public key was read again: its private key does not match the business public key uploaded for +${target.channel.phone_number} (POST /whatsapp_business_encryption), or it does not decrypt as WhatsApp encrypts (RSA-OAEP with SHA-256 for the AES key, AES-128-GCM with the 16-byte tag appended for the data)`,
      );
    }
    if (a.status === 427) {
      // The endpoint may say why, encrypted: {"error_msg": "…"} (Meta's reference endpoint does).
      const opened = decryptFlowResponse(a.body, sent!.key, sent!.iv);
      const parsed = opened.ok ? parseAnswer(opened.plaintext) : undefined;
      const errorMsg = parsed?.ok && typeof parsed.value.error_msg === 'string' ? parsed.value.error_msg.slice(0, 1000) : undefined;
      if (parsed?.ok) record.response = clip(JSON.stringify(parsed.value, null, 2));
      else raw();
      return fail('token_invalid', 'the endpoint answered HTTP 427: the flow_token is no longer valid, so WhatsApp closes the flow (and disables its button)', errorMsg);
    }
    if (a.status === 432) {
      raw();
      const how = secret !== undefined
        ? 'openwaba signs X-Hub-Signature-256 (sha256=HMAC-SHA256 of the raw body) with OPENWABA_META_APP_SECRET; the endpoint must check it with the same secret'
        : 'openwaba sent no X-Hub-Signature-256: it signs only when OPENWABA_META_APP_SECRET is set (WhatsApp signs with the Meta app\'s secret); set it to the secret the endpoint checks, or let the endpoint skip the check in the sandbox';
      return fail('signature', `the endpoint refused the request's signature (HTTP 432): ${how}`);
    }
    if (a.status >= 300 && a.status < 400) {
      raw();
      return fail('http', `the endpoint answered HTTP ${a.status}, a redirect${a.location ? ` to ${clip(a.location, 300)}` : ''}: WhatsApp does not follow redirects (nor does the sandbox); answer at endpoint_uri itself`);
    }
    if (a.status !== 200) {
      raw();
      const body = a.body.trim() === '' ? 'an empty body' : `“${excerpt(a.body)}”`;
      return fail('http', `the endpoint answered HTTP ${a.status} with ${body}; WhatsApp expects 200 with the encrypted response (or 421, 427, 432 for the cases those mean)`);
    }
    if (a.tooLarge) return fail('http', `the endpoint's response is larger than ${MAX_ANSWER_BYTES} bytes (base64 of an encrypted screen is far smaller): not read further`);
    const opened = decryptFlowResponse(a.body, sent!.key, sent!.iv);
    if (!opened.ok) {
      raw();
      return fail('undecryptable', opened.why);
    }
    record.response = clip(opened.plaintext);
    const parsed = parseAnswer(opened.plaintext);
    if (!parsed.ok) return fail('not_json', parsed.why);
    record.response = clip(JSON.stringify(parsed.value, null, 2));
    return { ok: true, answer: parsed.value, record };
  } finally {
    await conn.close();
  }
}
