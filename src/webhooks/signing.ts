// Signatures on deliveries: 360dialog's `x-360dialog-signature` (hex HMAC-SHA256 of the raw
// body, keyed with the partner's webhook secret) and Standard Webhooks (`webhook-id`,
// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC of "id.timestamp.body">`).
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

function keyBytes(secret: string): Buffer {
  return secret.startsWith(PREFIX) ? Buffer.from(secret.slice(PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** 360dialog style: hex HMAC-SHA256 of the raw body, keyed with the secret as it is shown. */
export function sign360(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export function standardWebhookHeaders(secret: string, eventId: string, timestampSeconds: number, body: string): Record<string, string> {
  const sig = createHmac('sha256', keyBytes(secret)).update(`${eventId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${sig}`,
  };
}
