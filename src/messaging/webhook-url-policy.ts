// A channel's webhook URL and headers, checked by the shared webhook target rules
// (services/webhook-target-checks.ts) and refused in the Messaging API's format.
import { invalidParameter } from './errors.ts';
import * as target from '../services/webhook-target-checks.ts';

function inMessagingFormat<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof target.WebhookTargetError) throw invalidParameter(err.message);
    throw err;
  }
}

/** Returns the URL if it passes the policy; otherwise a 400 that states the broken rule. */
export function checkWebhookUrl(raw: string, policy: target.WebhookUrlPolicy): string {
  return inMessagingFormat(() => target.checkWebhookUrl(raw, policy));
}

export function checkWebhookHeaders(headers: unknown, policy: target.WebhookUrlPolicy): Record<string, string> {
  return inMessagingFormat(() => target.checkWebhookHeaders(headers, policy));
}
