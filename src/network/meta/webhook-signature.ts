// Meta's webhooks prove where they come from in two ways: when a callback URL is registered,
// Meta calls it with the verify token set in the app's dashboard (GET hub.verify_token); every
// notification after that is signed with the app secret (X-Hub-Signature-256: sha256=<hex of
// HMAC-SHA256 over the raw body>). Both are compared in constant time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/** Whether a header value looks like Meta's signature at all (checked before the body is read). */
export function signatureHeaderWellFormed(header: string | string[] | undefined): header is string {
  return typeof header === 'string' && SIGNATURE.test(header.trim());
}

/** Whether `header` is the HMAC-SHA256 of exactly these bytes under the app secret. */
export function signatureMatches(appSecret: string, raw: Buffer, header: string): boolean {
  const m = SIGNATURE.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  // Both 32 bytes: the header's hex was checked to be 64 digits.
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
}

/** Whether the token Meta echoes is the configured verify token (hashed first: equal lengths, no length leak). */
export function verifyTokenMatches(configured: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(configured), digest(given));
}
