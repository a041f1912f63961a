// Signatures on deliveries: 360dialog's `x-360dialog-signature` (hex HMAC-SHA256 of the raw
// body, keyed with the partner's webhook secret) and Standard Webhooks (`webhook-id`,
// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC of "id.timestamp.body">`).
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

/** Decoded keys by secret: a target's deliveries all sign with the same one (bounded: secrets rotate). */
const keys = new Map<string, Buffer>();
function keyBytes(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = secret.startsWith(PREFIX) ? Buffer.from(secret.slice(PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
    if (keys.size >= 1000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/** 360dialog style: hex HMAC-SHA256 of the raw body, keyed with the secret as it is shown. */
export function sign360(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** The Standard Webhooks signature header's value: `v1,` + base64 HMAC-SHA256 of "id.timestamp.body". */
export function standardWebhookSignature(secret: string, eventId: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', keyBytes(secret)).update(`${eventId}.${timestampSeconds}.${body}`, 'utf8').digest('base64')}`;
}
