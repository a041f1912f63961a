// Rules for a channel's webhook URL. `strict` applies the seed's rules for Cloud API webhooks
// (https only, no `_` and no explicit port in the host, no private or loopback address);
// `local` (the default outside production) also allows http, ports and loopback.
import { invalidParameter } from './errors.ts';
import { isPrivateAddress } from '../webhooks/private-address.ts';


/** Whether the text names a port after the host (`:` after the host, even `:443` or an empty `:`). */
function hasExplicitPort(value: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)/i.exec(value);
  if (!m) return false;
  let host = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
  // An IPv6 literal is full of colons; only what follows its closing bracket is a port.
  if (host.startsWith('[')) host = host.slice(host.indexOf(']') + 1);
  return host.includes(':');
}

/** Returns the URL if it passes the policy; otherwise a 400 that states the broken rule. */
export function checkWebhookUrl(raw: string, policy: 'strict' | 'local'): string {
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidParameter(`url must be an absolute URL such as https://example.com/webhook, got "${raw.slice(0, 200)}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidParameter(`url must use https${policy === 'local' ? ' or http' : ''}`);
  if (url.username || url.password) throw invalidParameter('url must not contain credentials; send them in headers, e.g. {"Authorization":"Basic …"}');
  if (policy === 'strict') {
    if (url.protocol !== 'https:') throw invalidParameter('url must use https (OPENWABA_WEBHOOK_URL_POLICY=strict)');
    // URL() drops a default port; look at the text for any explicit one.
    if (url.port !== '' || hasExplicitPort(value)) throw invalidParameter('url must not contain an explicit port such as :3000');
    if (url.hostname.includes('_')) throw invalidParameter('url host must not contain "_" (underscore)');
    if (isPrivateAddress(url.hostname)) throw invalidParameter('url must not point to a private, loopback, link-local or reserved address');
  }
  return value;
}

export function checkWebhookHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object' || Array.isArray(headers)) throw invalidParameter('headers must be an object of header names to string values');
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > 20) throw invalidParameter('headers: at most 20 custom headers');
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/.test(name)) throw invalidParameter(`headers: "${name.slice(0, 100)}" is not a valid header name`);
    if (typeof value !== 'string' || value.length > 4096 || /[\r\n\0]/.test(value)) {
      throw invalidParameter(`headers: the value of "${name}" must be a string without line breaks, at most 4096 characters`);
    }
    out[name] = value;
  }
  return out;
}
