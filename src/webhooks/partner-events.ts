// Partner events (reference §2): `{id, event, data}` sent to the partner's webhook_url, signed
// with `x-360dialog-signature` and Standard Webhooks headers.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { enqueueEvent, transact } from './outbox.ts';

export const PARTNER_EVENTS = [
  'client_created',
  'channel_created',
  'channel_submitted',
  'channel_ready',
  'channel_running',
  'channel_live',
  // The cancellation lifecycle (reference §2, from the .NET client's enum): requested, revoked,
  // and processed — the last when the channel is terminated.
  'cancellation_request',
  'cancellation_revoke',
  'cancellation_processed',
  'template_messaging_enabled',
  'template_messaging_disabled',
  // A WABA's policy violation or restriction (reference §2, "carries phone_number, violation_type"):
  // the channel object with those fields; raised in the sandbox by POST /sandbox/v1/account_update.
  'account_violation',
  'account_restriction',
  // A template was approved or rejected. The reference names only the spec anchor
  // (`wabaTemplateStatusChanged`), not the string; this is its snake_case form.
  'waba_template_status_changed',
  // Partner change requests (services/partner-change-requests.ts). The reference has no event
  // names for them (360dialog notifies in its dashboard); these are openwaba's: `created` to the
  // receiving partner, `completed` to both partners, `failed` and `cancelled` (withdrawn by the
  // client while pending) to the receiving partner.
  'partner_change_request_created',
  'partner_change_request_completed',
  'partner_change_request_failed',
  'partner_change_request_cancelled',
] as const;
export type PartnerEventName = (typeof PARTNER_EVENTS)[number] | 'test';

/** The partner event a channel status change raises, if any. */
export function channelStatusEvent(status: string): PartnerEventName | undefined {
  const map: Record<string, PartnerEventName> = {
    submitted: 'channel_submitted',
    ready: 'channel_ready',
    running: 'channel_running',
    live: 'channel_live',
    // A terminated channel is the end of its cancellation (reference §2), whether or not a
    // cancellation_request came first.
    terminated: 'cancellation_processed',
  };
  return map[status];
}

export function emitPartnerEvent(deps: Deps, tx: Executor, partnerId: string, event: PartnerEventName, data: unknown): Promise<string> {
  return enqueueEvent(deps, tx, {
    partnerId,
    targetType: 'partner',
    targetId: partnerId,
    eventType: event,
    // The event id is in the body too: receivers can dedupe on it (it is also `webhook-id`).
    body: (id) => ({ id, event, data }),
  });
}

/** Runs fn in tx when it already is a transaction, else in a new one (so change + event commit together). */
export function inTransaction<T>(deps: Deps, tx: Executor, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return tx.isTransaction ? fn(tx as Transaction<Database>) : transact(deps, fn);
}
