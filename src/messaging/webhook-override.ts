// Meta's webhook overrides ("alternate callback URLs"), mapped onto openwaba's webhooks:
//
//   POST /{version}/{phone-number-id}  {"webhook_configuration":{"override_callback_uri","verify_token"}}
//        → the channel's webhook URL, the one POST /v1/configs/webhook sets (same storage, same policy)
//   POST /{version}/{waba-id}/subscribed_apps  {override_callback_uri, verify_token}   (also /subscribed_apps)
//        → the WABA's override (waba_accounts.override_callback_uri): where inbound messages and
//          statuses of a number without a URL of its own go (status-facts.ts CHANNEL_WEBHOOK_URL)
//
// As Meta does, a URL is set only after it answers Meta's verification request: GET
// <url>?hub.mode=subscribe&hub.challenge=<random>&hub.verify_token=<token>, which must answer 200
// with the challenge as its body. The request follows the webhook sender's rules: the URL policy
// is applied before any request, redirects are never followed (a 3xx fails), under the strict
// policy a name resolving to a private address is refused at connect time, and it has a short
// deadline. A failed verification is Graph's 400 code 2200 "Callback verification failed with the
// following errors: …" (Meta's wording, which names the HTTP status and body it got), and nothing
// is changed. An empty override_callback_uri removes the override, with no verification.
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import type { ChannelRow } from '../services/channels.ts';
import { endpointConnection } from './flows/endpoint-http.ts';
import { fbtrace, metaError, type MetaErrorInfo } from './errors.ts';
import { checkWebhookUrl } from './webhook-url-policy.ts';
import { setChannelWebhook, webhookConfigOf } from './channel-webhook.ts';
import { isObj, type Obj } from './validate/check.ts';
import { isPrivateAddress } from '../webhooks/private-address.ts';

/** Meta waits a few seconds for the challenge; openwaba gives the URL at most this long. */
const VERIFY_TIMEOUT_MS = 5_000;
/** A challenge is a short number; more than this cannot be one. */
const MAX_ANSWER_BYTES = 4096;
const MAX_VERIFY_TOKEN = 256;

const param = (field: string, details: string) => metaError(400, 100, 'Invalid parameter', `${field}: ${details}`);

/** Graph's answer to a callback that did not verify (code 2200), with what was seen. */
export function callbackVerificationFailed(what: string): ApiError {
  const message = `(#2200) Callback verification failed with the following errors: ${what}`;
  const graph = { message, type: 'OAuthException', code: 2200, fbtrace_id: fbtrace() };
  return new ApiError(400, message, { extra: { metaCode: 2200, title: 'Callback verification failed', graph } satisfies MetaErrorInfo });
}

export interface OverrideInput {
  /** The URL to set, or null to remove the override. */
  url: string | null;
  verifyToken: string | undefined;
}

/**
 * Reads {override_callback_uri, verify_token} (Graph parameters: JSON, or strings of a form or
 * query). An empty or absent override_callback_uri removes the override; a URL must pass the
 * webhook URL policy and come with a verify_token.
 */
export function overrideInput(deps: Deps, params: Obj, where = ''): OverrideInput {
  const raw = params.override_callback_uri;
  const token = params.verify_token;
  if (token !== undefined && (typeof token !== 'string' || token.length > MAX_VERIFY_TOKEN)) throw param(`${where}verify_token`, `must be a string of at most ${MAX_VERIFY_TOKEN} characters`);
  if (raw === undefined || raw === null || raw === '') return { url: null, verifyToken: token };
  if (typeof raw !== 'string') throw param(`${where}override_callback_uri`, 'must be a string (a URL, or "" to remove the override)');
  const url = checkWebhookUrl(raw, deps.config.webhookUrlPolicy, `${where}override_callback_uri`);
  if (token === undefined || token === '') throw param(`${where}verify_token`, 'is required with override_callback_uri');
  return { url, verifyToken: token };
}

/** Meta's verification request to `url`; resolves when it echoed the challenge with a 200, else throws Graph's code 2200. */
export async function verifyCallback(deps: Deps, url: string, verifyToken: string): Promise<void> {
  const publicOnly = deps.config.webhookUrlPolicy === 'strict';
  const target = new URL(url);
  // An address literal is never looked up: refused here, as the webhook sender refuses it.
  if (publicOnly && isPrivateAddress(target.hostname)) throw callbackVerificationFailed(`${target.hostname} is a private or reserved address`);
  const challenge = String(1_000_000_000 + (randomBytes(4).readUInt32BE(0) % 1_000_000_000));
  target.searchParams.set('hub.mode', 'subscribe');
  target.searchParams.set('hub.challenge', challenge);
  target.searchParams.set('hub.verify_token', verifyToken);
  const timeoutMs = Math.min(VERIFY_TIMEOUT_MS, deps.config.webhookTimeoutMs);
  const conn = endpointConnection({ timeoutMs, connectTimeoutMs: deps.config.webhookConnectTimeoutMs, publicOnly });
  try {
    // undici's request() follows no redirect: a 3xx is an answer, and fails below.
    const res = await request(target, {
      dispatcher: conn.agent,
      method: 'GET',
      headers: { 'user-agent': 'facebookexternalua' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    let body = '';
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      body += chunk.toString('utf8');
      if (body.length > MAX_ANSWER_BYTES) {
        res.body.destroy();
        break;
      }
    }
    if (res.statusCode !== 200 || body.trim() !== challenge) {
      const shown = body.slice(0, 200).replace(/\s+/g, ' ');
      throw callbackVerificationFailed(`HTTP Status Code = ${res.statusCode}; HTTP Message = ${res.statusCode === 200 ? 'the response does not match the challenge' : 'not 200'}; HTTP Response Body = ${shown}`);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
    const code = e.code ?? e.cause?.code ?? e.name ?? 'Error';
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code);
    throw callbackVerificationFailed(timedOut ? `Operation timed out after ${timeoutMs} milliseconds` : `${code}: ${(e.message ?? String(err)).slice(0, 200)}`);
  } finally {
    await conn.close();
  }
}

/** The webhook_configuration object of a phone number node POST (a JSON object, or its text in a form or query). */
function webhookConfiguration(params: Obj): Obj {
  let v = params.webhook_configuration;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      throw param('webhook_configuration', 'must be a JSON object such as {"override_callback_uri":"https://…","verify_token":"…"}');
    }
  }
  if (v === undefined) throw param('webhook_configuration', 'is required');
  if (!isObj(v)) throw param('webhook_configuration', 'must be an object such as {"override_callback_uri":"https://…","verify_token":"…"}');
  for (const k of Object.keys(v)) {
    if (k !== 'override_callback_uri' && k !== 'verify_token') throw param(`webhook_configuration.${k}`, 'is not a known field (allowed: override_callback_uri, verify_token)');
  }
  return v;
}

/**
 * POST /{version}/{phone-number-id} with webhook_configuration on a sandbox number: verifies the
 * URL, then sets it as the channel's webhook, as POST /v1/configs/webhook does. The channel's
 * custom headers stay as they were (our choice: Meta's override has none, and a client switching
 * its URL through Graph would not expect its Authorization header gone).
 */
export async function setNumberOverride(deps: Deps, channel: ChannelRow, params: Obj): Promise<{ success: true }> {
  const input = overrideInput(deps, webhookConfiguration(params), 'webhook_configuration.');
  if (input.url !== null) await verifyCallback(deps, input.url, input.verifyToken!);
  await setChannelWebhook(deps, channel, { url: input.url, headers: webhookConfigOf(channel).headers });
  return { success: true };
}

/**
 * The phone number node's webhook_configuration: the number's own URL (phone_number), its WABA's
 * override (whatsapp_business_account) and the partner's webhook URL (application: the URL
 * openwaba knows above the WABA, where Meta would name the app's callback). Each only when set:
 * Meta's reference shows phone_number and application; whatsapp_business_account is the WABA
 * level's key as Meta's override guide names the level (our choice; clients read the keys they know).
 */
export async function webhookConfigurationField(deps: Deps, channel: ChannelRow): Promise<Record<string, string>> {
  const row = await deps.db.kysely
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .leftJoin('partners', 'partners.id', 'channels.partner_id')
    .select(['channels.webhook_url', 'waba_accounts.override_callback_uri', 'partners.webhook_url as partner_url'])
    .where('channels.id', '=', channel.id)
    .executeTakeFirst();
  const out: Record<string, string> = {};
  if (row?.webhook_url) out.phone_number = row.webhook_url;
  if (row?.override_callback_uri) out.whatsapp_business_account = row.override_callback_uri;
  if (row?.partner_url) out.application = row.partner_url;
  return out;
}
