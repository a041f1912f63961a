// Meta's signature on a webhook (what its Cloud API sends with every notification, and what
// clients written for it verify: pywa, n8n's WhatsApp trigger, whatsapp-api-js):
//   X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>
// A channel with a webhook app secret (messaging/webhook-app-secret.ts) gets it on every delivery.
import { createHmac } from 'node:crypto';

export const HUB_SIGNATURE_HEADER = 'x-hub-signature-256';

/** The header's value for exactly these bytes (the body as posted, UTF-8). */
export function hubSignature(appSecret: string, body: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body, 'utf8').digest('hex')}`;
}

const NON_ASCII = /[^\0-~]/g;
const HAS_NON_ASCII = /[^\0-~]/;

/**
 * The JSON text with every character outside ASCII written as a `\uXXXX` escape (lower-case hex,
 * each UTF-16 unit of an astral character on its own): the same JSON value, in the bytes Meta
 * posts (its webhook bodies are ASCII-only JSON). A signed body is sent this way because clients
 * that cannot read the raw bytes verify over their own re-serialization, escaped as Meta's:
 * whatsapp-api-js's post() signs `escapeUnicode(raw_body)` with exactly this rule, so a body with
 * "Olá" or an emoji sent as UTF-8 would fail it, while the escaped one passes both it and the
 * verifiers that read the raw bytes (pywa, n8n). Only non-ASCII characters change, and they occur
 * only inside JSON strings, where the escape means the same character.
 */
export function asciiJson(json: string): string {
  if (!HAS_NON_ASCII.test(json)) return json;
  return json.replace(NON_ASCII, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}
