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

/** Returns the URL if it passes the policy; otherwise a 400 that states the broken rule (naming `field`). */
export function checkWebhookUrl(raw: string, policy: target.WebhookUrlPolicy, field = 'url'): string {
  return inMessagingFormat(() => target.checkWebhookUrl(raw, policy, field));
}

/** The headers if they pass; otherwise a 400 stating the rule, naming `field` (e.g. destinations[1].headers). */
export function checkWebhookHeaders(
  headers: unknown,
  policy: target.WebhookUrlPolicy,
  field = 'headers',
  exception?: target.ReservedHeaderException,
): Record<string, string> {
  return inMessagingFormat(() => {
    try {
      return target.checkWebhookHeaders(headers, policy, exception);
    } catch (err) {
      // The shared checks name the field "headers"; a destination's headers say whose they are.
      if (err instanceof target.WebhookTargetError && field !== 'headers') throw new target.WebhookTargetError(err.message.replace(/^headers/, field));
      throw err;
    }
  });
}
