import { badRequest } from '../errors.ts';
import { checkWebhookHeaders, checkWebhookUrl, WebhookTargetError, type WebhookUrlPolicy } from '../services/webhook-target-checks.ts';

/** Accepts only absolute http(s) URLs with a host; anything else is a clear 400. */
export function validateHttpUrl(field: string, value: string): string {
  const trimmed = value.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw badRequest(`${field} must be an absolute http:// or https:// URL, got "${value.slice(0, 200)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badRequest(`${field} must use http or https, got "${url.protocol.replace(':', '')}"`);
  }
  if (!url.hostname) throw badRequest(`${field} must have a host`);
  if (url.username || url.password) throw badRequest(`${field} must not contain credentials; use custom headers instead`);
  return trimmed;
}

/** null or "" clears a URL; anything else must be valid. */
export function optionalUrl(field: string, value: string | null | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value.trim() === '') return null;
  return validateHttpUrl(field, value);
}

/** Runs a webhook target check, refusing in the Partner API's way (a 400 naming the rule). */
function asBadRequest<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof WebhookTargetError) throw badRequest(err.message);
    throw err;
  }
}

/** A partner's webhook URL: the same rules (and OPENWABA_WEBHOOK_URL_POLICY) as a channel's. */
export function webhookUrl(field: string, value: string, policy: WebhookUrlPolicy): string {
  return asBadRequest(() => checkWebhookUrl(value, policy, field));
}

/** null or "" clears the webhook URL; anything else must pass webhookUrl. */
export function optionalWebhookUrl(field: string, value: string | null | undefined, policy: WebhookUrlPolicy): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value.trim() === '') return null;
  return webhookUrl(field, value, policy);
}

/** Custom headers of a partner's webhook: the same limits as a channel webhook's. */
export function webhookHeaders(headers: unknown, policy: WebhookUrlPolicy): Record<string, string> {
  return asBadRequest(() => checkWebhookHeaders(headers, policy));
}
