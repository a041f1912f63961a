// Rules for a webhook target — a channel's webhook (Messaging API) or a partner's (Partner API,
// Hub) — in one place, free of any wire format: each check returns the accepted value or throws a
// WebhookTargetError whose message states the broken rule; each API renders it in its own format.
//
// URL policy (OPENWABA_WEBHOOK_URL_POLICY): `strict` applies the seed's rules for Cloud API
// webhooks (https only, no `_` and no explicit port in the host, no `_` in a custom header's
// name, no private or loopback address);
// `local` (the default outside production) also allows http, ports and loopback.
import { isPrivateAddress } from '../webhooks/private-address.ts';

export type WebhookUrlPolicy = 'strict' | 'local';

export const MAX_WEBHOOK_HEADERS = 20;
export const MAX_WEBHOOK_HEADER_NAME = 100;
export const MAX_WEBHOOK_HEADER_VALUE = 4096;

/**
 * Headers every delivery sets itself (the body's type and length, the signatures, the event id,
 * the connection's own): a custom header may not replace them. Refused when the headers are set,
 * rather than stored and quietly left out of every delivery.
 */
export const RESERVED_WEBHOOK_HEADERS: ReadonlySet<string> = new Set([
  'content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer',
  'x-360dialog-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'expect',
  // Meta's signature, which openwaba adds itself when the number has an app secret (webhook-app-secret.ts).
  'x-hub-signature-256',
]);

/** A webhook URL or header set that breaks a rule; the message names the rule. */
export class WebhookTargetError extends Error {}

const refuse = (message: string): never => {
  throw new WebhookTargetError(message);
};

/** Whether the text names a port after the host (`:` after the host, even `:443` or an empty `:`). */
function hasExplicitPort(value: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)/i.exec(value);
  if (!m) return false;
  let host = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
  // An IPv6 literal is full of colons; only what follows its closing bracket is a port.
  if (host.startsWith('[')) host = host.slice(host.indexOf(']') + 1);
  return host.includes(':');
}

/** The trimmed URL if it passes the policy; `field` names it in the messages (e.g. `webhook_url`). */
export function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy, field = 'url'): string {
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse(`${field} must be an absolute URL such as https://example.com/webhook, got "${raw.slice(0, 200)}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`${field} must use https${policy === 'local' ? ' or http' : ''}`);
  if (url.username || url.password) refuse(`${field} must not contain credentials; send them in headers, e.g. {"Authorization":"Basic …"}`);
  if (policy === 'strict') {
    if (url.protocol !== 'https:') refuse(`${field} must use https (OPENWABA_WEBHOOK_URL_POLICY=strict)`);
    // URL() drops a default port; look at the text for any explicit one.
    if (url.port !== '' || hasExplicitPort(value)) refuse(`${field} must not contain an explicit port such as :3000`);
    if (url.hostname.includes('_')) refuse(`${field} host must not contain "_" (underscore)`);
    if (isPrivateAddress(url.hostname)) refuse(`${field} must not point to a private, loopback, link-local or reserved address`);
  }
  return value;
}

/**
 * A reserved header a caller takes anyway (a multi-webhook destination's `Content-Type`, which
 * 360dialog's own sample request sends): every other check still applies to it (name, count,
 * value), and its value must also pass `accepts`; otherwise it is refused as any reserved header.
 */
export interface ReservedHeaderException {
  /** The header's name, lower-case. */
  name: string;
  accepts: (value: string) => boolean;
  /** What is accepted, added to the refusal (e.g. "; only application/json is accepted"). */
  rule: string;
}

/**
 * Custom headers sent with every delivery: an object of at most 20 names to string values. Under
 * the strict policy a name must not contain "_" (360dialog's rule for Cloud webhooks: proxies
 * commonly drop such headers).
 */
export function checkWebhookHeaders(headers: unknown, policy: WebhookUrlPolicy, exception?: ReservedHeaderException): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object' || Array.isArray(headers)) refuse('headers must be an object of header names to string values');
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_WEBHOOK_HEADERS) refuse(`headers: at most ${MAX_WEBHOOK_HEADERS} custom headers`);
  const out: Record<string, string> = {};
  const token = new RegExp(`^[!#$%&'*+.^_\`|~0-9A-Za-z-]{1,${MAX_WEBHOOK_HEADER_NAME}}$`);
  for (const [name, value] of entries) {
    if (!token.test(name)) refuse(`headers: "${name.slice(0, MAX_WEBHOOK_HEADER_NAME)}" is not a valid header name`);
    const reserved = `headers: "${name}" is set by openwaba on every delivery and cannot be replaced`;
    const excepted = exception !== undefined && name.toLowerCase() === exception.name;
    if (RESERVED_WEBHOOK_HEADERS.has(name.toLowerCase()) && !excepted) refuse(reserved);
    if (policy === 'strict' && name.includes('_')) refuse(`headers: "${name}" must not contain "_" (underscore) (OPENWABA_WEBHOOK_URL_POLICY=strict)`);
    if (typeof value !== 'string' || value.length > MAX_WEBHOOK_HEADER_VALUE || /[\r\n\0]/.test(value)) {
      refuse(`headers: the value of "${name}" must be a string without line breaks, at most ${MAX_WEBHOOK_HEADER_VALUE} characters`);
    }
    if (excepted && !exception.accepts(value as string)) refuse(`${reserved}${exception.rule}`);
    // What HTTP (and undici, which sends the deliveries) can carry in a header value: tab, visible
    // ASCII and bytes 0x80-0xFF. Anything else would be accepted here and then fail every delivery.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value as string)) {
      refuse(`headers: the value of "${name}" may hold only tabs, visible ASCII characters and spaces (and Latin-1 letters): no control characters, emoji or other Unicode`);
    }
    out[name] = value as string;
  }
  return out;
}
